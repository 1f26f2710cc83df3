CREATE OR REPLACE FUNCTION monitoring.task_duration_bounds()
RETURNS double precision[]
LANGUAGE sql
IMMUTABLE
PARALLEL SAFE
AS $$
    -- The fixed duration buckets of the task rollups, in seconds: bucket i
    -- counts durations d with bound[i-1] <= d < bound[i] (bound[0] = 0), the
    -- last bucket everything from an hour on. Stored histograms depend on
    -- these: changing them needs a migration that recomputes the rollups.
    SELECT '{0.1,0.25,0.5,1,2.5,5,10,30,60,120,300,600,1800,3600,Infinity}'::double precision[];
$$;
COMMENT ON FUNCTION monitoring.task_duration_bounds() IS
    'Upper bounds (exclusive, seconds) of the task duration buckets counted in duration_buckets of the task rollups; the last is Infinity.';
