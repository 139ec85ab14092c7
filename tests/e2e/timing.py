"""Moving time for end-to-end tests: the speakers' clock, SpinStack's clock and Home Assistant's timers together.

The emulated speakers follow a `ManualClock`. SpinStack's engine reads `coordinator.wall_clock`, which a
`Lockstep` replaces with that same clock, so that an observation made when a speaker's event arrives carries the
speaker's own time. Home Assistant's timers (the coordinator's wake-ups, SoCo's renewals, the listeners' polling)
run on the event loop in real time: after each step they are fired with `async_fire_time_changed`, as far ahead
as the clocks have moved since the test began (a timer may so fire early, never late; the coordinator's wake-up
then reads the speaker and asks again, which changes nothing).

`advance` stops at every moment something happens on its own — a speaker's timer (a track's end, a radio song's
change, a reboot's end) and the engine's next wake-up — and lets the I/O that follows settle (NOTIFYs delivered,
positions read) before the clocks move on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.spinstack import coordinator as coordinator_module
from custom_components.spinstack.coordinator import SpinStackCoordinator
from custom_components.spinstack.sonos.listener import SpeakerListener
from emulator import Household, ManualClock

# Tasks of SpinStack's that read speakers after an event or at a wake-up (named by the code under test).
_IO_TASKS = ("spinstack position", "spinstack wake")
_SETTLE_WITHIN = 60.0


def noon_today() -> float:
    """Noon of Home Assistant's local day: a play started then is "today" whatever the hour a test runs at."""
    return dt_util.start_of_local_day().timestamp() + 12 * 3600


def use_subscription_seconds(monkeypatch: pytest.MonkeyPatch, seconds: int) -> None:
    """Make the coordinator's listeners ask for subscriptions of ``seconds`` (SoCo renews at 85 % of them).

    `SpeakerListener` takes its default from `SUBSCRIPTION_SECONDS` when the class is defined, so patching that
    constant changes nothing; the coordinator's name for the class is replaced by a subclass instead.
    """

    class Listener(SpeakerListener):
        def __init__(self, device: Any, **kwargs: Any) -> None:
            kwargs["subscription_seconds"] = seconds
            super().__init__(device, **kwargs)

    monkeypatch.setattr(coordinator_module, "SpeakerListener", Listener)


def _pending_io() -> list[asyncio.Task[Any]]:
    current = asyncio.current_task()
    return [
        task
        for task in asyncio.all_tasks()
        if task is not current and not task.done() and task.get_name().startswith(_IO_TASKS)
    ]


class Lockstep:
    """The speakers' clock, the engine's clock and Home Assistant's timers, moved together."""

    def __init__(
        self,
        hass: HomeAssistant,
        household: Household,
        clock: ManualClock,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        self.hass = hass
        self.household = household
        self.clock = clock
        self.start = clock.now()
        self.coordinators: list[SpinStackCoordinator] = []
        monkeypatch.setattr(coordinator_module, "wall_clock", clock.now)

    def watch(self, *coordinators: SpinStackCoordinator) -> None:
        """Stop at these coordinators' engines' wake-ups too."""
        self.coordinators.extend(coordinators)

    @property
    def elapsed(self) -> float:
        """Clock seconds since the lockstep began."""
        return self.clock.now() - self.start

    async def settle(self) -> None:
        """Wait (real time) until NOTIFYs are delivered and the speaker reads they caused are done."""
        async with asyncio.timeout(_SETTLE_WITHIN):
            quiet = 0
            while quiet < 2:
                await self.household.settle()
                pending = _pending_io()
                if pending:
                    quiet = 0
                    await asyncio.wait(pending)
                    continue
                quiet += 1
                await asyncio.sleep(0.01)

    def fire_timers(self, extra: float = 0.0) -> None:
        """Run the event loop's timers due within the clock time elapsed since the start (plus ``extra``)."""
        async_fire_time_changed(self.hass, dt_util.utcnow() + timedelta(seconds=self.elapsed + extra + 1))

    async def fire_and_settle(self, extra: float = 0.0) -> None:
        """Fire the timers due, then let what they started settle."""
        await self.settle()
        self.fire_timers(extra)
        await self.settle()

    def _stops(self, now: float, end: float) -> Iterable[float]:
        yield end
        due = self.clock.next_due()
        if due is not None:
            yield due
        for coordinator in self.coordinators:
            wake = coordinator.engine.next_wakeup()
            if wake is not None and wake > now:
                yield wake

    async def advance(self, seconds: float) -> None:
        """Move every clock ``seconds`` forward, stopping wherever something is due."""
        end = self.clock.now() + seconds
        while True:
            await self.fire_and_settle()
            now = self.clock.now()
            if now >= end:
                return
            await self.clock.advance_to(max(now, min(self._stops(now, end))))
