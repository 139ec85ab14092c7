"""A fake of MusicBrainz' web service (version 2, JSON): recording search, recording, artist and ISRC look-ups.

What it reproduces of the real service:

- ``GET /ws/2/recording?query=...&fmt=json``: a Lucene query (``recording:"..." AND artist:"..."``, also
  ``artistname``, ``arid``, ``isrc``, ``release``, ``reid``, ``rid``, ``dur``, ``tag``, ... see `lucene`);
  ``{"created", "count", "offset", "recordings": [...]}`` with ``score`` (the best result always scores 100),
  ``length`` (ms), ``artist-credit``, ``first-release-date``, ``releases``, ``isrcs`` and ``tags`` (when any);
  ``limit`` (25 by default, at most 100) and ``offset``;
- ``GET /ws/2/recording/{mbid}?inc=artists+isrcs+genres+tags+releases`` and ``GET /ws/2/artist/{mbid}?inc=genres+
  tags``: the fields each ``inc`` adds (``artist-credit``, ``isrcs``, ``genres`` with ``count`` and ``name``,
  ``tags``, ``releases``; the artist's ``country``, ``area``, ``life-span``); with ``inc=artists`` and
  ``genres``/``tags``, the credited artists carry their own genres and tags too; ``GET /ws/2/isrc/{isrc}``;
- the service's answers when things go wrong: 404 ``{"error": "Not Found", "help": ...}`` for an unknown id, 400
  for a malformed id or an unknown ``inc``, 403 for a request without a meaningful User-Agent (none, empty, or a
  generic library's default such as aiohttp's ``Python/3.x aiohttp/3.x``), 503 over one request a second (with
  ``Retry-After``), 503 "currently busy" when `faults.down` is set;
- without ``fmt=json`` (and no ``Accept: application/json``) the real service answers XML: here a bare XML
  document, so a client that forgot ``fmt=json`` fails to parse it, as it would against the real one.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
import math
import re
from typing import ClassVar

from aiohttp import web

from .base import JSON, FakeService, RateLimit, RecordedRequest, json_response
from .catalogue import COUNTRIES, Album, Artist, Credit, Track, Vote, make_mbid
from .lucene import Document, Index, QueryError, parse, ranked

DEFAULT_LIMIT = 25
MAX_LIMIT = 100
# User-Agents MusicBrainz treats as anonymous: generic HTTP libraries' defaults (and none at all).
ANONYMOUS_USER_AGENTS = re.compile(
    r"^\s*$|^(Python/[\d.]+\s+aiohttp|aiohttp|python-requests|Python-urllib|python-httpx|httpx|curl|Wget|"
    r"Go-http-client|Java|okhttp|node-fetch|axios|libwww-perl)\b",
    re.IGNORECASE,
)
RECORDING_INCS = frozenset(
    {
        "artists", "artist-credits", "releases", "release-groups", "isrcs", "tags", "genres", "ratings", "aliases",
        "annotation", "media", "discids", "url-rels", "artist-rels", "recording-rels", "release-rels", "work-rels",
        "user-tags", "user-genres", "user-ratings",
    }
)  # fmt: skip
ARTIST_INCS = frozenset(
    {
        "recordings", "releases", "release-groups", "works", "aliases", "annotation", "tags", "genres", "ratings",
        "url-rels", "artist-rels", "user-tags", "user-genres", "user-ratings", "media", "discids",
    }
)  # fmt: skip
ISRC_INCS = frozenset({"artists", "artist-credits", "releases", "isrcs", "tags", "genres", "aliases"})
_MBID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_ISRC = re.compile(r"^[A-Z]{2}[A-Z0-9]{3}[0-9]{7}$")
OFFICIAL = make_mbid("release-status", "Official")
XML_BODY = '<?xml version="1.0" encoding="UTF-8"?>\n<metadata/>'


class FakeMusicBrainz(FakeService):
    """MusicBrainz' web service: ``base_url`` is the server root (requests go to ``{base_url}/ws/2/...``)."""

    name: ClassVar[str] = "musicbrainz"
    default_limit: ClassVar[RateLimit] = RateLimit(1, 1.0)  # one request a second
    _documents: tuple[int, list[tuple[Track, Document]], Index] | None = None

    def _add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_get("/ws/2/recording", self._search)
        router.add_get("/ws/2/recording/", self._search)
        router.add_get("/ws/2/recording/{mbid}", self._recording)
        router.add_get("/ws/2/artist/{mbid}", self._artist)
        router.add_get("/ws/2/isrc/{isrc}", self._isrc)
        router.add_route("*", "/{tail:.*}", self._not_found)

    @property
    def help(self) -> str:
        """The ``help`` of every error body (the real one points at the service's documentation)."""
        return f"For usage, please see: {self.base_url}/development/mmd"

    # -- what the real service answers on its own ---------------------------------------------------------------
    def error_response(self, status: int, request: web.Request | None = None) -> web.Response:
        del request
        if status == 503:
            return json_response({"error": "The MusicBrainz web server is currently busy. Please try again later."},
                                 status=503)  # fmt: skip
        if status == 404:
            return self._error(404, "Not Found")
        return self._error(status, web.Response(status=status).reason or "Error")

    def _error(self, status: int, message: str) -> web.Response:
        return json_response({"error": message, "help": self.help}, status=status)

    async def _gate(self, request: web.Request, record: RecordedRequest) -> web.StreamResponse | None:
        if ANONYMOUS_USER_AGENTS.search(request.headers.get("User-Agent", "")):
            record.outcome = "forbidden"
            return json_response(
                {
                    "error": "Your requests are being throttled by MusicBrainz because the application you are "
                    "using has not identified itself. Please update your application, and see "
                    f"{self.base_url}/doc/XML_Web_Service/Rate_Limiting for more information."
                },
                status=403,
            )
        return None

    def rate_limited_response(self) -> web.StreamResponse:
        retry = max(1, math.ceil(self.window.retry_after(self.clock())))
        return json_response(
            {
                "error": "Your requests are exceeding the allowable rate limit. Please see "
                f"{self.base_url}/doc/XML_Web_Service/Rate_Limiting for more information."
            },
            status=503,
            headers={"Retry-After": str(retry)},
        )

    # -- handlers -------------------------------------------------------------------------------------------------
    async def _not_found(self, request: web.Request) -> web.Response:
        del request
        return self._error(404, "Not Found")

    @staticmethod
    def _wants_json(request: web.Request) -> bool:
        return request.query.get("fmt") == "json" or "application/json" in request.headers.get("Accept", "")

    def _incs(self, request: web.Request, allowed: frozenset[str], resource: str) -> set[str] | web.Response:
        incs = {inc for inc in re.split(r"[+\s]+", request.query.get("inc", "")) if inc}
        for inc in sorted(incs):
            if inc not in allowed:
                return self._error(400, f"{inc} is not a valid inc parameter for the {resource} resource.")
        return incs

    async def _search(self, request: web.Request) -> web.Response:
        if not self._wants_json(request):
            return _xml()
        text = request.query.get("query", "")
        if not text.strip():
            return self._error(400, "You must specify a query parameter.")
        try:
            query = parse(text)
        except QueryError:
            return self._error(400, f"Invalid query: {text}")
        limit = _int(request.query.get("limit"), DEFAULT_LIMIT)
        limit = DEFAULT_LIMIT if limit < 1 else min(limit, MAX_LIMIT)
        offset = max(0, _int(request.query.get("offset"), 0))
        documents = self.documents()
        assert self._documents is not None
        found = ranked(query, documents, "recording", self._documents[2])
        return json_response(
            {
                "created": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                "count": len(found),
                "offset": offset,
                "recordings": [self.search_json(track, score) for track, score in found[offset : offset + limit]],
            }
        )

    async def _recording(self, request: web.Request) -> web.Response:
        if not self._wants_json(request):
            return _xml()
        mbid = request.match_info["mbid"]
        if not _MBID.match(mbid):
            return self._error(400, "Invalid mbid.")
        incs = self._incs(request, RECORDING_INCS, "recording")
        if isinstance(incs, web.Response):
            return incs
        track = self.catalogue.by_mbid(mbid)
        if track is None:
            return self._error(404, "Not Found")
        return json_response(self.recording_json(track, incs))

    async def _artist(self, request: web.Request) -> web.Response:
        if not self._wants_json(request):
            return _xml()
        mbid = request.match_info["mbid"]
        if not _MBID.match(mbid):
            return self._error(400, "Invalid mbid.")
        incs = self._incs(request, ARTIST_INCS, "artist")
        if isinstance(incs, web.Response):
            return incs
        artist = self.catalogue.artist_by_mbid(mbid)
        if artist is None:
            return self._error(404, "Not Found")
        return json_response(self.artist_json(artist, incs, full=True))

    async def _isrc(self, request: web.Request) -> web.Response:
        if not self._wants_json(request):
            return _xml()
        isrc = request.match_info["isrc"].upper()
        if not _ISRC.match(isrc):
            return self._error(400, "Invalid isrc.")
        incs = self._incs(request, ISRC_INCS, "isrc")
        if isinstance(incs, web.Response):
            return incs
        tracks = [track for track in self.catalogue.known_by("musicbrainz") if isrc in track.musicbrainz_isrcs]
        if not tracks:
            return self._error(404, "Not Found")
        return json_response({"isrc": isrc, "recordings": [self.recording_json(track, incs) for track in tracks]})

    # -- search documents -----------------------------------------------------------------------------------------
    def documents(self) -> list[tuple[Track, Document]]:
        """Every recording MusicBrainz knows, with the fields its search indexes (built once per catalogue)."""
        if self._documents is None or self._documents[0] != id(self.catalogue):
            documents = [(track, _document(track)) for track in self.catalogue.known_by("musicbrainz")]
            self._documents = (id(self.catalogue), documents, Index([document for _, document in documents]))
        return self._documents[1]

    # -- JSON -----------------------------------------------------------------------------------------------------
    def search_json(self, track: Track, score: int) -> JSON:
        """A recording as the search lists it."""
        body: JSON = {
            "id": track.mbid,
            "score": score,
            "title": track.title,
            "length": track.length_ms,
        }
        if track.disambiguation:
            body["disambiguation"] = track.disambiguation
        body["video"] = None
        body["artist-credit"] = _search_credits(track.credits)
        body["first-release-date"] = track.release_date
        if track.album.mbid:
            body["releases"] = [self._search_release(track)]
        if track.musicbrainz_isrcs:
            body["isrcs"] = list(track.musicbrainz_isrcs)
        if track.tags:
            body["tags"] = [{"count": tag.count, "name": tag.name} for tag in track.tags]
        return body

    def _search_release(self, track: Track) -> JSON:
        album = track.album
        return {
            "id": album.mbid,
            "status-id": OFFICIAL,
            "count": 1,
            "title": album.title,
            "status": "Official",
            "artist-credit": _search_credits(album.credits),
            "release-group": _release_group(album),
            "date": album.date,
            "country": album.country,
            "release-events": [_release_event(album)],
            "track-count": album.track_count,
            "media": [
                {
                    "position": 1,
                    "format": "CD",
                    "track": [
                        {
                            "id": make_mbid("track", track.key),
                            "number": str(track.position),
                            "title": track.title,
                            "length": track.length_ms,
                        }
                    ],
                    "track-count": album.track_count,
                    "track-offset": track.position - 1,
                }
            ],
        }

    def recording_json(self, track: Track, incs: set[str]) -> JSON:
        """A recording as its look-up answers it with `incs`."""
        body: JSON = {
            "id": track.mbid,
            "title": track.title,
            "length": track.length_ms,
            "disambiguation": track.disambiguation,
            "video": False,
            "first-release-date": track.release_date,
        }
        if incs & {"artists", "artist-credits"}:
            body["artist-credit"] = [self._credit_json(credit, incs) for credit in track.credits]
        if "isrcs" in incs:
            body["isrcs"] = list(track.musicbrainz_isrcs)
        if "releases" in incs:
            body["releases"] = [self._release_json(track.album, incs)] if track.album.mbid else []
        if "genres" in incs:
            body["genres"] = _genres(track.genres)
        if "tags" in incs:
            body["tags"] = _tags(track.tags)
        return body

    def _credit_json(self, credit: Credit, incs: set[str]) -> JSON:
        return {
            "name": credit.credited,
            "joinphrase": credit.joinphrase,
            "artist": self.artist_json(credit.artist, incs & {"genres", "tags"}, full=False),
        }

    def _release_json(self, album: Album, incs: set[str]) -> JSON:
        body: JSON = {
            "id": album.mbid,
            "title": album.title,
            "status": "Official",
            "status-id": OFFICIAL,
            "date": album.date,
            "country": album.country,
            "release-events": [_release_event(album)],
            "barcode": album.upc,
            "packaging": None,
            "packaging-id": None,
            "quality": "normal",
            "disambiguation": "",
            "text-representation": {"language": "eng", "script": "Latn"},
        }
        if "artist-credits" in incs:
            body["artist-credit"] = [self._credit_json(credit, set()) for credit in album.credits]
        if "release-groups" in incs:
            body["release-group"] = _release_group(album)
        return body

    def artist_json(self, artist: Artist, incs: set[str], *, full: bool) -> JSON:
        """An artist as its look-up answers it (`full`), or as it is nested in an artist credit."""
        body: JSON = {
            "id": artist.mbid,
            "name": artist.name,
            "sort-name": artist.sort_name,
            "type": artist.type,
            "type-id": make_mbid("artist-type", artist.type),
            "disambiguation": artist.disambiguation,
            "country": artist.country,
        }
        if full:
            body |= {
                "gender": artist.gender.title() if artist.gender else None,
                "gender-id": make_mbid("gender", artist.gender) if artist.gender else None,
                "area": _area(artist.country),
                "begin-area": None,
                "end-area": None,
                "life-span": {"begin": artist.begin, "end": artist.end, "ended": artist.end is not None},
                "isnis": [],
                "ipis": [],
            }
        if "genres" in incs:
            body["genres"] = _genres(artist.genres)
        if "tags" in incs:
            body["tags"] = _tags(artist.tags)
        return body


