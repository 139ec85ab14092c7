"""The Odesli fake: links from a platform URL (or platform and id), its errors, ten requests a minute."""

from __future__ import annotations

from fakes import FakeClock, FakeOdesli, FakeServices
from fakes.catalogue import WEB
from fakes.odesli import link_key

from .conftest import Client


async def test_links_from_a_deezer_url(services: FakeServices, client: Client) -> None:
    track = services.catalogue.track("harder-better-faster-stronger")
    url = WEB["deezer"].format(id=track.deezer_id)
    answer = await client.get(f"{services.odesli.base_url}/v1-alpha.1/links", params={"url": url})
    assert answer.status == 200
    body = answer.json
    assert set(body) == {"entityUniqueId", "userCountry", "pageUrl", "entitiesByUniqueId", "linksByPlatform"}
    assert body["entityUniqueId"] == "DEEZER_SONG::3135556"
    assert body["userCountry"] == "US"
    assert body["pageUrl"].endswith("/d/3135556")
    links = body["linksByPlatform"]
    assert set(links) == {"spotify", "appleMusic", "itunes", "deezer", "tidal", "youtube", "youtubeMusic",
                          "amazonMusic"}  # fmt: skip
    assert links["deezer"]["url"] == url
    assert links["spotify"]["entityUniqueId"] == f"SPOTIFY_SONG::{track.spotify_id}"
    assert links["spotify"]["nativeAppUriDesktop"] == f"spotify:track:{track.spotify_id}"
    entities = body["entitiesByUniqueId"]
    assert set(entities) == {link["entityUniqueId"] for link in links.values()}
    apple = entities[links["appleMusic"]["entityUniqueId"]]
    assert apple["platforms"] == ["appleMusic", "itunes"]
    assert (apple["type"], apple["title"], apple["artistName"], apple["apiProvider"]) == (
        "song",
        "Harder, Better, Faster, Stronger",
        "Daft Punk",
        "itunes",
    )
    thumbnail = await client.get(apple["thumbnailUrl"])
    assert thumbnail.body[:2] == b"\xff\xd8"


async def test_urls_are_recognised_whatever_their_decorations(services: FakeServices, client: Client) -> None:
    track = services.catalogue.track("blinding-lights")
    spotify = track.link("spotify")
    apple = track.link("appleMusic")
    assert spotify is not None
    assert apple is not None
    variants = [
        f"spotify:track:{track.spotify_id}",
        spotify.url.replace("/track/", "/intl-fr/track/") + "?si=abcdef",
        spotify.url + "/",
        apple.url.replace("/us/", "/gb/").replace("app=music", "app=itunes"),
        WEB["deezer"].format(id=track.deezer_id).replace("/track/", "/fr/track/") + "?utm_source=x",
    ]
    for variant in variants:
        body = (await client.get(f"{services.odesli.base_url}/v1-alpha.1/links", params={"url": variant})).json
        assert body["linksByPlatform"]["spotify"]["url"] == spotify.url, variant
    by_id = await client.get(
        f"{services.odesli.base_url}/v1-alpha.1/links",
        params={"platform": "spotify", "type": "song", "id": track.spotify_id or "", "userCountry": "gb"},
    )
    assert by_id.json["entityUniqueId"] == spotify.entity_unique_id
    assert by_id.json["userCountry"] == "GB"


async def test_not_every_platform_has_every_track(services: FakeServices, client: Client) -> None:
    teardrop = services.catalogue.track("teardrop")
    url = WEB["deezer"].format(id=teardrop.deezer_id)
    links = (await client.get(f"{services.odesli.base_url}/v1-alpha.1/links", params={"url": url})).json
    assert set(links["linksByPlatform"]) == {"spotify", "appleMusic", "itunes", "deezer", "youtube", "youtubeMusic",
                                             "amazonMusic"}  # fmt: skip


async def test_errors_in_odesli_shape(services: FakeServices, client: Client) -> None:
    base = f"{services.odesli.base_url}/v1-alpha.1/links"
    unsupported = await client.get(base, params={"url": "https://radio.example/track/1"})
    assert (unsupported.status, unsupported.json) == (400, {"statusCode": 400, "code": "could_not_resolve_entity"})
    unknown = await client.get(base, params={"url": WEB["deezer"].format(id=1)})
    assert (unknown.status, unknown.json) == (404, {"statusCode": 404, "code": "could_not_resolve_entity"})
    assert (await client.get(base)).status == 400
    assert (await client.get(base, params={"url": "not a url"})).status == 400
    assert (await client.get(f"{services.odesli.base_url}/v2/links")).status == 404


async def test_ten_requests_a_minute_without_a_key(services: FakeServices, client: Client, clock: FakeClock) -> None:
    url = f"{services.odesli.base_url}/v1-alpha.1/links"
    params = {"url": WEB["deezer"].format(id=3135556)}
    for _ in range(10):
        assert (await client.get(url, params=params)).status == 200
        clock.advance(1.0)
    over = await client.get(url, params=params)
    assert (over.status, over.json) == (429, {"statusCode": 429, "code": "too_many_requests"})
    clock.advance(50.0)  # the first request leaves the minute
    assert (await client.get(url, params=params)).status == 200


async def test_an_api_key_lifts_the_limit(clock: FakeClock, client: Client) -> None:
    async with FakeOdesli(clock=clock, api_keys=["k"]) as odesli:
        url = f"{odesli.base_url}/v1-alpha.1/links"
        params = {"url": WEB["deezer"].format(id=3135556)}
        for _ in range(15):
            assert (await client.get(url, params={**params, "key": "k"})).status == 200
        for _ in range(10):
            assert (await client.get(url, params={**params, "key": "unknown"})).status == 200
        assert (await client.get(url, params=params)).status == 429


def test_link_keys() -> None:
    assert link_key("spotify:track:abc") == ("spotify:track", "abc")
    assert link_key("spotify:album:abc") is None
    assert link_key("ftp://files.example/x") is None
    assert link_key("https://www.video.example/watch?v=xyz&t=3") == ("video.example", "xyz")
    assert link_key("https://shop.example/") is None
