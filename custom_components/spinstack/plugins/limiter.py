"""A shared, fair (first come, first served) sliding-window rate limiter per service.

A request holds its place in the window from the moment it is let through until ``per`` seconds after its answer
arrived (or it failed). Whenever a service logs it, that is between those two moments, so no window of ``per``
seconds at the service ever holds more than ``requests`` of ours, whatever the network latency or the order in
which answers come back. Waiting uses the injected clock and sleep only, so a test on a controlled clock sees the
exact spacing, and nothing ever blocks the event loop.

The published limits are in `DEFAULT_LIMITS`. A service that reports its own count (Discogs'
``X-Discogs-Ratelimit`` and ``X-Discogs-Ratelimit-Remaining``) is followed with `RateLimiter.observe`: a lower
limit is adopted, and requests the service counts that we did not make (another client on the same token) fill
the window until they age out. `RateLimiter.defer` stops everyone for a while (a 429 or 503 with Retry-After).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Final, Self

type Clock = Callable[[], float]
type Sleep = Callable[[float], Awaitable[None]]

# Never sleep less than this: a wait computed from floats may come out a hair short of the window's edge.
MIN_WAIT: Final = 0.001


@dataclass(frozen=True, slots=True)
class RateLimit:
    """At most `requests` in any window of `per` seconds."""

    requests: int
    per: float


DEFAULT_LIMITS: Final[Mapping[str, RateLimit]] = {
    "deezer": RateLimit(50, 5.0),
    "musicbrainz": RateLimit(1, 1.0),
    "discogs": RateLimit(60, 60.0),  # authenticated; Discogs' headers may lower it
    "odesli": RateLimit(10, 60.0),  # without an API key
    # The forwarders' services. Last.fm's API terms (section 4.4, as quoted by MusicBrainz Picard's Last.fm plugin):
    # "no more than 5 requests per originating IP address per second, averaged over a 5 minute period": one
    # request every 250 ms at most, shared by the scrobbler and the history reader, stays well under it.
    "lastfm": RateLimit(1, 0.25),
    # ListenBrainz' API docs ("Rate limiting"): a client application never makes more than one call per second;
    # its X-RateLimit-* headers are followed on top (see http._observe).
    "listenbrainz": RateLimit(1, 1.0),
}


class Permit:
    """One request's place in the window: ``async with limiter.slot():`` (or `RateLimiter.acquire` and
    `release`). Released once, when the answer has arrived or the request failed."""

    def __init__(self, limiter: RateLimiter, granted_at: float) -> None:
        self.limiter = limiter
        self.granted_at = granted_at
        self._released = False

    def release(self) -> None:
        """The request is over: it leaves the window `per` seconds from now."""
        if not self._released:
            self._released = True
            self.limiter._release()  # noqa: SLF001 - the permit's own limiter

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()


class _Slot:
    def __init__(self, limiter: RateLimiter) -> None:
        self._limiter = limiter
        self._permit: Permit | None = None

    async def __aenter__(self) -> Permit:
        self._permit = await self._limiter.acquire()
        return self._permit

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._permit is not None:
            self._permit.release()


class RateLimiter:
    """The window of one service. Waiters are served in arrival order (the first waiter sleeps; the others queue
    behind it on a FIFO lock)."""

    def __init__(self, name: str, limit: RateLimit, *, clock: Clock, sleep: Sleep) -> None:
        if limit.requests < 1 or limit.per <= 0:
            raise ValueError("a rate limit needs at least one request in a positive window")
        self.name = name
        self.limit = limit
        self._clock = clock
        self._sleep = sleep
        self._done: deque[float] = deque()  # when requests ended (and phantoms): non-decreasing
        self._in_flight = 0
        self._queue = asyncio.Lock()  # asyncio's lock wakes its waiters in FIFO order
        self._changed = asyncio.Event()
        self._paused_until = float("-inf")
        self._announced: int | None = None
        self.granted = 0  # requests let through so far
        self.waited = 0.0  # seconds spent waiting for room (on the injected clock)

    @property
    def capacity(self) -> int:
        """Requests allowed per window now: the published limit, or less when the service announced less."""
        if self._announced is None:
            return self.limit.requests
        return max(1, min(self.limit.requests, self._announced))

    def used(self) -> int:
        """Requests in flight or ended within the last window."""
        self._prune(self._clock())
        return self._in_flight + len(self._done)

    def slot(self) -> _Slot:
        """``async with limiter.slot():`` around one request."""
        return _Slot(self)

    async def acquire(self) -> Permit:
        """Wait for room in the window, in turn; the permit must be released when the request is over."""
        async with self._queue:
            while True:
                now = self._clock()
                if now < self._paused_until:
                    await self._wait(self._paused_until - now)
                    continue
                self._prune(now)
                if self._in_flight + len(self._done) < self.capacity:
                    self._in_flight += 1
                    self.granted += 1
                    return Permit(self, now)
                if self._done:
                    await self._wait(self._done[0] + self.limit.per - now)
                else:  # every place is held by a request in flight: wait for one to end
                    self._changed.clear()
                    await self._changed.wait()

    def defer(self, seconds: float) -> None:
        """Let nobody through for `seconds` from now (the service asked us to wait)."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)

    def observe(self, *, limit: int | None = None, remaining: int | None = None) -> None:
        """Follow what the service reports of its own window: its current `limit`, and how many requests
        `remaining` (call it while the request that brought the figures is still in flight)."""
        if limit is not None and limit > 0:
            self._announced = limit
        if remaining is None:
            return
        now = self._clock()
        self._prune(now)
        counted_by_service = self.capacity - max(0, remaining)
        extra = counted_by_service - (self._in_flight + len(self._done))
        self._done.extend([now] * max(0, extra))

    def _release(self) -> None:
        self._in_flight -= 1
        self._done.append(self._clock())
        self._changed.set()

    def _prune(self, now: float) -> None:
        while self._done and now - self._done[0] >= self.limit.per:
            self._done.popleft()

    async def _wait(self, seconds: float) -> None:
        seconds = max(seconds, MIN_WAIT)
        self.waited += seconds
        await self._sleep(seconds)


class LimiterRegistry:
    """One `RateLimiter` per service, made on first use, shared by every plugin of a context."""

    def __init__(self, *, clock: Clock, sleep: Sleep, limits: Mapping[str, RateLimit] | None = None) -> None:
        self._clock = clock
        self._sleep = sleep
        self._limits = {**DEFAULT_LIMITS, **(limits or {})}
        self._limiters: dict[str, RateLimiter] = {}

    def __getitem__(self, service: str) -> RateLimiter:
        limiter = self._limiters.get(service)
        if limiter is None:
            if service not in self._limits:
                raise KeyError(f"no rate limit is known for {service!r}")
            limiter = RateLimiter(service, self._limits[service], clock=self._clock, sleep=self._sleep)
            self._limiters[service] = limiter
        return limiter

    def __contains__(self, service: object) -> bool:
        return service in self._limits
