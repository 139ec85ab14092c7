"""The ListenBrainz fake, over HTTP: the token, the server's validation messages, the listens it keeps, playing
now, its fixed-window rate limit and headers, faults."""

from __future__ import annotations

from collections.abc import AsyncIterator
import json
from typing import Any

import pytest

from fakes import LISTENBRAINZ_TOKEN, FakeClock, FakeListenBrainz, RateLimit
from fakes.listenbrainz import LISTEN_MINIMUM_TS, MAX_LISTENS_PER_REQUEST

from .conftest import Answer, Client

AUTH = {"Authorization": f"Token {LISTENBRAINZ_TOKEN}"}
MBID = "98255a8c-017a-4bc7-8dd6-1fa36124572b"


@pytest.fixture
async def listenbrainz(clock: FakeClock) -> AsyncIterator[FakeListenBrainz]:
    async with FakeListenBrainz(clock=clock, wall=clock) as started:
        yield started


def listen(clock: FakeClock, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "listened_at": int(clock()) - 600,
        "track_metadata": {"artist_name": "Rick Astley", "track_name": "Never Gonna Give You Up"},
    }
    body.update(changes)
    return body


async def submit(
    client: Client, listenbrainz: FakeListenBrainz, body: Any, headers: dict[str, str] | None = None
) -> Answer:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    url = f"{listenbrainz.base_url}/1/submit-listens"
    async with client.session.post(url, data=data, headers=AUTH if headers is None else headers) as response:
        return Answer(response.status, response.headers, await response.read())


async def test_single_and_import_are_kept_in_order(
    client: Client, listenbrainz: FakeListenBrainz, clock: FakeClock
) -> None:
    single = await submit(client, listenbrainz, {"listen_type": "single", "payload": [listen(clock)]})
    assert (single.status, single.json) == (200, {"status": "ok"})
    payload = [listen(clock, listened_at=int(clock()) - 1_000 + index) for index in range(3)]
    assert (await submit(client, listenbrainz, {"listen_type": "import", "payload": payload})).status == 200
    assert [item.listen_type for item in listenbrainz.listens] == ["single", "import", "import", "import"]
    assert [item.user for item in listenbrainz.listens] == ["spinstack-listener"] * 4
    assert len(listenbrainz.accepted("import")) == 3
    assert listenbrainz.listens[0].additional_info == {}


