"""Discogs (the user's personal access token; 60 requests a minute, following its X-Discogs-Ratelimit headers):
a track's release, with its genres, styles, year, label and cover.

A database search for releases by the artist with the track finds the candidates; those whose artist matches
(Discogs' spellings "Phoenix (2)" and "AIR" included) are tried in order, the reported album first, and the first
whose tracklist holds the track (same title, and duration when both are known) is the answer. Releases are kept a
day in memory: the tracks of one album share one release.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from . import endpoints
from .base import Enrichment, Options, OptionSpec, Plugin, PluginContext, PluginError, TrackQuery
from .cache import TtlCache
from .http import NotFound, get_json, json_dict, json_list
from .matching import (
    artist_matches,
    base_title,
    discogs_name,
    duration_matches,
    fold,
    main_artist,
    search_artist,
    split_artists,
    strip_featured,
    title_score,
)

SERVICE: Final = endpoints.DISCOGS
SEARCH_LIMIT: Final = 25
RELEASES_TRIED: Final = 3
RELEASE_CACHE_SECONDS: Final = 86_400.0


@dataclass(frozen=True, slots=True)
class SearchHit:
    """A release as the search lists it."""

    id: int
    artist: str  # the artist part of "Artist - Title"
    title: str
    cover: str | None


def authorization(token: str) -> dict[str, str]:
    """The header a personal access token goes in."""
    return {"Authorization": f"Discogs token={token}"}


async def search(context: PluginContext, token: str, artist: str, track: str) -> list[SearchHit]:
    """Releases by `artist` holding `track`, in Discogs' order."""
    params: dict[str, str | int] = {"type": "release", "artist": artist, "track": track, "per_page": SEARCH_LIMIT}
    try:
        data = await get_json(context, SERVICE, "/database/search", params=params, headers=authorization(token))
    except NotFound:
        return []
    results = data.get("results") if isinstance(data, dict) else None
    if not isinstance(results, list):
        raise PluginError(f"discogs answered a search without results: {str(data)[:80]!r}")
    hits: list[SearchHit] = []
    for item in results:
        if not isinstance(item, dict) or not isinstance(item.get("id"), int) or not isinstance(item.get("title"), str):
            continue
        if item.get("type", "release") != "release":
            continue
        artist_part, _, title = item["title"].partition(" - ")
        cover = item.get("cover_image")
        hits.append(SearchHit(item["id"], artist_part, title or artist_part, cover if isinstance(cover, str) else None))
    return hits


async def release(context: PluginContext, token: str, release_id: int) -> dict[str, Any] | None:
    """``/releases/{id}`` (None: no such release)."""
    try:
        data = await get_json(context, SERVICE, f"/releases/{int(release_id)}", headers=authorization(token))
    except NotFound:
        return None
    return data if isinstance(data, dict) else None


def holds_track(data: Mapping[str, Any], title: str, duration: int | None) -> bool:
    """Whether a release's tracklist holds the track."""
    for entry in data.get("tracklist") or ():
        if not isinstance(entry, dict) or entry.get("type_", "track") != "track":
            continue
        if title_score(title, str(entry.get("title", ""))) and duration_matches(duration, _seconds(entry)):
            return True
    return False


def _seconds(entry: Mapping[str, Any]) -> int | None:
    """A tracklist entry's "m:ss" (or "h:mm:ss") duration in seconds."""
    text = entry.get("duration")
    if not isinstance(text, str) or not text:
        return None
    total = 0
    for part in text.split(":"):
        if not part.isdigit():
            return None
        total = total * 60 + int(part)
    return total or None


def _artist_names(artist: str) -> tuple[str, ...]:
    return tuple(discogs_name(name) for name in split_artists(artist)) or (artist,)


class DiscogsPlugin(Plugin):
    """Discogs: release genres, styles, year, label and cover (needs the user's personal access token)."""

    name = "discogs"
    title = "Discogs"
    services = (SERVICE,)
    options = (OptionSpec("token", "secret", required=True),)

    def __init__(self) -> None:
        super().__init__()
        self._releases: TtlCache[int, dict[str, Any]] | None = None

    async def setup(self, context: PluginContext, options: Mapping[str, Any]) -> None:
        await super().setup(context, options)
        self._releases = TtlCache(ttl=RELEASE_CACHE_SECONDS, clock=context.clock, size=512)

    async def _enrich(self, context: PluginContext, options: Options, query: TrackQuery) -> Enrichment:
        token = options.text("token")
        if token is None:  # validate_options refuses that; kept for type checkers
            raise PluginError("discogs has no token")
        title = strip_featured(query.title)
        artists = [search_artist(query.artist)]
        if len(split_artists(query.artist)) > 1 and main_artist(query.artist) != artists[0]:
            artists.append(main_artist(query.artist))
        for artist in artists:
            hits = [
                hit
                for hit in await search(context, token, artist, title)
                if artist_matches(query.artist, _artist_names(hit.artist), discogs_name(hit.artist))
            ]
            if query.album:
                wanted = {fold(query.album), fold(base_title(query.album))}
                hits.sort(key=lambda hit: fold(base_title(hit.title)) not in wanted and fold(hit.title) not in wanted)
            for hit in hits[:RELEASES_TRIED]:
                data = await self._release(context, token, hit.id)
                if data is not None and holds_track(data, query.title, query.duration):
                    return _enrichment(hit, data)
        return Enrichment(found=False)

    async def _release(self, context: PluginContext, token: str, release_id: int) -> dict[str, Any] | None:
        cache = self._releases
        held = cache.get(release_id) if cache is not None else None
        if held is None:
            held = await release(context, token, release_id)
            if held is not None and cache is not None:
                cache.put(release_id, held)
        return held


def _enrichment(hit: SearchHit, data: Mapping[str, Any]) -> Enrichment:
    labels = [item["name"] for item in json_list(data.get("labels")) if isinstance(json_dict(item).get("name"), str)]
    label = labels[0] if labels else None
    images = json_list(data.get("images"))
    primary = [image for image in images if isinstance(json_dict(image).get("uri"), str)]
    primary.sort(key=lambda image: image.get("type") != "primary")
    year = data.get("year")
    return Enrichment(
        found=True,
        discogs_release_id=hit.id,
        year=year if isinstance(year, int) and year > 0 else None,
        label=label,
        genres=_lower(data.get("genres")),
        styles=_lower(data.get("styles")),
        cover_url=primary[0]["uri"] if primary else hit.cover,
    )


def _lower(items: Any) -> tuple[str, ...]:
    if not isinstance(items, list):
        return ()
    return tuple(dict.fromkeys(item.strip().lower() for item in items if isinstance(item, str) and item.strip()))
