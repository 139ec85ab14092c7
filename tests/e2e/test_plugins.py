"""Metadata plugins in Home Assistant: a play's track is enriched in the background from (fake) music services,
the options reload one plugin without losing a play, and the lookup_isrc and enrich services."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import async_capture_events

from custom_components.spinstack.const import DOMAIN, EVENT_SCROBBLE
from custom_components.spinstack.engine import Play
from custom_components.spinstack.insights import Insights, Request
from custom_components.spinstack.plugins import endpoints
from custom_components.spinstack.store import enrichment
from emulator import Household, Track
from fakes.services import FakeServices
from tests.emulator.helpers import wait_for

from .conftest import make_entry, setup_entry
from .test_play import subscribed

# The fakes' catalogue has this track (320 s, ISRC GBDUW0000053, Daft Punk from France, with genres).
ONE_MORE_TIME = Track.spotify("4uLU6hMCjMI75M1A2tKUQC", "One More Time", "Daft Punk", "Discovery", 320)


@pytest.fixture
async def services(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeServices]:
    """The four music services, served locally; SpinStack's plugins are pointed at them."""
    fakes = FakeServices()
    await fakes.start()
    monkeypatch.setattr(endpoints, "BASE_URLS", fakes.base_urls)
    yield fakes
    await fakes.close()


PLUGINS: dict[str, Any] = {"isrc": {"enabled": True}, "musicbrainz": {"enabled": True}}


async def test_a_played_track_is_enriched_in_the_background(
    hass: HomeAssistant, household: Household, services: FakeServices
) -> None:
    living = household.by_name("Living Room")
    events = async_capture_events(hass, EVENT_SCROBBLE)
    entry = make_entry(household, "Living Room", threshold_percent=1, plugins=PLUGINS)
    await setup_entry(hass, entry)
    coordinator = entry.runtime_data.coordinator
    store = entry.runtime_data.store
    await subscribed(coordinator)
    await living.play_queue([ONE_MORE_TIME])
    await household.settle()
    await wait_for(lambda: len(events) == 1, within=15)

    async def enriched() -> bool:
        counts = await enrichment.counts(store)
        return all(counts.get(name, {}).get("found") == 1 for name in ("isrc", "musicbrainz"))

    for _ in range(150):
        if await enriched():
            break
        await asyncio.sleep(0.1)
    assert await enriched(), await enrichment.counts(store)
    assert await store.rows("SELECT isrc, deezer_id IS NOT NULL, mbid IS NOT NULL FROM tracks") == [
        ("GBDUW0000053", 1, 1)
    ]
    assert await store.rows("SELECT country FROM artists WHERE name = 'Daft Punk'") == [("FR",)]
    genres = (await Insights(store).views(Request(period="all", views=("genres",)), coordinator.now()))["genres"]
    assert genres["available"] is True
    assert genres["genres"]
    # MusicBrainz was asked with SpinStack's own User-Agent, never faster than once a second.
    agents = {record.user_agent for record in services.musicbrainz.requests}
    assert agents == {coordinator.enricher.context.user_agent}
    assert all(agent.startswith("SpinStack/") and "github.com/spinstack" in agent for agent in agents)
    # The next play of this track carries what was found, in its scrobble event.
    known = await coordinator._known_metadata(events[0].data["id"])
    assert known["isrc"] == "GBDUW0000053"
    assert known["genres"]
    health = coordinator.data.plugins
    assert (health["isrc"].state, health["musicbrainz"].state, health["discogs"].state) == ("ok", "ok", "disabled")


async def test_with_the_services_gone_plays_count_and_enrichment_catches_up_later(
    hass: HomeAssistant, household: Household, services: FakeServices
) -> None:
    living = household.by_name("Living Room")
    events = async_capture_events(hass, EVENT_SCROBBLE)
    entry = make_entry(household, "Living Room", threshold_percent=1, plugins={"isrc": {"enabled": True}})
    await setup_entry(hass, entry)
    coordinator = entry.runtime_data.coordinator
    store = entry.runtime_data.store
    await subscribed(coordinator)
    for service in services:
        await service.go_offline()
    await living.play_queue([ONE_MORE_TIME])
    await household.settle()
    await wait_for(lambda: len(events) == 1, within=15)  # the play counts, services or not

    async def state() -> dict[str, int]:
        return (await enrichment.counts(store)).get("isrc", {})

    for _ in range(100):
        if (await state()).get("failed"):
            break
        await asyncio.sleep(0.1)
    assert (await state())["failed"] == 1
    assert coordinator.enricher.health()["isrc"].state == "unavailable"

    # Back online; an hour later (the retry's backoff has passed) the track is enriched.
    for service in services:
        await service.come_online()
    later = coordinator.enricher._now() + 3600
    coordinator.enricher._now = lambda: later
    coordinator.enricher.wake()
    for _ in range(100):
        if (await state()).get("found"):
            break
        await asyncio.sleep(0.1)
    assert (await state())["found"] == 1
    assert await store.rows("SELECT isrc FROM tracks") == [("GBDUW0000053",)]
    assert coordinator.enricher.health()["isrc"].state == "ok"


