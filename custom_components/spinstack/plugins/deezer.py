"""Deezer (no key): find a track by search (``artist:"..." track:"..."``), then its ISRC.

Deezer's search lists its tracks with their ISRC; when a hit comes without one, ``/track/{id}`` gives it. A track
whose Deezer id is already known is looked up directly. When the reported artist names several artists and the
first search finds none that matches, a second search tries the first artist alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from . import endpoints
from .base import PluginContext, PluginError, TrackQuery
from .http import NotFound, get_json, json_dict, json_list
from .matching import Candidate, choose, main_artist, search_artist, split_artists, strip_featured

SERVICE: Final = endpoints.DEEZER
SEARCH_LIMIT: Final = 25


@dataclass(frozen=True, slots=True)
class DeezerTrack:
    """A Deezer track, as much as the plugins use of it."""

    id: int
    title: str
    artists: tuple[str, ...]
    isrc: str | None
    link: str
    duration: int | None
    album: str | None
    cover: str | None


async def find_track(context: PluginContext, query: TrackQuery) -> DeezerTrack | None:
    """The Deezer track the query is, with its ISRC (None: Deezer does not have it)."""
    if query.deezer_id is not None:
        return await track_by_id(context, query.deezer_id)
    artists = [search_artist(query.artist)]
    if len(split_artists(query.artist)) > 1 and main_artist(query.artist) != artists[0]:
        artists.append(main_artist(query.artist))
    for artist in artists:
        hits = await search(context, artist, strip_featured(query.title))
        chosen = choose(
            (_candidate(hit) for hit in hits),
            artist=query.artist,
            title=query.title,
            album=query.album,
            duration=query.duration,
        )
        if chosen is not None:
            found = chosen.payload
            if found.isrc:
                return found
            full = await track_by_id(context, found.id)
            return full if full is not None else found
    return None


async def search(context: PluginContext, artist: str, title: str) -> list[DeezerTrack]:
    """Deezer's hits for the artist and title, in its order."""
    q = f'artist:"{_quoted(artist)}" track:"{_quoted(title)}"'
    try:
        data = await get_json(context, SERVICE, "/search", params={"q": q, "limit": SEARCH_LIMIT})
    except NotFound:
        return []
    items = data.get("data") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise PluginError(f"deezer answered a search without data: {str(data)[:80]!r}")
    return [track for item in items if (track := _track(item)) is not None]


async def track_by_id(context: PluginContext, deezer_id: int) -> DeezerTrack | None:
    """``/track/{id}`` (None: no such track)."""
    try:
        data = await get_json(context, SERVICE, f"/track/{int(deezer_id)}")
    except NotFound:
        return None
    return _track(data)


def track_page(deezer_id: int) -> str:
    """The track's public page (what Odesli reads)."""
    return endpoints.DEEZER_TRACK_PAGE.format(id=int(deezer_id))


def _quoted(text: str) -> str:
    return " ".join(text.replace('"', " ").split())


def _track(item: Any) -> DeezerTrack | None:
    if not isinstance(item, dict) or not isinstance(item.get("id"), int) or not isinstance(item.get("title"), str):
        return None
    names = [
        contributor["name"]
        for contributor in json_list(item.get("contributors"))
        if isinstance(contributor, dict) and isinstance(contributor.get("name"), str)
    ]
    artist = json_dict(item.get("artist"))
    if isinstance(artist.get("name"), str):
        if artist["name"] in names:
            names.remove(artist["name"])
        names.insert(0, artist["name"])
    album = json_dict(item.get("album"))
    isrc = item.get("isrc")
    duration = item.get("duration")
    link = item.get("link")
    return DeezerTrack(
        id=item["id"],
        title=item["title"],
        artists=tuple(names),
        isrc=isrc.upper() if isinstance(isrc, str) and isrc else None,
        link=link if isinstance(link, str) and link else track_page(item["id"]),
        duration=duration if isinstance(duration, int) and duration > 0 else None,
        album=album.get("title") if isinstance(album.get("title"), str) else None,
        cover=album.get("cover_xl") if isinstance(album.get("cover_xl"), str) else None,
    )


def _candidate(track: DeezerTrack) -> Candidate[DeezerTrack]:
    return Candidate(
        title=track.title, artists=track.artists, payload=track, duration=track.duration, album=track.album
    )
