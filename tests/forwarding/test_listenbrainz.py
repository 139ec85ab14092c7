"""Submitting listens to the ListenBrainz fake: the payload's shape, single and import, the ids and the service in
additional_info; a refused token, an invalid listen found by halving, the rate limit, outages."""

from __future__ import annotations

import dataclasses

import aiohttp
import pytest

from custom_components.spinstack.forwarding import FORWARDERS, ListenBrainzForwarder, Outgoing, Result
from custom_components.spinstack.plugins import Options, PluginContext, PluginMisconfigured, PluginUnavailable
from fakes import LISTENBRAINZ_TOKEN, FakeClock, FakeListenBrainz, RateLimit, max_in_window
from tests.plugins.conftest import ClockSleep

from .conftest import listenbrainz_forwarder, make_play, outgoing, version

RECORDING = "98255a8c-017a-4bc7-8dd6-1fa36124572b"
ARTIST = "db92a151-1ac2-438b-bc43-b82e149ddd50"
RELEASE = "bf9e91ea-8029-4a04-a26a-224e00a83266"


async def test_registered_with_its_options() -> None:
    assert FORWARDERS["listenbrainz"] is ListenBrainzForwarder
    assert ListenBrainzForwarder.max_batch == 100
    specs = {spec.name: spec for spec in ListenBrainzForwarder.option_specs}
    assert (specs["user_token"].kind, specs["user_token"].required) == ("secret", True)
    assert (specs["now_playing"].kind, specs["now_playing"].default) == ("bool", False)


async def test_a_missing_token_is_misconfigured(context: PluginContext) -> None:
    with pytest.raises(PluginMisconfigured, match="user_token"):
        ListenBrainzForwarder(context, Options({}))


async def test_one_listen_is_single_with_everything_known(
    context: PluginContext, listenbrainz: FakeListenBrainz, clock: FakeClock
) -> None:
    play = make_play(clock, album="Whenever you need somebody", duration=213.5)
    item = Outgoing(4, play, isrc="GBARL9300135", track_mbid=RECORDING, artist_mbid=ARTIST, release_mbid=RELEASE)
    assert await listenbrainz_forwarder(context).submit([item]) == Result(delivered=(4,), dead=(), retry=())
    (listen,) = listenbrainz.listens
    assert (listen.user, listen.listen_type, listen.listened_at) == (
        "spinstack-listener",
        "single",
        int(play.started_at),
    )
    assert listen.track_metadata == {
        "artist_name": "Artist 0",
        "track_name": "Title 0",
        "release_name": "Whenever you need somebody",
        "additional_info": {
            "duration_ms": 213500,
            "isrc": "GBARL9300135",
            "recording_mbid": RECORDING,
            "artist_mbids": [ARTIST],
            "release_mbid": RELEASE,
            "music_service": "spotify.com",
            "media_player": "Sonos",
            "submission_client": "SpinStack",
            "submission_client_version": version(),
        },
    }
    request = listenbrainz.requests[-1]
    assert request.headers["Authorization"].startswith("Token ")
    assert request.user_agent.startswith("SpinStack/")


@pytest.mark.parametrize(
    ("service", "domain"),
    [
        ("apple_music", "music.apple.com"),
        ("deezer", "deezer.com"),
        ("tidal", "tidal.com"),
        ("soundcloud", "soundcloud.com"),
        ("youtube_music", "music.youtube.com"),
        ("local_library", None),
        ("line_in", None),
    ],
)
async def test_music_service_is_the_canonical_domain(
    context: PluginContext, listenbrainz: FakeListenBrainz, clock: FakeClock, service: str, domain: str | None
) -> None:
    await listenbrainz_forwarder(context).submit(outgoing([make_play(clock, service=service)]))
    assert listenbrainz.listens[-1].additional_info.get("music_service") == domain


async def test_what_is_unknown_or_malformed_is_left_out(
    context: PluginContext, listenbrainz: FakeListenBrainz, clock: FakeClock
) -> None:
    play = make_play(clock, album=None, duration=0.0)
    item = Outgoing(1, play, track_mbid="not-an-mbid", artist_mbid=f"{ARTIST}; bogus", release_mbid="")
    assert (await listenbrainz_forwarder(context).submit([item])).delivered == (1,)
    metadata = listenbrainz.listens[-1].track_metadata
    assert "release_name" not in metadata
    assert set(metadata["additional_info"]) == {
        "artist_mbids", "music_service", "media_player", "submission_client", "submission_client_version",
    }  # fmt: skip
    assert metadata["additional_info"]["artist_mbids"] == [ARTIST]


