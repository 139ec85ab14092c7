"""Spotify streaming histories: the extended history (``endsong_N.json``, ``Streaming_History_Audio_*.json``) and
the account data's history (``StreamingHistory*.json``), as a JSON file, a ZIP archive (``my_spotify_data.zip``)
or a folder holding them.

Spotify lists every playback, however short, and says when it ENDED (``ts``, ``endTime``) and how long it played
(``ms_played``, ``msPlayed``): a play starts at ``ts - ms_played``, and its heard time is ``ms_played``. Which
playbacks count is SpinStack's rule (Last.fm's): the track must be longer than the rule's minimum and heard for the
rule's threshold of its duration. Spotify gives no track duration, so the duration used is, in this order:

1. what the caller knows (the ``durations`` callback: the store's duration of that artist and title);
2. else the longest ``ms_played`` of that track (same ``spotify_track_uri``, else same artist and title, case
   folded) among its playbacks whose ``reason_end`` is ``trackdone`` anywhere in the import: a full listen;
3. else the longest ``ms_played`` of that track anywhere in the import: an ESTIMATE, which is short when the track
   was never played to its end (its longest playback then always counts, being all of the estimated duration).

The account data's history has no ``reason_end``: only 1 and 3 apply. The duration used is the play's duration.
So the whole import is read twice: once for the longest playbacks, once for the plays (the files are small).
The entries are the same every time for the same ``durations`` answers: a caller that resumes an import by
skipping plays should give the durations it gave at the start (not ones the import's own plays have since added).

Podcast episodes, audiobooks and entries without a track name are Skipped ``not_music``; playbacks below the rule
are Skipped ``below_threshold``. A ZIP archive or a folder is read file by file in natural name order
(``endsong_2`` before ``endsong_10``); the extended history's video files are not read (no music).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
import math
import re
from typing import IO, Any, Final

from ..engine import Play, Rules
from . import fields
from .fields import EntryError
from .model import Entry, Imported, Rejected, Skipped
from .streams import MAX_MEMBER, READ_ERRORS, JsonArrayError, Member, guarded, json_values, text

ORIGIN: Final = "spotify"
EXTENDED_FILE = re.compile(r"^(?:endsong(?:_\d+)?|Streaming_History_Audio_[^/]*)\.json$", re.IGNORECASE)
LEGACY_FILE = re.compile(r"^StreamingHistory(?:_music|_podcast)?_?\d*\.json$", re.IGNORECASE)
_DIGITS = re.compile(r"([0-9]+)")
# Keys whose value (when not null) says the entry is no music: a podcast episode, an audiobook chapter.
_NOT_MUSIC_KEYS: Final = (
    "spotify_episode_uri",
    "episode_name",
    "episode_show_name",
    "audiobook_uri",
    "audiobook_title",
    "audiobook_chapter_uri",
    "podcastName",
    "episodeName",
)

type Durations = Callable[[str, str], float | None]


@dataclass(frozen=True, slots=True)
class _Playback:
    """One music entry, before the rule."""

    started_at: float
    artist: str
    title: str
    album: str | None
    heard: float
    uri: str | None
    full: bool  # ended because the track was done
    line: int

    @property
    def key(self) -> str | tuple[str, str]:
        return self.uri or (self.artist.casefold(), self.title.casefold())


def _natural(name: str) -> list[str | tuple[int, str]]:
    """A name's natural sort key: its numbers by value (``endsong_2`` before ``endsong_10``). The split puts text
    at even places and digits at odd ones, so that keys compare text with text and numbers with numbers."""
    key: list[str | tuple[int, str]] = []
    for place, part in enumerate(_DIGITS.split(name)):
        if place % 2:
            digits = part.lstrip("0")
            key.append((len(digits), digits))
        else:
            key.append(part.lower())
    return key


def history_members(found: list[Member], pattern: re.Pattern[str]) -> list[Member]:
    """The history files among an archive's or a folder's files, in natural order of their names."""
    chosen = [member for member in found if pattern.match(member.inner.rsplit("/", 1)[-1])]
    return sorted(chosen, key=lambda member: _natural(member.inner))


def _not_music(entry: dict[str, Any]) -> bool:
    return any(entry.get(key) not in (None, "") for key in _NOT_MUSIC_KEYS)


def _extended(entry: Any, file: str, line: int, limit: float) -> Entry | _Playback:
    if not isinstance(entry, dict):
        return Rejected(file, line, "an entry must be a JSON object")
    if _not_music(entry) or entry.get("master_metadata_track_name") is None:
        return Skipped("not_music", line, file)
    try:
        ended = fields.iso_time(entry.get("ts"), limit)
        heard = fields.seconds(entry.get("ms_played"), "ms_played", 1000)
        title = fields.name(entry.get("master_metadata_track_name"), "master_metadata_track_name")
        artist = fields.name(entry.get("master_metadata_album_artist_name"), "master_metadata_album_artist_name")
        album = fields.name(entry.get("master_metadata_album_album_name"), "album", required=False)
        uri = fields.name(entry.get("spotify_track_uri"), "spotify_track_uri", required=False)
        started_at = fields.checked_time(ended - heard, entry.get("ts"), limit, "ts - ms_played")
    except EntryError as err:
        return Rejected(file, line, str(err))
    assert artist is not None
    assert title is not None
    return _Playback(started_at, artist, title, album, heard, uri, entry.get("reason_end") == "trackdone", line)


def _legacy(entry: Any, file: str, line: int, limit: float) -> Entry | _Playback:
    if not isinstance(entry, dict):
        return Rejected(file, line, "an entry must be a JSON object")
    if _not_music(entry) or ("trackName" not in entry and "artistName" not in entry):
        return Skipped("not_music", line, file)
    try:
        raw_end = entry.get("endTime")
        ended = fields.text_date(raw_end, limit, "endTime")
        heard = fields.seconds(entry.get("msPlayed"), "msPlayed", 1000)
        artist = fields.name(entry.get("artistName"), "artistName")
        title = fields.name(entry.get("trackName"), "trackName")
        started_at = fields.checked_time(ended - heard, raw_end, limit, "endTime - msPlayed")
    except EntryError as err:
        return Rejected(file, line, str(err))
    assert artist is not None
    assert title is not None
    return _Playback(started_at, artist, title, None, heard, None, False, line)


def _parsed(file: str, stream: IO[bytes], legacy: bool, limit: float) -> Iterator[Entry | _Playback]:
    parse = _legacy if legacy else _extended
    index = 0
    try:
        for index, value in json_values(text(stream)):
            yield parse(value, file, index, limit)
    except JsonArrayError as err:
        yield Rejected(file, index + 1, f"{err}; the rest of the file is not read")


class _Longest:
    """The longest playbacks of each track in the import: of all, and of those that ended with the track."""

    def __init__(self) -> None:
        self.full: dict[str | tuple[str, str], float] = {}
        self.any: dict[str | tuple[str, str], float] = {}

    def add(self, playback: _Playback) -> None:
        key = playback.key
        if playback.heard > self.any.get(key, -1.0):
            self.any[key] = playback.heard
        if playback.full and playback.heard > self.full.get(key, -1.0):
            self.full[key] = playback.heard


def read(members: list[Member], *, legacy: bool, rules: Rules, durations: Durations | None) -> Iterator[Entry]:
    """The entries of a Spotify history's files: plays that meet the rule, the rest Skipped or Rejected."""
    limit = fields.future_limit()
    longest = _Longest()
    for member in members:
        if member.size > MAX_MEMBER:
            continue  # reported by the second reading, as what cannot be read is
        try:
            with member.open() as stream:
                for item in _parsed(member.name, stream, legacy, limit):
                    if isinstance(item, _Playback):
                        longest.add(item)
        except READ_ERRORS:
            continue
    known: dict[tuple[str, str], float | None] = {}

    def duration_of(playback: _Playback) -> float:
        if durations is not None:
            names = (playback.artist, playback.title)
            if names not in known:
                found = durations(*names)
                known[names] = float(found) if found is not None and 0 < found < math.inf else None
            if (value := known[names]) is not None:
                return value
        key = playback.key
        return longest.full.get(key) or longest.any.get(key, 0.0)

    def entries(stream: IO[bytes], file: str) -> Iterator[Entry]:
        for item in _parsed(file, stream, legacy, limit):
            if not isinstance(item, _Playback):
                yield item
                continue
            duration = duration_of(item)
            if not rules.qualifies(duration) or item.heard < rules.threshold(duration):
                yield Skipped("below_threshold", item.line, file)
                continue
            play = Play(
                item.started_at,
                item.artist,
                item.title,
                item.album,
                None,
                duration,
                item.heard,
                "spotify",
                "on_demand",
                "",
                None,
                item.uri,
            )
            yield Imported(play, ORIGIN, item.line, file)

    for member in members:
        yield from guarded(member, entries)