async def test_playing_now(client: Client, listenbrainz: FakeListenBrainz, clock: FakeClock) -> None:
    body = {"listen_type": "playing_now", "payload": [{"track_metadata": listen(clock)["track_metadata"]}]}
    assert (await submit(client, listenbrainz, body)).status == 200
    assert listenbrainz.playing_now["spinstack-listener"]["track_name"] == "Never Gonna Give You Up"
    assert listenbrainz.accepted("playing_now")[0].listened_at is None
    with_time = {"listen_type": "playing_now", "payload": [listen(clock)]}
    answer = await submit(client, listenbrainz, with_time)
    assert answer.json["error"] == "JSON document must not contain listened_at while submitting playing_now."
    extra = {"listen_type": "playing_now", "payload": [{"track_metadata": {}, "x": 1}]}
    assert "may only contain track_metadata" in (await submit(client, listenbrainz, extra)).json["error"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "Cannot parse JSON document: "),
        ([], "Invalid JSON document submitted. Top level of JSON document should be a json object."),
        ({"listen_type": "single"}, "Invalid JSON document submitted."),
        ({"listen_type": "single", "payload": {}}, "The payload in the JSON document should be a list of listens."),
        ({"listen_type": "single", "payload": []}, "JSON document does not contain any listens"),
        ({"payload": ["L"]}, "Invalid JSON document submitted."),
        ({"listen_type": "later", "payload": ["L"]}, "JSON document requires a valid listen_type key."),
        (
            {"listen_type": "single", "payload": ["L", "L"]},
            "JSON document contains more than listen for a single/playing_now. It should contain only one.",
        ),
        ({"listen_type": "single", "payload": [None]}, "Listen is empty and cannot be validated."),
        (
            {"listen_type": "single", "payload": [{"track_metadata": {}}]},
            "JSON document must contain the key listened_at at the top level.",
        ),
        (
            {"listen_type": "single", "payload": [{"listened_at": "noon", "track_metadata": {}}]},
            "JSON document must contain an int value for listened_at.",
        ),
        (
            {"listen_type": "single", "payload": [{"listened_at": 1767225000, "track_metadata": {}, "x": 1}]},
            "JSON document may only contain listened_at and track_metadata top level keys",
        ),
        (
            {"listen_type": "single", "payload": [{"listened_at": 1000}]},
            (
                "Value for key listened_at is too low. listened_at timestamp should be greater than 1033410600 "
                "(2002-10-01 00:00:00 UTC)."
            ),
        ),
        (
            {"listen_type": "single", "payload": [{"listened_at": 1767225600 + 3601}]},
            "Value for key listened_at is too high.",
        ),
        (
            {"listen_type": "single", "payload": [{"listened_at": 1767225000}]},
            "JSON document does not contain required track_metadata.track_name.",
        ),
        (
            {"listen_type": "single", "payload": [{"listened_at": 1767225000, "track_metadata": {"track_name": 3}}]},
            "track_metadata.track_name must be a single string.",
        ),
        (
            {"listen_type": "single", "payload": [{"listened_at": 1767225000, "track_metadata": {"track_name": " "}}]},
            "required field track_metadata.track_name is empty.",
        ),
        (
            {"listen_type": "single", "payload": [{"listened_at": 1767225000, "track_metadata": {"track_name": "T"}}]},
            "JSON document does not contain required track_metadata.artist_name.",
        ),
    ],
)
async def test_the_servers_messages(client: Client, listenbrainz: FakeListenBrainz, body: Any, message: str) -> None:
    if isinstance(body, dict) and body.get("payload") == ["L"]:
        body = {
            **body,
            "payload": [{"listened_at": 1767225000, "track_metadata": {"artist_name": "A", "track_name": "T"}}],
        }
    if isinstance(body, dict) and body.get("payload") == ["L", "L"]:
        one = {"listened_at": 1767225000, "track_metadata": {"artist_name": "A", "track_name": "T"}}
        body = {**body, "payload": [one, one]}
    answer = await submit(client, listenbrainz, body)
    assert answer.status == 400
    assert answer.json["code"] == 400
    assert answer.json["error"].startswith(message)
    assert listenbrainz.listens == []


@pytest.mark.parametrize(
    ("info", "message"),
    [
        ({"recording_mbid": "nope"}, "recording_mbid MBID format invalid."),
        ({"artist_mbids": [MBID, "nope"]}, "artist_mbids MBID format invalid."),
        ({"isrc": "NUL\x00"}, "NUL\x00 contains a unicode null"),
    ],
)
async def test_additional_info_is_checked(
    client: Client, listenbrainz: FakeListenBrainz, clock: FakeClock, info: dict[str, Any], message: str
) -> None:
    item = listen(clock)
    item["track_metadata"]["additional_info"] = info
    answer = await submit(client, listenbrainz, {"listen_type": "single", "payload": [item]})
    assert (answer.status, answer.json["error"]) == (400, message)


async def test_empty_mbids_are_dropped(client: Client, listenbrainz: FakeListenBrainz, clock: FakeClock) -> None:
    item = listen(clock)
    item["track_metadata"]["additional_info"] = {
        "recording_mbid": "", "release_mbid": MBID, "artist_mbids": [], "work_mbids": ["", MBID],
    }  # fmt: skip
    assert (await submit(client, listenbrainz, {"listen_type": "single", "payload": [item]})).status == 200
    assert listenbrainz.listens[0].additional_info == {"release_mbid": MBID, "work_mbids": [MBID]}


