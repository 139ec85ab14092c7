"""Scrobbling to the Last.fm fake: batches of 50 in order, signed; what Last.fm ignores becomes a dead letter, its
daily limit a retry; refused credentials, rate limits, outages and the play that spoils a batch."""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import random

import pytest

from custom_components.spinstack.forwarding import (
    FORWARDERS,
    LastfmForwarder,
    Outgoing,
    Result,
    api_signature,
    lastfm_mobile_session,
)
from custom_components.spinstack.forwarding.lastfm_api import error_of
from custom_components.spinstack.plugins import (
    Options,
    PluginContext,
    PluginError,
    PluginMisconfigured,
    PluginUnavailable,
)
from fakes import LASTFM_PASSWORD, LASTFM_SECRET, LASTFM_SESSION_KEY, LASTFM_USER, FakeClock, FakeLastfm, RateLimit
from fakes.lastfm import scrobbles_of, signature
from tests.plugins.conftest import ClockSleep

from .conftest import DAY, HOUR, lastfm_forwarder, make_play, outgoing

ERROR_29 = {"error": 29, "message": "Rate Limit Exceeded - Your IP has made too many requests in a short period"}


def ids(items: list[Outgoing]) -> tuple[int, ...]:
    return tuple(item.outbox_id for item in items)


async def test_registered_with_its_options() -> None:
    assert FORWARDERS["lastfm"] is LastfmForwarder
    assert LastfmForwarder.max_batch == 50
    specs = {spec.name: spec for spec in LastfmForwarder.option_specs}
    assert [name for name, spec in specs.items() if spec.required] == ["api_key", "api_secret", "session_key"]
    assert {specs[name].kind for name in ("api_key", "api_secret", "session_key")} == {"secret"}
    assert (specs["now_playing"].kind, specs["now_playing"].default) == ("bool", False)


async def test_a_missing_option_is_misconfigured(context: PluginContext) -> None:
    with pytest.raises(PluginMisconfigured, match="session_key"):
        LastfmForwarder(context, Options({"api_key": "k", "api_secret": "s"}))


async def test_120_plays_go_in_three_signed_requests_in_order(
    context: PluginContext, lastfm: FakeLastfm, clock: FakeClock
) -> None:
    items = outgoing(make_play(clock, index, ago=10 * HOUR) for index in range(120))
    shuffled = random.Random(3).sample(items, len(items))
    result = await lastfm_forwarder(context).submit(shuffled)
    assert result == Result(delivered=ids(items), dead=(), retry=())
    assert scrobbles_of(lastfm.calls) == [50, 50, 20]
    assert [scrobble.track for scrobble in lastfm.scrobbles] == [item.play.title for item in items]
    assert [scrobble.timestamp for scrobble in lastfm.scrobbles] == [int(item.play.started_at) for item in items]
    for call in lastfm.calls:
        assert call.http_method == "POST"
        assert call.params["api_sig"] == signature(call.params, LASTFM_SECRET)
        assert call.params["sk"] == LASTFM_SESSION_KEY
        assert call.params["format"] == "json"
    assert all(request.query == {} for request in lastfm.requests)  # everything in the form: nothing in the URL
    assert [scrobble.track for scrobble in lastfm.history(LASTFM_USER)] == [item.play.title for item in items]


async def test_one_scrobble_with_every_field(context: PluginContext, lastfm: FakeLastfm, clock: FakeClock) -> None:
    play = make_play(clock, album="Discovery", album_artist="Various Artists", duration=320.4, kind="radio")
    mbid = "98255a8c-017a-4bc7-8dd6-1fa36124572b"
    result = await lastfm_forwarder(context).submit([Outgoing(7, play, track_mbid=mbid)])
    assert result.delivered == (7,)  # Last.fm answers one scrobble as an object, not a list
    sent = lastfm.calls[-1].params
    assert sent["method"] == "track.scrobble"
    assert (sent["artist[0]"], sent["track[0]"], sent["timestamp[0]"]) == (
        "Artist 0",
        "Title 0",
        str(int(play.started_at)),
    )
    assert (sent["album[0]"], sent["albumArtist[0]"], sent["duration[0]"]) == ("Discovery", "Various Artists", "320")
    assert (sent["mbid[0]"], sent["chosenByUser[0]"]) == (mbid, "0")
    scrobble = lastfm.scrobbles[-1]
    assert (scrobble.album_artist, scrobble.duration, scrobble.chosen_by_user) == ("Various Artists", 320, False)


