"""The MusicBrainz fake: Lucene search, look-ups with inc, errors, the User-Agent rule and one request a second."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from fakes import FakeClock, FakeServices, max_in_window

from .conftest import USER_AGENT, Answer, Client

SEARCH_KEYS = {"id", "score", "title", "length", "video", "artist-credit", "first-release-date", "releases", "isrcs",
               "tags"}  # fmt: skip


class MusicBrainz:
    """Requests to the fake on the test clock, one second apart (the service's limit)."""

    def __init__(self, services: FakeServices, client: Client, clock: FakeClock) -> None:
        self.base = f"{services.musicbrainz.base_url}/ws/2"
        self.client = client
        self.clock = clock

    async def get(self, path: str, **params: str) -> Answer:
        self.clock.advance(1.0)
        return await self.client.get(self.base + path, params={"fmt": "json", **params})

    async def search(self, query: str, **params: str) -> dict[str, Any]:
        answer = await self.get("/recording", query=query, **params)
        assert answer.status == 200, answer.text
        body: dict[str, Any] = answer.json
        return body


@pytest.fixture
def mb(services: FakeServices, client: Client, clock: FakeClock) -> MusicBrainz:
    return MusicBrainz(services, client, clock)


async def test_recording_search_in_musicbrainz_shape(mb: MusicBrainz) -> None:
    body = await mb.search('recording:"Harder, Better, Faster, Stronger" AND artist:"Daft Punk"')
    assert set(body) == {"created", "count", "offset", "recordings"}
    assert (body["count"], body["offset"]) == (1, 0)
    (recording,) = body["recordings"]
    assert set(recording) == SEARCH_KEYS
    assert recording["score"] == 100
    assert recording["length"] == 224_000
    assert recording["isrcs"] == ["GBDUW0000059"]
    assert recording["artist-credit"] == [
        {
            "name": "Daft Punk",
            "artist": {
                "id": recording["artist-credit"][0]["artist"]["id"],
                "name": "Daft Punk",
                "sort-name": "Daft Punk",
            },
        }
    ]
    (release,) = recording["releases"]
    assert release["title"] == "Discovery"
    assert release["release-group"]["primary-type"] == "Album"
    assert release["media"][0]["track"][0]["number"] == "4"


async def test_search_is_lucene(mb: MusicBrainz, services: FakeServices) -> None:
    catalogue = services.catalogue
    # Juxtaposed clauses are OR: more matching clauses rank higher; the best result always scores 100.
    body = await mb.search('recording:"Get Lucky" artist:"Daft Punk"')
    scores = [(recording["title"], recording["score"]) for recording in body["recordings"]]
    assert scores[0] == ("Get Lucky", 100)
    assert {title for title, _ in scores} == {"Get Lucky", "One More Time", "Digital Love", "Around the World",
                                              "Harder, Better, Faster, Stronger"}  # fmt: skip
    assert all(score < 100 for _, score in scores[1:])
    # A partial match is the best there is: it scores 100 too.
    partial = await mb.search('recording:"Lucky"')
    assert [(recording["title"], recording["score"]) for recording in partial["recordings"]] == [("Get Lucky", 100)]
    # Case and accents do not matter, except in the accent-sensitive fields.
    folded = await mb.search('recording:"HOPPIPOLLA" AND artist:"sigur ros"')
    assert [recording["title"] for recording in folded["recordings"]] == ["Hoppípolla"]
    assert (await mb.search('recordingaccent:"Hoppipolla"'))["count"] == 0
    assert (await mb.search('recordingaccent:"Hoppípolla"'))["count"] == 1
    # Fields, groups, NOT, ranges.
    bowie = catalogue.artist("david-bowie").mbid
    assert [r["title"] for r in (await mb.search(f"arid:{bowie}"))["recordings"]] == ["Under Pressure"]
    assert (await mb.search("isrc:gbum71029604"))["recordings"][0]["title"] == "Bohemian Rhapsody"
    grouped = await mb.search('artist:(queen OR "pink floyd") AND NOT recording:time')
    assert {r["title"] for r in grouped["recordings"]} == {"Bohemian Rhapsody", "Under Pressure", "Speak to Me",
                                                           "Breathe"}  # fmt: skip
    ranged = await mb.search('artist:"daft punk" AND dur:[300000 TO 330000]')
    assert {r["title"] for r in ranged["recordings"]} == {"One More Time", "Digital Love"}
    feat = await mb.search('recording:"crazy in love" AND artist:"Beyonce feat. Jay-Z"')
    assert feat["recordings"][0]["artist-credit"][1]["name"] == "JAY\u2010Z"


async def test_search_pages_and_misses(mb: MusicBrainz) -> None:
    body = await mb.search('artist:"daft punk"', limit="2", offset="1")
    assert (body["count"], body["offset"], len(body["recordings"])) == (5, 1, 2)
    assert (await mb.search('recording:"Shower Song" AND artist:"Lina"'))["count"] == 0
    demo = await mb.search('recording:"Kitchen Demo No. 3"')
    assert demo["recordings"][0]["title"] == "Kitchen Demo No. 3"
    assert "isrcs" not in demo["recordings"][0]
    assert "releases" in demo["recordings"][0]
    bad = await mb.get("/recording", query='recording:"unterminated')
    assert bad.status == 400


async def test_recording_lookup_adds_what_inc_asks(mb: MusicBrainz, services: FakeServices) -> None:
    track = services.catalogue.track("under-pressure")
    bare = (await mb.get(f"/recording/{track.mbid}")).json
    assert set(bare) == {"id", "title", "length", "disambiguation", "video", "first-release-date"}
    full = (await mb.get(f"/recording/{track.mbid}", inc="artists isrcs genres tags releases")).json
    assert full["isrcs"] == ["GBUM71029606"]
    assert [(credit["name"], credit["joinphrase"]) for credit in full["artist-credit"]] == [
        ("Queen", " & "),
        ("David Bowie", ""),
    ]
    bowie = full["artist-credit"][1]["artist"]
    assert (bowie["country"], bowie["type"], bowie["sort-name"]) == ("GB", "Person", "Bowie, David")
    assert {"name": "glam rock", "count": 14} in [{"name": g["name"], "count": g["count"]} for g in bowie["genres"]]
    assert full["genres"] == [
        {"id": full["genres"][0]["id"], "name": "pop rock", "count": 3, "disambiguation": ""},
        {"id": full["genres"][1]["id"], "name": "rock", "count": 8, "disambiguation": ""},
    ]
    assert full["tags"] == [{"name": "pop rock", "count": 3}, {"name": "rock", "count": 8}]
    assert full["releases"][0]["title"] == "Hot Space"
    # "+" in the query string is how clients usually join incs.
    mb.clock.advance(1.0)
    plus = await mb.client.get(f"{mb.base}/recording/{track.mbid}?inc=artists+isrcs&fmt=json")
    assert set(plus.json) >= {"artist-credit", "isrcs"}


async def test_artist_lookup_has_country_and_genres(mb: MusicBrainz, services: FakeServices) -> None:
    artist = services.catalogue.artist("sigur-ros")
    body = (await mb.get(f"/artist/{artist.mbid}", inc="genres+tags")).json
    assert (body["name"], body["country"], body["type"]) == ("Sigur Rós", "IS", "Group")
    assert body["area"]["name"] == "Iceland"
    assert body["area"]["iso-3166-1-codes"] == ["IS"]
    assert body["life-span"] == {"begin": "1994", "end": None, "ended": False}
    assert [(genre["name"], genre["count"]) for genre in body["genres"]] == [
        ("ambient", 8),
        ("dream pop", 4),
        ("post-rock", 20),
    ]
    assert {"name": "icelandic", "count": 6} in body["tags"]
    plain = (await mb.get(f"/artist/{artist.mbid}")).json
    assert "genres" not in plain
    assert "tags" not in plain


async def test_isrc_lookup(mb: MusicBrainz) -> None:
    body = (await mb.get("/isrc/GBDUW0000053", inc="artists")).json
    assert body["isrc"] == "GBDUW0000053"
    assert body["recordings"][0]["title"] == "One More Time"
    assert body["recordings"][0]["artist-credit"][0]["name"] == "Daft Punk"
    missing = await mb.get("/isrc/GBCFB1300301")  # "Says": MusicBrainz lacks its ISRC
    assert missing.status == 404


async def test_errors_in_musicbrainz_shape(mb: MusicBrainz, services: FakeServices) -> None:
    unknown = await mb.get("/recording/00000000-0000-4000-8000-000000000000")
    assert unknown.status == 404
    assert unknown.json["error"] == "Not Found"
    assert unknown.json["help"].startswith("For usage, please see: ")
    assert (await mb.get("/recording/not-an-mbid")).status == 400
    bad_inc = await mb.get(f"/recording/{services.catalogue.track('says').mbid}", inc="artists+nonsense")
    assert bad_inc.status == 400
    assert bad_inc.json["error"] == "nonsense is not a valid inc parameter for the recording resource."
    assert (await mb.get("/artist/00000000-0000-4000-8000-000000000000")).status == 404


async def test_without_fmt_json_the_answer_is_xml(services: FakeServices, client: Client, clock: FakeClock) -> None:
    answer = await client.get(f"{services.musicbrainz.base_url}/ws/2/recording", params={"query": "time"})
    assert answer.status == 200
    assert answer.headers["Content-Type"].startswith("application/xml")
    clock.advance(1.0)
    accepted = await client.get(
        f"{services.musicbrainz.base_url}/ws/2/artist/{services.catalogue.artist('queen').mbid}",
        headers={"Accept": "application/json"},
    )
    assert accepted.json["name"] == "Queen"


@pytest.mark.parametrize("agent", [None, "", "Python/3.14 aiohttp/3.14.5", "python-requests/2.32.3", "curl/8.5.0"])
async def test_a_request_without_a_meaningful_user_agent_is_forbidden(
    services: FakeServices, agent: str | None
) -> None:
    url = f"{services.musicbrainz.base_url}/ws/2/recording?query=time&fmt=json"
    skip = ("User-Agent",) if agent is None else ()
    headers = {"User-Agent": agent} if agent is not None else {}
    async with aiohttp.ClientSession(skip_auto_headers=skip) as session, session.get(url, headers=headers) as response:
        assert response.status == 403
        assert "has not identified itself" in (await response.json())["error"]
    assert services.musicbrainz.requests[-1].outcome == "forbidden"
    assert services.musicbrainz.requests[-1].user_agent == (agent or "")


async def test_one_request_a_second(services: FakeServices, client: Client, clock: FakeClock) -> None:
    url = f"{services.musicbrainz.base_url}/ws/2/recording?query=time&fmt=json"
    assert (await client.get(url)).status == 200
    clock.advance(0.5)
    refused = await client.get(url)
    assert refused.status == 503
    assert refused.headers["Retry-After"] == "1"
    assert "exceeding the allowable rate limit" in refused.json["error"]
    clock.advance(0.5)  # exactly one second after the first answered request
    assert (await client.get(url)).status == 200
    answered = [record for record in services.musicbrainz.requests if record.status == 200]
    assert max_in_window(answered, 1.0) == 1
    assert max_in_window(services.musicbrainz.requests, 1.0) == 2
    assert all("SpinStack" in record.user_agent for record in services.musicbrainz.requests)
    assert all(record.user_agent == USER_AGENT for record in services.musicbrainz.requests)


async def test_down_is_the_busy_answer(services: FakeServices, client: Client) -> None:
    services.musicbrainz.faults.down = True
    answer = await client.get(f"{services.musicbrainz.base_url}/ws/2/recording?query=time&fmt=json")
    assert answer.status == 503
    assert answer.json == {"error": "The MusicBrainz web server is currently busy. Please try again later."}
