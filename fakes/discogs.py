"""A fake of Discogs' API (v2): database search (token-authenticated) and release look-up.

What it reproduces of the real API:

- ``GET /database/search?q=&type=release&artist=&track=&release_title=...`` needs authentication:
  ``Authorization: Discogs token=...`` (or ``key=..., secret=...``, or the ``token`` query parameter); without it,
  401 ``{"message": "You must authenticate to access this resource."}``; the answer is ``{"pagination": {...},
  "results": [...]}`` with ``title`` ("Artist - Title"), ``year`` (a string), ``genre``, ``style``, ``label``,
  ``catno``, ``cover_image``, ``resource_url``; ``per_page`` (50 by default, at most 100) and ``page``;
- ``GET /releases/{id}`` (no authentication needed): ``genres``, ``styles``, ``year`` (a number), ``labels``,
  ``artists`` (Discogs' own spellings: "Phoenix (2)"), ``tracklist``, ``images``; 404 ``{"message": "Release not
  found."}``;
- rate limiting by a moving 60-second window: 60 requests a minute authenticated, 25 unauthenticated; every
  answer carries ``X-Discogs-Ratelimit``, ``X-Discogs-Ratelimit-Used`` and ``X-Discogs-Ratelimit-Remaining``;
  over the limit, 429 ``{"message": "You are making requests too quickly."}``.

Cover images point at the fake itself (``{base_url}/images/...``), which answers a tiny JPEG.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
import math
from typing import ClassVar
from urllib.parse import urlencode

from aiohttp import web

from .base import JSON, Clock, FakeService, RateLimit, RecordedRequest, json_response
from .catalogue import WEB, Album, Catalogue, Credit, DiscogsRelease, Track, credit_phrase, make_number
from .text import contains_words, slug, tokens

DEFAULT_TOKEN = "spinstack-fake-discogs-token"  # noqa: S105 - a fake's test token
AUTHENTICATED_LIMIT = 60
UNAUTHENTICATED_LIMIT = 25
DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 100
MUST_AUTHENTICATE: JSON = {"message": "You must authenticate to access this resource."}
TOO_QUICKLY: JSON = {"message": "You are making requests too quickly."}
SEARCH_FIELDS = ("artist", "release_title", "title", "track", "label", "genre", "style", "country", "year", "format",
                 "catno", "barcode", "q")  # fmt: skip
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class FakeDiscogs(FakeService):
    """Discogs' API: ``base_url`` is the root of ``/database/search`` and ``/releases/{id}``.

    `tokens` are the personal access tokens it accepts (``DEFAULT_TOKEN`` unless given), `consumers` the
    consumer key and secret pairs.
    """

    name: ClassVar[str] = "discogs"
    default_limit: ClassVar[RateLimit] = RateLimit(AUTHENTICATED_LIMIT, 60.0)
    _index: tuple[int, list[tuple[Album, Fields]], dict[str, set[int]]] | None = None

    def __init__(
        self,
        catalogue: Catalogue | None = None,
        *,
        clock: Clock | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        rate_limit: bool = True,
        limit: RateLimit | None = None,
        tokens: Iterable[str] = (DEFAULT_TOKEN,),
        consumers: Iterable[tuple[str, str]] = (),
    ) -> None:
        super().__init__(catalogue, clock=clock, host=host, port=port, rate_limit=rate_limit, limit=limit)
        self.tokens = set(tokens)
        self.consumers = set(consumers)

    def _add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_get("/", self._root)
        router.add_get("/database/search", self._search)
        router.add_get("/releases/{id}", self._release)
        router.add_route("*", "/{tail:.*}", self._not_found)

    # -- authentication -------------------------------------------------------------------------------------------
    def credentials(self, request: web.Request) -> tuple[bool, bool]:
        """(whether the request carries credentials, whether they are valid)."""
        fields: dict[str, str] = {}
        header = request.headers.get("Authorization", "")
        if header.startswith("Discogs "):
            for part in header.removeprefix("Discogs ").split(","):
                name, _, value = part.strip().partition("=")
                fields[name.strip()] = value.strip()
        for name in ("token", "key", "secret"):
            if name in request.query:
                fields.setdefault(name, request.query[name])
        if "token" in fields:
            return True, fields["token"] in self.tokens
        if "key" in fields:
            return True, (fields["key"], fields.get("secret", "")) in self.consumers
        return False, False

    def _limit_for(self, request: web.Request) -> int:
        _, valid = self.credentials(request)
        full = self.window.limit.requests
        return full if valid else min(full, round(full * UNAUTHENTICATED_LIMIT / AUTHENTICATED_LIMIT))

    # -- what the real service answers on its own ---------------------------------------------------------------
    def error_response(self, status: int, request: web.Request | None = None) -> web.Response:
        del request
        messages = {
            401: MUST_AUTHENTICATE["message"],
            404: "The requested resource was not found.",
            429: TOO_QUICKLY["message"],
            500: "An internal server error occurred. (Malformed query?)",
            503: "The service is temporarily unavailable. Please try again later.",
        }
        return json_response({"message": messages.get(status, web.Response(status=status).reason)}, status=status)

    async def _admit(self, request: web.Request) -> web.StreamResponse | None:
        if not self.rate_limit or self.window.admit(self.clock(), self._limit_for(request)):
            return None
        return self.rate_limited_response()

    def rate_limited_response(self) -> web.StreamResponse:
        retry = max(1, math.ceil(self.window.retry_after(self.clock())))
        return json_response(TOO_QUICKLY, status=429, headers={"Retry-After": str(retry)})

    def decorate(self, request: web.Request, response: web.StreamResponse) -> None:
        limit = self._limit_for(request)
        used = min(limit, self.window.used(self.clock()))
        response.headers["X-Discogs-Ratelimit"] = str(limit)
        response.headers["X-Discogs-Ratelimit-Used"] = str(used)
        response.headers["X-Discogs-Ratelimit-Remaining"] = str(limit - used)
        response.headers.setdefault("X-Discogs-Media-Type", "discogs.v2")

    async def _gate(self, request: web.Request, record: RecordedRequest) -> web.StreamResponse | None:
        given, valid = self.credentials(request)
        if given and not valid:
            record.outcome = "unauthorized"
            return json_response(MUST_AUTHENTICATE, status=401)
        return None

    # -- search -------------------------------------------------------------------------------------------------------
    def _indexed(self) -> tuple[list[tuple[Album, Fields]], dict[str, set[int]]]:
        if self._index is None or self._index[0] != id(self.catalogue):
            entries = [(album, _fields(album, tracks)) for album, tracks in self.catalogue.discogs_releases()]
            words: dict[str, set[int]] = {}
            for position, (_, fields) in enumerate(entries):
                for word in {word for values in fields.values() for word in values}:
                    words.setdefault(word, set()).add(position)
            self._index = (id(self.catalogue), entries, words)
        return self._index[1], self._index[2]

    def search(self, query: Mapping[str, str]) -> list[Album]:
        """The albums whose Discogs release the search finds for the `query` parameters."""
        entries, words = self._indexed()
        wanted = _wanted(query)
        every = [word for values in wanted.values() for word in values]
        positions: Iterable[int] = range(len(entries))
        if every:
            narrowed = set(words.get(every[0], ()))
            for word in every[1:]:
                narrowed &= words.get(word, set())
            positions = sorted(narrowed)
        return [entries[position][0] for position in positions if _matches(entries[position][1], wanted)]

    # -- handlers -------------------------------------------------------------------------------------------------
    async def _root(self, request: web.Request) -> web.Response:
        del request
        return json_response(
            {
                "hello": "Welcome to the Discogs API.",
                "api_version": "v2",
                "documentation_url": f"{self.base_url}/developers/",
                "statistics": {"releases": len(self.catalogue.discogs_releases()), "artists": 0, "labels": 0},
            }
        )

    async def _not_found(self, request: web.Request) -> web.Response:
        del request
        return self.error_response(404)

    async def _search(self, request: web.Request) -> web.Response:
        _, valid = self.credentials(request)
        if not valid:
            return json_response(MUST_AUTHENTICATE, status=401)
        per_page = _int(request.query.get("per_page"), DEFAULT_PER_PAGE)
        per_page = DEFAULT_PER_PAGE if per_page < 1 else min(per_page, MAX_PER_PAGE)
        page = max(1, _int(request.query.get("page"), 1))
        kind = request.query.get("type", "").lower()
        found: list[JSON] = []
        for album in self.search(request.query):
            if kind in {"", "release"}:
                found.append(self.search_release_json(album))
            if kind in {"", "master"} and album.discogs and album.discogs.master_id:
                found.append(self.search_master_json(album))
        pages = max(1, math.ceil(len(found) / per_page))
        pagination: JSON = {"page": page, "pages": pages, "per_page": per_page, "items": len(found), "urls": {}}
        query = {key: request.query[key] for key in request.query if key not in {"page", "token", "key", "secret"}}
        if page < pages:
            pagination["urls"] = {
                "last": self._page_url(query, pages, per_page),
                "next": self._page_url(query, page + 1, per_page),
            }
        if page > 1:
            pagination["urls"] |= {
                "first": self._page_url(query, 1, per_page),
                "prev": self._page_url(query, page - 1, per_page),
            }
        start = (page - 1) * per_page
        return json_response({"pagination": pagination, "results": found[start : start + per_page]})

    def _page_url(self, query: dict[str, str], page: int, per_page: int) -> str:
        return f"{self.base_url}/database/search?{urlencode({**query, 'per_page': per_page, 'page': page})}"

    async def _release(self, request: web.Request) -> web.Response:
        wanted = request.match_info["id"]
        held = self.catalogue.discogs_release(int(wanted)) if wanted.isdigit() else None
        if held is None:
            return json_response({"message": "Release not found."}, status=404)
        return json_response(self.release_json(*held))

    # -- JSON -----------------------------------------------------------------------------------------------------
    def _cover(self, release: DiscogsRelease) -> tuple[str, str]:
        """(the cover, its 150-pixel thumbnail)."""
        return f"{self.base_url}{release.cover_path}", f"{self.base_url}/images/discogs/R-150-{release.id}.jpg"

    def search_release_json(self, album: Album) -> JSON:
        """A release as the search lists it."""
        release = album.discogs
        assert release is not None
        cover, thumb = self._cover(release)
        title = f"{_artists_text(album.credits)} - {release.title}"
        return {
            "country": release.country,
            "year": str(release.year),
            "format": [release.format, *release.descriptions],
            "label": [release.label],
            "type": "release",
            "genre": list(release.genres),
            "style": list(release.styles),
            "id": release.id,
            "barcode": [album.upc],
            "user_data": {"in_wantlist": False, "in_collection": False},
            "master_id": release.master_id or 0,
            "master_url": f"{self.base_url}/masters/{release.master_id}" if release.master_id else None,
            "uri": f"/release/{release.id}-{slug(title)}",
            "catno": release.catno,
            "title": title,
            "thumb": thumb,
            "cover_image": cover,
            "resource_url": f"{self.base_url}/releases/{release.id}",
            "community": _community(release),
            "format_quantity": 1,
            "formats": [{"name": release.format, "qty": "1", "descriptions": list(release.descriptions)}],
        }

    def search_master_json(self, album: Album) -> JSON:
        """The release's master as the search lists it."""
        release = album.discogs
        assert release is not None
        assert release.master_id is not None
        cover, thumb = self._cover(release)
        title = f"{_artists_text(album.credits)} - {release.title}"
        return {
            "country": release.country,
            "year": str(release.year),
            "format": [release.format, *release.descriptions],
            "label": [release.label],
            "type": "master",
            "genre": list(release.genres),
            "style": list(release.styles),
            "id": release.master_id,
            "barcode": [album.upc],
            "user_data": {"in_wantlist": False, "in_collection": False},
            "master_id": release.master_id,
            "master_url": f"{self.base_url}/masters/{release.master_id}",
            "uri": f"/master/{release.master_id}-{slug(title)}",
            "catno": release.catno,
            "title": title,
            "thumb": thumb,
            "cover_image": cover,
            "resource_url": f"{self.base_url}/masters/{release.master_id}",
            "community": _community(release),
        }

    def _artists_json(self, parts: Iterable[Credit]) -> list[JSON]:
        found: list[JSON] = []
        for credit in parts:
            artist = credit.artist
            found.append(
                {
                    "name": artist.on_discogs,
                    "anv": "",
                    "join": credit.joinphrase.strip(),
                    "role": "",
                    "tracks": "",
                    "id": artist.discogs_id,
                    "resource_url": f"{self.base_url}/artists/{artist.discogs_id}",
                    "thumbnail_url": f"{self.base_url}/images/discogs/A-{artist.discogs_id}.jpg",
                }
            )
        return found

    def _track_json(self, album: Album, track: Track) -> JSON:
        body: JSON = {
            "position": str(track.position),
            "type_": "track",
            "title": track.title,
            "duration": f"{track.duration // 60}:{track.duration % 60:02d}",
        }
        if [credit.artist.key for credit in track.credits] != [credit.artist.key for credit in album.credits]:
            main: list[Credit] = []
            featured: list[Credit] = []
            for credit in track.credits:
                (featured if main and "feat" in main[-1].joinphrase.lower() else main).append(credit)
            if featured:
                main[-1] = Credit(main[-1].artist, "", main[-1].name)
            body["artists"] = self._artists_json(main)
            if featured:
                body["extraartists"] = [
                    {**entry, "role": "Featuring", "join": ""} for entry in self._artists_json(featured)
                ]
        return body

    def release_json(self, album: Album, tracks: list[Track]) -> JSON:
        """A release as its look-up answers it."""
        release = album.discogs
        assert release is not None
        cover, thumb = self._cover(release)
        artists = _artists_text(album.credits)
        label = {
            "name": release.label,
            "catno": release.catno,
            "entity_type": "1",
            "entity_type_name": "Label",
            "id": release.label_id,
            "resource_url": f"{self.base_url}/labels/{release.label_id}",
            "thumbnail_url": f"{self.base_url}/images/discogs/L-{release.label_id}.jpg",
        }
        return {
            "id": release.id,
            "status": "Accepted",
            "year": release.year,
            "resource_url": f"{self.base_url}/releases/{release.id}",
            "uri": WEB["discogs_release"].format(id=release.id, slug=slug(f"{artists} {release.title}")),
            "artists": self._artists_json(album.credits),
            "artists_sort": artists,
            "labels": [label],
            "series": [],
            "companies": [],
            "formats": [{"name": release.format, "qty": "1", "descriptions": list(release.descriptions)}],
            "data_quality": "Correct",
            "community": {
                **_community(release),
                "rating": {"count": release.id % 400 + 12, "average": round(3.5 + release.id % 15 / 10, 2)},
                "submitter": {"username": "spinstack", "resource_url": f"{self.base_url}/users/spinstack"},
                "contributors": [],
                "data_quality": "Correct",
                "status": "Accepted",
            },
            "format_quantity": 1,
            "date_added": "2011-06-01T11:34:52-07:00",
            "date_changed": "2024-02-18T03:21:07-07:00",
            "num_for_sale": release.id % 90,
            "lowest_price": round(4.5 + release.id % 3000 / 100, 2),
            "master_id": release.master_id,
            "master_url": f"{self.base_url}/masters/{release.master_id}" if release.master_id else None,
            "title": release.title,
            "country": release.country,
            "released": album.date,
            "notes": "",
            "released_formatted": _formatted(album.date),
            "identifiers": [{"type": "Barcode", "value": album.upc}],
            "videos": [],
            "genres": list(release.genres),
            "styles": list(release.styles),
            "tracklist": [self._track_json(album, track) for track in sorted(tracks, key=lambda track: track.position)],
            "extraartists": [],
            "images": [
                {
                    "type": "primary",
                    "uri": cover,
                    "resource_url": cover,
                    "uri150": thumb,
                    "width": 600,
                    "height": 600,
                }
            ],
            "thumb": thumb,
            "estimated_weight": 85 if release.format == "CD" else 230,
            "blocked_from_sale": False,
        }


