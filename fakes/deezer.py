"""A fake of Deezer's public API (no key, no login): track search, track look-up by id and by ISRC.

What it reproduces of the real API:

- ``GET /search?q=...`` (and ``/search/track``): the advanced syntax ``artist:"..." track:"..." album:"..."``
  (also ``label:``, ``dur_min:``, ``dur_max:``, ``bpm_min:``, ``bpm_max:``) and free words, matched without
  regard to case, accents or punctuation; ``limit`` (25 by default, at most 100) and ``index``; the answer
  ``{"data": [...], "total": N, "next": ...}``, ordered by rank; no result is ``{"data": [], "total": 0}``;
- ``GET /track/{id}`` and ``GET /track/isrc:{ISRC}`` (any case): the full track object (contributors, bpm, gain,
  release_date, ...); when several Deezer tracks share an ISRC, the look-up answers one of them, not necessarily
  the one search ranks first (here: the compilation's copy);
- errors are HTTP 200 with an ``{"error": {"type", "message", "code"}}`` body: ``DataException`` 800 "no data"
  for an unknown id or ISRC, ``MissingParameterException`` 501 and ``ParameterException`` 500 for a missing or
  empty ``q``, ``InvalidQueryException`` 600 for an unknown path, and, over the quota of 50 requests in 5
  seconds, ``Exception`` 4 "Quota limit exceeded";
- cover and artist pictures: ``/album/{id}/image`` and ``/artist/{id}/image`` redirect to a tiny JPEG.

When `faults.down` is set it answers like a load balancer in front of a dead service: HTTP 503 with an HTML page.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
import re
from typing import ClassVar
from urllib.parse import urlencode

from aiohttp import web

from .base import JSON, FakeService, RateLimit, json_response
from .catalogue import WEB, Album, Artist, DeezerCopy, Track, make_token
from .text import contains_words, tokens

QUOTA_EXCEEDED: JSON = {"error": {"type": "Exception", "message": "Quota limit exceeded", "code": 4}}
NO_DATA: JSON = {"error": {"type": "DataException", "message": "no data", "code": 800}}
MISSING_Q: JSON = {"error": {"type": "MissingParameterException", "message": "Missing parameters: q", "code": 501}}
EMPTY_Q: JSON = {"error": {"type": "ParameterException", "message": "empty parameter", "code": 500}}
SERVICE_BUSY: JSON = {"error": {"type": "Exception", "message": "Service busy", "code": 700}}

DEFAULT_LIMIT = 25
MAX_LIMIT = 100
PICTURE_SIZES = {"small": 56, "medium": 250, "big": 500, "xl": 1000}
AVAILABLE_COUNTRIES = ("BE", "CA", "CH", "DE", "DK", "ES", "FR", "GB", "IE", "IT", "NL", "NO", "SE", "US")

_QUERY_PART = re.compile(r'(\w+):"((?:[^"\\]|\\.)*)"|(\w+):(\S+)|"((?:[^"\\]|\\.)*)"|(\S+)')
TEXT_FIELDS = ("artist", "track", "album", "label")
_FIELDS = {*TEXT_FIELDS, "dur_min", "dur_max", "bpm_min", "bpm_max"}


def deezer_error(type_: str, message: str, code: int) -> JSON:
    """An error body as Deezer's API answers it (always with HTTP 200)."""
    return {"error": {"type": type_, "message": message, "code": code}}


@dataclass(frozen=True)
class SearchQuery:
    """A parsed ``q``: the advanced-syntax fields and the free words."""

    fields: dict[str, str]
    words: tuple[str, ...]

    @classmethod
    def parse(cls, q: str) -> SearchQuery:
        """Parse ``artist:"Daft Punk" track:"One More Time" remix``."""
        fields: dict[str, str] = {}
        words: list[str] = []
        for match in _QUERY_PART.finditer(q):
            quoted_field, quoted_value, field, value, _phrase, _word = match.groups()
            if quoted_field is not None and quoted_field.lower() in _FIELDS:
                fields[quoted_field.lower()] = quoted_value.replace('\\"', '"')
            elif field is not None and field.lower() in _FIELDS:
                fields[field.lower()] = value
            else:  # free words (an unknown field's name and value are words too)
                words.extend(tokens(match.group(0)))
        return cls(fields, tuple(words))


