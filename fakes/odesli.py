"""A fake of Odesli's (song.link's) public API, version 1-alpha.1: share links from a platform URL.

What it reproduces of the real API:

- ``GET /v1-alpha.1/links?url=<a track's URL on a platform>`` (or ``?platform=deezer&type=song&id=...``),
  ``userCountry`` (US by default), ``songIfSingle`` accepted, ``key`` (an API key: its requests are not limited);
  the answer ``{"entityUniqueId", "userCountry", "pageUrl", "entitiesByUniqueId": {...}, "linksByPlatform":
  {...}}``, each link with ``url`` and ``entityUniqueId``, each entity with ``id``, ``type``, ``title``,
  ``artistName``, ``thumbnailUrl``, ``apiProvider`` and ``platforms``; Spotify URIs (``spotify:track:...``) are
  accepted like URLs, and a URL is recognised whatever its locale segment or tracking parameters;
- errors are ``{"statusCode": N, "code": "..."}``: 400 ``could_not_resolve_entity`` for a URL of no supported
  platform, 404 ``could_not_resolve_entity`` for a track a supported platform does not have (Odesli does not know
  it), 429 over 10 requests a minute without a key.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar
from urllib.parse import parse_qs, urlsplit

from aiohttp import web

from .base import JSON, Clock, FakeService, RateLimit, json_response
from .catalogue import WEB, Catalogue, Link, Track

API_PATH = "/v1-alpha.1/links"
PAGE_LETTERS = {
    "spotify": "s",
    "appleMusic": "i",
    "itunes": "i",
    "deezer": "d",
    "tidal": "t",
    "youtube": "y",
    "youtubeMusic": "y",
    "amazonMusic": "a",
}
THUMBNAIL_SIZE = 640

type LinkKey = tuple[str, str]


def link_key(url: str) -> LinkKey | None:
    """What identifies a track's URL whatever its decorations: (host, id), the id being the ``i``, ``v`` or
    ``trackAsin`` parameter or else the last path segment; ``spotify:track:<id>`` URIs too. None: not a URL."""
    text = url.strip()
    if text.lower().startswith("spotify:"):
        parts = text.split(":")
        return ("spotify:track", parts[2]) if len(parts) == 3 and parts[1] == "track" and parts[2] else None
    try:
        parsed = urlsplit(text)
    except ValueError:
        return None
    if parsed.scheme not in {"http", "https"} or not parsed.hostname:
        return None
    host = parsed.hostname.lower()
    for prefix in ("www.", "geo.", "m."):
        host = host.removeprefix(prefix)
    query = parse_qs(parsed.query)
    for name in ("i", "v", "trackAsin"):
        if query.get(name):
            return host, query[name][0]
    segments = [segment for segment in parsed.path.split("/") if segment]
    return (host, segments[-1]) if segments else None


def odesli_error(status: int, code: str) -> web.Response:
    """An error as Odesli answers it."""
    return json_response({"statusCode": status, "code": code}, status=status)


class FakeOdesli(FakeService):
    """Odesli's API: ``base_url`` is the root of ``/v1-alpha.1/links``. `api_keys` are the keys it accepts."""

    name: ClassVar[str] = "odesli"
    default_limit: ClassVar[RateLimit] = RateLimit(10, 60.0)  # without an API key: 10 requests a minute
    _index: tuple[int, dict[LinkKey, tuple[Track, Link]], dict[tuple[str, str], tuple[Track, Link]]] | None = None

    def __init__(
        self,
        catalogue: Catalogue | None = None,
        *,
        clock: Clock | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        rate_limit: bool = True,
        limit: RateLimit | None = None,
        api_keys: Iterable[str] = (),
    ) -> None:
        super().__init__(catalogue, clock=clock, host=host, port=port, rate_limit=rate_limit, limit=limit)
        self.api_keys = set(api_keys)

    def _add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_get(API_PATH, self._links)
        router.add_route("*", "/{tail:.*}", self._not_found)

    # -- what the real service answers on its own ---------------------------------------------------------------
    def error_response(self, status: int, request: web.Request | None = None) -> web.Response:
        del request
        reason = web.Response(status=status).reason or "error"
        return odesli_error(status, reason.lower().replace(" ", "_"))

    def rate_limited_response(self) -> web.StreamResponse:
        return odesli_error(429, "too_many_requests")

    async def _admit(self, request: web.Request) -> web.StreamResponse | None:
        if request.query.get("key") in self.api_keys:
            return None
        return await super()._admit(request)

    # -- the index ------------------------------------------------------------------------------------------------
    def index(self) -> tuple[dict[LinkKey, tuple[Track, Link]], dict[tuple[str, str], tuple[Track, Link]]]:
        """The tracks by the key of each of their URLs, and by (platform, id) (built once per catalogue)."""
        if self._index is None or self._index[0] != id(self.catalogue):
            by_url: dict[LinkKey, tuple[Track, Link]] = {}
            by_id: dict[tuple[str, str], tuple[Track, Link]] = {}
            for track in self.catalogue.tracks:
                for link in track.links:
                    key = link_key(link.url)
                    if key is not None:
                        by_url[key] = (track, link)
                    if link.native_app_uri_desktop:
                        native = link_key(link.native_app_uri_desktop)
                        if native is not None:
                            by_url[native] = (track, link)
                    by_id[(link.platform, link.id)] = (track, link)
            self._index = (id(self.catalogue), by_url, by_id)
        return self._index[1], self._index[2]

    @staticmethod
    def supported_hosts() -> set[str]:
        """The hosts of the platforms Odesli reads URLs of."""
        hosts = {"spotify:track"}
        for platform in PAGE_LETTERS:
            key = link_key(WEB[platform].format(id="0", album="0"))
            if key is not None:
                hosts.add(key[0])
        return hosts

    # -- handlers -------------------------------------------------------------------------------------------------
    async def _not_found(self, request: web.Request) -> web.Response:
        del request
        return odesli_error(404, "not_found")

    async def _links(self, request: web.Request) -> web.Response:
        by_url, by_id = self.index()
        country = request.query.get("userCountry", "US").upper()
        found: tuple[Track, Link] | None
        if "url" in request.query:
            key = link_key(request.query["url"])
            if key is None or key[0] not in self.supported_hosts():
                return odesli_error(400, "could_not_resolve_entity")
            found = by_url.get(key)
        elif {"platform", "id"} <= set(request.query):
            if request.query.get("type", "song") != "song":
                return odesli_error(404, "could_not_resolve_entity")
            found = by_id.get((request.query["platform"], request.query["id"]))
        else:
            return odesli_error(400, "could_not_resolve_entity")
        if found is None:
            return odesli_error(404, "could_not_resolve_entity")
        return json_response(self.links_json(*found, country=country))

    # -- JSON -----------------------------------------------------------------------------------------------------
    def links_json(self, track: Track, asked: Link, *, country: str = "US") -> JSON:
        """What ``/links`` answers for `track` asked for by its `asked` link."""
        entities: JSON = {}
        for link in track.links:
            entity = entities.setdefault(
                link.entity_unique_id,
                {
                    "id": link.id,
                    "type": "song",
                    "title": track.on_deezer if link.provider == "deezer" else track.title,
                    "artistName": track.artist_credit,
                    "thumbnailUrl": f"{self.base_url}/images/odesli/{link.provider}/{link.id}.jpg",
                    "thumbnailWidth": THUMBNAIL_SIZE,
                    "thumbnailHeight": THUMBNAIL_SIZE,
                    "apiProvider": link.provider,
                    "platforms": [],
                },
            )
            entity["platforms"].append(link.platform)
        links: JSON = {}
        for link in track.links:
            entry: JSON = {"country": country, "url": link.url, "entityUniqueId": link.entity_unique_id}
            if link.native_app_uri_desktop:
                entry["nativeAppUriDesktop"] = link.native_app_uri_desktop
            links[link.platform] = entry
        return {
            "entityUniqueId": asked.entity_unique_id,
            "userCountry": country,
            "pageUrl": WEB["songlink"].format(letter=PAGE_LETTERS.get(asked.platform, "s"), id=asked.id),
            "entitiesByUniqueId": entities,
            "linksByPlatform": links,
        }
