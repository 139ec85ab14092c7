"""The real public endpoints of the services the metadata plugins (and the forwarders) use: the only place they are
written.

Everything else reaches a service through ``PluginContext.base_urls`` (tests point it at the local fakes).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

DEEZER: Final = "deezer"
MUSICBRAINZ: Final = "musicbrainz"
DISCOGS: Final = "discogs"
ODESLI: Final = "odesli"
LASTFM: Final = "lastfm"
LISTENBRAINZ: Final = "listenbrainz"

BASE_URLS: Final[Mapping[str, str]] = MappingProxyType(
    {
        DEEZER: "https://api.deezer.com",
        MUSICBRAINZ: "https://musicbrainz.org",  # the web service lives under /ws/2
        DISCOGS: "https://api.discogs.com",
        ODESLI: "https://api.song.link",  # the API lives under /v1-alpha.1
        LASTFM: "https://ws.audioscrobbler.com",  # the 2.0 API's root is /2.0/ (HTTPS: auth.getMobileSession needs it)
        LISTENBRAINZ: "https://api.listenbrainz.org",  # the API lives under /1
    }
)

# Public pages (not APIs): a Deezer track's page, which Odesli reads, when only the id is known.
DEEZER_TRACK_PAGE: Final = "https://www.deezer.com/track/{id}"
SPOTIFY_TRACK_URI: Final = "spotify:track:{id}"
