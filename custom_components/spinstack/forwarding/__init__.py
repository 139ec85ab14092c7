"""SpinStack's forwarders, the pure part (no Home Assistant: the standard library, aiohttp, the engine's `Play` and
the plugins' http layer): they send the plays SpinStack counted to listening-history services.

* ``lastfm``: Last.fm's ``track.scrobble``, 50 plays a request; options ``api_key``, ``api_secret``,
  ``session_key`` (required) and ``now_playing``;
* ``listenbrainz``: ListenBrainz' ``/1/submit-listens``, 100 plays a request; options ``user_token`` (required)
  and ``now_playing``.

Using one (the worker, over the store's durable outbox)::

    forwarder = FORWARDERS["listenbrainz"](context, validate_options(spec, options))  # PluginMisconfigured
    await forwarder.check()  # the credentials
    result = await forwarder.submit([Outgoing(outbox_id, play, isrc=..., track_mbid=...), ...])
    # result.delivered: done; result.dead: (id, reason), never; result.retry: later, >= result.retry_after s

`submit` raises `PluginMisconfigured` (a refused credential: stop, raise a repair issue, keep the plays pending)
or `PluginUnavailable` (network, 5xx, rate-limited after the retries: everything stays pending) when nothing was
delivered; once something was, what is left comes back in ``Result.retry``. Every request goes through the
context's limiter of the service (``lastfm``: one every 250 ms; ``listenbrainz``: one a second) and the http
layer's retries.

`lastfm_mobile_session` trades a Last.fm user name and password for a session key (the options flow keeps only
the key); `lastfm_api.recent_tracks_pages` reads a user's scrobbles for the history import.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from .base import Forwarder, Outgoing, Rejected, Result
from .lastfm import LastfmForwarder
from .lastfm_api import LastfmError, api_signature, lastfm_mobile_session, recent_tracks_pages
from .listenbrainz import MUSIC_SERVICES, ListenBrainzForwarder

FORWARDERS: Final[Mapping[str, type[Forwarder]]] = MappingProxyType(
    {forwarder.name: forwarder for forwarder in (LastfmForwarder, ListenBrainzForwarder)}
)

__all__ = [
    "FORWARDERS",
    "MUSIC_SERVICES",
    "Forwarder",
    "LastfmError",
    "LastfmForwarder",
    "ListenBrainzForwarder",
    "Outgoing",
    "Rejected",
    "Result",
    "api_signature",
    "lastfm_mobile_session",
    "recent_tracks_pages",
]