def _document(track: Track) -> Document:
    """The fields of MusicBrainz' recording index, for one track."""
    names = [artist.name for artist in track.artists]
    credited = [credit.credited for credit in track.credits]
    return {
        "recording": [track.title],
        "recordingaccent": [track.title],
        "artist": [track.artist_credit, *names, *credited],
        "artistname": names,
        "creditname": credited,
        "arid": [artist.mbid for artist in track.artists if artist.mbid],
        "rid": [track.mbid or ""],
        "isrc": list(track.musicbrainz_isrcs),
        "release": [track.album.title],
        "reid": [track.album.mbid or ""],
        "rgid": [track.album.release_group_mbid or ""],
        "dur": [str(track.length_ms)],
        "qdur": [str(track.length_ms // 2000)],
        "tnum": [str(track.position)],
        "tracks": [str(track.album.track_count)],
        "tag": [tag.name for tag in track.tags],
        "country": [track.album.country],
        "date": [track.album.date],
        "firstreleasedate": [track.release_date],
        "status": ["official"],
        "primarytype": [track.album.primary_type],
        "video": ["false"],
    }


def _search_credits(parts: Sequence[Credit]) -> list[JSON]:
    found: list[JSON] = []
    for credit in parts:
        entry: JSON = {"name": credit.credited}
        if credit.joinphrase:
            entry["joinphrase"] = credit.joinphrase
        artist: JSON = {"id": credit.artist.mbid, "name": credit.artist.name, "sort-name": credit.artist.sort_name}
        if credit.artist.disambiguation:
            artist["disambiguation"] = credit.artist.disambiguation
        entry["artist"] = artist
        found.append(entry)
    return found


def _release_group(album: Album) -> JSON:
    return {
        "id": album.release_group_mbid,
        "type-id": make_mbid("release-group-type", album.primary_type),
        "primary-type-id": make_mbid("release-group-type", album.primary_type),
        "title": album.title,
        "primary-type": album.primary_type,
        "secondary-types": list(album.secondary_types),
    }


def _area(country: str | None) -> JSON | None:
    if not country or country not in COUNTRIES:
        return None
    return {
        "id": make_mbid("area", country),
        "name": COUNTRIES[country],
        "sort-name": COUNTRIES[country],
        "type": "Country",
        "type-id": make_mbid("area-type", "Country"),
        "iso-3166-1-codes": [country],
        "disambiguation": "",
    }


def _release_event(album: Album) -> JSON:
    return {"date": album.date, "area": _area(album.country)}


def _genres(genres: Sequence[Vote]) -> list[JSON]:
    return [
        {"id": vote.genre_id, "name": vote.name, "count": vote.count, "disambiguation": ""}
        for vote in sorted(genres, key=lambda vote: vote.name)
    ]


def _tags(tags: Sequence[Vote]) -> list[JSON]:
    return [{"name": vote.name, "count": vote.count} for vote in sorted(tags, key=lambda vote: vote.name)]


def _xml() -> web.Response:
    return web.Response(text=XML_BODY, content_type="application/xml", charset="utf-8")


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default
