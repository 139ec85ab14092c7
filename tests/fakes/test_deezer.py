"""The Deezer fake: search and track shapes, look-ups by id and ISRC, errors inside HTTP 200, the quota."""

from __future__ import annotations

from fakes import FakeClock, FakeServices

from .conftest import Client

SEARCH_ITEM_KEYS = {
    "id", "readable", "title", "title_short", "title_version", "isrc", "link", "duration", "rank", "explicit_lyrics",
    "explicit_content_lyrics", "explicit_content_cover", "preview", "md5_image", "artist", "album", "type",
}  # fmt: skip
TRACK_EXTRA_KEYS = {
    "share", "track_position", "disk_number", "release_date", "bpm", "gain", "available_countries", "contributors",
}  # fmt: skip
ARTIST_KEYS = {
    "id", "name", "link", "picture", "picture_small", "picture_medium", "picture_big", "picture_xl", "tracklist",
    "type",
}  # fmt: skip
ALBUM_KEYS = {
    "id", "title", "cover", "cover_small", "cover_medium", "cover_big", "cover_xl", "md5_image", "tracklist", "type",
}  # fmt: skip


async def test_advanced_search_finds_a_track_in_deezer_shape(services: FakeServices, client: Client) -> None:
    answer = await client.get(
        f"{services.deezer.base_url}/search",
        params={"q": 'artist:"Daft Punk" track:"Harder, Better, Faster, Stronger"'},
    )
    assert answer.status == 200
    assert answer.headers["Content-Type"] == "application/json; charset=utf-8"
    body = answer.json
    assert set(body) == {"data", "total"}
    assert body["total"] == 1
    (item,) = body["data"]
    assert set(item) == SEARCH_ITEM_KEYS
    assert (item["id"], item["title"], item["isrc"], item["duration"]) == (
        3135556,
        "Harder, Better, Faster, Stronger",
        "GBDUW0000059",
        224,
    )
    assert set(item["artist"]) == ARTIST_KEYS
    assert item["artist"]["name"] == "Daft Punk"
    assert set(item["album"]) == ALBUM_KEYS
    assert item["album"]["title"] == "Discovery"
    assert item["type"] == "track"


async def test_search_ignores_case_and_accents_but_not_extra_words(services: FakeServices, client: Client) -> None:
    base = services.deezer.base_url
    found = (await client.get(f"{base}/search", params={"q": 'artist:"beyonce" track:"crazy in love"'})).json
    assert [item["title"] for item in found["data"]] == ["Crazy In Love (feat. Jay-Z)"]
    assert found["data"][0]["artist"]["name"] == "Beyoncé"
    # What Sonos reports, "feat." included, is not the artist's name: nothing is found, as on the real API.
    sonos = (
        await client.get(f"{base}/search", params={"q": 'artist:"Beyonce feat. Jay-Z" track:"Crazy In Love"'})
    ).json
    assert sonos == {"data": [], "total": 0}
    free = (await client.get(f"{base}/search", params={"q": "sigur ros hoppipolla"})).json
    assert [item["title"] for item in free["data"]] == ["Hoppípolla"]


async def test_search_pages_by_rank(services: FakeServices, client: Client) -> None:
    base = services.deezer.base_url
    first = (await client.get(f"{base}/search", params={"q": 'artist:"daft punk"', "limit": "2"})).json
    assert first["total"] == 5
    assert len(first["data"]) == 2
    assert "prev" not in first
    assert first["next"].startswith(f"{base}/search?")
    assert "index=2" in first["next"]
    ranks = [item["rank"] for item in first["data"]]
    assert ranks == sorted(ranks, reverse=True)
    last = (await client.get(first["next"].replace("index=2", "index=4"))).json
    assert len(last["data"]) == 1
    assert "next" not in last
    assert "index=2" in last["prev"]


async def test_unknown_tracks_and_bad_queries(services: FakeServices, client: Client) -> None:
    base = services.deezer.base_url
    nothing = await client.get(f"{base}/search", params={"q": 'artist:"Lina & the Neighbours"'})
    assert (nothing.status, nothing.json) == (200, {"data": [], "total": 0})
    missing = await client.get(f"{base}/search")
    assert (missing.status, missing.json["error"]["code"]) == (200, 501)
    empty = await client.get(f"{base}/search", params={"q": " "})
    assert empty.json == {"error": {"type": "ParameterException", "message": "empty parameter", "code": 500}}
    unknown = await client.get(f"{base}/playlist/nope/tracks")
    assert unknown.json["error"]["type"] == "InvalidQueryException"
    assert unknown.json["error"]["code"] == 600