async def test_several_listens_are_an_import_of_at_most_100(
    context: PluginContext, listenbrainz: FakeListenBrainz, clock: FakeClock
) -> None:
    items = outgoing(make_play(clock, index) for index in range(250))
    result = await listenbrainz_forwarder(context).submit(list(reversed(items)))
    assert result.delivered == tuple(item.outbox_id for item in items)
    assert [listen.listened_at for listen in listenbrainz.listens] == [int(item.play.started_at) for item in items]
    assert {listen.listen_type for listen in listenbrainz.listens} == {"import"}
    assert len(listenbrainz.requests) == 3
    assert max_in_window(listenbrainz.requests, 1.0) == 1  # one call a second, as ListenBrainz asks


async def test_a_refused_token_is_misconfigured(
    context: PluginContext, listenbrainz: FakeListenBrainz, clock: FakeClock
) -> None:
    forwarder = listenbrainz_forwarder(context, user_token="0" * 36)
    with pytest.raises(PluginMisconfigured, match=r"HTTP 401: Invalid authorization token"):
        await forwarder.submit(outgoing([make_play(clock)]))
    with pytest.raises(PluginMisconfigured, match="does not know this user token"):
        await forwarder.check()
    assert listenbrainz.listens == []


async def test_check_accepts_a_known_token(context: PluginContext, listenbrainz: FakeListenBrainz) -> None:
    await listenbrainz_forwarder(context).check()
    assert listenbrainz.requests[-1].path == "/1/validate-token"


async def test_check_when_the_server_wants_a_token(context: PluginContext, listenbrainz: FakeListenBrainz) -> None:
    listenbrainz.inject("/1/validate-token", status=400, json_body={"code": 400, "error": "No token"}, count=1)
    with pytest.raises(PluginMisconfigured, match="No token"):
        await listenbrainz_forwarder(context).check()


async def test_an_invalid_listen_is_found_and_dead_with_the_servers_message(
    context: PluginContext, listenbrainz: FakeListenBrainz, clock: FakeClock
) -> None:
    plays = [make_play(clock, index) for index in range(40)]
    plays[25] = make_play(clock, 25, started_at=1_000_000_000.0)  # 2001: before ListenBrainz' minimum
    result = await listenbrainz_forwarder(context).submit(outgoing(plays))
    too_low = (
        "ListenBrainz refused it: Value for key listened_at is too low. listened_at timestamp should be greater "
        "than 1033410600 (2002-10-01 00:00:00 UTC)."
    )
    assert result.dead == ((26, too_low),)
    assert result.delivered == tuple(outbox_id for outbox_id in range(1, 41) if outbox_id != 26)
    assert len(listenbrainz.listens) == 39
    assert len(listenbrainz.requests) <= 2 * 6 + 1
    assert {listen.listen_type for listen in listenbrainz.listens} == {"import", "single"}


async def test_a_single_invalid_listen_is_dead(
    context: PluginContext, listenbrainz: FakeListenBrainz, clock: FakeClock
) -> None:
    listenbrainz.inject("/1/submit-listens", status=400, text="Bad Request", content_type="text/html", count=1)
    result = await listenbrainz_forwarder(context).submit(outgoing([make_play(clock)]))
    assert result.dead == ((1, "ListenBrainz refused it: Bad Request"),)


async def test_429_waits_for_the_window_to_reset(
    context: PluginContext, listenbrainz: FakeListenBrainz, clock: FakeClock, sleep: ClockSleep
) -> None:
    listenbrainz.rate_limit = False
    listenbrainz.inject(
        "/1/submit-listens", status=429, text="slow down", content_type="text/plain",
        headers={"X-RateLimit-Reset-In": "7", "X-RateLimit-Remaining": "0"}, count=1,
    )  # fmt: skip
    result = await listenbrainz_forwarder(context).submit(outgoing([make_play(clock)]))
    assert result.delivered == (1,)
    first, second = listenbrainz.requests
    assert (first.status, second.status) == (429, 200)
    assert second.time - first.time >= 7.0


async def test_a_lasting_429_gives_its_reset_as_retry_after(
    context: PluginContext, listenbrainz: FakeListenBrainz, clock: FakeClock
) -> None:
    listenbrainz.inject("/1/submit-listens", status=429, headers={"X-RateLimit-Reset-In": "9"}, count=None)
    with pytest.raises(PluginUnavailable, match="429") as caught:
        await listenbrainz_forwarder(context).submit(outgoing([make_play(clock)]))
    assert caught.value.retry_after == 9.0
    assert len(listenbrainz.requests) == 4


