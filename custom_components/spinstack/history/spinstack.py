"""SpinStack's own exports, and reading its CSV back.

``write_csv``: the headed Last.fm export's columns first, in their order (so that tools reading Last.fm exports read
it), then SpinStack's own: every field of the play, floats written with ``repr`` so that they read back exactly.
``uts`` is the start's whole second, ``started_at`` the exact start. CSV cannot tell no text from an empty text: an
empty album, album artist, room, track URI or ISRC is written as none.

``write_jsonl``: ListenBrainz listens, one a line (importable into ListenBrainz), whose ``additional_info`` also
carries every field of the play as ``spinstack_*`` keys, so that reading it back (as ``listenbrainz_jsonl``) gives
the same play exactly.

Writers take a text stream; open a file for them with ``newline=""`` and ``encoding="utf-8"``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
import csv
from datetime import UTC, datetime
import json
import math
from typing import IO, Any, Final, TextIO

from ..engine import Play
from . import fields
from .fields import EntryError
from .lastfm import HEADER, header_names
from .listenbrainz import MEDIA_PLAYER, SERVICE_DOMAINS, SPINSTACK_STARTED_AT, SUBMISSION_CLIENT
from .model import Entry, ExportRow, Imported, Rejected
from .streams import Member, guarded, text

ORIGIN: Final = "spinstack"
OWN_COLUMNS: Final = (
    "album_artist",
    "duration",
    "heard",
    "service",
    "kind",
    "speaker",
    "room",
    "origin",
    "isrc",
    "started_at",
    "track_uri",
    "counted_at",
)
COLUMNS: Final = HEADER + OWN_COLUMNS
# The columns whose presence in a header says the file is SpinStack's CSV export.
MARKER_COLUMNS: Final = frozenset({"started_at", "heard", "speaker", "origin"})
_MONTHS: Final = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _utc_time(uts: int) -> str:
    moment = datetime.fromtimestamp(uts, UTC)
    return f"{moment.day:02d} {_MONTHS[moment.month - 1]} {moment.year}, {moment.hour:02d}:{moment.minute:02d}"


def _number(value: float | None) -> str:
    return "" if value is None else repr(float(value))


def write_csv(rows: Iterable[ExportRow], out: TextIO) -> int:
    """Write plays as SpinStack's CSV export (header included); returns the number of plays written."""
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    count = 0
    for row in rows:
        play = row.play
        uts = math.floor(play.started_at)
        writer.writerow(
            (
                uts,
                _utc_time(uts),
                play.artist,
                row.artist_mbid or "",
                play.album or "",
                row.album_mbid or "",
                play.title,
                row.track_mbid or "",
                play.album_artist or "",
                _number(play.duration),
                _number(play.heard),
                play.service,
                play.kind,
                play.speaker,
                play.room or "",
                row.origin,
                row.isrc or "",
                _number(play.started_at),
                play.track_uri or "",
                _number(play.counted_at),
            )
        )
        count += 1
    return count


def listen(row: ExportRow) -> dict[str, Any]:
    """A play as a ListenBrainz listen, with SpinStack's exact fields."""
    play = row.play
    info: dict[str, Any] = {}
    if play.duration > 0:
        info["duration_ms"] = round(play.duration * 1000)
    if play.service in SERVICE_DOMAINS:
        info["music_service"] = SERVICE_DOMAINS[play.service]
    info["media_player"] = MEDIA_PLAYER
    info["submission_client"] = SUBMISSION_CLIENT
    if row.isrc:
        info["isrc"] = row.isrc
    if row.track_mbid:
        info["recording_mbid"] = row.track_mbid
    if row.artist_mbid:
        info["artist_mbids"] = [row.artist_mbid]
    if row.album_mbid:
        info["release_mbid"] = row.album_mbid
    info |= {
        SPINSTACK_STARTED_AT: play.started_at,
        "spinstack_duration": play.duration,
        "spinstack_heard": play.heard,
        "spinstack_service": play.service,
        "spinstack_kind": play.kind,
        "spinstack_speaker": play.speaker,
        "spinstack_room": play.room,
        "spinstack_origin": row.origin,
        "spinstack_album_artist": play.album_artist,
        "spinstack_track_uri": play.track_uri,
        "spinstack_counted_at": play.counted_at,
    }
    meta: dict[str, Any] = {"artist_name": play.artist, "track_name": play.title}
    if play.album is not None:
        meta["release_name"] = play.album
    meta["additional_info"] = info
    return {"listened_at": math.floor(play.started_at), "track_metadata": meta}


def write_jsonl(rows: Iterable[ExportRow], out: TextIO) -> int:
    """Write plays as ListenBrainz JSON lines (SpinStack's fields included); returns the number written."""
    count = 0
    for row in rows:
        out.write(json.dumps(listen(row), ensure_ascii=False, separators=(",", ":"), allow_nan=False))
        out.write("\n")
        count += 1
    return count


def is_header(names: list[str]) -> bool:
    """Whether a first row is the header of SpinStack's CSV export."""
    return set(names) >= MARKER_COLUMNS and "artist" in names and "track" in names


def read_csv(member: Member) -> Iterator[Entry]:
    """The plays of SpinStack's CSV export, exactly as they were written (columns found by their names)."""
    return guarded(member, _csv)


def _csv(stream: IO[bytes], file: str) -> Iterator[Entry]:
    reader = csv.reader(text(stream, newline=""))
    limit = fields.future_limit()
    names: list[str] = []
    start = 1
    while True:
        try:
            for row in reader:
                line, start = start, reader.line_num + 1
                if not names:
                    names = header_names(row) if row else []
                    continue
                if len(row) != len(names):
                    if row:
                        yield Rejected(file, line, f"{len(row)} fields where {len(names)} are expected")
                    continue
                try:
                    play, origin = _play(dict(zip(names, row, strict=True)), limit)
                except EntryError as err:
                    yield Rejected(file, line, str(err))
                    continue
                yield Imported(play, origin, line, file)
        except csv.Error as err:
            line, start = start, reader.line_num + 1
            if not names:
                yield Rejected(file, line, f"the header is not a CSV row ({err})")
                return
            yield Rejected(file, line, f"not a CSV row ({err})")
            continue
        return


def _play(row: dict[str, str], limit: float) -> tuple[Play, str]:
    def text_of(key: str) -> str | None:
        return fields.exact(row.get(key) or None, key)

    def seconds(key: str) -> float:
        value = row.get(key, "")
        return fields.seconds(value, key) if value.strip() else 0.0

    raw_start = row.get("started_at") or row.get("uts")
    started_at = fields.timestamp(raw_start, limit, "started_at" if row.get("started_at") else "uts")
    artist = fields.exact(row.get("artist"), "artist", required=True)
    title = fields.exact(row.get("track"), "track", required=True)
    assert artist is not None
    assert title is not None
    counted = row.get("counted_at", "")
    play = Play(
        started_at=started_at,
        artist=artist,
        title=title,
        album=text_of("album"),
        album_artist=text_of("album_artist"),
        duration=seconds("duration"),
        heard=seconds("heard"),
        service=text_of("service") or "unknown",
        kind=text_of("kind") or "on_demand",
        speaker=text_of("speaker") or "",
        room=text_of("room"),
        track_uri=text_of("track_uri"),
        counted_at=fields.timestamp(counted, limit, "counted_at") if counted.strip() else None,
    )
    return play, text_of("origin") or ORIGIN