async def test_track_by_id_is_the_full_track(services: FakeServices, client: Client) -> None:
    lucky = services.catalogue.track("get-lucky")
    answer = await client.get(f"{services.deezer.base_url}/track/{lucky.deezer_id}")
    body = answer.json
    assert set(body) == SEARCH_ITEM_KEYS | TRACK_EXTRA_KEYS
    assert body["title"] == "Get Lucky (feat. Pharrell Williams)"
    assert body["title_short"] == "Get Lucky"
    assert body["release_date"] == "2013-05-17"
    assert [(artist["name"], artist["role"]) for artist in body["contributors"]] == [
        ("Daft Punk", "Main"),
        ("Pharrell Williams", "Featured"),
    ]
    assert body["artist"]["id"] == 27
    assert {"link", "release_date"} <= set(body["album"])
    duet = (await client.get(f"{services.deezer.base_url}/track/isrc:GBUM71029606")).json
    assert [artist["role"] for artist in duet["contributors"]] == ["Main", "Main"]


async def test_track_by_isrc_in_any_case(services: FakeServices, client: Client) -> None:
    base = services.deezer.base_url
    teardrop = services.catalogue.track("teardrop")
    body = (await client.get(f"{base}/track/isrc:{(teardrop.isrc or '').lower()}")).json
    assert (body["id"], body["isrc"]) == (teardrop.deezer_id, teardrop.isrc)
    # Two Deezer tracks share Bohemian Rhapsody's ISRC: the look-up answers the compilation's, not search's top hit.
    rhapsody = services.catalogue.track("bohemian-rhapsody")
    by_isrc = (await client.get(f"{base}/track/isrc:{rhapsody.isrc}")).json
    searched = (await client.get(f"{base}/search", params={"q": 'artist:"queen" track:"bohemian rhapsody"'})).json
    assert [item["id"] for item in searched["data"]] == [rhapsody.deezer_id, rhapsody.deezer_copies[0].id]
    assert by_isrc["id"] == rhapsody.deezer_copies[0].id
    assert by_isrc["album"]["title"] == "Greatest Hits (Remastered 2011)"
    assert by_isrc["isrc"] == rhapsody.isrc


async def test_unknown_ids_are_no_data_inside_http_200(services: FakeServices, client: Client) -> None:
    base = services.deezer.base_url
    no_data = {"error": {"type": "DataException", "message": "no data", "code": 800}}
    for path in ("/track/1", "/track/isrc:ZZZZZ0000000", "/track/abc"):
        answer = await client.get(base + path)
        assert (answer.status, answer.json) == (200, no_data), path


async def test_only_musicbrainz_and_nobody_tracks_are_not_on_deezer(services: FakeServices, client: Client) -> None:
    for key in ("kitchen-demo", "shower-song"):
        track = services.catalogue.track(key)
        q = f'artist:"{track.reported_artist}" track:"{track.reported_title}"'
        assert (await client.get(f"{services.deezer.base_url}/search", params={"q": q})).json["total"] == 0


async def test_the_quota_is_50_requests_in_5_seconds(services: FakeServices, client: Client, clock: FakeClock) -> None:
    url = f"{services.deezer.base_url}/track/3135556"
    for _ in range(50):
        assert (await client.get(url)).json["id"] == 3135556
        clock.advance(0.09)
    over = await client.get(url)
    assert over.status == 200
    assert over.json == {"error": {"type": "Exception", "message": "Quota limit exceeded", "code": 4}}
    assert services.deezer.requests[-1].outcome == "rate-limited"
    clock.advance(0.6)  # the first request leaves the 5-second window
    assert (await client.get(url)).json["id"] == 3135556
    services.deezer.rate_limit = False
    for _ in range(60):
        assert "error" not in (await client.get(url)).json


async def test_pictures_redirect_to_an_image(services: FakeServices, client: Client) -> None:
    body = (await client.get(f"{services.deezer.base_url}/track/3135556")).json
    redirect = await client.get(body["album"]["cover"])
    assert redirect.status == 302
    image = await client.get(redirect.headers["Location"])
    assert image.headers["Content-Type"] == "image/jpeg"
    assert image.body[:2] == b"\xff\xd8"
    assert image.body[-2:] == b"\xff\xd9"
    medium = await client.get(body["artist"]["picture_medium"])
    assert (medium.status, medium.body[:2]) == (200, b"\xff\xd8")
