"""The ISRC of a track: Deezer first (search, then the track when the hit lacks it), MusicBrainz' recording search
as the fallback, and optionally the song.link share link."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from . import deezer, musicbrainz, odesli
from .base import Enrichment, Options, OptionSpec, Plugin, PluginContext, TrackQuery

SOURCE_DEEZER: Final = "deezer"
SOURCE_MUSICBRAINZ: Final = "musicbrainz"


@dataclass(frozen=True, slots=True)
class IsrcResult:
    """What the ISRC look-up found; `isrc` None when neither service knows one."""

    isrc: str | None
    source: str | None  # "deezer" or "musicbrainz"
    deezer_id: int | None = None
    deezer_url: str | None = None
    mbid: str | None = None
    share_link: str | None = None


async def isrc_lookup(
    context: PluginContext,
    query: TrackQuery,
    *,
    musicbrainz_fallback: bool = True,
    share_links: bool = False,
    odesli_key: str | None = None,
) -> IsrcResult:
    """Deezer, then MusicBrainz when Deezer has no ISRC for the track (or does not have the track); with
    `share_links`, the share link of the Deezer track (or of the query's own platform URL)."""
    found = await deezer.find_track(context, query)
    isrc = found.isrc if found is not None else None
    source = SOURCE_DEEZER if isrc else None
    mbid: str | None = None
    if isrc is None and musicbrainz_fallback:
        recording = await musicbrainz.find_recording(context, query)
        if recording is not None:
            mbid = recording.mbid
            isrcs = recording.isrcs
            if not isrcs:
                data = await musicbrainz.recording(context, recording.mbid)
                isrcs = tuple(item for item in (data or {}).get("isrcs") or () if isinstance(item, str))
            if isrcs:
                isrc, source = isrcs[0].upper(), SOURCE_MUSICBRAINZ
    link: str | None = None
    if share_links:
        url = query.url or (found.link if found is not None else None)
        if url is not None:
            link = await odesli.share_link(context, url, key=odesli_key)
    return IsrcResult(
        isrc=isrc,
        source=source,
        deezer_id=found.id if found is not None else None,
        deezer_url=found.link if found is not None else None,
        mbid=mbid,
        share_link=link,
    )


class IsrcPlugin(Plugin):
    """ISRC: Deezer's search, then MusicBrainz' when Deezer has none."""

    name = "isrc"
    title = "ISRC (Deezer, then MusicBrainz)"
    services = (deezer.SERVICE, musicbrainz.SERVICE)
    options = (OptionSpec("musicbrainz_fallback", "bool", default=True),)

    async def _enrich(self, context: PluginContext, options: Options, query: TrackQuery) -> Enrichment:
        result = await isrc_lookup(context, query, musicbrainz_fallback=options.flag("musicbrainz_fallback"))
        if result.isrc is None:
            return Enrichment(found=False)
        return Enrichment(
            found=True,
            isrc=result.isrc,
            deezer_id=result.deezer_id,
            deezer_url=result.deezer_url,
            mbid=result.mbid,
        )
