"""Forwarding in Home Assistant: plays counted while Last.fm and ListenBrainz are out of reach wait in the outbox
and are all delivered once, in order, when they come back; refusals for good are dead letters, visible and
retryable; refused credentials raise a repair issue and lose nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import time
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
import pytest

from custom_components.spinstack import diagnostics
from custom_components.spinstack.const import DOMAIN
from custom_components.spinstack.engine import Play
from custom_components.spinstack.plugins import PluginContext, RetryPolicy, endpoints
from custom_components.spinstack.store import outbox
from emulator import Household
from fakes import (
    LASTFM_API_KEY,
    LASTFM_SECRET,
    LASTFM_SESSION_KEY,
    LASTFM_USER,
    LISTENBRAINZ_TOKEN,
    FakeLastfm,
    FakeListenBrainz,
)
from tests.emulator.helpers import wait_for

from .conftest import make_entry, setup_entry
from .test_play import entity_id, state_of, subscribed

DAY = 86_400
FAST = RetryPolicy(attempts=2, base=0.01, factor=2.0, cap=0.05, timeout=2.0)


@pytest.fixture
async def targets(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[tuple[FakeLastfm, FakeListenBrainz]]:
    """Last.fm and ListenBrainz, served locally on the real clock; SpinStack is pointed at them, with short HTTP
    retries (the outbox's own backoff is what this tests)."""
    async with FakeLastfm(clock=time.time) as lastfm, FakeListenBrainz(clock=time.time) as listenbrainz:
        monkeypatch.setattr(
            endpoints,
            "BASE_URLS",
            {**endpoints.BASE_URLS, "lastfm": lastfm.base_url, "listenbrainz": listenbrainz.base_url},
        )
        create = PluginContext.create.__func__  # type: ignore[attr-defined]

        def fast(cls: type[PluginContext], *args: Any, **kwargs: Any) -> PluginContext:
            return create(cls, *args, **{**kwargs, "retry": FAST})  # type: ignore[no-any-return]

        monkeypatch.setattr(PluginContext, "create", classmethod(fast))
        yield lastfm, listenbrainz


def forwarding_options(session_key: str = LASTFM_SESSION_KEY) -> dict[str, Any]:
    return {
        "lastfm": {
            "enabled": True,
            "api_key": LASTFM_API_KEY,
            "api_secret": LASTFM_SECRET,
            "session_key": session_key,
        },
        "listenbrainz": {"enabled": True, "user_token": LISTENBRAINZ_TOKEN},
    }


def plays(count: int, *, first_at: float, spacing: float = 600) -> list[Play]:
    return [
        Play(
            started_at=float(int(first_at + spacing * index)),
            artist=f"Artist {index % 9}",
            title=f"Song {index}",
            album=f"Album {index % 4}",
            album_artist=None,
            duration=240.0,
            heard=200.0,
            service="spotify",
            kind="on_demand",
            speaker="RINCON_A",
            room="Kitchen",
        )
        for index in range(count)
    ]


async def loaded(hass: HomeAssistant, household: Household, **options: Any) -> Any:
    entry = make_entry(household, plugins=forwarding_options(**options))
    await setup_entry(hass, entry)
    await subscribed(entry.runtime_data.coordinator)
    return entry


async def test_a_day_offline_then_every_play_is_delivered_once_in_order(
    hass: HomeAssistant, household: Household, targets: tuple[FakeLastfm, FakeListenBrainz]
) -> None:
    lastfm, listenbrainz = targets
    await lastfm.go_offline()
    await listenbrainz.go_offline()
    entry = await loaded(hass, household)
    coordinator = entry.runtime_data.coordinator
    store = entry.runtime_data.store
    counted = plays(120, first_at=time.time() - DAY, spacing=DAY / 130)
    coordinator._counted(counted)
    await wait_for(lambda: not coordinator._unwritten, within=60)
    await wait_for(lambda: coordinator.forwarding.health()["lastfm"].state == "unavailable", within=30)
    assert await outbox.counts(store) == {
        "lastfm": {"pending": 120, "dead": 0},
        "listenbrainz": {"pending": 120, "dead": 0},
    }
    backlog = entity_id(hass, "sensor", f"{household.household_id}_forwarding_backlog")
    await wait_for(lambda: state_of(hass, backlog).state == "240", within=30)

    await lastfm.come_online()
    await listenbrainz.come_online()
    # The worker tries again after its backoff; the service call makes it now.
    await hass.services.async_call(DOMAIN, "retry_forwarding", {}, blocking=True)

    async def delivered() -> bool:
        return await outbox.counts(store) == {}

    for _ in range(300):
        if await delivered():
            break
        await asyncio.sleep(0.1)
    assert await delivered(), await outbox.counts(store)
    expected = [(int(play.started_at), play.artist, play.title) for play in counted]
    scrobbled = lastfm.history(LASTFM_USER)
    assert [(s.timestamp, s.artist, s.track) for s in scrobbled] == expected
    # Batches of at most 50, the outbox's first items first.
    batches = [call for call in lastfm.calls if call.method == "track.scrobble"]
    assert max(sum(1 for key in call.params if key.startswith("timestamp[")) for call in batches) <= 50
    listens = listenbrainz.accepted()
    assert [
        (listen.listened_at, listen.track_metadata["artist_name"], listen.track_metadata["track_name"])
        for listen in listens
    ] == expected
    assert {listen.additional_info["media_player"] for listen in listens} == {"Sonos"}
    assert {listen.additional_info["music_service"] for listen in listens} == {"spotify.com"}
    await hass.async_block_till_done()
    assert state_of(hass, backlog).state == "0"
    assert coordinator.forwarding.health()["lastfm"].state == "ok"


async def test_refusals_for_good_are_dead_letters_and_can_be_retried(
    hass: HomeAssistant, household: Household, targets: tuple[FakeLastfm, FakeListenBrainz]
) -> None:
    lastfm, _ = targets
    entry = await loaded(hass, household)
    coordinator = entry.runtime_data.coordinator
    store = entry.runtime_data.store
    # Last.fm ignores scrobbles older than 14 days.
    coordinator._counted(plays(2, first_at=time.time() - 20 * DAY) + plays(1, first_at=time.time() - 3600))
    await wait_for(lambda: coordinator.forwarding.health()["lastfm"].dead == 2, within=30)
    await wait_for(lambda: coordinator.forwarding.health()["listenbrainz"].pending == 0, within=30)
    assert len(lastfm.history(LASTFM_USER)) == 1
    letters = await outbox.dead_letters(store, "lastfm")
    assert [item.record.play.title for item in letters] == ["Song 0", "Song 1"]
    assert all(item.error for item in letters)
    report = await diagnostics.async_get_config_entry_diagnostics(hass, entry)
    assert [letter["title"] for letter in report["forwarding"]["lastfm"]["dead_letters"]] == ["Song 0", "Song 1"]
    assert LASTFM_SESSION_KEY not in repr(report)
    assert LISTENBRAINZ_TOKEN not in repr(report)

    answer: Any = await hass.services.async_call(
        DOMAIN, "retry_forwarding", {"target": "lastfm"}, blocking=True, return_response=True
    )
    assert answer == {"retried": 2}
    # Still too old: dead again, nothing lost, nothing sent twice.
    await wait_for(lambda: coordinator.forwarding.health()["lastfm"].dead == 2, within=30)
    assert len(lastfm.history(LASTFM_USER)) == 1


async def test_refused_credentials_raise_a_repair_issue_and_keep_the_plays(
    hass: HomeAssistant, household: Household, targets: tuple[FakeLastfm, FakeListenBrainz]
) -> None:
    lastfm, _ = targets
    entry = await loaded(hass, household, session_key="0" * 32)
    coordinator = entry.runtime_data.coordinator
    coordinator._counted(plays(3, first_at=time.time() - 3600))
    issues = ir.async_get(hass)
    await wait_for(lambda: issues.async_get_issue(DOMAIN, "forwarder_misconfigured_lastfm") is not None, within=30)
    assert coordinator.forwarding.health()["lastfm"].state == "misconfigured"
    await wait_for(lambda: not coordinator._unwritten, within=30)
    await wait_for(lambda: len(targets[1].accepted()) == 3, within=30)
    await wait_for(lambda: coordinator.forwarding.health()["listenbrainz"].delivered == 3, within=30)
    assert await outbox.counts(entry.runtime_data.store) == {"lastfm": {"pending": 3, "dead": 0}}
    # The right key in the options: delivered, and the issue is gone.
    options = dict(entry.options)
    options["plugins"] = forwarding_options()
    hass.config_entries.async_update_entry(entry, options=options)
    await hass.async_block_till_done()
    await wait_for(lambda: len(lastfm.history(LASTFM_USER)) == 3, within=30)
    await hass.async_block_till_done()
    assert issues.async_get_issue(DOMAIN, "forwarder_misconfigured_lastfm") is None