async def test_optional_fields_are_left_out(context: PluginContext, lastfm: FakeLastfm, clock: FakeClock) -> None:
    play = make_play(clock, album=None, album_artist="Artist 0", duration=0.0)
    await lastfm_forwarder(context).submit([Outgoing(1, play)])
    assert set(lastfm.calls[-1].params) == {
        "method", "artist[0]", "track[0]", "timestamp[0]", "api_key", "sk", "format", "api_sig",
    }  # fmt: skip


def test_the_signature_sorts_names_in_ascii_order() -> None:
    params = {"artist[10]": "b", "artist[1]": "a", "method": "track.scrobble", "format": "json"}
    expected = "artist[10]bartist[1]amethodtrack.scrobblesecret"  # artist[10] before artist[1]; no format
    assert api_signature(params, "secret") == hashlib.md5(expected.encode(), usedforsecurity=False).hexdigest()
    assert api_signature(params, "secret") == signature(params, "secret")
    assert (
        api_signature({"track": "Björk"}, "s") == hashlib.md5("trackBjörks".encode(), usedforsecurity=False).hexdigest()
    )


async def test_what_lastfm_ignores_is_dead(context: PluginContext, lastfm: FakeLastfm, clock: FakeClock) -> None:
    lastfm.ignored_artists.add("artist 1")
    lastfm.ignored_tracks.add("Title 2")
    plays = [
        make_play(clock, 0),
        make_play(clock, 1),
        make_play(clock, 2),
        make_play(clock, 3, ago=15 * DAY),
        make_play(clock, 4, ago=-2 * DAY),
        make_play(clock, 5),
    ]
    result = await lastfm_forwarder(context).submit(outgoing(plays))
    assert result.delivered == (1, 6)
    assert result.retry == ()
    reasons = dict(result.dead)
    assert sorted(reasons) == [2, 3, 4, 5]
    assert "artist ignored, code 1" in reasons[2]
    assert "track ignored, code 2" in reasons[3]
    assert "timestamp too old, code 3" in reasons[4]
    assert "timestamp too new, code 4" in reasons[5]
    assert [scrobble.track for scrobble in lastfm.scrobbles] == ["Title 0", "Title 5"]


async def test_the_daily_limit_is_a_retry_and_stops_the_batch(
    context: PluginContext, lastfm: FakeLastfm, clock: FakeClock
) -> None:
    lastfm.daily_limit_exceeded = True
    items = outgoing(make_play(clock, index) for index in range(60))
    result = await lastfm_forwarder(context).submit(items)
    assert result == Result(delivered=(), dead=(), retry=ids(items), retry_after=3600.0)
    assert scrobbles_of(lastfm.calls) == [50]  # the ten after them were not even sent
    lastfm.daily_limit_exceeded = False
    assert (await lastfm_forwarder(context).submit(items)).delivered == ids(items)


@pytest.mark.parametrize(
    ("options", "code"),
    [
        ({"session_key": "0" * 32}, 9),
        ({"api_secret": "0" * 32}, 13),
        ({"api_key": "0" * 32}, 10),
    ],
)
async def test_refused_credentials_are_misconfigured(
    context: PluginContext, lastfm: FakeLastfm, clock: FakeClock, options: dict[str, str], code: int
) -> None:
    forwarder = lastfm_forwarder(context, **options)
    with pytest.raises(PluginMisconfigured, match=f"error {code}"):
        await forwarder.submit(outgoing([make_play(clock)]))
    with pytest.raises(PluginMisconfigured, match=f"error {code}"):
        await forwarder.check()
    assert lastfm.scrobbles == []
    assert len(lastfm.requests) == 2  # refused at once, never retried


async def test_a_suspended_api_key(context: PluginContext, lastfm: FakeLastfm, clock: FakeClock) -> None:
    lastfm.suspended_keys.update(lastfm.api_keys)
    with pytest.raises(PluginMisconfigured, match="error 26"):
        await lastfm_forwarder(context).submit(outgoing([make_play(clock)]))


async def test_check_accepts_good_credentials(context: PluginContext, lastfm: FakeLastfm) -> None:
    await lastfm_forwarder(context).check()
    call = lastfm.calls[-1]
    assert (call.http_method, call.method) == ("GET", "user.getinfo")
    assert call.params["api_sig"] == signature(call.params, LASTFM_SECRET)


