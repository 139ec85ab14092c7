"""ListenBrainz listens: the export archive (``listens/<year>/<month>.jsonl`` members), a JSON array of listens (the
older export), JSON lines of listens, and SpinStack's own JSON lines export read back exactly.

A listen: ``listened_at`` (epoch seconds; the archive writes a float), ``track_metadata`` with ``artist_name``,
``track_name``, ``release_name`` and ``additional_info``, whose ``duration_ms`` (or ``duration``, seconds) gives the
play's duration and heard time (0.0 when absent) and whose ``music_service`` (a domain: ``spotify.com``...) gives
its service (``unknown`` when absent or not one SpinStack knows).
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import chain
import re
from typing import IO, Any, Final

from ..engine import Play
from . import fields
from .fields import EntryError
from .model import Entry, Imported, Rejected
from .streams import JsonArrayError, Member, guarded, json_lines, json_values, text

ORIGIN: Final = "listenbrainz"
SUBMISSION_CLIENT: Final = "SpinStack"
MEDIA_PLAYER: Final = "Sonos"
# The key that marks a listen as one SpinStack wrote: its exact start.
SPINSTACK_STARTED_AT: Final = "spinstack_started_at"

# SpinStack's service slugs and the canonical domains ListenBrainz' ``music_service`` uses for them (written on
# export, read on import).
SERVICE_DOMAINS: Final[dict[str, str]] = {
    "spotify": "spotify.com",
    "apple_music": "music.apple.com",
    "deezer": "deezer.com",
    "tidal": "tidal.com",
    "soundcloud": "soundcloud.com",
    "youtube_music": "music.youtube.com",
    "amazon_music": "music.amazon.com",
    "qobuz": "qobuz.com",
    "napster": "napster.com",
    "pandora": "pandora.com",
    "iheartradio": "iheart.com",
    "tunein": "tunein.com",
    "mixcloud": "mixcloud.com",
    "plex": "plex.tv",
    "audible": "audible.com",
    "radio_paradise": "radioparadise.com",
    "calm_radio": "calmradio.com",
    "sonos_radio": "sonos.com",
    "bandcamp": "bandcamp.com",
}
# Domains read as a service beyond those: other names of the same services. YouTube's plays are counted as
# YouTube Music's (SpinStack has no other YouTube service).
_MORE_DOMAINS: Final = {
    "open.spotify.com": "spotify",
    "apple.com": "apple_music",
    "itunes.apple.com": "apple_music",
    "listen.tidal.com": "tidal",
    "youtube.com": "youtube_music",
    "amazon.com": "amazon_music",
    "iheartradio.com": "iheartradio",
}
_DOMAIN_SERVICES: Final = {domain: slug for slug, domain in SERVICE_DOMAINS.items()} | _MORE_DOMAINS
# ``music_service_name`` values (case folded) read as a service when there is no domain.
_SERVICE_NAMES: Final = {
    "spotify": "spotify",
    "apple music": "apple_music",
    "deezer": "deezer",
    "tidal": "tidal",
    "soundcloud": "soundcloud",
    "youtube music": "youtube_music",
    "youtube": "youtube_music",
    "amazon music": "amazon_music",
    "qobuz": "qobuz",
    "bandcamp": "bandcamp",
}
LISTEN_MEMBER = re.compile(r"(?:^|/)listens/([0-9]{1,6})/([0-9]{1,2})\.jsonl$")


def service_of(info: dict[str, Any]) -> str:
    """SpinStack's service slug for a listen's ``additional_info``; ``unknown`` when it names none SpinStack knows."""
    domain = info.get("music_service")
    if isinstance(domain, str) and domain.strip():
        host = domain.strip().lower().removeprefix("https://").removeprefix("http://").split("/")[0]
        host = host.removeprefix("www.")
        while host:
            if host in _DOMAIN_SERVICES:
                return _DOMAIN_SERVICES[host]
            _, _, host = host.partition(".")
    label = info.get("music_service_name")
    if isinstance(label, str) and label.strip().casefold() in _SERVICE_NAMES:
        return _SERVICE_NAMES[label.strip().casefold()]
    if info.get("spotify_id"):
        return "spotify"
    return "unknown"


def is_listen(value: Any) -> bool:
    """Whether a JSON value looks like a ListenBrainz listen."""
    return isinstance(value, dict) and "listened_at" in value and isinstance(value.get("track_metadata"), dict)


def _duration(info: dict[str, Any]) -> float:
    """A listen's duration in seconds (0.0 when it is not given or not a plausible number)."""
    try:
        if info.get("duration_ms") not in (None, ""):
            return fields.seconds(info["duration_ms"], "duration_ms", 1000)
        if info.get("duration") not in (None, ""):
            return fields.seconds(info["duration"], "duration")
    except EntryError:
        return 0.0
    return 0.0


