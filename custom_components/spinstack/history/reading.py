"""Which format a history file is (``detect``) and its entries (``read``)."""

from __future__ import annotations

import codecs
from collections.abc import Callable, Iterator
import csv
import io
from itertools import chain
import json
from pathlib import Path
from typing import Any, Final
import zipfile

from ..engine import Rules
from . import fields, lastfm, listenbrainz, spinstack, spotify
from .fields import EntryError
from .model import (
    KNOWN_FORMATS,
    LASTFM_CSV,
    LASTFM_CSV_HEADERLESS,
    LASTFM_JSON,
    LISTENBRAINZ_JSON,
    LISTENBRAINZ_JSONL,
    LISTENBRAINZ_ZIP,
    SPINSTACK_CSV,
    SPOTIFY_EXTENDED,
    SPOTIFY_LEGACY,
    Entry,
    Format,
    HistoryFormatError,
)
from .streams import MAX_LINE, JsonArrayError, Member, json_values, members, plain, text

# How much of a file detection looks at (a JSON file's first entry may take more).
_HEAD: Final = 1 << 16
# Rows of a CSV file without a header looked at for a date in the fourth column, lines of a JSON lines file for
# a listen.
_SNIFF_ROWS: Final = 20
_ZIP_MAGIC: Final = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_EXPECTED: Final = (
    "expected a Last.fm CSV or JSON export, a ListenBrainz export (ZIP archive, JSON or JSON lines), a Spotify "
    "streaming history (JSON files or their ZIP archive) or a SpinStack export"
)


def detect(path: Path) -> Format:
    """The format of a history file (or of a folder of Spotify or ListenBrainz history files), from its content:
    its first bytes, its CSV header or first rows, its first JSON entry's keys, its archive's member names.

    Raises HistoryFormatError, naming the file and what was expected, when it is none SpinStack reads.
    """
    try:
        return _detect(path)
    except OSError as err:
        raise HistoryFormatError(f"{path.name}: cannot be read ({err.strerror or err})") from err


def _detect(path: Path) -> Format:
    if path.is_dir():
        return _detect_members(path, members(path))
    with path.open("rb") as stream:
        head = stream.read(_HEAD)
    if not head:
        raise HistoryFormatError(f"{path.name}: the file is empty; {_EXPECTED}")
    if head[:4] in _ZIP_MAGIC:
        return _detect_members(path, members(path))
    body = head.removeprefix(codecs.BOM_UTF8).lstrip()
    if not body:
        raise HistoryFormatError(f"{path.name}: the file holds only white space; {_EXPECTED}")
    found = _detect_json(path) if body[:1] in b"[{" else _detect_csv(head)
    if found is None:
        raise HistoryFormatError(f"{path.name}: not a history file SpinStack reads; {_EXPECTED}")
    return found


def _detect_members(path: Path, found: list[Member]) -> Format:
    if listenbrainz.listen_members(found):
        return LISTENBRAINZ_ZIP
    if spotify.history_members(found, spotify.EXTENDED_FILE):
        return SPOTIFY_EXTENDED
    if spotify.history_members(found, spotify.LEGACY_FILE):
        return SPOTIFY_LEGACY
    raise HistoryFormatError(
        f"{path.name}: holds no history files SpinStack reads (expected ListenBrainz' listens/<year>/<month>.jsonl, "
        "or Spotify's endsong_N.json, Streaming_History_Audio_*.json or StreamingHistory*.json)"
    )


def _kind_of(value: Any) -> Format | None:
    """The format whose entries look like this JSON value."""
    if lastfm.is_page(value) or lastfm.is_track(value):
        return LASTFM_JSON
    if listenbrainz.is_listen(value):
        return LISTENBRAINZ_JSON
    if isinstance(value, dict):
        if "ts" in value and "ms_played" in value:
            return SPOTIFY_EXTENDED
        if "endTime" in value and "msPlayed" in value:
            return SPOTIFY_LEGACY
    return None


def _detect_json(path: Path) -> Format | None:
    with path.open("rb") as raw, text(raw) as stream:
        # JSON lines: a listen alone on one of the first lines (a JSON array starts with its bracket).
        for _ in range(_SNIFF_ROWS):
            line = stream.readline(MAX_LINE)
            if not line or line.lstrip().startswith("["):
                break
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except ValueError, RecursionError:
                continue
            if listenbrainz.is_listen(value):
                return LISTENBRAINZ_JSONL
            break
    with path.open("rb") as raw, text(raw) as stream:
        try:
            first = next(json_values(stream), None)
        except JsonArrayError:
            # Broken JSON (reading it reports where): its first keys still tell what it is.
            return _sniff_keys(path)
    if first is None:
        # An empty array: only its name can tell (a Spotify history file of no plays).
        if spotify.EXTENDED_FILE.match(path.name):
            return SPOTIFY_EXTENDED
        if spotify.LEGACY_FILE.match(path.name):
            return SPOTIFY_LEGACY
        return None
    return _kind_of(first[1])