async def test_sizes(client: Client, listenbrainz: FakeListenBrainz, clock: FakeClock) -> None:
    many = {"listen_type": "import", "payload": [listen(clock)] * (MAX_LISTENS_PER_REQUEST + 1)}
    assert "Too many listens" in (await submit(client, listenbrainz, many)).json["error"]
    huge = listen(clock)
    huge["track_metadata"]["release_name"] = "x" * 11_000
    answer = await submit(client, listenbrainz, {"listen_type": "single", "payload": [huge]})
    assert answer.json["error"] == "JSON document is too large. Each listens may not be larger than 10240 bytes."
    assert LISTEN_MINIMUM_TS == 1_033_410_600


async def test_authorization(client: Client, listenbrainz: FakeListenBrainz, clock: FakeClock) -> None:
    body = {"listen_type": "single", "payload": [listen(clock)]}
    none = await submit(client, listenbrainz, body, headers={})
    assert (none.status, none.json) == (401, {"code": 401, "error": "You need to provide an Authorization header."})
    odd = await submit(client, listenbrainz, body, headers={"Authorization": "Token"})
    assert odd.json["error"] == "Provided Authorization header is invalid."
    wrong = await submit(client, listenbrainz, body, headers={"Authorization": "Token nope"})
    assert (wrong.status, wrong.json["error"]) == (401, "Invalid authorization token.")


async def test_validate_token(client: Client, listenbrainz: FakeListenBrainz) -> None:
    url = f"{listenbrainz.base_url}/1/validate-token"
    valid = await client.get(url, headers=AUTH)
    assert valid.json == {"code": 200, "message": "Token valid.", "valid": True, "user_name": "spinstack-listener"}
    by_query = await client.get(url, params={"token": "nope"})
    assert by_query.json == {"code": 200, "message": "Token invalid.", "valid": False}
    missing = await client.get(url)
    assert (missing.status, missing.json["error"]) == (400, "You need to provide an Authorization token.")
    assert (await client.get(f"{listenbrainz.base_url}/1/nowhere")).status == 404


async def test_rate_limit_headers_and_429(client: Client, clock: FakeClock) -> None:
    async with FakeListenBrainz(clock=clock, wall=clock, limit=RateLimit(3, 10.0)) as listenbrainz:
        url = f"{listenbrainz.base_url}/1/validate-token"
        clock.advance(4.0)  # 4 s into a 10-second window
        answers = [await client.get(url, headers=AUTH) for _ in range(4)]
        assert [answer.status for answer in answers] == [200, 200, 200, 429]
        assert [answer.headers["X-RateLimit-Remaining"] for answer in answers] == ["2", "1", "0", "0"]
        assert {answer.headers["X-RateLimit-Limit"] for answer in answers} == {"3"}
        assert answers[0].headers["X-RateLimit-Reset-In"] == "6"
        assert answers[0].headers["X-RateLimit-Reset"] == str(int(clock()) + 6)
        assert answers[3].text.startswith("You have exceeded your rate limit.")
        assert listenbrainz.requests[-1].outcome == "rate-limited"
        tokenless = [await client.get(url) for _ in range(3)]  # their own, smaller window: 3 * 30 / 50 -> 2
        assert [answer.status for answer in tokenless] == [400, 400, 429]
        clock.advance(6.0)
        assert (await client.get(url, headers=AUTH)).headers["X-RateLimit-Remaining"] == "2"
        listenbrainz.rate_limit = False
        unlimited = await client.get(url, headers=AUTH)
        assert "X-RateLimit-Remaining" not in unlimited.headers


async def test_faults_and_reset(client: Client, listenbrainz: FakeListenBrainz, clock: FakeClock) -> None:
    listenbrainz.faults.down = True
    down = await submit(client, listenbrainz, {"listen_type": "single", "payload": [listen(clock)]})
    assert (down.status, down.json) == (503, {"code": 503, "error": "Service Unavailable"})
    listenbrainz.faults.down = False
    await submit(client, listenbrainz, {"listen_type": "single", "payload": [listen(clock)]})
    assert len(listenbrainz.listens) == 1
    listenbrainz.reset()
    assert (listenbrainz.listens, listenbrainz.requests, listenbrainz.playing_now) == ([], [], {})
