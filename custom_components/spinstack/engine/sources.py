"""Where a play comes from: the music service (from the URI's ``sid``) and the kind of source (from its scheme)."""

from __future__ import annotations

from dataclasses import dataclass
import logging
import re
from urllib.parse import parse_qs, urlsplit

from .model import SourceKind

_LOGGER = logging.getLogger(__name__)

# Sonos' own service ids: the ``Id`` that MusicServices.ListAvailableServices returns, which is the ``sid`` in
# track URIs (and ``Id * 256 + 7`` is the service type in account strings such as SA_RINCON3079_). Each was
# checked against at least two independent public sources (real ListAvailableServices dumps, SoCo's share-link
# service types and test payloads, Home Assistant's Sonos fixtures, node-sonos-http-api's service definitions).
# Spotify has two ids, by the household's region.
SERVICE_IDS: dict[int, str] = {
    2: "deezer",
    6: "iheartradio",
    9: "spotify",  # most regions
    12: "spotify",  # United States
    31: "qobuz",
    144: "calm_radio",
    160: "soundcloud",
    174: "tidal",
    181: "mixcloud",
    201: "amazon_music",
    203: "napster",
    204: "apple_music",
    212: "plex",
    236: "pandora",
    239: "audible",
    254: "tunein",
    284: "youtube_music",
    303: "sonos_radio",
    308: "radio_paradise",
    333: "tunein",  # "TuneIn (New)"
}

# Services whose items are radio (a station or a programmed stream), whatever the URI scheme.
RADIO_SERVICES = frozenset({"tunein", "sonos_radio", "iheartradio", "pandora", "calm_radio", "radio_paradise"})

_ON_DEMAND_SCHEMES = ("x-file-cifs", "x-smb", "x-sonos-spotify", "x-sonosapi-hls-static")
_RADIO_SCHEMES = (
    "x-sonosapi-stream",
    "x-sonosapi-radio",
    "x-sonosapi-hls",
    "x-rincon-mp3radio",
    "aac",
    "hls-radio",
)
_SID = re.compile(r"[?&]sid=(\d+)")


@dataclass(frozen=True, slots=True)
class Source:
    """The service (a slug) and the kind of a track's source."""

    service: str
    kind: SourceKind


def _scheme(uri: str) -> str:
    head, sep, _ = uri.partition(":")
    return head.lower() if sep else ""


def _sid(uri: str | None) -> int | None:
    if not uri:
        return None
    match = _SID.search(uri)
    if match is None:
        # Some URIs (x-sonos-vli) carry a query of their own after other separators.
        query = parse_qs(urlsplit(uri).query)
        values = query.get("sid")
        if not values or not values[0].isdigit():
            return None
        return int(values[0])
    return int(match.group(1))


def _kind_of(scheme: str, track_uri: str, enqueued_uri: str | None, service: str | None) -> SourceKind:
    if scheme == "x-rincon":
        return SourceKind.GROUP_FOLLOWER
    if scheme == "x-rincon-stream":
        return SourceKind.LINE_IN
    if scheme == "x-sonos-htastream":
        return SourceKind.TV
    if scheme in _ON_DEMAND_SCHEMES:
        return SourceKind.RADIO if service in RADIO_SERVICES else SourceKind.ON_DEMAND
    if scheme in _RADIO_SCHEMES:
        return SourceKind.RADIO
    if scheme == "x-sonos-vli":
        return SourceKind.ON_DEMAND
    enqueued_scheme = _scheme(enqueued_uri) if enqueued_uri else ""
    if scheme == "x-sonos-http":
        # Apple Music, Amazon, Deezer, Tidal... are on demand; Sonos Radio, Pandora, iHeart are programmed radio.
        if service in RADIO_SERVICES or enqueued_scheme in _RADIO_SCHEMES:
            return SourceKind.RADIO
        return SourceKind.ON_DEMAND
    if scheme in ("http", "https"):
        # A plain URL is a file from a media server when it comes from the queue, a stream when the enqueued URI
        # says radio; alone it is ambiguous.
        if enqueued_scheme == "x-rincon-queue":
            return SourceKind.ON_DEMAND
        if enqueued_scheme in _RADIO_SCHEMES:
            return SourceKind.RADIO
        return SourceKind.UNKNOWN
    if scheme == "x-rincon-queue":
        return SourceKind.ON_DEMAND
    return SourceKind.UNKNOWN


def _service_without_sid(scheme: str, track_uri: str) -> str | None:
    if scheme in ("x-file-cifs", "x-smb"):
        return "local_library"
    if scheme == "x-rincon-stream":
        return "line_in"
    if scheme == "x-sonos-htastream":
        return "tv"
    if scheme == "x-sonos-spotify":
        return "spotify"
    if scheme == "x-sonos-vli":
        lowered = track_uri.lower()
        if "spotify" in lowered:
            return "spotify_connect"
        if "airplay" in lowered:
            return "airplay"
    return None


_unknown_logged: set[str] = set()


def identify_source(track_uri: str, enqueued_uri: str | None = None) -> Source:
    """Identify the service and the kind of source of a track URI.

    The service comes from the ``sid`` query parameter (of the track URI, else of the enqueued URI), or from a
    scheme that needs no sid (local library, line-in, TV, AirPlay, Spotify Connect); anything else is
    ``unknown``, logged once with its URI, never guessed.
    """
    track_uri = (track_uri or "").strip()
    enqueued_uri = enqueued_uri.strip() if enqueued_uri else None
    scheme = _scheme(track_uri)
    if scheme == "x-rincon":
        return Source("unknown", SourceKind.GROUP_FOLLOWER)
    sid = _sid(track_uri)
    if sid is None:
        sid = _sid(enqueued_uri)
    service = SERVICE_IDS.get(sid) if sid is not None else None
    if service is None:
        service = _service_without_sid(scheme, track_uri)
    kind = _kind_of(scheme, track_uri, enqueued_uri, service)
    if service is None:
        service = "unknown"
        if track_uri and track_uri not in _unknown_logged and len(_unknown_logged) < 1000:
            _unknown_logged.add(track_uri)
            _LOGGER.info(
                "Unknown music service for %s (sid %s, enqueued %s); recorded as 'unknown'",
                track_uri,
                sid,
                enqueued_uri,
            )
    return Source(service, kind)
