"""A plugin's life: setup, reload (with a call in flight), unload; options; the answer's helpers."""

from __future__ import annotations

import asyncio

import pytest

from custom_components.spinstack.plugins import (
    NOT_FOUND,
    DiscogsPlugin,
    Enrichment,
    MusicBrainzPlugin,
    OptionSpec,
    Plugin,
    PluginContext,
    PluginMisconfigured,
    PluginUnavailable,
    make_user_agent,
    validate_options,
)
from fakes import DISCOGS_TOKEN, FakeServices

from .conftest import first_request, query_for


async def test_reload_while_an_enrich_is_in_flight(context: PluginContext, services: FakeServices) -> None:
    """The call that started before the reload finishes with the old token; calls after it use the new one."""
    plugin = DiscogsPlugin()
    await plugin.setup(context, {"token": DISCOGS_TOKEN})
    services.discogs.faults.delay = 0.2
    running = asyncio.create_task(plugin.enrich(query_for(services.catalogue.track("teardrop"))))
    await first_request(services.discogs)
    assert plugin.in_flight == 1
    await plugin.reload({"token": "a-revoked-token"})
    answer = await running
    assert answer.found
    assert plugin.in_flight == 0
    assert {record.headers["Authorization"] for record in services.discogs.requests} == {
        f"Discogs token={DISCOGS_TOKEN}"
    }
    services.discogs.faults.delay = 0.0
    with pytest.raises(PluginMisconfigured):
        await plugin.enrich(query_for(services.catalogue.track("teardrop")))
    assert services.discogs.requests[-1].headers["Authorization"] == "Discogs token=a-revoked-token"


async def test_a_wrong_reload_keeps_the_old_options(context: PluginContext, services: FakeServices) -> None:
    plugin = DiscogsPlugin()
    await plugin.setup(context, {"token": DISCOGS_TOKEN})
    with pytest.raises(PluginMisconfigured):
        await plugin.reload({"token": "  "})
    assert (await plugin.enrich(query_for(services.catalogue.track("teardrop")))).found


async def test_reload_changes_what_the_next_call_does(context: PluginContext, services: FakeServices) -> None:
    track = services.catalogue.track("time")
    plugin = MusicBrainzPlugin()
    await plugin.setup(context, {})
    bare = {
        "id": track.mbid,
        "title": track.title,
        "artist-credit": [{"name": "Pink Floyd", "artist": {"id": track.artists[0].mbid, "name": "Pink Floyd"}}],
    }
    services.musicbrainz.inject(f"/ws/2/recording/{track.mbid}", status=200, json_body=bare, count=None)
    await plugin.reload({"artist_details": False})
    answer = await plugin.enrich(query_for(track, mbid=track.mbid))
    assert answer.country is None
    assert not services.musicbrainz.requests_to("/ws/2/artist/*")


async def test_unload_and_before_setup(context: PluginContext, services: FakeServices) -> None:
    plugin = MusicBrainzPlugin()
    assert not plugin.loaded
    with pytest.raises(PluginUnavailable, match="not set up"):
        await plugin.enrich(query_for(services.catalogue.track("time")))
    with pytest.raises(PluginUnavailable):
        await plugin.reload({})
    await plugin.setup(context, {})
    assert _loaded(plugin)
    await plugin.unload()
    assert not _loaded(plugin)
    with pytest.raises(PluginUnavailable):
        await plugin.enrich(query_for(services.catalogue.track("time")))


async def test_an_enrich_cancelled_mid_request_frees_its_place(context: PluginContext, services: FakeServices) -> None:
    plugin = MusicBrainzPlugin()
    await plugin.setup(context, {})
    services.musicbrainz.faults.timeout = True
    running = asyncio.create_task(plugin.enrich(query_for(services.catalogue.track("time"))))
    await first_request(services.musicbrainz)
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running
    assert plugin.in_flight == 0
    limiter = context.limiters["musicbrainz"]
    assert limiter.used() == 1  # ended now: it leaves the window a second later
    services.musicbrainz.release()
    assert (await plugin.enrich(query_for(services.catalogue.track("time")))).found


def _loaded(plugin: Plugin) -> bool:
    return plugin.loaded


def test_validate_options() -> None:
    specs = (
        OptionSpec("token", "secret", required=True),
        OptionSpec("country", "str", default="US"),
        OptionSpec("fallback", "bool", default=True),
        OptionSpec("limit", "int", default=5),
    )
    options = validate_options(specs, {"token": " abc ", "extra": 1})
    assert dict(options) == {"token": "abc", "country": "US", "fallback": True, "limit": 5}
    assert (options.text("token"), options.flag("fallback"), options.number("limit")) == ("abc", True, 5)
    assert "abc" not in repr(options)
    with pytest.raises(PluginMisconfigured, match="'token' is required"):
        validate_options(specs, {"token": ""})
    with pytest.raises(PluginMisconfigured, match="'limit' must be a int"):
        validate_options(specs, {"token": "x", "limit": True})
    with pytest.raises(PluginMisconfigured, match="'fallback' must be a bool"):
        validate_options(specs, {"token": "x", "fallback": "yes"})


def test_enrichment_merge_and_as_dict() -> None:
    isrc = Enrichment(found=True, isrc="GBAAA9800033", deezer_id=1, genres=("trip hop",), source="isrc")
    mb = Enrichment(
        found=True, isrc="OTHER0000001", mbid="m", genres=("trip hop", "electronic"), country="GB", source="musicbrainz"
    )
    merged = isrc.merge(mb)
    assert merged == Enrichment(
        found=True,
        isrc="GBAAA9800033",
        deezer_id=1,
        mbid="m",
        genres=("trip hop", "electronic"),
        country="GB",
        source="isrc+musicbrainz",
    )
    assert merged.merge(NOT_FOUND) == merged
    assert NOT_FOUND.merge(mb) == mb
    assert merged.as_dict() == {
        "found": True,
        "isrc": "GBAAA9800033",
        "deezer_id": 1,
        "mbid": "m",
        "genres": ["trip hop", "electronic"],
        "country": "GB",
        "source": "isrc+musicbrainz",
    }
    assert NOT_FOUND.as_dict() == {"found": False}


def test_make_user_agent() -> None:
    assert make_user_agent("1.2.3", "https://example.org/x") == "SpinStack/1.2.3 ( https://example.org/x )"
