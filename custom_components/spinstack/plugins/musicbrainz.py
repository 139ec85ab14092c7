"""MusicBrainz (web service v2, JSON, one request a second, a User-Agent naming SpinStack): recordings and artists.

Finding the recording: its MBID when known; else by ISRC (``/ws/2/isrc/{isrc}``) when the ISRC is known; else
(or when the ISRC gives nothing that matches) a recording search ``recording:"..." AND artist:"..."`` (a second
search with the first artist alone when the reported artist names several). Then the recording's look-up with
``inc=artists+isrcs+genres+tags`` gives every credited artist, its ISRCs, genres and tags; each artist's country
and genres come from the credit when MusicBrainz nests them there, else from the artist's look-up
(``inc=genres+tags``), kept a day in memory since a backfill meets the same artists again and again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
import re
from typing import Any, Final

from . import endpoints
from .base import Enrichment, Options, OptionSpec, Plugin, PluginContext, PluginError, TrackQuery
from .cache import TtlCache
from .http import NotFound, get_json, json_dict, json_list
from .matching import Candidate, choose, main_artist, search_artist, split_artists, strip_featured

SERVICE: Final = endpoints.MUSICBRAINZ
SEARCH_LIMIT: Final = 25
RECORDING_INC: Final = "artists+isrcs+genres+tags"
ARTIST_INC: Final = "genres+tags"
ARTIST_CACHE_SECONDS: Final = 86_400.0
_MBID: Final = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_ISRC: Final = re.compile(r"^[A-Z]{2}[A-Z0-9]{3}[0-9]{7}$")


@dataclass(frozen=True, slots=True)
class ArtistInfo:
    """What a recording's enrichment takes from an artist."""

    mbid: str
    name: str
    country: str | None
    genres: tuple[str, ...]
    tags: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Recording:
    """A recording as the search lists it (the fields matching and the ISRC fallback read)."""

    mbid: str
    title: str
    artists: tuple[str, ...]
    credit: str
    duration: float | None
    isrcs: tuple[str, ...]
    releases: tuple[str, ...]


def lucene_phrase(text: str) -> str:
    """`text` as a quoted Lucene phrase."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


async def find_recording(context: PluginContext, query: TrackQuery) -> Recording | None:
    """The recording the query is (None: MusicBrainz does not have it)."""
    isrc = (query.isrc or "").strip().upper()
    if _ISRC.match(isrc):
        recordings = await recordings_by_isrc(context, isrc)
        chosen = _choose(recordings, query)
        if chosen is not None:
            return chosen
    artists = [search_artist(query.artist)]
    if len(split_artists(query.artist)) > 1 and main_artist(query.artist) != artists[0]:
        artists.append(main_artist(query.artist))
    for artist in artists:
        chosen = _choose(await search_recordings(context, artist, strip_featured(query.title)), query)
        if chosen is not None:
            return chosen
    return None


async def search_recordings(context: PluginContext, artist: str, title: str) -> list[Recording]:
    """MusicBrainz' recording search for the artist and title, in its order."""
    lucene = f"recording:{lucene_phrase(title)} AND artist:{lucene_phrase(artist)}"
    try:
        data = await get_json(
            context, SERVICE, "/ws/2/recording", params={"query": lucene, "fmt": "json", "limit": SEARCH_LIMIT}
        )
    except NotFound:
        return []
    return _recordings(data)


async def recordings_by_isrc(context: PluginContext, isrc: str) -> list[Recording]:
    """The recordings holding `isrc`."""
    try:
        data = await get_json(context, SERVICE, f"/ws/2/isrc/{isrc}", params={"fmt": "json", "inc": "artists"})
    except NotFound:
        return []
    return _recordings(data)


async def recording(context: PluginContext, mbid: str) -> dict[str, Any] | None:
    """The recording's look-up with artists, ISRCs, genres and tags (None: no such recording)."""
    if not _MBID.match(mbid):
        return None
    try:
        data = await get_json(context, SERVICE, f"/ws/2/recording/{mbid}", params={"fmt": "json", "inc": RECORDING_INC})
    except NotFound:
        return None
    if not isinstance(data, dict) or data.get("id") != mbid:
        raise PluginError(f"musicbrainz answered a recording look-up with {str(data)[:80]!r}")
    return data


async def artist(context: PluginContext, mbid: str) -> dict[str, Any] | None:
    """The artist's look-up with genres and tags (None: no such artist)."""
    if not _MBID.match(mbid):
        return None
    try:
        data = await get_json(context, SERVICE, f"/ws/2/artist/{mbid}", params={"fmt": "json", "inc": ARTIST_INC})
    except NotFound:
        return None
    return data if isinstance(data, dict) else None


def votes(items: Any) -> tuple[str, ...]:
    """Genre or tag names, lower-case, most voted first (then by name)."""
    if not isinstance(items, list):
        return ()
    found = [
        (-(item.get("count") or 0), item["name"].strip().lower())
        for item in items
        if isinstance(item, dict) and isinstance(item.get("name"), str) and item["name"].strip()
    ]
    return tuple(dict.fromkeys(name for _, name in sorted(found)))


