"""The read cache's single flight (server/cache.py): callers asking the same
while one computes share its answer, and are answered even when the caller
computing it goes away."""

from __future__ import annotations

import asyncio

from pgvigil.server.cache import ReadCache


def test_callers_share_one_computation() -> None:
    async def scenario() -> tuple[list[int], int]:
        cache = ReadCache(ttl=60)
        calls = 0

        async def compute() -> int:
            nonlocal calls
            calls += 1
            await asyncio.sleep(0.05)
            return 42

        answers = await asyncio.gather(*(cache.get("k", compute) for _ in range(10)))
        return list(answers), calls

    answers, calls = asyncio.run(scenario())
    assert answers == [42] * 10
    assert calls == 1


def test_waiters_are_answered_when_the_computing_caller_is_cancelled() -> None:
    async def scenario() -> list[int]:
        cache = ReadCache(ttl=60)
        started = asyncio.Event()

        async def slow() -> int:
            started.set()
            await asyncio.sleep(10)
            return 1

        async def quick() -> int:
            return 2

        first = asyncio.create_task(cache.get("k", slow))
        await started.wait()
        waiters = [asyncio.create_task(cache.get("k", quick)) for _ in range(3)]
        await asyncio.sleep(0)  # the waiters now await the first's answer
        first.cancel()
        done = await asyncio.wait_for(asyncio.gather(*waiters), timeout=5)
        assert first.cancelled()
        return list(done)

    assert asyncio.run(scenario()) == [2, 2, 2]


def test_an_invalidation_while_computing_keeps_the_stale_answer_out() -> None:
    async def scenario() -> list[int]:
        cache = ReadCache(ttl=60)
        values = iter([1, 2])

        async def compute() -> int:
            value = next(values)
            cache.invalidate()  # a change committed while this was read
            return value

        return [await cache.get("k", compute), await cache.get("k", compute)]

    assert asyncio.run(scenario()) == [1, 2]


def test_an_old_answer_is_given_at_once_while_one_refresh_runs() -> None:
    async def scenario() -> tuple[list[int], list[int], int]:
        cache = ReadCache(ttl=0.2)
        calls = 0

        async def compute() -> int:
            nonlocal calls
            calls += 1
            await asyncio.sleep(0.1)
            return calls

        first = await cache.get("k", compute)
        await asyncio.sleep(0.25)  # older than ttl, younger than 2 * ttl
        during = await asyncio.gather(*(cache.get("k", compute) for _ in range(5)))
        await asyncio.sleep(0.15)  # the one refresh is done
        after = [await cache.get("k", compute)]
        return [first, *during], after, calls

    during, after, calls = asyncio.run(scenario())
    assert during == [1] * 6  # nobody waited for the refresh
    assert after == [2] and calls == 2  # one refresh for the five


def test_a_change_or_an_answer_too_old_is_waited_for() -> None:
    async def scenario() -> list[int]:
        cache = ReadCache(ttl=0.1)
        values = iter(range(1, 10))

        async def compute() -> int:
            return next(values)

        seen = [await cache.get("k", compute)]
        cache.invalidate()  # a committed change: the old answer is never given again
        seen.append(await cache.get("k", compute))
        await asyncio.sleep(0.25)  # older than 2 * ttl
        seen.append(await cache.get("k", compute))
        return seen

    assert asyncio.run(scenario()) == [1, 2, 3]
