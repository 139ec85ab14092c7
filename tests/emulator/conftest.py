"""Fixtures of the emulator tests: a clean SoCo for each test, households that are always stopped."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
import contextlib
import json
from pathlib import Path
from typing import Any

import pytest
import soco
from soco import events_asyncio
from soco.core import soco_reset

from emulator import Household, ManualClock

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "sonos-real"

MakeHousehold = Callable[..., Awaitable[Household]]


def fixture_text(name: str) -> str:
    """A payload captured from a real speaker."""
    path = FIXTURES / name
    if not path.is_file():
        pytest.fail(f"the real Sonos payload is missing: {path}")
    return path.read_text()


def fixture_json(name: str) -> dict[str, Any]:
    """A JSON payload captured from a real speaker."""
    data: dict[str, Any] = json.loads(fixture_text(name))
    return data


def _reset_soco() -> None:
    soco_reset()
    soco.SoCo.zone_group_states.clear()


async def stop_event_listener() -> None:
    """Stop SoCo's asyncio event listener for good (its deferred stop included) and forget its subscriptions."""
    listener = events_asyncio.event_listener
    task = listener._stop_grace_task
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        listener._stop_grace_task = None
    await listener.async_stop()
    listener.start_lock = None
    listener.stop_lock = None
    events_asyncio.subscriptions_map.subscriptions.clear()
    events_asyncio.subscriptions_map._pending = 0


@pytest.fixture(autouse=True)
async def clean_soco(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[None]:
    """SoCo keeps speakers and topology caches in class attributes: start and end every test without them, with
    the asyncio events module (as Home Assistant uses it)."""
    _reset_soco()
    monkeypatch.setattr(soco.config, "EVENTS_MODULE", events_asyncio)
    yield
    await stop_event_listener()
    _reset_soco()


@pytest.fixture
def clock() -> ManualClock:
    """The household's clock, moved by hand."""
    return ManualClock()


@pytest.fixture
async def make_household(clock: ManualClock) -> AsyncIterator[MakeHousehold]:
    """Build and start a household of speakers named `names` (uids optional); stopped after the test."""
    made: list[Household] = []

    async def make(*names: str, uids: Sequence[str | None] = ()) -> Household:
        household = Household(clock)
        for index, name in enumerate(names):
            household.add_speaker(name, uid=uids[index] if index < len(uids) else None)
        await household.start()
        made.append(household)
        return household

    yield make
    for household in made:
        await household.stop()
