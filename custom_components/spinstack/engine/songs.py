"""What song, if any, an observation is: radio stream content, ads and other things that are not songs."""

from __future__ import annotations

from dataclasses import dataclass
import re

from .model import Observation, SourceKind

# Markers that stations and services put in the metadata where an advertisement or a break plays.
_AD_MARKERS = (
    "spot block end",
    "advertisement",
    "advertising",
    "commercial break",
    "ad break",
)
_AD_URI_MARKERS = ("spotify:ad:", ":ad:", "/ads/")
# TYPE values of the pipe-separated form; only SNG is a song.
_TYPE_SONG = "SNG"
_PIPE_FIELD = re.compile(r"^(TYPE|TITLE|ARTIST|ALBUM)(?:=|\s|$)(.*)$", re.DOTALL)
_QUOTED_TEXT = re.compile(r'^text="([^"]*)"')
_MAX_FIELD = 512
_MAX_CONTENT = 65_536  # metadata past this is cut before parsing


@dataclass(frozen=True, slots=True)
class Song:
    """A song's names as reported."""

    artist: str
    title: str
    album: str | None = None


def _clean(value: str | None, limit: int = _MAX_FIELD) -> str:
    """Whitespace folded, bounded in length (metadata can be arbitrarily large)."""
    if not value:
        return ""
    return " ".join(value[: limit * 4].split())[:limit]


def is_ad(*values: str | None) -> bool:
    """True when any of the values carries an advertisement marker."""
    for value in values:
        if value:
            lowered = value.casefold()
            if any(marker in lowered for marker in _AD_MARKERS):
                return True
    return False


def _pipe_value(raw: str) -> str:
    raw = raw.strip()
    quoted = _QUOTED_TEXT.match(raw)
    return _clean(quoted.group(1) if quoted else raw)


def parse_stream_content(content: str | None, station: str | None = None) -> Song | None:
    """The song in a radio stream's ``r:streamContent``, or None when it holds no song.

    Two forms are known: ``Artist - Title`` and ``TYPE=SNG|TITLE ...|ARTIST ...|ALBUM ...``. Station names,
    Sonos' ``ZPSTR_*`` states (connecting, buffering...), ad markers and empty metadata are not songs.
    """
    text = _clean(content, _MAX_CONTENT)
    if not text or text.upper().startswith("ZPSTR_"):
        return None
    if station and text.casefold() == _clean(station).casefold():
        return None
    if is_ad(text):
        return None
    if text.startswith("TYPE=") or "|TITLE" in text:
        fields: dict[str, str] = {}
        for part in text.split("|"):
            match = _PIPE_FIELD.match(part.strip())
            if match:
                fields[match.group(1)] = _pipe_value(match.group(2))
        if fields.get("TYPE", _TYPE_SONG).upper() != _TYPE_SONG:
            return None
        title, artist = fields.get("TITLE", ""), fields.get("ARTIST", "")
        if not title or not artist or is_ad(title, artist):
            return None
        return Song(artist=artist, title=title, album=fields.get("ALBUM") or None)
    artist, sep, title = text.partition(" - ")
    artist, title = artist.strip(), title.strip()
    if not sep or not artist or not title:
        return None
    return Song(artist=_clean(artist), title=_clean(title))


def song_of(obs: Observation, kind: SourceKind) -> Song | None:
    """The song an observation reports, or None where it is not a song (line-in, TV, an ad, a station name)."""
    if kind in (SourceKind.LINE_IN, SourceKind.TV, SourceKind.GROUP_FOLLOWER):
        return None
    uri = (obs.track_uri or "").casefold()
    if any(marker in uri for marker in _AD_URI_MARKERS):
        return None
    title, artist = _clean(obs.title), _clean(obs.artist)
    if obs.stream_content and obs.stream_content.strip():
        # A stream: the song is in the stream content; the title is the station's name.
        return parse_stream_content(obs.stream_content, station=obs.title)
    if not title or title.upper().startswith("ZPSTR_") or is_ad(title, artist):
        return None
    if obs.duration <= 0 and not artist:
        # A stream reporting only a station or file name.
        return None
    return Song(artist=artist, title=title, album=_clean(obs.album) or None)
