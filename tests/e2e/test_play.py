"""A play's whole journey: an emulated speaker's UPnP events, real SoCo, the engine, the SQLite file, entities."""

from __future__ import annotations

import asyncio
import time

from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import async_capture_events

from custom_components.spinstack import PANEL_FIRST_REQUEST
from custom_components.spinstack.const import DOMAIN, EVENT_SCROBBLE
from custom_components.spinstack.coordinator import SpinStackCoordinator
from custom_components.spinstack.sonos.listener import ListenerState
from emulator import Household, Track
from tests.emulator.helpers import wait_for

from .conftest import answer_kept, make_entry, setup_entry

SONG = Track.spotify("4uLU6hMCjMI75M1A2tKUQC", "One More Time", "Daft Punk", "Discovery", 200)


async def subscribed(coordinator: SpinStackCoordinator) -> None:
    await wait_for(
        lambda: (
            bool(coordinator.listeners)
            and all(listener.health.state is ListenerState.SUBSCRIBED for listener in coordinator.listeners.values())
        )
    )


def state_of(hass: HomeAssistant, entity_id: str) -> State:
    """An entity's state, which must exist."""
    found = hass.states.get(entity_id)
    assert found is not None, entity_id
    return found


def entity_id(hass: HomeAssistant, platform: str, unique_id: str) -> str:
    """The entity id of one of SpinStack's entities, by its unique id."""
    found = er.async_get(hass).async_get_entity_id(platform, DOMAIN, unique_id)
    assert found is not None, unique_id
    return found


async def test_a_track_played_past_its_threshold_is_one_play_one_event_and_sensors(
    hass: HomeAssistant, household: Household
) -> None:
    """Real time, short thresholds: a 200 s track counts after 2 s heard (threshold 1 %)."""
    living = household.by_name("Living Room")
    events = async_capture_events(hass, EVENT_SCROBBLE)
    entry = make_entry(household, "Living Room", threshold_percent=1)
    await setup_entry(hass, entry)
    coordinator: SpinStackCoordinator = entry.runtime_data.coordinator
    await subscribed(coordinator)
    household_id = household.household_id
    plays_today = entity_id(hass, "sensor", f"{household_id}_plays_today")
    last_track = entity_id(hass, "sensor", f"{household_id}_last_track")
    scrobble = entity_id(hass, "event", f"{household_id}_scrobble")
    health = entity_id(hass, "binary_sensor", f"{household_id}_health")
    assert state_of(hass, plays_today).state == "0"

    await living.play_queue([SONG])
    await household.settle()
    await wait_for(lambda: coordinator.engine.now_playing(living.uid) is not None)
    await wait_for(lambda: len(events) == 1)
    play = events[0].data
    assert (play["artist"], play["title"], play["album"], play["service"], play["kind"], play["room"]) == (
        "Daft Punk",
        "One More Time",
        "Discovery",
        "spotify",
        "on_demand",
        "Living Room",
    )
    assert play["heard"] >= 2
    assert await entry.runtime_data.store.scalar("SELECT count(*) FROM plays") == 1
    await wait_for(lambda: state_of(hass, plays_today).state == "1")
    last = state_of(hass, last_track)
    assert last.state == "Daft Punk \u2013 One More Time"
    assert (last.attributes["service"], last.attributes["room"]) == ("spotify", "Living Room")
    assert state_of(hass, scrobble).attributes["title"] == "One More Time"
    assert state_of(hass, health).state == "off"
    now_playing = entity_id(hass, "sensor", f"{living.uid}_now_playing")
    assert state_of(hass, now_playing).state == "Daft Punk \u2013 One More Time"

    # Later events of the same listen (a pause, a resume) count nothing more.
    await living.pause()
    await living.play()
    await household.settle()
    await asyncio.sleep(0.5)
    assert len(events) == 1
    # The panel's first answer was computed again after the play, in the background: it counts the play.
    await answer_kept(entry)
    insights = entry.runtime_data.insights
    assert (await insights.views(PANEL_FIRST_REQUEST, time.time()))["summary"]["plays"] == 1
    assert await hass.config_entries.async_unload(entry.entry_id)
