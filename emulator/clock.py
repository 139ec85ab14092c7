"""The emulator's time: a clock that tests drive by hand, or that runs at an accelerated real-time rate.

Everything that happens "by itself" on an emulated speaker — a track's position moving on, a track ending and the
queue advancing, a radio station's song changing, a GENA subscription expiring — is a timer on one of these
clocks. Network behaviour (how long a NOTIFY takes to arrive, fault delays) is real time and is not on the clock.

`ManualClock` only moves when told: ``await clock.advance(240)`` fires, in time order, every timer due in those 240
seconds, setting ``now()`` to each timer's time as it fires. `RealtimeClock` follows the event loop's monotonic
time multiplied by a rate (``rate=10`` makes a 4-minute track last 24 real seconds).
"""

from __future__ import annotations

import abc
import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
import heapq
import itertools
import time

# A fixed, plausible epoch for manual clocks (2026-01-01T00:00:00Z), so that runs are reproducible.
DEFAULT_EPOCH = 1_767_225_600.0


@dataclass(order=True)
class Timer:
    """A callback due at a clock time; `cancel` stops it from firing."""

    when: float
    order: int
    callback: Callable[[], None] = field(compare=False)
    cancelled: bool = field(default=False, compare=False)
    handle: asyncio.TimerHandle | None = field(default=None, compare=False, repr=False)

    def cancel(self) -> None:
        """Stop the timer; cancelling twice, or after it fired, does nothing."""
        self.cancelled = True
        if self.handle is not None:
            self.handle.cancel()
            self.handle = None


class Clock(abc.ABC):
    """The emulator's notion of time, in epoch seconds."""

    def __init__(self) -> None:
        self._order = itertools.count()

    @abc.abstractmethod
    def now(self) -> float:
        """The current clock time (epoch seconds)."""

    @abc.abstractmethod
    def call_at(self, when: float, callback: Callable[[], None]) -> Timer:
        """Run `callback` when the clock reaches `when` (at once, in order, if that is already past)."""

    def call_later(self, delay: float, callback: Callable[[], None]) -> Timer:
        """Run `callback` `delay` clock seconds from now."""
        return self.call_at(self.now() + max(0.0, delay), callback)

    async def sleep(self, seconds: float) -> None:
        """Wait `seconds` of clock time (for scripts: a scenario's pauses follow the clock)."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def wake() -> None:
            if not future.done():
                future.set_result(None)

        timer = self.call_later(seconds, wake)
        try:
            await future
        finally:
            timer.cancel()

    def _next_order(self) -> int:
        return next(self._order)


class ManualClock(Clock):
    """A clock that moves only when `advance` (or `advance_to`) is awaited."""

    def __init__(self, start: float = DEFAULT_EPOCH) -> None:
        super().__init__()
        self._now = start
        self._timers: list[Timer] = []

    def now(self) -> float:
        return self._now

    def call_at(self, when: float, callback: Callable[[], None]) -> Timer:
        timer = Timer(max(when, self._now), self._next_order(), callback)
        heapq.heappush(self._timers, timer)
        return timer

    @property
    def pending(self) -> int:
        """How many timers are waiting (cancelled ones excluded)."""
        return sum(1 for timer in self._timers if not timer.cancelled)

    def next_due(self) -> float | None:
        """The time of the next live timer, if any."""
        while self._timers and self._timers[0].cancelled:
            heapq.heappop(self._timers)
        return self._timers[0].when if self._timers else None

    async def advance(self, seconds: float) -> None:
        """Move the clock `seconds` forward, firing every timer due on the way, in time order."""
        if seconds < 0:
            raise ValueError("a clock does not go backwards")
        await self.advance_to(self._now + seconds)

    async def advance_to(self, when: float) -> None:
        """Move the clock to `when`, firing every timer due up to and including it, in time order.

        After each timer the event loop runs a few rounds, so that coroutines woken by it (a scenario sleeping on
        the clock, say) may schedule further timers before the clock moves past them.
        """
        await _yield_to_loop()
        while True:
            due = self.next_due()
            if due is None or due > when:
                break
            timer = heapq.heappop(self._timers)
            self._now = max(self._now, timer.when)
            timer.callback()
            await _yield_to_loop()
        self._now = max(self._now, when)
        await _yield_to_loop()


class RealtimeClock(Clock):
    """A clock following the event loop's time, `rate` times faster than real time."""

    def __init__(self, rate: float = 1.0, start: float | None = None) -> None:
        super().__init__()
        if rate <= 0:
            raise ValueError("the rate must be positive")
        self.rate = rate
        self._start = time.time() if start is None else start
        self._anchor = time.monotonic()

    def now(self) -> float:
        return self._start + (time.monotonic() - self._anchor) * self.rate

    def call_at(self, when: float, callback: Callable[[], None]) -> Timer:
        timer = Timer(when, self._next_order(), callback)
        loop = asyncio.get_running_loop()
        delay = max(0.0, (when - self.now()) / self.rate)

        def fire() -> None:
            timer.handle = None
            if not timer.cancelled:
                timer.callback()

        timer.handle = loop.call_later(delay, fire)
        return timer


async def _yield_to_loop(rounds: int = 5) -> None:
    for _ in range(rounds):
        await asyncio.sleep(0)
