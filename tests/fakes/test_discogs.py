"""The Discogs fake: token authentication, search and release shapes, the rate-limit headers and 429."""

from __future__ import annotations

from fakes import DISCOGS_TOKEN, FakeClock, FakeDiscogs, FakeServices

from .conftest import Answer, Client

AUTH = {"Authorization": f"Discogs token={DISCOGS_TOKEN}"}
RESULT_KEYS = {
    "country", "year", "format", "label", "type", "genre", "style", "id", "barcode", "user_data", "master_id",
    "master_url", "uri", "catno", "title", "thumb", "cover_image", "resource_url", "community", "format_quantity",
    "formats",
}  # fmt: skip


def _limits(answer: Answer) -> tuple[str, str, str]:
    headers = answer.headers
    return (
        headers["X-Discogs-Ratelimit"],
        headers["X-Discogs-Ratelimit-Used"],
        headers["X-Discogs-Ratelimit-Remaining"],
    )


async def test_search_needs_a_token(services: FakeServices, client: Client) -> None:
    url = f"{services.discogs.base_url}/database/search"
    params = {"type": "release", "artist": "Daft Punk", "track": "Get Lucky"}
    anonymous = await client.get(url, params=params)
    assert anonymous.status == 401
    assert anonymous.json == {"message": "You must authenticate to access this resource."}
    wrong = await client.get(url, params=params, headers={"Authorization": "Discogs token=nope"})
    assert wrong.status == 401
    assert (await client.get(url, params=params, headers=AUTH)).status == 200
    assert (await client.get(url, params={**params, "token": DISCOGS_TOKEN})).status == 200


async def test_key_and_secret_authenticate_too(clock: FakeClock, client: Client) -> None:
    async with FakeDiscogs(clock=clock, consumers=[("key1", "secret1")]) as discogs:
        url = f"{discogs.base_url}/database/search?q=nevermind"
        good = await client.get(url, headers={"Authorization": "Discogs key=key1, secret=secret1"})
        assert good.status == 200
        bad = await client.get(url, headers={"Authorization": "Discogs key=key1, secret=other"})
        assert bad.status == 401


async def test_search_results_in_discogs_shape(services: FakeServices, client: Client) -> None:
    answer = await client.get(
        f"{services.discogs.base_url}/database/search",
        params={"type": "release", "artist": "Daft Punk", "track": "Get Lucky"},
        headers=AUTH,
    )
    body = answer.json
    assert body["pagination"] == {"page": 1, "pages": 1, "per_page": 50, "items": 1, "urls": {}}
    (result,) = body["results"]
    assert set(result) == RESULT_KEYS
    release = services.catalogue.track("get-lucky").album.discogs
    assert release is not None
    assert result["id"] == release.id
    assert (result["title"], result["year"], result["type"]) == (
        "Daft Punk - Random Access Memories",
        "2013",
        "release",
    )
    assert (result["genre"], result["style"]) == (["Electronic", "Funk / Soul", "Pop"], ["Disco", "Nu-Disco"])
    assert (result["label"], result["catno"]) == (["Columbia"], "88883716862")
    assert result["resource_url"] == f"{services.discogs.base_url}/releases/{release.id}"
    cover = await client.get(result["cover_image"])
    assert (cover.status, cover.headers["Content-Type"], cover.body[:2]) == (200, "image/jpeg", b"\xff\xd8")


async def test_search_filters_and_discogs_spellings(services: FakeServices, client: Client) -> None:
    url = f"{services.discogs.base_url}/database/search"

    async def titles(**params: str) -> list[str]:
        body = (await client.get(url, params=params, headers=AUTH)).json
        return [result["title"] for result in body["results"]]

    assert await titles(type="release", artist="Phoenix", track="1901") == ["Phoenix (2) - Wolfgang Amadeus Phoenix"]
    assert await titles(type="release", artist="air", release_title="moon safari") == ["AIR - Moon Safari"]
    assert await titles(type="release", artist="Lizzo", track="Juice") == []  # Discogs does not know it
    assert await titles(type="release", q="Beyonce Crazy in Love") == ["Beyoncé - Dangerously In Love"]
    assert await titles(type="release", genre="Rock", year="1975") == ["Queen - A Night At The Opera"]
    assert await titles(artist="Nirvana") == ["Nirvana - Nevermind", "Nirvana - Nevermind"]  # release and master
    master = (await client.get(url, params={"type": "master", "artist": "Nirvana"}, headers=AUTH)).json["results"]
    assert master[0]["type"] == "master"