@dataclass(frozen=True)
class Entry:
    """One Deezer track: a catalogue track, or its copy on a compilation."""

    track: Track
    copy: DeezerCopy | None = None

    @property
    def id(self) -> int:
        """The Deezer track id."""
        if self.copy is not None:
            return self.copy.id
        assert self.track.deezer_id is not None
        return self.track.deezer_id

    @property
    def rank(self) -> int:
        """Deezer's popularity rank."""
        return self.copy.rank if self.copy is not None else self.track.deezer_rank

    @property
    def album_title(self) -> str:
        """The album it is on."""
        return self.copy.album_title if self.copy is not None else self.track.album.title

    @property
    def fields(self) -> dict[str, tuple[str, ...]]:
        """The folded words of each field the advanced syntax searches."""
        track = self.track
        return {
            "artist": tuple(word for artist in track.artists for word in tokens(artist.name)),
            "track": track.deezer_title_words,
            "album": tokens(self.album_title),
            "label": tokens(track.album.label),
        }

    @property
    def words(self) -> set[str]:
        """Every folded word of the fields."""
        return {word for words in self.fields.values() for word in words}

    def matches(self, query: SearchQuery) -> bool:
        """Whether Deezer's search finds this track for `query`."""
        track = self.track
        checks = self.fields
        artist_words, album_words = checks["artist"], checks["album"]
        for field, value in query.fields.items():
            if field in checks:
                wanted = tokens(value)
                if wanted and not contains_words(checks[field], wanted):
                    return False
            elif not _in_range(field, value, track):
                return False
        if query.words:
            return contains_words((*artist_words, *track.deezer_title_words, *album_words), query.words)
        return True


def _in_range(field: str, value: str, track: Track) -> bool:
    try:
        bound = float(value)
    except ValueError:
        return True
    measure = track.duration if field.startswith("dur") else track.bpm
    return measure >= bound if field.endswith("_min") else measure <= bound