async def test_rate_limited_after_the_retries(
    context: PluginContext, lastfm: FakeLastfm, clock: FakeClock, sleep: ClockSleep
) -> None:
    lastfm.inject("/2.0/", status=429, json_body=ERROR_29, count=None)
    with pytest.raises(PluginUnavailable, match="error 29") as caught:
        await lastfm_forwarder(context).submit(outgoing([make_play(clock)]))
    assert caught.value.retry_after == 60.0  # Last.fm gave no Retry-After: a minute
    assert len(lastfm.requests) == 4
    times = [request.time for request in lastfm.requests]
    assert all(later - earlier >= 0.5 for earlier, later in itertools.pairwise(times))


async def test_rate_limited_with_retry_after(context: PluginContext, lastfm: FakeLastfm, clock: FakeClock) -> None:
    lastfm.inject("/2.0/", status=429, json_body=ERROR_29, headers={"Retry-After": "30"}, count=None)
    with pytest.raises(PluginUnavailable) as caught:
        await lastfm_forwarder(context).submit(outgoing([make_play(clock)]))
    assert caught.value.retry_after == 30.0


async def test_rate_limited_midway_keeps_what_was_delivered(
    context: PluginContext, lastfm: FakeLastfm, clock: FakeClock
) -> None:
    lastfm.window.limit = RateLimit(1, 300.0)  # the fake's own limit: one request in five minutes
    items = outgoing(make_play(clock, index) for index in range(120))
    result = await lastfm_forwarder(context).submit(items)
    assert result.delivered == ids(items[:50])
    assert result.retry == ids(items[50:])
    assert result.retry_after == 60.0
    assert [request.outcome for request in lastfm.requests] == ["ok"] + ["rate-limited"] * 4
    assert lastfm.requests[-1].status == 429


async def test_an_outage_then_recovery(context: PluginContext, lastfm: FakeLastfm, clock: FakeClock) -> None:
    lastfm.inject("/2.0/", status=503, count=2)  # error 11, service offline
    lastfm.inject("/2.0/", status=200, json_body={"error": 16, "message": "temporary"}, count=1)
    result = await lastfm_forwarder(context).submit(outgoing([make_play(clock)]))
    assert result.delivered == (1,)
    assert [request.outcome for request in lastfm.requests] == ["injected", "injected", "injected", "ok"]


async def test_down_for_good_is_unavailable(context: PluginContext, lastfm: FakeLastfm, clock: FakeClock) -> None:
    lastfm.faults.down = True
    with pytest.raises(PluginUnavailable, match=r"error 11.*after 4 attempts"):
        await lastfm_forwarder(context).submit(outgoing([make_play(clock)]))


async def test_offline_is_unavailable(context: PluginContext, lastfm: FakeLastfm, clock: FakeClock) -> None:
    await lastfm.go_offline()
    items = outgoing([make_play(clock)])
    with pytest.raises(PluginUnavailable, match="connection failed"):
        await lastfm_forwarder(context).submit(items)
    await lastfm.come_online()
    assert (await lastfm_forwarder(context).submit(items)).delivered == (1,)


async def test_malformed_answer_is_unavailable(context: PluginContext, lastfm: FakeLastfm, clock: FakeClock) -> None:
    lastfm.faults.malformed = True
    with pytest.raises(PluginUnavailable, match="malformed JSON"):
        await lastfm_forwarder(context).submit(outgoing([make_play(clock)]))


async def test_one_bad_play_in_fifty_is_found_by_halving(
    context: PluginContext, lastfm: FakeLastfm, clock: FakeClock
) -> None:
    items = outgoing(make_play(clock, index) for index in range(50))
    lastfm.invalid_tracks.add("Title 37")
    result = await lastfm_forwarder(context).submit(items)
    assert result.delivered == tuple(item.outbox_id for item in items if item.play.title != "Title 37")
    assert len(result.dead) == 1
    outbox_id, reason = result.dead[0]
    assert outbox_id == 38
    assert "error 6" in reason
    assert [scrobble.track for scrobble in lastfm.scrobbles] == [f"Title {i}" for i in range(50) if i != 37]
    assert len(lastfm.calls) <= 2 * 6 + 1  # a binary search, not fifty requests


