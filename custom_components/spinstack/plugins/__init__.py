"""SpinStack's metadata plugins, the pure part: no Home Assistant here (only aiohttp and the standard library).

A plugin finds what public services know of a track SpinStack heard. Built in (`BUILTIN_PLUGINS`):

| name | service(s) | finds | options |
| --- | --- | --- | --- |
| ``isrc`` | Deezer, then MusicBrainz | ISRC, Deezer id and link (and MusicBrainz id) | ``musicbrainz_fallback`` |
| ``musicbrainz`` | MusicBrainz | recording and artist ids, all artists, genres, tags, country | ``artist_details`` |
| ``discogs`` | Discogs | release id, genres, styles, year, label, cover | ``token`` (required) |
| ``odesli`` | Odesli (and Deezer) | song.link share link | ``api_key``, ``country`` |

Using one (the worker)::

    context = PluginContext.create(session, user_agent_from_manifest(integration.manifest))
    plugin = BUILTIN_PLUGINS["musicbrainz"]()
    await plugin.setup(context, {"artist_details": True})  # PluginMisconfigured: the options are wrong
    answer = await plugin.enrich(TrackQuery(artist="Queen", title="Under Pressure", duration=248))
    await plugin.reload(new_options)  # running enrich calls finish with the old options
    await plugin.unload()

`Plugin.enrich` answers an `Enrichment` (``found=False`` is an answer: cache it for ``plugin.keep_for(answer)``
seconds) or raises:

* `PluginUnavailable`: temporary (network down, 5xx, timeout, malformed JSON, still rate-limited after the
  retries): try again later with a backoff, at least ``error.retry_after`` seconds when set;
* `PluginMisconfigured`: a refused or missing token, an identity refused: raise a repair issue, stop calling the
  plugin until its options change;
* `PluginError` (the base of both): this track cannot be answered now (an answer not understood): record the
  failure, try again much later.

One `PluginContext` is shared by all plugins of a config entry: it holds Home Assistant's aiohttp session, the
User-Agent (``SpinStack/<version> ( <documentation URL> )``, from the manifest Home Assistant already loaded), the
base URL of each service (the real ones, written only in `endpoints`; tests give the fakes'), the rate limiters
(`limiter`: one per service, shared, fair, on the context's clock and sleep) and the retry policy (`http`). Every
request goes through `http.get_json`: the service's limiter, a per-request timeout, retries with exponential
backoff and jitter on 429, 5xx, timeouts and connection errors (Retry-After honoured), Deezer's errors in HTTP 200
bodies understood. Matching (`matching`) compares names without case, accents, punctuation or "feat." parts, and
picks the candidate whose artist, title and duration (within 10 s) agree, never the first hit blindly.
"""

from __future__ import annotations

from typing import Final

from .base import (
    NOT_FOUND,
    Enrichment,
    Options,
    OptionSpec,
    Plugin,
    PluginContext,
    PluginError,
    PluginMisconfigured,
    PluginUnavailable,
    RetryPolicy,
    TrackQuery,
    make_user_agent,
    user_agent_from_manifest,
    validate_options,
)
from .discogs import DiscogsPlugin
from .isrc import IsrcPlugin, IsrcResult, isrc_lookup
from .limiter import DEFAULT_LIMITS, LimiterRegistry, RateLimit, RateLimiter
from .musicbrainz import MusicBrainzPlugin
from .odesli import OdesliPlugin

BUILTIN_PLUGINS: Final[dict[str, type[Plugin]]] = {
    plugin.name: plugin for plugin in (IsrcPlugin, MusicBrainzPlugin, DiscogsPlugin, OdesliPlugin)
}

__all__ = [
    "BUILTIN_PLUGINS",
    "DEFAULT_LIMITS",
    "NOT_FOUND",
    "DiscogsPlugin",
    "Enrichment",
    "IsrcPlugin",
    "IsrcResult",
    "LimiterRegistry",
    "MusicBrainzPlugin",
    "OdesliPlugin",
    "OptionSpec",
    "Options",
    "Plugin",
    "PluginContext",
    "PluginError",
    "PluginMisconfigured",
    "PluginUnavailable",
    "RateLimit",
    "RateLimiter",
    "RetryPolicy",
    "TrackQuery",
    "isrc_lookup",
    "make_user_agent",
    "user_agent_from_manifest",
    "validate_options",
]
