"""Last.fm scrobbles: CSV exports (with a header, or the four columns artist, album, track, date) and
``user.getRecentTracks`` JSON answers (one page, an array of pages, or an array of their tracks).

A scrobble carries no duration: a play's duration and heard time are 0.0, its service ``unknown``.
"""

from __future__ import annotations

from collections.abc import Iterator
import csv
from typing import IO, Any, Final

from ..engine import Play
from . import fields
from .fields import MAX_NAME, EntryError
from .model import Entry, Imported, Rejected, Skipped
from .streams import (
    MAX_MEMBER,
    READ_ERRORS,
    JsonArrayError,
    Member,
    broken_off,
    guarded,
    json_values,
    text,
    too_big,
)

ORIGIN: Final = "lastfm"
# The headed export's columns (common export tools write these, in this order).
HEADER: Final = ("uts", "utc_time", "artist", "artist_mbid", "album", "album_mbid", "track", "track_mbid")
# The names a headed file's columns may go by, in the order they are tried.
_TIME_COLUMNS: Final = ("uts", "timestamp", "utc_time", "date", "time")
_TITLE_COLUMNS: Final = ("track", "title", "name", "track_name")
_ARTIST_COLUMNS: Final = ("artist", "artist_name")
_ALBUM_COLUMNS: Final = ("album", "album_name", "release", "release_name")


def header_names(row: list[str]) -> list[str]:
    """A header row's column names as compared: trimmed, lower case."""
    return [cell.strip().lower() for cell in row]


def _column(names: list[str], candidates: tuple[str, ...]) -> int | None:
    for candidate in candidates:
        if candidate in names:
            return names.index(candidate)
    return None


def is_header(names: list[str]) -> bool:
    """Whether a first row is the header of a headed Last.fm export: a time, an artist and a title column."""
    return all(_column(names, group) is not None for group in (_TIME_COLUMNS, _TITLE_COLUMNS, _ARTIST_COLUMNS))


def _layout(header: list[str]) -> tuple[int, int, int, int | None, bool] | None:
    """Where a headed export's time, artist, title and album are, and whether its time is epoch seconds."""
    names = header_names(header)
    time_at = _column(names, _TIME_COLUMNS)
    artist_at = _column(names, _ARTIST_COLUMNS)
    title_at = _column(names, _TITLE_COLUMNS)
    if time_at is None or artist_at is None or title_at is None:
        return None
    return time_at, artist_at, title_at, _column(names, _ALBUM_COLUMNS), names[time_at] in {"uts", "timestamp"}


def read_csv(member: Member) -> Iterator[Entry]:
    """The entries of a headed Last.fm CSV export (columns found by their header's names)."""
    return _csv(member, headed=True)


def read_headerless(member: Member) -> Iterator[Entry]:
    """The entries of a Last.fm CSV export without a header: artist, album, track, date (UTC)."""
    return _csv(member, headed=False)


def _csv(member: Member, *, headed: bool) -> Iterator[Entry]:
    """The CSV readers, in one generator (each generator an entry passes through costs time): the header, then the
    hot loop, where a well-formed row costs a few checks and its two objects."""
    file = member.name
    if member.size > MAX_MEMBER:
        yield too_big(member)
        return
    limit = fields.future_limit()
    start = 1
    try:
        with member.open() as raw:
            reader = csv.reader(text(raw, newline=""))
            album_at: int | None
            width, time_at, artist_at, title_at, album_at, epoch = 4, 3, 0, 2, 1, False
            if headed:
                header: list[str] = []
                try:
                    for header in reader:
                        if header:
                            break
                except csv.Error as err:
                    yield Rejected(file, reader.line_num, f"the header is not a CSV row ({err})")
                    return
                layout = _layout(header) if header else None
                if layout is None:
                    if header:
                        yield Rejected(file, reader.line_num, "the header has no uts, artist or track column")
                    return
                width = len(header)
                time_at, artist_at, title_at, album_at, epoch = layout
                start = reader.line_num + 1
            while True:
                try:
                    for row in reader:
                        line, start = start, reader.line_num + 1
                        if len(row) != width:
                            if row:
                                yield Rejected(file, line, f"{len(row)} fields where {width} are expected")
                            continue
                        artist = row[artist_at].strip()
                        title = row[title_at].strip()
                        album = (row[album_at].strip() or None) if album_at is not None else None
                        raw_time = row[time_at]
                        try:
                            started_at = float(int(raw_time)) if epoch else fields.text_date(raw_time, limit)
                            if not 0 < started_at <= limit:
                                started_at = fields.checked_time(started_at, raw_time, limit)
                            if (
                                not artist
                                or not title
                                or len(artist) > MAX_NAME
                                or len(title) > MAX_NAME
                                or not artist.isascii()
                                or not title.isascii()
                                or (album is not None and (len(album) > MAX_NAME or not album.isascii()))
                            ):
                                _names(artist, title, album)
                        except ValueError, OverflowError:  # not an integer, or one no float holds
                            try:
                                started_at = fields.timestamp(raw_time, limit)
                                _names(artist, title, album)
                            except EntryError as err:
                                yield Rejected(file, line, str(err))
                                continue
                        except EntryError as err:
                            yield Rejected(file, line, str(err))
                            continue
                        play = Play(started_at, artist, title, album, None, 0.0, 0.0, "unknown", "on_demand", "")
                        yield Imported(play, ORIGIN, line, file)
                except csv.Error as err:
                    line, start = start, reader.line_num + 1
                    yield Rejected(file, line, f"not a CSV row ({err})")
                    continue
                return
    except READ_ERRORS as err:
        yield broken_off(member, start, err)