def _started_at(value: Any, limit: float) -> float:
    if isinstance(value, str) and not value.strip().lstrip("-").replace(".", "", 1).isdigit():
        return fields.iso_time(value, limit, "listened_at")
    return fields.timestamp(value, limit, "listened_at")


def listen_entry(listen: Any, file: str, line: int, limit: float) -> Entry:
    """One listen (SpinStack's own, marked by ``spinstack_started_at``, is read back exactly)."""
    if not isinstance(listen, dict):
        return Rejected(file, line, "a listen must be a JSON object")
    meta = listen.get("track_metadata")
    if not isinstance(meta, dict):
        return Rejected(file, line, "missing track_metadata")
    info = meta.get("additional_info")
    if not isinstance(info, dict):
        info = {}
    try:
        if SPINSTACK_STARTED_AT in info:
            return _spinstack_entry(meta, info, file, line, limit)
        started_at = _started_at(listen.get("listened_at"), limit)
        artist = fields.name(meta.get("artist_name"), "artist_name")
        title = fields.name(meta.get("track_name"), "track_name")
        album = fields.name(meta.get("release_name"), "release_name", required=False)
    except EntryError as err:
        return Rejected(file, line, str(err))
    assert artist is not None
    assert title is not None
    duration = _duration(info)
    play = Play(started_at, artist, title, album, None, duration, duration, service_of(info), "on_demand", "")
    return Imported(play, ORIGIN, line, file)


def _spinstack_entry(meta: dict[str, Any], info: dict[str, Any], file: str, line: int, limit: float) -> Entry:
    """A listen SpinStack wrote: every field of the play from its ``spinstack_*`` keys, exactly."""
    started_at = fields.timestamp(info[SPINSTACK_STARTED_AT], limit, SPINSTACK_STARTED_AT)
    artist = fields.exact(meta.get("artist_name"), "artist_name", required=True)
    title = fields.exact(meta.get("track_name"), "track_name", required=True)
    assert artist is not None
    assert title is not None

    def text_of(key: str) -> str | None:
        return fields.exact(info.get(key), key)

    counted = info.get("spinstack_counted_at")
    play = Play(
        started_at=started_at,
        artist=artist,
        title=title,
        album=fields.exact(meta.get("release_name"), "release_name"),
        album_artist=text_of("spinstack_album_artist"),
        duration=fields.seconds(info.get("spinstack_duration", 0.0), "spinstack_duration"),
        heard=fields.seconds(info.get("spinstack_heard", 0.0), "spinstack_heard"),
        service=text_of("spinstack_service") or service_of(info),
        kind=text_of("spinstack_kind") or "on_demand",
        speaker=text_of("spinstack_speaker") or "",
        room=text_of("spinstack_room"),
        track_uri=text_of("spinstack_track_uri"),
        counted_at=None if counted is None else fields.timestamp(counted, limit, "spinstack_counted_at"),
    )
    origin = text_of("spinstack_origin") or "spinstack"
    return Imported(play, origin, line, file)


def read_jsonl(member: Member) -> Iterator[Entry]:
    """The listens of a JSON lines file, one a line."""
    return guarded(member, _jsonl)


def _jsonl(stream: IO[bytes], file: str) -> Iterator[Entry]:
    limit = fields.future_limit()
    for line, value, error in json_lines(text(stream)):
        yield Rejected(file, line, error) if error is not None else listen_entry(value, file, line, limit)


def read_json(member: Member) -> Iterator[Entry]:
    """The listens of a JSON array (the older export), numbered by their index in it."""
    return guarded(member, _json)


def _json(stream: IO[bytes], file: str) -> Iterator[Entry]:
    limit = fields.future_limit()
    index = 0
    try:
        for index, value in json_values(text(stream)):
            yield listen_entry(value, file, index, limit)
    except JsonArrayError as err:
        yield Rejected(file, index + 1, f"{err}; the rest of the file is not read")


def listen_members(found: list[Member]) -> list[Member]:
    """An export's listen files, by year then month (numerically); its other files are not listens."""
    keyed: list[tuple[int, int, str, Member]] = []
    for member in found:
        match = LISTEN_MEMBER.search(member.inner)
        if match:
            keyed.append((int(match[1]), int(match[2]), member.inner, member))
    return [member for *_, member in sorted(keyed, key=lambda item: item[:3])]


def read_members(found: list[Member]) -> Iterator[Entry]:
    """The listens of an export's listen files, in order."""
    return chain.from_iterable(map(read_jsonl, listen_members(found)))
