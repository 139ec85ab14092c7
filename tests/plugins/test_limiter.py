"""The shared rate limiter on a controlled clock: exact spacing, fairness, requests in flight, what a service
reports, pauses."""

from __future__ import annotations

import asyncio

import pytest

from custom_components.spinstack.plugins import LimiterRegistry, RateLimit, RateLimiter
from fakes import FakeClock, max_in_window

from .conftest import ClockSleep


def _limiter(clock: FakeClock, sleep: ClockSleep, requests: int, per: float) -> RateLimiter:
    return RateLimiter("test", RateLimit(requests, per), clock=clock, sleep=sleep)


async def test_spacing_is_exact(clock: FakeClock, sleep: ClockSleep) -> None:
    limiter = _limiter(clock, sleep, 1, 1.0)
    times: list[float] = []
    for _ in range(5):
        async with limiter.slot():
            times.append(clock())
    start = times[0]
    assert [round(time - start, 6) for time in times] == [0, 1, 2, 3, 4]
    assert max_in_window(times, 1.0) == 1


async def test_a_burst_then_the_window(clock: FakeClock, sleep: ClockSleep) -> None:
    limiter = _limiter(clock, sleep, 50, 5.0)
    times: list[float] = []

    async def one() -> None:
        async with limiter.slot():
            times.append(clock())

    await asyncio.gather(*(one() for _ in range(120)))
    start = times[0]
    assert times[:50] == [start] * 50
    assert max_in_window(times, 5.0) == 50
    assert times[-1] - start == pytest.approx(10.0)
    assert limiter.granted == 120


async def test_fifo(clock: FakeClock, sleep: ClockSleep) -> None:
    limiter = _limiter(clock, sleep, 1, 1.0)
    order: list[int] = []

    async def one(number: int) -> None:
        async with limiter.slot():
            order.append(number)
            await asyncio.sleep(0)

    tasks = []
    for number in range(10):
        tasks.append(asyncio.create_task(one(number)))
        await asyncio.sleep(0)
    await asyncio.gather(*tasks)
    assert order == list(range(10))


async def test_a_request_counts_from_its_start_to_a_window_after_its_end(clock: FakeClock, sleep: ClockSleep) -> None:
    """Whenever the service logs a request (between our start and its answer), no window is exceeded."""
    limiter = _limiter(clock, sleep, 2, 10.0)
    first = await limiter.acquire()
    second = await limiter.acquire()
    clock.advance(30)  # both still in flight: nobody may go
    waiting = asyncio.create_task(limiter.acquire())
    await asyncio.sleep(0)
    assert not waiting.done()
    first.release()
    first.release()  # once only
    await asyncio.sleep(0)
    assert not waiting.done()  # it ended now: it leaves the window ten seconds from now
    ended = clock()
    third = await waiting
    assert third.granted_at - ended >= 10.0
    second.release()
    third.release()
    assert limiter.used() == 2


async def test_observe_follows_the_service(clock: FakeClock, sleep: ClockSleep) -> None:
    limiter = _limiter(clock, sleep, 60, 60.0)
    async with limiter.slot():
        limiter.observe(limit=60, remaining=2)  # someone else used 57 this minute
    assert limiter.used() == 58
    start = clock()
    for _ in range(3):
        async with limiter.slot():
            pass
    assert clock() - start >= 60.0
    limiter.observe(limit=25)  # unauthenticated now
    assert limiter.capacity == 25


async def test_defer(clock: FakeClock, sleep: ClockSleep) -> None:
    limiter = _limiter(clock, sleep, 10, 1.0)
    limiter.defer(7.5)
    start = clock()
    async with limiter.slot() as permit:
        assert permit.granted_at - start == pytest.approx(7.5)


def test_registry_and_bad_limits(clock: FakeClock, sleep: ClockSleep) -> None:
    registry = LimiterRegistry(clock=clock, sleep=sleep, limits={"odesli": RateLimit(100, 60.0)})
    assert registry["deezer"] is registry["deezer"]
    assert registry["deezer"].limit == RateLimit(50, 5.0)
    assert registry["musicbrainz"].limit == RateLimit(1, 1.0)
    assert registry["discogs"].limit == RateLimit(60, 60.0)
    assert registry["odesli"].limit == RateLimit(100, 60.0)
    assert "spotify" not in registry
    with pytest.raises(KeyError):
        registry["spotify"]
    with pytest.raises(ValueError, match="at least one request"):
        RateLimiter("x", RateLimit(0, 1.0), clock=clock, sleep=sleep)
