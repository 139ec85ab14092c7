"""The clocks: timers fire in time order as a manual clock advances; a real-time clock runs at its rate."""

from __future__ import annotations

import asyncio

import pytest

from emulator import ManualClock, RealtimeClock


async def test_manual_clock_fires_due_timers_in_order() -> None:
    clock = ManualClock(start=1000.0)
    fired: list[tuple[str, float]] = []
    clock.call_at(1030.0, lambda: fired.append(("b", clock.now())))
    clock.call_at(1010.0, lambda: fired.append(("a", clock.now())))
    cancelled = clock.call_later(5, lambda: fired.append(("never", clock.now())))
    cancelled.cancel()

    def chain() -> None:
        fired.append(("c", clock.now()))
        clock.call_later(10, lambda: fired.append(("d", clock.now())))

    clock.call_at(1040.0, chain)
    await clock.advance(45)
    assert fired == [("a", 1010.0), ("b", 1030.0), ("c", 1040.0)]
    assert clock.now() == 1045.0
    await clock.advance(5)
    assert fired[-1] == ("d", 1050.0)
    assert clock.pending == 0
    with pytest.raises(ValueError, match="backwards"):
        await clock.advance(-1)


async def test_sleepers_wake_in_order_and_can_schedule_more() -> None:
    clock = ManualClock()
    woke: list[str] = []

    async def sleeper(name: str, first: float, second: float) -> None:
        await clock.sleep(first)
        woke.append(f"{name}1")
        await clock.sleep(second)
        woke.append(f"{name}2")

    tasks = [asyncio.create_task(sleeper("x", 10, 30)), asyncio.create_task(sleeper("y", 20, 5))]
    await clock.advance(100)
    await asyncio.gather(*tasks)
    assert woke == ["x1", "y1", "y2", "x2"]


async def test_realtime_clock_runs_at_its_rate() -> None:
    clock = RealtimeClock(rate=100.0, start=0.0)
    fired = asyncio.Event()
    clock.call_later(5.0, fired.set)  # 5 clock seconds: 50 ms
    await asyncio.wait_for(fired.wait(), 2.0)
    assert clock.now() >= 5.0
    before = clock.now()
    await clock.sleep(2.0)
    assert clock.now() - before >= 2.0
    with pytest.raises(ValueError, match="positive"):
        RealtimeClock(rate=0)