def _artists_text(parts: Iterable[Credit]) -> str:
    """The artists as Discogs writes them in titles (its own spellings, joined)."""
    return credit_phrase(Credit(credit.artist, credit.joinphrase, credit.artist.on_discogs) for credit in parts)


def _community(release: DiscogsRelease) -> JSON:
    have = make_number("discogs-have", str(release.id), 50, 40_000)
    return {"want": have // 3 + 7, "have": have}


type Fields = dict[str, tuple[str, ...]]


def _fields(album: Album, tracks: list[Track]) -> Fields:
    """The folded words of each search parameter's field, for one release."""
    release = album.discogs
    assert release is not None
    artist_words = tuple(
        word
        for credit in album.credits
        for name in {credit.artist.name, credit.artist.on_discogs}
        for word in tokens(name)
    )
    track_artist_words = tuple(word for track in tracks for artist in track.artists for word in tokens(artist.name))
    title_words = tokens(release.title) + tokens(album.title)
    track_words = tuple(word for track in tracks for word in track.title_words)
    return {
        "artist": artist_words + track_artist_words,
        "release_title": title_words,
        "title": artist_words + title_words,
        "track": track_words,
        "label": tokens(release.label),
        "genre": tuple(word for genre in release.genres for word in tokens(genre)),
        "style": tuple(word for style in release.styles for word in tokens(style)),
        "country": tokens(release.country),
        "year": (str(release.year),),
        "format": tokens(" ".join((release.format, *release.descriptions))),
        "catno": tokens(release.catno),
        "barcode": (album.upc,),
        "q": artist_words + track_artist_words + title_words + track_words + tokens(release.label),
    }


def _wanted(query: Mapping[str, str]) -> dict[str, tuple[str, ...]]:
    """The folded words each search parameter asks for (parameters without words left out)."""
    wanted: dict[str, tuple[str, ...]] = {}
    for name in SEARCH_FIELDS:
        value = query.get(name)
        if value:
            words = (value.strip(),) if name in {"year", "barcode"} else tokens(value)
            if words:
                wanted[name] = words
    return wanted


def _matches(fields: Fields, wanted: Mapping[str, tuple[str, ...]]) -> bool:
    """Whether Discogs' search finds a release: every word of each parameter in its field, in any order."""
    return all(contains_words(fields[name], words) for name, words in wanted.items())


def _formatted(date: str) -> str:
    """``"2001-03-12"`` -> ``"12 Mar 2001"`` (Discogs' released_formatted)."""
    try:
        parsed = datetime.strptime(date, "%Y-%m-%d")  # noqa: DTZ007 - a calendar date, no time of day
    except ValueError:
        return date
    return f"{parsed.day:02d} {_MONTHS[parsed.month - 1]} {parsed.year}"


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default
