"""The built-in plugins against the fakes: the catalogue's special cases, not found, and the User-Agent."""

from __future__ import annotations

import asyncio
import re

import pytest

from custom_components.spinstack.plugins import (
    BUILTIN_PLUGINS,
    DiscogsPlugin,
    Enrichment,
    IsrcPlugin,
    MusicBrainzPlugin,
    OdesliPlugin,
    PluginContext,
    PluginMisconfigured,
    isrc_lookup,
)
from custom_components.spinstack.plugins.deezer import find_track, track_page
from fakes import DISCOGS_TOKEN, FakeClock, FakeServices, max_in_window

from .conftest import query_for, user_agent

# -- ISRC ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    [
        "blinding-lights",
        "under-pressure",  # two artists
        "get-lucky",  # featured artist, reported "Daft Punk, Pharrell Williams"
        "crazy-in-love",  # "Beyonce feat. Jay-Z" / "Crazy In Love (feat. Jay-Z)"
        "hoppipolla",  # "SIGUR ROS" / "Hoppipolla"
        "clair-de-lune",  # "Clair de Lune" against "Clair de lune"
        "mr-brightside",  # punctuation
    ],
)
async def test_isrc_from_deezer(context: PluginContext, services: FakeServices, key: str) -> None:
    track = services.catalogue.track(key)
    result = await isrc_lookup(context, query_for(track))
    assert (result.isrc, result.source, result.deezer_id) == (track.isrc, "deezer", track.deezer_id)
    assert services.musicbrainz.requests == []


async def test_duplicate_isrc_picks_the_album_track_not_the_compilation(
    context: PluginContext, services: FakeServices
) -> None:
    track = services.catalogue.track("bohemian-rhapsody")
    assert track.deezer_copies  # Deezer holds the ISRC twice
    result = await isrc_lookup(context, query_for(track))
    assert (result.isrc, result.deezer_id) == (track.isrc, track.deezer_id)


async def test_deezer_search_is_never_trusted_blindly(context: PluginContext, services: FakeServices) -> None:
    """A hit whose duration is far off, or whose artist differs, is not the track."""
    track = services.catalogue.track("take-on-me")
    assert await find_track(context, query_for(track, duration=track.duration + 60)) is None
    assert await find_track(context, query_for(track, artist="Somebody Else")) is None
    found = await find_track(context, query_for(track, duration=track.duration + 9))
    assert found is not None
    assert found.id == track.deezer_id


async def test_deezer_track_lookup_when_the_hit_has_no_isrc(context: PluginContext, services: FakeServices) -> None:
    track = services.catalogue.track("teardrop")
    hit = {
        "id": track.deezer_id,
        "title": track.title,
        "duration": track.duration,
        "isrc": "",
        "artist": {"id": 1, "name": track.artist_credit},
        "album": {"id": 2, "title": track.album.title},
    }
    services.deezer.inject("/search", status=200, json_body={"data": [hit], "total": 1})
    result = await isrc_lookup(context, query_for(track))
    assert (result.isrc, result.deezer_id) == (track.isrc, track.deezer_id)
    assert [record.path for record in services.deezer.requests] == ["/search", f"/track/{track.deezer_id}"]


async def test_a_known_deezer_id_is_looked_up_directly(context: PluginContext, services: FakeServices) -> None:
    track = services.catalogue.track("harder-better-faster-stronger")
    result = await isrc_lookup(context, query_for(track, deezer_id=track.deezer_id))
    assert result.isrc == track.isrc
    assert [record.path for record in services.deezer.requests] == [f"/track/{track.deezer_id}"]


async def test_isrc_falls_back_to_musicbrainz(context: PluginContext, services: FakeServices) -> None:
    track = services.catalogue.track("kitchen-demo")  # only MusicBrainz knows it, without an ISRC
    result = await isrc_lookup(context, query_for(track))
    assert (result.isrc, result.deezer_id, result.mbid) == (None, None, track.mbid)
    # A MusicBrainz-only track with an ISRC: Deezer made to know nothing.
    services.deezer.inject("/search", status=200, json_body={"data": [], "total": 0})
    known = services.catalogue.track("karma-police")
    result = await isrc_lookup(context, query_for(known))
    assert (result.isrc, result.source, result.mbid) == (known.isrc, "musicbrainz", known.mbid)
    assert max_in_window(services.musicbrainz.requests, 1.0) <= 1