async def test_the_servers_own_limit_is_followed_without_a_429(
    context: PluginContext, listenbrainz: FakeListenBrainz, clock: FakeClock
) -> None:
    listenbrainz.window.limit = RateLimit(2, 10.0)  # two requests per token in each 10-second window
    for index in range(5):
        await listenbrainz_forwarder(context).submit(outgoing([make_play(clock, index)], first=index + 1))
    assert [request.status for request in listenbrainz.requests] == [200] * 5  # Remaining: 0 made us wait
    assert max_in_window(listenbrainz.requests, 10.0) <= 2 + 1  # fixed windows: at most 2 in each


async def test_a_past_the_limit_429_from_the_fake(
    context: PluginContext, listenbrainz: FakeListenBrainz, clock: FakeClock
) -> None:
    listenbrainz.window.limit = RateLimit(1, 10.0)
    listenbrainz._windows.clear()
    # Someone else used the token's request in this window: our first request meets a 429 with its headers.
    await _spend_the_window(listenbrainz)
    result = await listenbrainz_forwarder(context).submit(outgoing([make_play(clock)]))
    assert result.delivered == (1,)
    outcomes = [request.outcome for request in listenbrainz.requests]
    assert outcomes[0] == "rate-limited"
    assert outcomes[-1] == "ok"


async def _spend_the_window(listenbrainz: FakeListenBrainz) -> None:
    async with aiohttp.ClientSession() as other:
        headers = {"Authorization": f"Token {LISTENBRAINZ_TOKEN}"}
        async with other.get(f"{listenbrainz.base_url}/1/validate-token", headers=headers) as response:
            assert response.status == 200
    listenbrainz.clear_requests()


async def test_5xx_then_recovery(context: PluginContext, listenbrainz: FakeListenBrainz, clock: FakeClock) -> None:
    listenbrainz.inject("/1/submit-listens", status=503, count=2)
    assert (await listenbrainz_forwarder(context).submit(outgoing([make_play(clock)]))).delivered == (1,)
    assert [request.status for request in listenbrainz.requests] == [503, 503, 200]


async def test_offline_is_unavailable(context: PluginContext, listenbrainz: FakeListenBrainz, clock: FakeClock) -> None:
    await listenbrainz.go_offline()
    with pytest.raises(PluginUnavailable, match="after 4 attempts"):
        await listenbrainz_forwarder(context).submit(outgoing([make_play(clock)]))
    await listenbrainz.come_online()
    assert (await listenbrainz_forwarder(context).submit(outgoing([make_play(clock)]))).delivered == (1,)


async def test_a_timeout_is_unavailable(
    context: PluginContext, listenbrainz: FakeListenBrainz, clock: FakeClock
) -> None:
    listenbrainz.faults.timeout = True
    with pytest.raises(PluginUnavailable, match="no answer within"):
        await listenbrainz_forwarder(context).submit(outgoing([make_play(clock)]))
    listenbrainz.release()


async def test_now_playing_on_and_off(context: PluginContext, listenbrainz: FakeListenBrainz, clock: FakeClock) -> None:
    await listenbrainz_forwarder(context).now_playing(make_play(clock))
    assert listenbrainz.requests == []
    await listenbrainz_forwarder(context, now_playing=True).now_playing(make_play(clock, title="Around the World"))
    (listen,) = listenbrainz.accepted("playing_now")
    assert listen.listened_at is None
    assert listen.track_metadata["track_name"] == "Around the World"
    assert listen.additional_info["submission_client"] == "SpinStack"
    assert listenbrainz.playing_now["spinstack-listener"]["track_name"] == "Around the World"


async def test_now_playing_failures_are_not_retried(
    context: PluginContext, listenbrainz: FakeListenBrainz, clock: FakeClock
) -> None:
    listenbrainz.faults.down = True
    await listenbrainz_forwarder(context, now_playing=True).now_playing(make_play(clock))
    assert len(listenbrainz.requests) == 1


async def test_without_a_version_in_the_user_agent(
    context: PluginContext, listenbrainz: FakeListenBrainz, clock: FakeClock
) -> None:
    bare = dataclasses.replace(context, user_agent="SomethingElse/1.0")
    await listenbrainz_forwarder(bare).submit(outgoing([make_play(clock)]))
    info = listenbrainz.listens[-1].additional_info
    assert "submission_client_version" not in info
    assert info["submission_client"] == "SpinStack"