async def test_search_pages(clock: FakeClock, client: Client) -> None:
    from fakes import Catalogue  # noqa: PLC0415

    async with FakeDiscogs(Catalogue.synthetic(300), clock=clock) as discogs:
        url = f"{discogs.base_url}/database/search"
        body = (await client.get(url, params={"type": "release", "per_page": "10"}, headers=AUTH)).json
        assert body["pagination"]["items"] == 30
        assert body["pagination"]["pages"] == 3
        assert "page=2" in body["pagination"]["urls"]["next"]
        assert "token" not in body["pagination"]["urls"]["next"]
        last = (await client.get(body["pagination"]["urls"]["last"], headers=AUTH)).json
        assert last["pagination"]["page"] == 3
        assert "prev" in last["pagination"]["urls"]
        assert len(last["results"]) == 10


async def test_release_lookup(services: FakeServices, client: Client) -> None:
    album = services.catalogue.track("under-pressure").album
    assert album.discogs is not None
    answer = await client.get(f"{services.discogs.base_url}/releases/{album.discogs.id}")  # no token needed
    body = answer.json
    assert answer.status == 200
    assert (body["id"], body["title"], body["year"]) == (album.discogs.id, "Hot Space", 1982)
    assert (body["genres"], body["styles"]) == (["Rock", "Funk / Soul", "Pop"], ["Pop Rock", "Funk"])
    assert body["labels"][0]["name"] == "EMI"
    assert body["labels"][0]["catno"] == "EMA 797"
    assert body["images"][0]["type"] == "primary"
    assert body["images"][0]["uri"].startswith(services.discogs.base_url)
    assert body["released_formatted"] == "21 May 1982"
    (track,) = body["tracklist"]
    assert (track["title"], track["duration"]) == ("Under Pressure", "4:08")
    assert [(artist["name"], artist["join"]) for artist in track["artists"]] == [("Queen", "&"), ("David Bowie", "")]
    phoenix = services.catalogue.track("1901").album.discogs
    assert phoenix is not None
    body = (await client.get(f"{services.discogs.base_url}/releases/{phoenix.id}")).json
    assert body["artists"][0]["name"] == "Phoenix (2)"
    assert body["uri"].endswith(f"/release/{phoenix.id}-Phoenix-Wolfgang-Amadeus-Phoenix")


async def test_unknown_release(services: FakeServices, client: Client) -> None:
    answer = await client.get(f"{services.discogs.base_url}/releases/1")
    assert (answer.status, answer.json) == (404, {"message": "Release not found."})
    assert _limits(answer) == ("25", "1", "24")


async def test_sixty_requests_a_minute_with_the_headers_on_every_answer(
    services: FakeServices, client: Client, clock: FakeClock
) -> None:
    url = f"{services.discogs.base_url}/database/search?q=queen"
    for used in range(1, 61):
        answer = await client.get(url, headers=AUTH)
        assert answer.status == 200
        assert _limits(answer) == ("60", str(used), str(60 - used))
        clock.advance(0.5)
    over = await client.get(url, headers=AUTH)
    assert over.status == 429
    assert over.json == {"message": "You are making requests too quickly."}
    assert _limits(over) == ("60", "60", "0")
    clock.advance(30.0)  # the first request leaves the 60-second window
    again = await client.get(url, headers=AUTH)
    assert again.status == 200
    assert _limits(again) == ("60", "60", "0")


async def test_twenty_five_a_minute_without_a_token(services: FakeServices, client: Client) -> None:
    album = services.catalogue.track("karma-police").album
    assert album.discogs is not None
    url = f"{services.discogs.base_url}/releases/{album.discogs.id}"
    answers = [await client.get(url) for _ in range(26)]
    assert [answer.status for answer in answers] == [200] * 25 + [429]
    assert _limits(answers[-1]) == ("25", "25", "0")


async def test_faults_keep_the_headers(services: FakeServices, client: Client) -> None:
    services.discogs.faults.down = True
    down = await client.get(f"{services.discogs.base_url}/database/search?q=queen", headers=AUTH)
    assert down.status == 503
    assert "message" in down.json
    assert _limits(down)[0] == "60"