async def test_two_bad_plays_and_a_single_one(context: PluginContext, lastfm: FakeLastfm, clock: FakeClock) -> None:
    lastfm.invalid_tracks.update({"Title 0", "Title 9"})
    items = outgoing(make_play(clock, index) for index in range(10))
    result = await lastfm_forwarder(context).submit(items)
    assert [outbox_id for outbox_id, _ in result.dead] == [1, 10]
    assert result.delivered == tuple(range(2, 10))
    single = await lastfm_forwarder(context).submit(outgoing([make_play(clock, 9)], first=20))
    assert [outbox_id for outbox_id, _ in single.dead] == [20]


async def test_a_play_without_artist_is_dead_without_a_request(
    context: PluginContext, lastfm: FakeLastfm, clock: FakeClock
) -> None:
    plays = [make_play(clock, 0, artist="  "), make_play(clock, 1, title=""), make_play(clock, 2)]
    result = await lastfm_forwarder(context).submit(outgoing(plays))
    assert result.dead == ((1, "the play has no artist"), (2, "the play has no title"))
    assert result.delivered == (3,)
    assert scrobbles_of(lastfm.calls) == [1]
    only_bad = await lastfm_forwarder(context).submit(outgoing(plays[:1], first=9))
    assert only_bad == Result(delivered=(), dead=((9, "the play has no artist"),), retry=())


async def test_an_unexpected_error_keeps_everything_pending(
    context: PluginContext, lastfm: FakeLastfm, clock: FakeClock
) -> None:
    lastfm.inject("/2.0/", status=400, json_body={"error": 3, "message": "Invalid Method"}, count=1)
    with pytest.raises(PluginUnavailable, match="error 3"):
        await lastfm_forwarder(context).submit(outgoing([make_play(clock)]))


async def test_an_answer_without_scrobbles(context: PluginContext, lastfm: FakeLastfm, clock: FakeClock) -> None:
    lastfm.inject("/2.0/", status=200, json_body={"status": "ok"}, count=1)
    with pytest.raises(PluginUnavailable, match="holds no scrobbles"):
        await lastfm_forwarder(context).submit(outgoing([make_play(clock)]))


async def test_an_answer_that_does_not_pair_up(context: PluginContext, lastfm: FakeLastfm, clock: FakeClock) -> None:
    body = {"scrobbles": {"scrobble": [], "@attr": {"accepted": 2, "ignored": 0}}}
    lastfm.inject("/2.0/", status=200, json_body=body, count=1)
    result = await lastfm_forwarder(context).submit(outgoing([make_play(clock, 0), make_play(clock, 1)]))
    assert result.delivered == (1, 2)


async def test_an_outage_after_a_first_batch(context: PluginContext, lastfm: FakeLastfm, clock: FakeClock) -> None:
    items = outgoing(make_play(clock, index) for index in range(70))
    forwarder = lastfm_forwarder(context)
    original = forwarder._send
    sent = 0

    async def flaky(chunk: list[Outgoing]) -> object:
        nonlocal sent
        sent += 1
        if sent == 2:
            raise PluginError("something odd")
        return await original(chunk)

    forwarder._send = flaky  # type: ignore[method-assign, assignment]
    result = await forwarder.submit(items)
    assert result.delivered == ids(items[:50])
    assert result.retry == ids(items[50:])
    assert result.retry_after is None


async def test_now_playing_is_off_unless_asked(context: PluginContext, lastfm: FakeLastfm, clock: FakeClock) -> None:
    play = make_play(clock, album="Homework", album_artist="Daft Punk", duration=225)
    await lastfm_forwarder(context).now_playing(play)
    assert lastfm.calls == []
    await lastfm_forwarder(context, now_playing=True).now_playing(play)
    call = lastfm.calls[-1]
    assert (call.http_method, call.method) == ("POST", "track.updatenowplaying")
    assert (call.params["artist"], call.params["track"], call.params["album"]) == ("Artist 0", "Title 0", "Homework")
    assert (call.params["albumArtist"], call.params["duration"]) == ("Daft Punk", "225")
    assert call.params["api_sig"] == signature(call.params, LASTFM_SECRET)
    assert lastfm.now_playing[LASTFM_USER][0].track == "Title 0"


async def test_now_playing_is_best_effort(context: PluginContext, lastfm: FakeLastfm, clock: FakeClock) -> None:
    lastfm.inject("/2.0/", status=503, count=None)
    await lastfm_forwarder(context, now_playing=True).now_playing(make_play(clock, album=None, duration=0.0))
    assert len(lastfm.requests) == 1  # "Now Playing requests that fail should not be retried"
    lastfm.clear_injections()
    with pytest.raises(PluginMisconfigured):
        await lastfm_forwarder(context, now_playing=True, session_key="0" * 32).now_playing(make_play(clock))