def _names(artist: str, title: str, album: str | None) -> None:
    """The slow checks of a row's names (a fast check found something to look at)."""
    fields.name(artist, "artist")
    fields.name(title, "title")
    fields.name(album, "album", required=False)


# -- JSON --------------------------------------------------------------------------------------------------------


def _text_of(value: Any, *keys: str) -> Any:
    """The text of a Last.fm value: a string, or an object's ``#text`` (or another key of ``keys``)."""
    if isinstance(value, dict):
        for key in keys:
            if value.get(key) not in (None, ""):
                return value[key]
        return value.get(keys[0]) if keys else None
    return value


def _inner_page(data: Any) -> dict[str, Any] | None:
    """The ``recenttracks`` object of a page (an answer, or the object inside it), None if it is neither."""
    if isinstance(data, dict):
        inner = data.get("recenttracks")
        if isinstance(inner, dict):
            return inner
        if "track" in data and ("@attr" in data or len(data) == 1):
            return data
    return None


def is_page(data: Any) -> bool:
    """Whether a JSON value is a getRecentTracks page."""
    return _inner_page(data) is not None


def is_track(data: Any) -> bool:
    """Whether a JSON value is one track of a getRecentTracks page."""
    return isinstance(data, dict) and "name" in data and "artist" in data and ("date" in data or "@attr" in data)


def track_entry(track: Any, file: str, line: int, limit: float) -> Entry:
    """One track of a getRecentTracks page."""
    if not isinstance(track, dict):
        return Rejected(file, line, "a track must be a JSON object")
    attr = track.get("@attr")
    if isinstance(attr, dict) and str(attr.get("nowplaying", "")).lower() == "true":
        return Skipped("now_playing", line, file)
    try:
        artist = fields.name(_text_of(track.get("artist"), "#text", "name"), "artist")
        title = fields.name(_text_of(track.get("name")), "title")
        album = fields.name(_text_of(track.get("album"), "#text", "name"), "album", required=False)
        date = track.get("date")
        uts = date.get("uts") if isinstance(date, dict) else date
        started_at = fields.timestamp(uts, limit, "date uts")
    except EntryError as err:
        return Rejected(file, line, str(err))
    assert artist is not None
    assert title is not None
    play = Play(started_at, artist, title, album, None, 0.0, 0.0, "unknown", "on_demand", "")
    return Imported(play, ORIGIN, line, file)


def _total_pages(inner: dict[str, Any]) -> int | None:
    attr = inner.get("@attr")
    if not isinstance(attr, dict):
        return None
    try:
        return int(attr["totalPages"])
    except KeyError, TypeError, ValueError:
        return None


def parse_recent_tracks_page(data: Any, *, file: str = "api", first_line: int = 1) -> tuple[list[Entry], int | None]:
    """The entries of one ``user.getRecentTracks`` JSON answer, and its ``totalPages`` (None when absent).

    Tracks are numbered from ``first_line`` in the page's order; the now-playing track is Skipped
    ``now_playing``. An answer that is no page (a Last.fm error, something else) is one Rejected.
    """
    inner = _inner_page(data)
    if inner is None:
        if isinstance(data, dict) and "error" in data:
            reason = f"Last.fm error {data.get('error')}: {data.get('message', '')}".strip()
        else:
            reason = "not a getRecentTracks answer"
        return [Rejected(file, first_line, reason)], None
    tracks = inner.get("track", [])
    if isinstance(tracks, dict):  # a page of one track: Last.fm's JSON gives the object, not a list
        tracks = [tracks]
    if not isinstance(tracks, list):
        return [Rejected(file, first_line, "the page's track is not a list")], _total_pages(inner)
    limit = fields.future_limit()
    entries = [track_entry(track, file, first_line + offset, limit) for offset, track in enumerate(tracks)]
    return entries, _total_pages(inner)


def read_json(member: Member) -> Iterator[Entry]:
    """The entries of a getRecentTracks JSON file (see ``_json``)."""
    return guarded(member, _json)


def _json(stream: IO[bytes], file: str) -> Iterator[Entry]:
    """The entries of a getRecentTracks JSON file: one page, an array of pages, or an array of tracks (as backup
    tools save them). Tracks are numbered 1, 2... across the file's pages."""
    limit = fields.future_limit()
    line = 1
    try:
        for _, value in json_values(text(stream)):
            if is_page(value):
                entries, _ = parse_recent_tracks_page(value, file=file, first_line=line)
                yield from entries
                line += len(entries)
            else:
                yield track_entry(value, file, line, limit)
                line += 1
    except JsonArrayError as err:
        yield Rejected(file, line, f"{err}; the rest of the file is not read")