_KEYS_OF: Final = (
    (LASTFM_JSON, (b'"recenttracks"',)),
    (LISTENBRAINZ_JSON, (b'"listened_at"', b'"track_metadata"')),
    (SPOTIFY_EXTENDED, (b'"ts"', b'"ms_played"')),
    (SPOTIFY_LEGACY, (b'"endTime"', b'"msPlayed"')),
)


def _sniff_keys(path: Path) -> Format | None:
    """The JSON format whose keys a file's first bytes hold."""
    with path.open("rb") as stream:
        head = stream.read(_HEAD)
    for fmt, keys in _KEYS_OF:
        if all(key in head for key in keys):
            return fmt
    return None


def _detect_csv(head: bytes) -> Format | None:
    if len(head) == _HEAD and b"\n" in head:
        head = head[: head.rindex(b"\n") + 1]  # whole lines only
    decoded = head.decode("utf-8-sig", errors="surrogateescape")
    rows = csv.reader(io.StringIO(decoded, newline=""))
    limit = fields.future_limit()
    first = True
    try:
        for index, row in enumerate(rows):
            if index >= _SNIFF_ROWS:
                break
            if not any(cell.strip() for cell in row):
                continue
            if first:
                first = False
                names = lastfm.header_names(row)
                if spinstack.is_header(names):
                    return SPINSTACK_CSV
                if lastfm.is_header(names):
                    return LASTFM_CSV
            if len(row) == 4:
                try:
                    fields.text_date(row[3], limit)
                except EntryError:
                    continue
                return LASTFM_CSV_HEADERLESS
    except csv.Error:
        return None
    return None


def read(
    path: Path,
    fmt: Format | None = None,
    *,
    rules: Rules = Rules(),  # noqa: B008 - immutable
    durations: Callable[[str, str], float | None] | None = None,
) -> Iterator[Entry]:
    """The entries of a history file in the file's order, the same sequence every time: its plays (Imported), the
    entries that are not plays (Skipped) and the broken ones (Rejected, with file and line; the rest goes on).

    ``fmt`` is detected when not given. ``rules`` and ``durations`` (a track's known duration in seconds by artist
    and title, None when unknown) are for Spotify's histories, which list every playback, not plays: see
    ``history.spotify``. Raises HistoryFormatError (at once, not while iterating) when the file cannot be read as
    a whole; never for a broken entry.
    """
    if fmt is None:
        fmt = detect(path)
    if fmt.name not in KNOWN_FORMATS:
        raise HistoryFormatError(f"{path.name}: unknown format {fmt.name!r} (known: {', '.join(KNOWN_FORMATS)})")
    container = path.is_dir() or zipfile.is_zipfile(path)
    try:
        found = members(path) if container else [plain(path)]
    except OSError as err:
        raise HistoryFormatError(f"{path.name}: cannot be read ({err.strerror or err})") from err
    name = fmt.name
    if name == LISTENBRAINZ_ZIP.name:
        return listenbrainz.read_members(found)
    if name in (SPOTIFY_EXTENDED.name, SPOTIFY_LEGACY.name):
        legacy = name == SPOTIFY_LEGACY.name
        if container:
            found = spotify.history_members(found, spotify.LEGACY_FILE if legacy else spotify.EXTENDED_FILE)
        return spotify.read(found, legacy=legacy, rules=rules, durations=durations)
    parse = _PARSERS[name]
    if len(found) == 1:
        return parse(found[0])  # no generator in between: each costs time
    return chain.from_iterable(map(parse, found))


_PARSERS: Final[dict[str, Callable[[Member], Iterator[Entry]]]] = {
    LASTFM_CSV.name: lastfm.read_csv,
    LASTFM_CSV_HEADERLESS.name: lastfm.read_headerless,
    LASTFM_JSON.name: lastfm.read_json,
    LISTENBRAINZ_JSON.name: listenbrainz.read_json,
    LISTENBRAINZ_JSONL.name: listenbrainz.read_jsonl,
    SPINSTACK_CSV.name: spinstack.read_csv,
}