async def test_unknown_track_is_not_found(context: PluginContext, services: FakeServices) -> None:
    track = services.catalogue.track("shower-song")
    plugin = IsrcPlugin()
    await plugin.setup(context, {})
    assert await plugin.enrich(query_for(track)) == Enrichment(found=False)
    # "Lina & the Neighbours" may be two artists: each service is searched with the whole name, then "Lina".
    assert [record.query["q"] for record in services.deezer.requests] == [
        'artist:"Lina & the Neighbours" track:"Shower Song (Voice Memo)"',
        'artist:"Lina" track:"Shower Song (Voice Memo)"',
    ]
    assert [record.path for record in services.musicbrainz.requests] == ["/ws/2/recording"] * 2


async def test_isrc_plugin_answer(context: PluginContext, services: FakeServices) -> None:
    track = services.catalogue.track("crazy-in-love")
    assert track.deezer_id is not None
    plugin = IsrcPlugin()
    await plugin.setup(context, {"musicbrainz_fallback": False})
    answer = await plugin.enrich(query_for(track))
    assert answer == Enrichment(
        found=True,
        isrc=track.isrc,
        deezer_id=track.deezer_id,
        deezer_url=track_page(track.deezer_id),
        source="isrc",
    )
    assert plugin.keep_for(answer) > plugin.keep_for(Enrichment(found=False)) > 0


async def test_isrc_with_share_link(context: PluginContext, services: FakeServices) -> None:
    track = services.catalogue.track("one-more-time")
    assert track.deezer_id is not None
    result = await isrc_lookup(context, query_for(track), share_links=True)
    assert result.share_link == f"https://song.link/d/{track.deezer_id}"
    (asked,) = services.odesli.requests
    assert asked.query["url"] == track_page(track.deezer_id)


# -- MusicBrainz -----------------------------------------------------------------------------------------------------


async def test_musicbrainz_two_artists(context: PluginContext, services: FakeServices) -> None:
    track = services.catalogue.track("under-pressure")
    plugin = MusicBrainzPlugin()
    await plugin.setup(context, {})
    answer = await plugin.enrich(query_for(track))
    assert answer.found
    assert answer.mbid == track.mbid
    assert answer.artists == ("Queen", "David Bowie")
    assert answer.artist_mbids == tuple(artist.mbid for artist in track.artists)
    assert answer.isrc == track.isrc
    assert answer.country == "GB"
    assert answer.genres[:2] == ("rock", "pop rock")  # the recording's genres first, most voted first
    assert "glam rock" in answer.genres  # then the artists'
    assert "british" in answer.tags
    assert "rock" not in answer.tags  # genres are not repeated as tags
    assert answer.source == "musicbrainz"
    assert max_in_window(services.musicbrainz.requests, 1.0) <= 1


@pytest.mark.parametrize(
    ("key", "artists", "country"),
    [
        ("get-lucky", ("Daft Punk", "Pharrell Williams"), "FR"),
        ("crazy-in-love", ("Beyoncé", "JAY\u2010Z"), "US"),
        ("hoppipolla", ("Sigur Rós",), "IS"),
    ],
)
async def test_musicbrainz_featured_and_spelling(
    context: PluginContext, services: FakeServices, key: str, artists: tuple[str, ...], country: str
) -> None:
    track = services.catalogue.track(key)
    plugin = MusicBrainzPlugin()
    await plugin.setup(context, {})
    answer = await plugin.enrich(query_for(track))
    assert (answer.mbid, answer.artists, answer.country) == (track.mbid, artists, country)
    assert answer.genres