async def test_the_mobile_session_exchange(context: PluginContext, lastfm: FakeLastfm) -> None:
    key = await lastfm_mobile_session(
        context, next(iter(lastfm.api_keys)), LASTFM_SECRET, LASTFM_USER.upper(), LASTFM_PASSWORD
    )
    assert key == LASTFM_SESSION_KEY
    call = lastfm.calls[-1]
    assert (call.http_method, call.method) == ("POST", "auth.getmobilesession")
    assert call.params["api_sig"] == signature(call.params, LASTFM_SECRET)
    assert lastfm.requests[-1].query == {}  # the password travels in the body, never in the URL
    with pytest.raises(PluginMisconfigured, match="error 4"):
        await lastfm_mobile_session(context, next(iter(lastfm.api_keys)), LASTFM_SECRET, LASTFM_USER, "wrong")
    with pytest.raises(PluginMisconfigured, match="error 13"):
        await lastfm_mobile_session(context, next(iter(lastfm.api_keys)), "0" * 32, LASTFM_USER, LASTFM_PASSWORD)


async def test_the_mobile_session_exchange_with_odd_answers(context: PluginContext, lastfm: FakeLastfm) -> None:
    api_key = next(iter(lastfm.api_keys))
    lastfm.inject("/2.0/", status=400, json_body={"error": 6, "message": "Invalid parameters"}, count=1)
    with pytest.raises(PluginMisconfigured, match="refused the log-in"):
        await lastfm_mobile_session(context, api_key, LASTFM_SECRET, LASTFM_USER, LASTFM_PASSWORD)
    lastfm.inject("/2.0/", status=200, json_body={"session": {}}, count=1)
    with pytest.raises(PluginError, match="no session key"):
        await lastfm_mobile_session(context, api_key, LASTFM_SECRET, LASTFM_USER, LASTFM_PASSWORD)


async def test_plays_keep_their_order_across_dead_letters(
    context: PluginContext, lastfm: FakeLastfm, clock: FakeClock
) -> None:
    """A dead play between live ones does not reorder what Last.fm receives."""
    plays = [make_play(clock, index) for index in range(5)]
    plays[2] = dataclasses.replace(plays[2], started_at=clock() - 20 * DAY)
    result = await lastfm_forwarder(context).submit(outgoing(plays))
    assert result.delivered == (1, 2, 4, 5)
    assert [scrobble.track for scrobble in lastfm.scrobbles] == ["Title 0", "Title 1", "Title 3", "Title 4"]


async def test_an_empty_batch(context: PluginContext, lastfm: FakeLastfm) -> None:
    assert await lastfm_forwarder(context).submit([]) == Result(delivered=(), dead=(), retry=())
    assert lastfm.requests == []


@pytest.mark.parametrize(
    ("body", "raised", "match"),
    [
        ({"error": 6, "message": "Invalid parameters"}, PluginMisconfigured, "credentials check"),
        ({"error": 2, "message": "Invalid service"}, PluginUnavailable, "error 2"),
    ],
)
async def test_check_with_odd_errors(
    context: PluginContext, lastfm: FakeLastfm, body: dict[str, object], raised: type[Exception], match: str
) -> None:
    lastfm.inject("/2.0/", status=400, json_body=body, count=1)
    with pytest.raises(raised, match=match):
        await lastfm_forwarder(context).check()


def test_error_of_reads_only_errors() -> None:
    assert error_of({"error": "9", "message": "Invalid session key"}) == (9, "Invalid session key")
    assert error_of({"error": 29}) == (29, "")
    assert error_of({"error": {"code": 1}}) is None
    assert error_of({"scrobbles": {}}) is None
    assert error_of(None) is None


async def test_names_beyond_ascii_are_signed_in_utf8(
    context: PluginContext, lastfm: FakeLastfm, clock: FakeClock
) -> None:
    play = make_play(clock, artist="Sigur Rós", title="Hoppípolla", album="Takk…", album_artist="Sigur Rós")
    assert (await lastfm_forwarder(context).submit([Outgoing(1, play)])).delivered == (1,)
    assert (lastfm.scrobbles[-1].artist, lastfm.scrobbles[-1].track) == ("Sigur Rós", "Hoppípolla")
    assert "albumArtist[0]" not in lastfm.calls[-1].params  # the same as the artist: left out
