"""Restarts, options and the entry's services and diagnostics, end to end against emulated speakers."""

from __future__ import annotations

import asyncio

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import async_capture_events

from custom_components.spinstack import _async_warm_insights
from custom_components.spinstack.const import CONF_THRESHOLD_PERCENT, DOMAIN, EVENT_SCROBBLE
from custom_components.spinstack.coordinator import SpinStackCoordinator
from custom_components.spinstack.diagnostics import async_get_config_entry_diagnostics
from custom_components.spinstack.engine import Observation
from emulator import Household
from tests.emulator.helpers import wait_for

from .conftest import make_entry, setup_entry
from .test_play import SONG, subscribed


async def test_a_restart_mid_track_gives_exactly_one_play(hass: HomeAssistant, household: Household) -> None:
    living = household.by_name("Living Room")
    events = async_capture_events(hass, EVENT_SCROBBLE)
    # 200 s track, 1.5 % threshold: counts after 3 s heard.
    entry = make_entry(household, "Living Room", threshold_percent=1.5)
    await setup_entry(hass, entry)
    await subscribed(entry.runtime_data.coordinator)
    await living.play_queue([SONG])
    await household.settle()
    await wait_for(lambda: entry.runtime_data.coordinator.engine.now_playing(living.uid) is not None)
    started = entry.runtime_data.coordinator.engine.now_playing(living.uid)
    assert started is not None
    await asyncio.sleep(1)

    # Home Assistant stops and starts again (the same database, the engine's state restored).
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    coordinator: SpinStackCoordinator = entry.runtime_data.coordinator
    await subscribed(coordinator)
    await wait_for(lambda: len(events) == 1, within=10)
    await asyncio.sleep(0.5)
    assert len(events) == 1, [e.data for e in events]
    assert events[0].data["started_at"] == pytest.approx(started.started_at)
    assert await entry.runtime_data.store.scalar("SELECT count(*) FROM plays") == 1


async def test_options_apply_at_once_without_a_reload(hass: HomeAssistant, household: Household) -> None:
    living = household.by_name("Living Room")
    events = async_capture_events(hass, EVENT_SCROBBLE)
    entry = make_entry(household, "Living Room")  # 50 %: 100 s of this track
    await setup_entry(hass, entry)
    coordinator = entry.runtime_data.coordinator
    await subscribed(coordinator)
    await living.play_queue([SONG])
    await household.settle()
    await wait_for(lambda: coordinator.engine.now_playing(living.uid) is not None)
    await asyncio.sleep(0.5)
    assert events == []

    hass.config_entries.async_update_entry(entry, options={**entry.options, CONF_THRESHOLD_PERCENT: 1})
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data.coordinator is coordinator  # not reloaded
    await wait_for(lambda: len(events) == 1)
    await asyncio.sleep(0.3)
    assert len(events) == 1


async def test_recent_plays_service_and_its_errors(hass: HomeAssistant, household: Household) -> None:
    living = household.by_name("Living Room")
    entry = make_entry(household, "Living Room", threshold_percent=1)
    await setup_entry(hass, entry)
    await subscribed(entry.runtime_data.coordinator)
    await living.play_queue([SONG])
    await household.settle()
    await wait_for(lambda: entry.runtime_data.coordinator.data.plays_today == 1, within=10)

    response = await hass.services.async_call(DOMAIN, "recent_plays", {"limit": 5}, blocking=True, return_response=True)
    assert response is not None
    plays = response["plays"]
    assert isinstance(plays, list)
    assert [(p["artist"], p["title"], p["room"]) for p in plays if isinstance(p, dict)] == [
        ("Daft Punk", "One More Time", "Living Room")
    ]
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN, "recent_plays", {"config_entry_id": "nope"}, blocking=True, return_response=True
        )
    assert err.value.translation_key == "entry_not_found"
    with pytest.raises(Exception, match="limit"):
        await hass.services.async_call(DOMAIN, "recent_plays", {"limit": 0}, blocking=True, return_response=True)


async def test_diagnostics_are_redacted_and_replayable(hass: HomeAssistant, household: Household) -> None:
    living = household.by_name("Living Room")
    entry = make_entry(household, "Living Room")
    await setup_entry(hass, entry)
    await subscribed(entry.runtime_data.coordinator)
    await living.play_queue([SONG])
    await household.settle()
    await wait_for(lambda: entry.runtime_data.coordinator.engine.now_playing(living.uid) is not None)
    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    text = str(diagnostics)
    assert living.ip not in text
    assert household.household_id not in text
    assert diagnostics["listeners"][living.uid]["state"] == "subscribed"
    observations = [Observation.from_json(line) for line in diagnostics["observations"]]
    assert any(o.title == "One More Time" for o in observations)


async def test_unloading_cancels_an_answer_being_computed_ahead_before_the_store_closes(
    hass: HomeAssistant, household: Household, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The panel's first answer is computed in the background at start and after each play; an unload while it reads
    # must not close the store under it (its next read would fail, unretrieved, as a task's error).
    entry = make_entry(household)
    await setup_entry(hass, entry)
    await subscribed(entry.runtime_data.coordinator)
    store = entry.runtime_data.store
    reading = asyncio.Event()
    cancelled_with_the_store_open: list[bool] = []

    async def slow_warm(*_args: object) -> None:
        reading.set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cancelled_with_the_store_open.append(await store.scalar("SELECT count(*) FROM plays") is not None)
            raise

    monkeypatch.setattr(entry.runtime_data.insights, "warm", slow_warm)
    _async_warm_insights(hass, entry)
    await reading.wait()
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert cancelled_with_the_store_open == [True]
    assert entry.state is ConfigEntryState.NOT_LOADED