async def test_musicbrainz_only_track_and_unknown_track(context: PluginContext, services: FakeServices) -> None:
    plugin = MusicBrainzPlugin()
    await plugin.setup(context, {})
    demo = services.catalogue.track("kitchen-demo")
    answer = await plugin.enrich(query_for(demo))
    assert (answer.found, answer.mbid, answer.isrc, answer.genres) == (True, demo.mbid, None, ())
    assert answer.country == "NL"
    assert "lo-fi" in answer.tags
    assert await plugin.enrich(query_for(services.catalogue.track("shower-song"))) == Enrichment(found=False)


async def test_musicbrainz_by_isrc_and_by_mbid(context: PluginContext, services: FakeServices) -> None:
    plugin = MusicBrainzPlugin()
    await plugin.setup(context, {})
    track = services.catalogue.track("take-on-me")
    answer = await plugin.enrich(query_for(track, isrc=track.isrc))
    assert answer.mbid == track.mbid
    assert services.musicbrainz.requests[0].path == f"/ws/2/isrc/{track.isrc}"
    services.musicbrainz.clear_requests()
    answer = await plugin.enrich(query_for(track, mbid=track.mbid))
    assert answer.mbid == track.mbid
    assert [record.path for record in services.musicbrainz.requests] == [f"/ws/2/recording/{track.mbid}"]


async def test_musicbrainz_artist_lookups_when_the_credit_lacks_details(
    context: PluginContext, services: FakeServices
) -> None:
    track = services.catalogue.track("time")
    queen = services.catalogue.artist("pink-floyd")
    bare = {
        "id": track.mbid,
        "title": track.title,
        "length": track.length_ms,
        "artist-credit": [{"name": queen.name, "joinphrase": "", "artist": {"id": queen.mbid, "name": queen.name}}],
        "isrcs": [track.isrc],
        "genres": [],
        "tags": [],
    }
    services.musicbrainz.inject(f"/ws/2/recording/{track.mbid}", status=200, json_body=bare, count=2)
    plugin = MusicBrainzPlugin()
    await plugin.setup(context, {})
    answer = await plugin.enrich(query_for(track, mbid=track.mbid))
    assert (answer.country, answer.genres[0]) == ("GB", "progressive rock")
    assert services.musicbrainz.requests[-1].path == f"/ws/2/artist/{queen.mbid}"
    # The artist is remembered: the second time, no artist look-up.
    services.musicbrainz.clear_requests()
    assert (await plugin.enrich(query_for(track, mbid=track.mbid))).country == "GB"
    assert [record.path for record in services.musicbrainz.requests] == [f"/ws/2/recording/{track.mbid}"]


async def test_user_agent_names_spinstack_its_version_and_a_contact(
    context: PluginContext, services: FakeServices
) -> None:
    agent = user_agent()
    assert re.fullmatch(r"SpinStack/\d+\.\d+\.\d+ \( https://\S+ \)", agent)
    for name, plugin, options in (
        ("isrc", IsrcPlugin(), {}),
        ("musicbrainz", MusicBrainzPlugin(), {}),
        ("discogs", DiscogsPlugin(), {"token": DISCOGS_TOKEN}),
        ("odesli", OdesliPlugin(), {}),
    ):
        await plugin.setup(context, options)
        assert (await plugin.enrich(query_for(services.catalogue.track("teardrop")))).found, name
    for service in services:
        assert service.requests
        assert {record.user_agent for record in service.requests} == {agent}
        assert all(record.outcome == "ok" for record in service.requests)


# -- Discogs ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["sexy-boy", "1901", "teardrop", "under-pressure", "get-lucky", "crazy-in-love"])
async def test_discogs_release(context: PluginContext, services: FakeServices, key: str) -> None:
    track = services.catalogue.track(key)
    release = track.album.discogs
    assert release is not None
    plugin = DiscogsPlugin()
    await plugin.setup(context, {"token": DISCOGS_TOKEN})
    answer = await plugin.enrich(query_for(track))
    assert answer.found
    assert answer.discogs_release_id == release.id
    assert answer.year == release.year
    assert answer.label == release.label
    assert answer.genres == tuple(genre.lower() for genre in release.genres)
    assert answer.styles == tuple(style.lower() for style in release.styles)
    assert answer.cover_url is not None
    assert answer.cover_url.endswith(release.cover_path)
    for record in services.discogs.requests:
        assert record.headers["Authorization"] == f"Discogs token={DISCOGS_TOKEN}"