def _choose(recordings: Sequence[Recording], query: TrackQuery) -> Recording | None:
    chosen = choose(
        (
            Candidate(
                title=item.title,
                artists=item.artists,
                payload=item,
                credit=item.credit,
                duration=item.duration,
                album=item.releases[0] if item.releases else None,
            )
            for item in recordings
        ),
        artist=query.artist,
        title=query.title,
        album=query.album,
        duration=query.duration,
    )
    return chosen.payload if chosen is not None else None


def _recordings(data: Any) -> list[Recording]:
    items = data.get("recordings") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise PluginError(f"musicbrainz answered without recordings: {str(data)[:80]!r}")
    found: list[Recording] = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("id"), str) or not isinstance(item.get("title"), str):
            continue
        names, credit = _credit(item.get("artist-credit"))
        length = item.get("length")
        releases = json_list(item.get("releases"))
        found.append(
            Recording(
                mbid=item["id"],
                title=item["title"],
                artists=tuple(names),
                credit=credit,
                duration=length / 1000 if isinstance(length, int) and length > 0 else None,
                isrcs=tuple(isrc for isrc in item.get("isrcs") or () if isinstance(isrc, str)),
                releases=tuple(
                    release["title"]
                    for release in releases
                    if isinstance(release, dict) and isinstance(release.get("title"), str)
                ),
            )
        )
    return found


def _credit(parts: Any) -> tuple[list[str], str]:
    """(each credited artist's name, the whole credit as one string)."""
    names: list[str] = []
    credit = ""
    for part in parts if isinstance(parts, list) else ():
        if not isinstance(part, dict):
            continue
        nested = json_dict(part.get("artist"))
        name = _text(nested.get("name")) or _text(part.get("name"))
        if name:
            names.append(name)
        credit += (_text(part.get("name")) or name) + _text(part.get("joinphrase"))
    return names, credit


class MusicBrainzPlugin(Plugin):
    """MusicBrainz: recording and artist ids, every credited artist, genres and tags, the artist's country."""

    name = "musicbrainz"
    title = "MusicBrainz"
    services = (SERVICE,)
    options = (OptionSpec("artist_details", "bool", default=True),)

    def __init__(self) -> None:
        super().__init__()
        self._artists: TtlCache[str, ArtistInfo] | None = None

    async def setup(self, context: PluginContext, options: Mapping[str, Any]) -> None:
        await super().setup(context, options)
        self._artists = TtlCache(ttl=ARTIST_CACHE_SECONDS, clock=context.clock)

    async def _enrich(self, context: PluginContext, options: Options, query: TrackQuery) -> Enrichment:
        mbid = query.mbid
        if mbid is None:
            found = await find_recording(context, query)
            if found is None:
                return Enrichment(found=False)
            mbid = found.mbid
        data = await recording(context, mbid)
        if data is None:
            return Enrichment(found=False)
        artists: list[ArtistInfo] = []
        for part in json_list(data.get("artist-credit")):
            info = await self._artist(context, part, details=options.flag("artist_details"))
            if info is not None:
                artists.append(info)
        isrcs = [isrc for isrc in data.get("isrcs") or () if isinstance(isrc, str)]
        genres = list(votes(data.get("genres")))
        tags = list(votes(data.get("tags")))
        for info in artists:
            genres.extend(info.genres)
            tags.extend(info.tags)
        genre_set = set(genres)
        return Enrichment(
            found=True,
            isrc=(query.isrc or "").upper() if query.isrc and query.isrc.upper() in isrcs else next(iter(isrcs), None),
            mbid=mbid,
            artist_mbids=tuple(info.mbid for info in artists),
            artists=tuple(info.name for info in artists),
            genres=tuple(dict.fromkeys(genres)),
            tags=tuple(dict.fromkeys(tag for tag in tags if tag not in genre_set)),
            country=artists[0].country if artists else None,
        )

    async def _artist(self, context: PluginContext, part: Any, *, details: bool) -> ArtistInfo | None:
        """One credited artist: from the credit when it holds the country and genres, else its look-up."""
        nested = part.get("artist") if isinstance(part, dict) else None
        if not isinstance(nested, dict) or not isinstance(nested.get("id"), str):
            return None
        mbid, name = nested["id"], str(nested.get("name") or part.get("name") or "")
        if not details or {"country", "genres"} <= nested.keys():
            return _artist_info(mbid, name, nested)
        cache = self._artists
        held = cache.get(mbid) if cache is not None else None
        if held is None:
            looked_up = await artist(context, mbid)
            held = _artist_info(mbid, name, looked_up if looked_up is not None else nested)
            if cache is not None:
                cache.put(mbid, held)
        return held


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _artist_info(mbid: str, name: str, data: dict[str, Any]) -> ArtistInfo:
    country = data.get("country")
    return ArtistInfo(
        mbid=mbid,
        name=name,
        country=country if isinstance(country, str) and country else None,
        genres=votes(data.get("genres")),
        tags=votes(data.get("tags")),
    )
