"""The Last.fm fake, over HTTP: the key, the signature and the session it checks, track.scrobble's answers and
ignored codes, now playing, the mobile session, user.getRecentTracks' paging and shapes, errors and faults."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
import json
from typing import Any

import pytest

from fakes import (
    LASTFM_API_KEY,
    LASTFM_PASSWORD,
    LASTFM_SECRET,
    LASTFM_SESSION_KEY,
    LASTFM_USER,
    FakeClock,
    FakeLastfm,
    RateLimit,
)
from fakes.lastfm import Scrobble, scrobbles_of, session_key_for, signature

from .conftest import Answer, Client

DAY = 86_400


@pytest.fixture
async def lastfm(clock: FakeClock) -> AsyncIterator[FakeLastfm]:
    async with FakeLastfm(clock=clock, wall=clock) as started:
        yield started


def signed(params: Mapping[str, str], secret: str = LASTFM_SECRET) -> dict[str, str]:
    sent = {"api_key": LASTFM_API_KEY, "format": "json", **params}
    return {**sent, "api_sig": signature(sent, secret)}


async def post(client: Client, lastfm: FakeLastfm, form: Mapping[str, str]) -> Answer:
    async with client.session.post(f"{lastfm.base_url}/2.0/", data=dict(form)) as response:
        return Answer(response.status, response.headers, await response.read())


async def get(client: Client, lastfm: FakeLastfm, **params: str) -> Answer:
    return await client.get(f"{lastfm.base_url}/2.0/", params={"api_key": LASTFM_API_KEY, "format": "json", **params})


def scrobble_form(clock: FakeClock, count: int, **extra: str) -> dict[str, str]:
    form = {"method": "track.scrobble", "sk": LASTFM_SESSION_KEY, **extra}
    for index in range(count):
        form[f"artist[{index}]"] = f"Artist {index}"
        form[f"track[{index}]"] = f"Track {index}"
        form[f"timestamp[{index}]"] = str(int(clock()) - 3_600 + index)
    return form


async def test_a_batch_is_accepted_in_order(client: Client, lastfm: FakeLastfm, clock: FakeClock) -> None:
    answer = await post(client, lastfm, signed(scrobble_form(clock, 3, **{"album[1]": "Album", "duration[1]": "200"})))
    assert answer.status == 200
    body = answer.json["scrobbles"]
    assert body["@attr"] == {"accepted": 3, "ignored": 0}
    assert isinstance(body["scrobble"], list)
    assert body["scrobble"][1] == {
        "artist": {"corrected": "0", "#text": "Artist 1"},
        "album": {"corrected": "0", "#text": "Album"},
        "track": {"corrected": "0", "#text": "Track 1"},
        "albumArtist": {"corrected": "0", "#text": ""},
        "ignoredMessage": {"code": "0", "#text": ""},
        "timestamp": str(int(clock()) - 3_599),
    }
    assert [scrobble.track for scrobble in lastfm.scrobbles] == ["Track 0", "Track 1", "Track 2"]
    assert lastfm.scrobbles[1].duration == 200
    assert scrobbles_of(lastfm.calls) == [3]
    assert [scrobble.track for scrobble in lastfm.history()] == ["Track 0", "Track 1", "Track 2"]


async def test_one_scrobble_is_an_object_and_plain_names_work(
    client: Client, lastfm: FakeLastfm, clock: FakeClock
) -> None:
    form = {"method": "track.scrobble", "sk": LASTFM_SESSION_KEY, "artist": "Air", "track": "Playground Love"}
    form["timestamp"] = str(int(clock()))
    answer = await post(client, lastfm, signed(form))
    assert answer.json["scrobbles"]["scrobble"]["track"]["#text"] == "Playground Love"


@pytest.mark.parametrize(
    ("change", "code", "text"),
    [
        ({"artist[0]": "Ignored Band"}, "1", "Artist was ignored"),
        ({"track[0]": "Ignored Song"}, "2", "Track was ignored"),
        ({"timestamp[0]": "days:-15"}, "3", "Timestamp was too old"),
        ({"timestamp[0]": "days:2"}, "4", "Timestamp was too new"),
        ({}, "5", "Daily scrobble limit exceeded"),
    ],
)
async def test_ignored_scrobbles(
    client: Client, lastfm: FakeLastfm, clock: FakeClock, change: dict[str, str], code: str, text: str
) -> None:
    lastfm.ignored_artists.add("ignored band")
    lastfm.ignored_tracks.add("ignored song")
    lastfm.daily_limit_exceeded = code == "5"
    form = scrobble_form(clock, 2)
    for name, value in change.items():
        days = value.removeprefix("days:")
        form[name] = str(int(clock()) + int(days) * DAY) if days != value else value
    body = (await post(client, lastfm, signed(form))).json["scrobbles"]
    assert body["scrobble"][0]["ignoredMessage"] == {"code": code, "#text": text}
    assert body["@attr"] == ({"accepted": 0, "ignored": 2} if code == "5" else {"accepted": 1, "ignored": 1})


@pytest.mark.parametrize(
    "form",
    [
        {"artist[0]": "A", "track[0]": "T"},  # no timestamp
        {"artist[0]": "A", "track[0]": "", "timestamp[0]": "1767225000"},
        {"artist[0]": "A", "track[0]": "T", "timestamp[0]": "yesterday"},
        {"artist[0]": "A", "track[0]": "Poison", "timestamp[0]": "1767225000"},
        {},
    ],
)
async def test_invalid_parameters_are_error_6(client: Client, lastfm: FakeLastfm, form: dict[str, str]) -> None:
    lastfm.invalid_tracks.add("Poison")
    answer = await post(client, lastfm, signed({"method": "track.scrobble", "sk": LASTFM_SESSION_KEY, **form}))
    assert (answer.status, answer.json["error"]) == (400, 6)
    assert lastfm.scrobbles == []


async def test_more_than_50_is_error_6(client: Client, lastfm: FakeLastfm, clock: FakeClock) -> None:
    answer = await post(client, lastfm, signed(scrobble_form(clock, 51)))
    assert answer.json["error"] == 6


async def test_the_api_key_signature_and_session_are_checked(
    client: Client, lastfm: FakeLastfm, clock: FakeClock
) -> None:
    good = signed(scrobble_form(clock, 1))
    unknown_key = signed({**scrobble_form(clock, 1), "api_key": "f" * 32})
    assert ((await post(client, lastfm, unknown_key)).status, lastfm.requests[-1].outcome) == (403, "unauthorized")
    assert (await post(client, lastfm, {**good, "api_sig": "0" * 32})).json["error"] == 13
    assert (await post(client, lastfm, signed(scrobble_form(clock, 1), secret="0" * 32))).json["error"] == 13
    bad_session = signed({**scrobble_form(clock, 1), "sk": "0" * 32})
    answer = await post(client, lastfm, bad_session)
    assert (answer.status, answer.json) == (
        403,
        {"error": 9, "message": "Invalid session key - Please re-authenticate"},
    )
    unsigned = {key: value for key, value in good.items() if key != "api_sig"}
    assert (await post(client, lastfm, unsigned)).json["error"] == 13
    assert (await post(client, lastfm, good)).status == 200
    lastfm.suspended_keys.add(LASTFM_API_KEY)
    assert (await post(client, lastfm, good)).json["error"] == 26


async def test_write_methods_need_post_and_json_is_asked_for(
    client: Client, lastfm: FakeLastfm, clock: FakeClock
) -> None:
    answer = await get(client, lastfm, **signed(scrobble_form(clock, 1)))
    assert (answer.status, answer.json["error"]) == (403, 4)
    xml = await client.get(f"{lastfm.base_url}/2.0/", params={"api_key": LASTFM_API_KEY, "method": "user.getinfo"})
    assert xml.status == 400
    assert '<error code="5">' in xml.text
    assert (await get(client, lastfm, method="user.noSuchThing")).json["error"] == 3
    assert (await client.get(f"{lastfm.base_url}/elsewhere")).status == 404


async def test_now_playing_shows_first_on_page_one(client: Client, lastfm: FakeLastfm, clock: FakeClock) -> None:
    lastfm.seed(3)
    form = {"method": "track.updateNowPlaying", "sk": LASTFM_SESSION_KEY, "artist": "Air", "track": "Remember"}
    answer = await post(client, lastfm, signed({**form, "duration": "60"}))
    assert answer.json["nowplaying"]["ignoredMessage"] == {"code": "0", "#text": ""}
    listed = (await get(client, lastfm, method="user.getrecenttracks", user=LASTFM_USER)).json["recenttracks"]
    assert [entry.get("@attr") for entry in listed["track"]] == [{"nowplaying": "true"}, None, None, None]
    assert listed["@attr"]["total"] == "3"
    clock.advance(61)
    listed = (await get(client, lastfm, method="user.getrecenttracks", user=LASTFM_USER)).json["recenttracks"]
    assert len(listed["track"]) == 3  # it has ended
    assert (await post(client, lastfm, signed({**form, "artist": " "}))).json["error"] == 6
    lastfm.ignored_artists.add("Air")
    ignored = (await post(client, lastfm, signed(form))).json
    assert ignored["nowplaying"]["ignoredMessage"]["code"] == "1"


async def test_the_mobile_session(client: Client, lastfm: FakeLastfm) -> None:
    form = {"method": "auth.getMobileSession", "username": LASTFM_USER.title(), "password": LASTFM_PASSWORD}
    answer = await post(client, lastfm, signed(form))
    assert answer.json == {"session": {"subscriber": 0, "name": LASTFM_USER, "key": LASTFM_SESSION_KEY}}
    wrong = await post(client, lastfm, signed({**form, "password": "nope"}))
    assert (wrong.status, wrong.json["error"]) == (403, 4)
    missing = await post(client, lastfm, signed({"method": "auth.getMobileSession", "username": LASTFM_USER}))
    assert missing.json["error"] == 6


async def test_user_info(client: Client, lastfm: FakeLastfm) -> None:
    lastfm.seed(5)
    info = (await get(client, lastfm, method="user.getInfo", user=LASTFM_USER)).json["user"]
    assert (info["name"], info["playcount"]) == (LASTFM_USER, "5")
    by_session = (await get(client, lastfm, **signed({"method": "user.getInfo", "sk": LASTFM_SESSION_KEY}))).json
    assert by_session["user"]["name"] == LASTFM_USER
    nobody = await get(client, lastfm, method="user.getInfo", user="nobody")
    assert (nobody.status, nobody.json) == (404, {"error": 6, "message": "User not found"})


async def test_recent_tracks_shapes_and_paging(client: Client, lastfm: FakeLastfm, clock: FakeClock) -> None:
    lastfm.seed(450, newest=int(clock()) - 100, spacing=100)
    first = (await get(client, lastfm, method="user.getRecentTracks", user=LASTFM_USER, limit="200")).json
    attributes = first["recenttracks"]["@attr"]
    assert attributes == {"user": LASTFM_USER, "totalPages": "3", "page": "1", "perPage": "200", "total": "450"}
    entry = first["recenttracks"]["track"][0]
    track = lastfm.catalogue.tracks[0]
    assert entry["name"] == track.title
    assert entry["artist"] == {"mbid": track.main_artist.mbid or "", "#text": track.artist_credit}
    assert entry["album"] == {"mbid": track.album.mbid or "", "#text": track.album.title}
    assert entry["mbid"] == (track.mbid or "")
    assert entry["date"] == {"uts": str(int(clock()) - 100), "#text": "31 Dec 2025, 23:58"}
    assert entry["url"].startswith("https://www.last.fm/music/")
    assert [image["size"] for image in entry["image"]] == ["small", "medium", "large", "extralarge"]
    assert (await client.get(entry["image"][0]["#text"])).status == 200
    last = (await get(client, lastfm, method="user.getRecentTracks", user=LASTFM_USER, limit="200", page="3")).json
    assert len(last["recenttracks"]["track"]) == 50
    beyond = (await get(client, lastfm, method="user.getRecentTracks", user=LASTFM_USER, limit="200", page="9")).json
    assert beyond["recenttracks"]["track"] == []
    default = (await get(client, lastfm, method="user.getRecentTracks", user=LASTFM_USER.upper())).json
    assert default["recenttracks"]["@attr"]["perPage"] == "50"
    capped = (await get(client, lastfm, method="user.getRecentTracks", user=LASTFM_USER, limit="1000")).json
    assert capped["recenttracks"]["@attr"]["perPage"] == "200"


async def test_recent_tracks_from_and_to(client: Client, lastfm: FakeLastfm, clock: FakeClock) -> None:
    now = int(clock())
    lastfm.seed(10, newest=now - 100, spacing=100)  # now-1000 .. now-100
    window = await get(
        client,
        lastfm,
        method="user.getRecentTracks",
        user=LASTFM_USER,
        **{"from": str(now - 500), "to": str(now - 200)},
    )
    stamps = [int(entry["date"]["uts"]) for entry in window.json["recenttracks"]["track"]]
    assert stamps == [now - 200, now - 300, now - 400, now - 500]
    bad = await get(client, lastfm, method="user.getRecentTracks", user=LASTFM_USER, to="soon")
    assert bad.json["error"] == 6


async def test_recent_tracks_errors(client: Client, lastfm: FakeLastfm) -> None:
    nobody = await get(client, lastfm, method="user.getRecentTracks", user="nobody")
    assert (nobody.status, nobody.json["error"]) == (404, 6)
    lastfm.private_users.add(LASTFM_USER)
    hidden = await get(client, lastfm, method="user.getRecentTracks", user=LASTFM_USER)
    assert (hidden.status, hidden.json) == (403, {"error": 17, "message": "Login: User required to be logged in"})


async def test_seeding_is_deterministic_and_merges(clock: FakeClock) -> None:
    one, two = FakeLastfm(clock=clock, wall=clock), FakeLastfm(clock=clock, wall=clock)
    one.seed(100)
    two.seed(100)
    assert one.history() == two.history()
    one.seed(5, newest=int(clock()) - 10 * 3_600, user="someone-else")
    assert one.user("SOMEONE-ELSE") == "someone-else"
    assert one.sessions[session_key_for("someone-else")] == "someone-else"
    times = [scrobble.timestamp for scrobble in one.history()]
    one.seed(3, newest=times[0] + 50, spacing=20)  # older and newer than some: merged in order
    merged = [scrobble.timestamp for scrobble in one.history()]
    assert merged == sorted(merged)
    assert len(merged) == 103


async def test_rate_limit_answers_error_29(client: Client, clock: FakeClock) -> None:
    async with FakeLastfm(clock=clock, wall=clock, limit=RateLimit(2, 1.0)) as lastfm:
        statuses = [(await get(client, lastfm, method="user.getInfo", user=LASTFM_USER)).status for _ in range(3)]
        assert statuses == [200, 200, 429]
        limited = lastfm.requests[-1]
        assert limited.outcome == "rate-limited"
        assert json.loads((await get(client, lastfm, method="user.getInfo", user=LASTFM_USER)).body)["error"] == 29
        clock.advance(1.0)
        assert (await get(client, lastfm, method="user.getInfo", user=LASTFM_USER)).status == 200


@pytest.mark.parametrize(("status", "code"), [(503, 11), (500, 8), (429, 29), (400, 6), (502, 16)])
async def test_injected_errors_have_lastfm_bodies(client: Client, lastfm: FakeLastfm, status: int, code: int) -> None:
    lastfm.inject("/2.0/", status=status, count=1)
    answer = await get(client, lastfm, method="user.getInfo", user=LASTFM_USER)
    assert (answer.status, answer.json["error"]) == (status, code)


async def test_faults_and_reset(client: Client, lastfm: FakeLastfm, clock: FakeClock) -> None:
    lastfm.faults.down = True
    down = await get(client, lastfm, method="user.getInfo", user=LASTFM_USER)
    assert (down.status, down.json["error"]) == (503, 11)
    lastfm.faults.down = False
    lastfm.faults.malformed = True
    assert (await get(client, lastfm, method="user.getInfo", user=LASTFM_USER)).body.startswith(b'{"data"')
    lastfm.faults.malformed = False
    await post(client, lastfm, signed(scrobble_form(clock, 1)))
    lastfm.set_now_playing(Scrobble(LASTFM_USER, "A", "T", int(clock())))
    lastfm.daily_limit_exceeded = True
    lastfm.reset()
    assert (lastfm.calls, lastfm.scrobbles, lastfm.requests, lastfm.now_playing) == ([], [], [], {})
    assert not lastfm.daily_limit_exceeded
    assert len(lastfm.history()) == 1  # the history stays


async def test_add_user(client: Client, lastfm: FakeLastfm, clock: FakeClock) -> None:
    key = lastfm.add_user("second", "pw")
    form = {**scrobble_form(clock, 1), "sk": key}
    assert (await post(client, lastfm, signed(form))).status == 200
    assert [scrobble.user for scrobble in lastfm.scrobbles] == ["second"]
    session: dict[str, Any] = (
        await post(client, lastfm, signed({"method": "auth.getMobileSession", "username": "second", "password": "pw"}))
    ).json
    assert session["session"]["key"] == key