async def test_discogs_not_found_and_release_cache(context: PluginContext, services: FakeServices) -> None:
    plugin = DiscogsPlugin()
    await plugin.setup(context, {"token": DISCOGS_TOKEN})
    assert not (await plugin.enrich(query_for(services.catalogue.track("juice")))).found
    assert not (await plugin.enrich(query_for(services.catalogue.track("shower-song")))).found
    services.discogs.clear_requests()
    one, other = services.catalogue.track("one-more-time"), services.catalogue.track("digital-love")
    assert one.album == other.album
    assert (await plugin.enrich(query_for(one))).found
    assert (await plugin.enrich(query_for(other))).found
    assert len(services.discogs.requests_to("/releases/*")) == 1  # one release, looked up once


async def test_discogs_wrong_or_missing_token(context: PluginContext, services: FakeServices) -> None:
    plugin = DiscogsPlugin()
    with pytest.raises(PluginMisconfigured, match="token"):
        await plugin.setup(context, {})
    await plugin.setup(context, {"token": "not-the-token"})
    with pytest.raises(PluginMisconfigured, match="401"):
        await plugin.enrich(query_for(services.catalogue.track("teardrop")))
    assert len(services.discogs.requests) == 1  # a refused token is not retried


# -- Odesli ----------------------------------------------------------------------------------------------------------


async def test_share_links(context: PluginContext, services: FakeServices) -> None:
    plugin = OdesliPlugin()
    await plugin.setup(context, {})
    track = services.catalogue.track("blinding-lights")
    answer = await plugin.enrich(query_for(track))  # a Deezer search finds the page to ask about
    assert answer.share_link == f"https://song.link/d/{track.deezer_id}"
    assert answer.deezer_id == track.deezer_id
    spotify = await plugin.enrich(query_for(track, spotify_id=track.spotify_id))
    assert spotify.share_link == f"https://song.link/s/{track.spotify_id}"
    page = await plugin.enrich(query_for(track, url=f"https://www.deezer.com/fr/track/{track.deezer_id}?utm=x"))
    assert page.share_link == answer.share_link
    # Odesli does not know it (404), or cannot read the URL (400): not found.
    assert not (await plugin.enrich(query_for(track, deezer_id=1))).found
    assert not (await plugin.enrich(query_for(track, url="https://example.com/track/1"))).found
    assert not (await plugin.enrich(query_for(services.catalogue.track("shower-song")))).found


def test_the_registry() -> None:
    assert sorted(BUILTIN_PLUGINS) == ["discogs", "isrc", "musicbrainz", "odesli"]
    for name, plugin in BUILTIN_PLUGINS.items():
        assert plugin.name == name
        assert plugin.title
        assert all(option.kind in {"bool", "str", "secret", "int"} for option in plugin.options)
    assert [(option.name, option.required) for option in DiscogsPlugin.options] == [("token", True)]


async def test_concurrent_calls_saturate_but_never_exceed_the_limits(
    context: PluginContext, services: FakeServices, clock: FakeClock
) -> None:
    """Every curated track at once through MusicBrainz and Odesli: the slow services run at their limit exactly."""
    tracks = [track for track in services.catalogue if track.deezer_id is not None]
    musicbrainz, odesli = MusicBrainzPlugin(), OdesliPlugin()
    await musicbrainz.setup(context, {})
    await odesli.setup(context, {})
    started = clock()
    answers = await asyncio.gather(
        *(musicbrainz.enrich(query_for(track)) for track in tracks),
        *(odesli.enrich(query_for(track, deezer_id=track.deezer_id)) for track in tracks),
    )
    assert all(answer.found for answer in answers)
    mb, links = services.musicbrainz.requests, services.odesli.requests
    assert {record.outcome for record in (*mb, *links)} == {"ok"}
    assert max_in_window(mb, 1.0) == 1
    assert max_in_window(links, 60.0) == 10
    assert clock() - started >= (len(links) - 1) // 10 * 60  # whole minutes for Odesli's 10 a minute
