"""Odesli (song.link; 10 requests a minute without a key): a share link from a track's page on a platform.

The platform URL is the query's own `url`, else the Deezer page of its Deezer id, else its Spotify URI, else the
Deezer track a Deezer search finds for it. Odesli's "could not resolve" (400 and 404) means not found.
"""

from __future__ import annotations

from typing import Any, Final

from . import deezer, endpoints
from .base import Enrichment, Options, OptionSpec, Plugin, PluginContext, PluginError, TrackQuery
from .http import NotFound, get_json

SERVICE: Final = endpoints.ODESLI
LINKS_PATH: Final = "/v1-alpha.1/links"


async def share_link(
    context: PluginContext, platform_url: str, *, key: str | None = None, country: str | None = None
) -> str | None:
    """The song.link page of the track at `platform_url` (None: Odesli does not know it)."""
    params: dict[str, str | int] = {"url": platform_url}
    if country:
        params["userCountry"] = country
    if key:
        params["key"] = key
    try:
        data: Any = await get_json(context, SERVICE, LINKS_PATH, params=params, not_found=(400, 404))
    except NotFound:
        return None
    page = data.get("pageUrl") if isinstance(data, dict) else None
    if not isinstance(page, str) or not page:
        raise PluginError(f"odesli answered without a pageUrl: {str(data)[:80]!r}")
    return page


async def platform_url(context: PluginContext, query: TrackQuery) -> tuple[str | None, deezer.DeezerTrack | None]:
    """A platform URL Odesli can read for the query (and the Deezer track, when a search found it)."""
    if query.url:
        return query.url, None
    if query.deezer_id is not None:
        return deezer.track_page(query.deezer_id), None
    if query.spotify_id:
        return endpoints.SPOTIFY_TRACK_URI.format(id=query.spotify_id), None
    found = await deezer.find_track(context, query)
    return (found.link, found) if found is not None else (None, None)


class OdesliPlugin(Plugin):
    """Share links: a song.link page for the track, from its Deezer (or other platform) link."""

    name = "odesli"
    title = "Share links (song.link)"
    services = (SERVICE, endpoints.DEEZER)
    options = (OptionSpec("api_key", "secret"), OptionSpec("country", "str", default="US"))

    async def _enrich(self, context: PluginContext, options: Options, query: TrackQuery) -> Enrichment:
        url, found = await platform_url(context, query)
        if url is None:
            return Enrichment(found=False)
        link = await share_link(context, url, key=options.text("api_key"), country=options.text("country"))
        if link is None:
            return Enrichment(found=False)
        return Enrichment(
            found=True,
            share_link=link,
            deezer_id=found.id if found is not None else query.deezer_id,
            deezer_url=found.link if found is not None else None,
        )