async def test_plugin_options_reload_that_plugin_alone_and_lose_no_play(
    hass: HomeAssistant, household: Household, services: FakeServices
) -> None:
    living = household.by_name("Living Room")
    events = async_capture_events(hass, EVENT_SCROBBLE)
    entry = make_entry(household, "Living Room", plugins=PLUGINS)  # 50 %: 160 s of this track
    await setup_entry(hass, entry)
    coordinator = entry.runtime_data.coordinator
    await subscribed(coordinator)
    isrc_plugin = coordinator.enricher.plugin("isrc")
    await living.play_queue([ONE_MORE_TIME])
    await household.settle()
    await wait_for(lambda: coordinator.engine.now_playing(living.uid) is not None)

    # A listen is in progress: Discogs is turned on with a wrong token, and the threshold lowered.
    plugins = {**PLUGINS, "discogs": {"enabled": True, "token": "not-a-token"}}
    hass.config_entries.async_update_entry(entry, options={**entry.options, "plugins": plugins, "threshold_percent": 1})
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data.coordinator is coordinator
    await wait_for(lambda: len(events) == 1, within=15)
    await asyncio.sleep(0.3)
    assert len(events) == 1  # exactly once
    assert coordinator.enricher.plugin("isrc") is isrc_plugin  # untouched
    await wait_for(lambda: coordinator.enricher.health()["discogs"].state != "ok", within=15)
    discogs = coordinator.enricher.health()["discogs"]
    assert discogs.state == "misconfigured", discogs
    await hass.async_block_till_done()
    assert ir.async_get(hass).async_get_issue(DOMAIN, "plugin_misconfigured_discogs") is not None

    # The right token: the plugin is reloaded and the repair issue goes.
    plugins = {**plugins, "discogs": {"enabled": True, "token": next(iter(services.discogs.tokens))}}
    hass.config_entries.async_update_entry(entry, options={**entry.options, "plugins": plugins})
    await hass.async_block_till_done()
    await wait_for(lambda: coordinator.enricher.health()["discogs"].state == "ok", within=15)
    await hass.async_block_till_done()
    assert ir.async_get(hass).async_get_issue(DOMAIN, "plugin_misconfigured_discogs") is None


async def test_lookup_isrc_and_enrich_services(
    hass: HomeAssistant, household: Household, services: FakeServices
) -> None:
    entry = make_entry(household, "Living Room")
    await setup_entry(hass, entry)
    found: Any = await hass.services.async_call(
        DOMAIN, "lookup_isrc", {"artist": "Daft Punk", "title": "One More Time"}, blocking=True, return_response=True
    )
    assert found["isrc"] == "GBDUW0000053"
    assert found["source"] == "deezer"
    assert found["deezer_id"] is not None
    only_mb: Any = await hass.services.async_call(
        DOMAIN, "lookup_isrc", {"artist": "Nobody", "title": "Shower Song"}, blocking=True, return_response=True
    )
    assert only_mb["isrc"] is None

    # No plugin enabled: enrich says so.
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(DOMAIN, "enrich", {}, blocking=True, return_response=True)
    assert err.value.translation_key == "no_plugins_enabled"

    services.deezer.faults.down = True
    with pytest.raises(Exception, match="did not answer"):
        await hass.services.async_call(
            DOMAIN, "lookup_isrc", {"artist": "Air", "title": "Sexy Boy"}, blocking=True, return_response=True
        )
    services.deezer.faults.down = False

    store = entry.runtime_data.store
    tracks = (("Daft Punk", "One More Time", 320.0), ("Air", "Sexy Boy", 298.0))
    plays = [
        Play(
            started_at=1_700_000_000 + i * 600,
            artist=artist,
            title=title,
            album=None,
            album_artist=None,
            duration=duration,
            heard=duration,
            service="spotify",
            kind="on_demand",
            speaker="RINCON_X",
            room="Kitchen",
        )
        for i, (artist, title, duration) in enumerate(tracks)
    ]
    await store.add_plays(plays, origin="import:test")  # two stored tracks to backfill
    hass.config_entries.async_update_entry(entry, options={**entry.options, "plugins": {"isrc": {"enabled": True}}})
    await hass.async_block_till_done()
    await wait_for(lambda: entry.runtime_data.coordinator.enricher.enabled == ["isrc"])
    queued: Any = await hass.services.async_call(DOMAIN, "enrich", {}, blocking=True, return_response=True)
    assert queued["queued"] == 2
    cancelled: Any = await hass.services.async_call(
        DOMAIN, "enrich", {"cancel": True}, blocking=True, return_response=True
    )
    done = cancelled["progress"].get("isrc", {})
    assert cancelled["cancelled"] + sum(done.get(state, 0) for state in ("found", "not_found", "failed")) == 2
