CREATE OR REPLACE FUNCTION monitoring_internal.compact_value_sketch(p_entries bigint[])
RETURNS bigint[]
LANGUAGE sql
IMMUTABLE
PARALLEL SAFE
AS $$
    -- Internal: final function of monitoring_internal.merge_value_sketches(). Takes
    -- the entries of several value sketches, concatenated, and returns the
    -- one sketch they make: one entry per key, counts added, in key order,
    -- so equal samples give equal arrays whatever the merge order.
    -- An entry packs a key of value_sketch_key() and its count as
    -- key * 2^47 + count (0 < count < 2^47); a bucket whose merged count
    -- would not fit makes the whole result NULL (unknown) rather than wrong:
    -- 1.4e14 samples of one series in one bucket of one rollup row.
    SELECT CASE WHEN max(e.n) < 140737488355328 THEN array_agg(e.key * 140737488355328 + e.n ORDER BY e.key) END
    FROM (SELECT x >> 47 AS key, sum(x & 140737488355327)::bigint AS n
          FROM unnest(p_entries) AS x
          GROUP BY 1) AS e;
$$;
COMMENT ON FUNCTION monitoring_internal.compact_value_sketch(bigint[]) IS
    'Internal: final function of monitoring_internal.merge_value_sketches(): one entry per key (counts added), in key order; NULL if a count reaches 2^47.';