class FakeDeezer(FakeService):
    """Deezer's public API: ``base_url`` is the root of ``/search`` and ``/track/{id}``."""

    name: ClassVar[str] = "deezer"
    default_limit: ClassVar[RateLimit] = RateLimit(50, 5.0)  # the published quota: 50 requests per 5 seconds
    _index: tuple[int, list[Entry], dict[str, set[int]]] | None = None

    def _add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_get("/search", self._search)
        router.add_get("/search/track", self._search)
        router.add_get("/track/{id}", self._track)
        router.add_get("/album/{id}/image", self._picture)
        router.add_get("/artist/{id}/image", self._picture)
        router.add_route("*", "/{tail:.*}", self._unknown)

    # -- what the real service answers on its own ---------------------------------------------------------------
    def error_response(self, status: int, request: web.Request | None = None) -> web.Response:
        del request
        reason = web.Response(status=status).reason
        return web.Response(
            status=status,
            text=f"<html><head><title>{status} {reason}</title></head><body><h1>{status} {reason}</h1></body></html>",
            content_type="text/html",
        )

    def rate_limited_response(self) -> web.StreamResponse:
        return json_response(QUOTA_EXCEEDED)

    # -- entries --------------------------------------------------------------------------------------------------
    def entries(self) -> list[Entry]:
        """Every Deezer track of the catalogue, compilation copies included (built once per catalogue)."""
        return self._indexed()[0]

    def _indexed(self) -> tuple[list[Entry], dict[str, set[int]]]:
        if self._index is None or self._index[0] != id(self.catalogue):
            entries: list[Entry] = []
            for track in self.catalogue.known_by("deezer"):
                entries.append(Entry(track))
                entries.extend(Entry(track, copy) for copy in track.deezer_copies)
            words: dict[str, set[int]] = {}
            for position, entry in enumerate(entries):
                for word in entry.words:
                    words.setdefault(word, set()).add(position)
            self._index = (id(self.catalogue), entries, words)
        return self._index[1], self._index[2]

    def search(self, query: SearchQuery) -> list[Entry]:
        """The entries Deezer's search finds for `query`, by rank."""
        entries, words = self._indexed()
        wanted = [*query.words, *(word for field in TEXT_FIELDS for word in tokens(query.fields.get(field, "")))]
        positions: Iterable[int] = range(len(entries))
        if wanted:
            narrowed = set(words.get(wanted[0], ()))
            for word in wanted[1:]:
                narrowed &= words.get(word, set())
            positions = sorted(narrowed)
        found = [entries[position] for position in positions if entries[position].matches(query)]
        return sorted(found, key=lambda entry: -entry.rank)

    # -- handlers -------------------------------------------------------------------------------------------------
    async def _search(self, request: web.Request) -> web.Response:
        if "q" not in request.query:
            return json_response(MISSING_Q)
        q = request.query["q"]
        if not q.strip():
            return json_response(EMPTY_Q)
        limit = _int(request.query.get("limit"), DEFAULT_LIMIT)
        limit = DEFAULT_LIMIT if limit <= 0 else min(limit, MAX_LIMIT)
        index = max(0, _int(request.query.get("index"), 0))
        found = self.search(SearchQuery.parse(q))
        body: JSON = {
            "data": [self.track_json(entry, full=False) for entry in found[index : index + limit]],
            "total": len(found),
        }
        if index > 0:
            body["prev"] = self._page_url(request, q, limit, max(0, index - limit))
        if index + limit < len(found):
            body["next"] = self._page_url(request, q, limit, index + limit)
        return json_response(body)

    def _page_url(self, request: web.Request, q: str, limit: int, index: int) -> str:
        return f"{self.base_url}{request.path}?{urlencode({'q': q, 'limit': limit, 'index': index})}"

    async def _track(self, request: web.Request) -> web.Response:
        wanted = request.match_info["id"]
        entry: Entry | None = None
        if wanted.lower().startswith("isrc:"):
            tracks = [track for track in self.catalogue.by_isrc(wanted[5:]) if track.deezer_id]
            if tracks:
                track = tracks[0]
                # Several Deezer tracks may share the ISRC: the look-up answers one of them (the last copy).
                entry = Entry(track, track.deezer_copies[-1] if track.deezer_copies else None)
        elif wanted.isdigit():
            held = self.catalogue.by_deezer_id(int(wanted))
            if held is not None:
                entry = Entry(*held)
        if entry is None:
            return json_response(NO_DATA)
        return json_response(self.track_json(entry, full=True))

    async def _picture(self, request: web.Request) -> web.Response:
        kind = "artist" if request.path.startswith("/artist/") else "cover"
        md5 = make_token(f"deezer-{kind}-picture", request.match_info["id"], 32, "0123456789abcdef")
        return web.Response(
            status=302, headers={"Location": f"{self.base_url}/images/{kind}/{md5}/120x120-000000-80-0-0.jpg"}
        )

    async def _unknown(self, request: web.Request) -> web.Response:
        return json_response(deezer_error("InvalidQueryException", f"Unknown path components : {request.path}", 600))

    # -- JSON -----------------------------------------------------------------------------------------------------
    def _pictures(self, kind: str, md5: str) -> dict[str, str]:
        field = "picture" if kind == "artist" else "cover"
        return {
            f"{field}_{size}": f"{self.base_url}/images/{kind}/{md5}/{pixels}x{pixels}-000000-80-0-0.jpg"
            for size, pixels in PICTURE_SIZES.items()
        }

    def artist_json(self, artist: Artist, *, full: bool, role: str | None = None) -> JSON:
        """An artist object as it is nested in a track (`full`: as ``/track`` has it, with share and radio)."""
        md5 = make_token("deezer-artist-picture", str(artist.deezer_id), 32, "0123456789abcdef")
        body: JSON = {
            "id": artist.deezer_id,
            "name": artist.name,
            "link": WEB["deezer_artist"].format(id=artist.deezer_id),
        }
        if full:
            body["share"] = f"{body['link']}?utm_source=deezer&utm_content=artist-{artist.deezer_id}&utm_medium=web"
        body["picture"] = f"{self.base_url}/artist/{artist.deezer_id}/image"
        body |= self._pictures("artist", md5)
        if full:
            body["radio"] = True
        body["tracklist"] = f"{self.base_url}/artist/{artist.deezer_id}/top?limit=50"
        body["type"] = "artist"
        if role is not None:
            body["role"] = role
        return body

    def album_json(self, album: Album, copy: DeezerCopy | None, *, full: bool) -> JSON:
        """An album object as it is nested in a track."""
        album_id = copy.album_id if copy is not None else album.deezer_id
        md5 = make_token("deezer-cover", str(album_id), 32, "0123456789abcdef") if copy else album.deezer_md5
        body: JSON = {"id": album_id, "title": copy.album_title if copy is not None else album.title}
        if full:
            body["link"] = WEB["deezer_album"].format(id=album_id)
        body["cover"] = f"{self.base_url}/album/{album_id}/image"
        body |= self._pictures("cover", md5)
        body["md5_image"] = md5
        if full:
            body["release_date"] = _full_date(album.date)
        body["tracklist"] = f"{self.base_url}/album/{album_id}/tracks"
        body["type"] = "album"
        return body

    def track_json(self, entry: Entry, *, full: bool) -> JSON:
        """A track as ``/search`` lists it, or (`full`) as ``/track/{id}`` answers it."""
        track = entry.track
        album = self.album_json(track.album, entry.copy, full=full)
        link = WEB["deezer"].format(id=entry.id)
        body: JSON = {
            "id": entry.id,
            "readable": True,
            "title": track.on_deezer,
            "title_short": track.deezer_title_short,
            "title_version": track.deezer_title_version,
            "isrc": track.isrc or "",
            "link": link,
        }
        if full:
            body["share"] = f"{link}?utm_source=deezer&utm_content=track-{entry.id}&utm_medium=web"
        body["duration"] = track.duration
        if full:
            body["track_position"] = track.position
            body["disk_number"] = 1
        body["rank"] = entry.rank
        if full:
            body["release_date"] = _full_date(track.album.date)
        body |= {
            "explicit_lyrics": track.explicit,
            "explicit_content_lyrics": 1 if track.explicit else 0,
            "explicit_content_cover": 0,
            "preview": f"{self.base_url}/preview/{make_token('preview', str(entry.id), 32, '0123456789abcdef')}.mp3",
        }
        if full:
            body["bpm"] = track.bpm
            body["gain"] = track.gain
            body["available_countries"] = list(AVAILABLE_COUNTRIES)
            body["contributors"] = [
                self.artist_json(credit.artist, full=True, role=role)
                for credit, role in zip(track.credits, _roles(track), strict=True)
            ]
        body["md5_image"] = album["md5_image"]
        body["artist"] = self.artist_json(track.main_artist, full=full)
        body["album"] = album
        body["type"] = "track"
        return body


def _roles(track: Track) -> list[str]:
    """Deezer's contributor roles: an artist credited after "feat." is Featured, every other one Main."""
    roles: list[str] = []
    featured = False
    for credit in track.credits:
        roles.append("Featured" if featured else "Main")
        featured = "feat" in credit.joinphrase.lower()
    return roles


def _full_date(date: str) -> str:
    """Deezer's dates are always ``YYYY-MM-DD``."""
    parts = date.split("-")
    return "-".join([*parts, "01", "01"][:3])


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default
