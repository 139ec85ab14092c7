"""The play store's bulk-load path: imports of many plays, written in worker threads on a connection of their own.

The event loop only awaits. Each chunk of plays goes through two steps, each run in a worker thread:

- ``Preparer.prepare`` (pure Python, no database): reads the next plays from the source, numbers each distinct
  artist, track, album and context in the order the import meets them, computes start seconds and local hours,
  and orders the rows by track (the unique ``(track_id, started_at)`` index, the roll-ups' sorts and the counters'
  updates are cheapest that way);
- ``BulkWriter``, on a stdlib ``sqlite3`` connection beside the store's aiosqlite one (WAL lets that one read
  meanwhile): ``insert`` opens the transaction, stores the chunk's new names and inserts its plays with
  ``INSERT OR IGNORE``, thousands of rows per statement (the unique index drops plays already stored, from this
  import or an earlier one); ``fold`` adds the plays it inserted to the roll-ups with ``schema.ROLLUP_STATEMENTS``
  over their id range and commits.

Nothing is deferred past a commit: an interrupted import leaves a consistent store holding every chunk committed,
and there is nothing to repair.

SQLite releases the GIL while it runs a statement, so ``Store.add_plays`` prepares the next chunk while this one
is folded (a few long statements). Not while it is inserted: storing names runs a statement per name, and a busy
Python thread beside it would take the GIL back after each one.

Names are resolved as ``Store.add_play`` resolves them and in the order it meets them, so that both paths give
the same ids, stored names, durations and search entries.
"""

from __future__ import annotations

import collections
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
import functools
import itertools
import json
from operator import add, attrgetter, floordiv, itemgetter
from pathlib import Path
import sqlite3
import threading
from typing import Any

from ..engine.model import Play
from .clock import LocalClock
from .schema import ROLLUP_STATEMENTS

_HOUR = 3600
# The bulk connection's page cache (KiB): the plays table, its indexes and the counters stay in memory through an
# import instead of being read back for every chunk. Taken as pages are read (at most the file's size) and freed
# when the import ends.
_CACHE_KIB = 256 * 1024

_PLAY_COLUMNS = 6
_PLAY_COLUMN_NAMES = "track_id, started_at, album_id, context_id, heard, lhour"
# Plays per INSERT statement, at most (fewer if the build allows fewer bound parameters).
_ROWS_PER_STATEMENT = 4096


@functools.lru_cache(maxsize=8)
def _insert_plays_sql(rows: int) -> str:
    placeholders = ",".join(itertools.repeat("(?,?,?,?,?,?)", rows))
    return f"INSERT OR IGNORE INTO plays ({_PLAY_COLUMN_NAMES}) VALUES {placeholders}"  # noqa: S608 - placeholders


_MAX_PLAY_ID = "SELECT coalesce(max(id), 0) FROM plays"

_started = attrgetter("started_at")
_artist = attrgetter("artist")
_title = attrgetter("title")
_album = attrgetter("album")
_album_artist = attrgetter("album_artist")
_heard = attrgetter("heard")
_context = attrgetter("service", "kind", "speaker", "room")

type Context = tuple[str, str, str, str | None]


def name_key(name: str) -> str:
    """The key names are matched on: case and spacing do not make another artist or track."""
    return " ".join(name.casefold().split())


@dataclass(frozen=True, slots=True)
class Prepared:
    """One chunk, ready to write: its rows as columns sorted by (track, start), and the names first met in it.

    Tracks, albums and contexts are numbered in the order the import meets them (album 0 is "no album"); the
    writer maps those numbers to ids as it stores the new names.
    """

    # The plays' columns, row after row (track, start, album, context, heard, local hour): the track, album and
    # context are the import's numbers, which the writer replaces with ids.
    values: list[int | None]
    tracks: tuple[int, ...]
    albums: tuple[int, ...]
    contexts: tuple[int, ...]
    # (name, key), in the order add_play meets them: each play's artist, then its album's artist.
    new_artists: list[tuple[str, str]]
    # (artist name, title, title key, duration of the first play).
    new_tracks: list[tuple[str, str, str, int | None]]
    # (owner's name, title, title key).
    new_albums: list[tuple[str, str, str]]
    new_contexts: list[Context]


class _Numbering[K](dict[K, int]):
    """Numbers keys in the order they are first looked up (``numbering[key]``); remembers the new ones."""

    def __init__(self, first: int = 0) -> None:
        super().__init__()
        self.next = first
        self.new: list[tuple[int, K]] = []

    def __missing__(self, key: K) -> int:
        number = self[key] = self.next
        self.next += 1
        self.new.append((number, key))
        return number

    def meet(self, keys: Iterable[K]) -> None:
        """Number the keys not numbered yet."""
        collections.deque(map(self.__getitem__, keys), maxlen=0)

    def take_new(self) -> list[tuple[int, K]]:
        new, self.new = self.new, []
        return new


class _Albums(_Numbering[tuple[str, str | None]]):
    """Albums by (owner, title); every (owner, no title) is album 0, "no album"."""

    def __missing__(self, key: tuple[str, str | None]) -> int:
        if not key[1]:
            self[key] = 0
            return 0
        return super().__missing__(key)


class Preparer:
    """Turns plays into ``Prepared`` chunks; keeps the import's numbering of names. Pure Python: no database.

    Per-play work is done by C loops (``map``, ``zip``, dict look-ups) over columns, creating no tuple that is kept
    (the garbage collector would walk them all): a Python loop runs only over the names new to the import.
    """

    def __init__(self, plays: Iterator[Play], clock: LocalClock, size: int) -> None:
        self._plays = plays
        self._clock = clock
        # The first chunks are smaller: the writer starts sooner, and each chunk is prepared while the one before,
        # half its size, is folded.
        self._sizes = itertools.chain((max(1, size // 4), max(1, size // 2)), itertools.repeat(size))
        self._artists: _Numbering[str] = _Numbering()
        self._tracks: _Numbering[tuple[str, str]] = _Numbering()
        self._albums = _Albums(first=1)
        self._contexts: _Numbering[Context] = _Numbering()
        # UTC hour number -> its UTC offset in seconds, or None when the offset changes inside that hour.
        self._offsets: dict[int, int | None] = {}
        self._lock = threading.Lock()

    def close(self) -> None:
        """Wait for a ``prepare`` still running, and read no more plays."""
        with self._lock:
            self._plays = iter(())

    def prepare(self) -> Prepared | None:
        """The next chunk, or None when the plays are all read."""
        with self._lock:
            return self._prepare()

    def _prepare(self) -> Prepared | None:
        batch = list(itertools.islice(self._plays, next(self._sizes)))
        if not batch:
            return None
        artists = list(map(_artist, batch))
        albums = list(map(_album, batch))
        album_artists = list(map(_album_artist, batch))
        owners = artists
        # Artists in the order add_play meets them: each play's artist, then its album's artist.
        if any(album_artists):
            owners = [owner or artist for artist, owner in zip(artists, album_artists, strict=True)]
            met: Iterable[str | None] = itertools.chain.from_iterable(
                zip(
                    artists,
                    [owner if album and owner else None for owner, album in zip(album_artists, albums, strict=True)],
                    strict=True,
                )
            )
        else:
            met = artists
        self._artists.meet(name for name in dict.fromkeys(met) if name is not None)
        new_artists = [(name, name_key(name)) for _, name in self._artists.take_new()]

        tracks = list(map(self._tracks.__getitem__, zip(artists, map(_title, batch), strict=True)))
        new_tracks: list[tuple[str, str, str, int | None]] = []
        first = 0
        for number, (artist, title) in self._tracks.take_new():
            # The first play of each new track gives its duration (numbers are met in order: scan on from there).
            first = tracks.index(number, first)
            new_tracks.append((artist, title, name_key(title), round(batch[first].duration) or None))
        album_numbers = list(map(self._albums.__getitem__, zip(owners, albums, strict=True)))
        new_albums = [(owner, str(title), name_key(str(title))) for _, (owner, title) in self._albums.take_new()]
        contexts = list(map(self._contexts.__getitem__, map(_context, batch)))
        new_contexts = [context for _, context in self._contexts.take_new()]

        starts = list(map(_started, batch))
        columns = (
            tracks,
            list(map(round, starts)),
            album_numbers,
            contexts,
            list(map(round, map(_heard, batch))),
            self._lhours(starts),
        )
        # By track (and by start within a track when plays come in time order, as imports give them). Stable: of two
        # plays of a track in the same second, the first one met is kept, as add_play keeps it.
        order = sorted(range(len(batch)), key=tracks.__getitem__)
        pick = itemgetter(*order) if len(order) > 1 else tuple
        sorted_columns = [pick(column) for column in columns]
        return Prepared(
            list(itertools.chain.from_iterable(zip(*sorted_columns, strict=True))),
            sorted_columns[0],
            sorted_columns[2],
            sorted_columns[3],
            new_artists,
            new_tracks,
            new_albums,
            new_contexts,
        )

    def _lhours(self, started: list[float]) -> list[int]:
        """``LocalClock.lhour`` of each start, with the UTC offset looked up once per UTC hour."""
        hours = list(map(int, map(floordiv, started, itertools.repeat(_HOUR))))
        offsets = self._offsets
        clock = self._clock
        for hour in set(hours).difference(offsets):
            first, last = clock.offset(hour * _HOUR), clock.offset(hour * _HOUR + _HOUR - 1)
            offsets[hour] = first if first == last else None
        shifts = list(map(offsets.__getitem__, hours))
        if None in shifts:
            # An hour in which the offset changes (zones whose changes fall inside a UTC hour): play by play.
            shifts = [clock.offset(ts) if shift is None else shift for ts, shift in zip(started, shifts, strict=True)]
        return list(map(int, map(floordiv, map(add, started, shifts, strict=True), itertools.repeat(_HOUR))))


class BulkWriter:
    """One import's writer: its connection and the ids of the names the import has met.

    Its methods block; call them from a worker thread, one at a time: ``insert`` then ``fold`` for each chunk. A
    lock makes sure of it, so that closing waits for a step still running after its caller was cancelled (closing
    rolls back a transaction left open).
    """

    def __init__(self, conn: sqlite3.Connection, origin: str) -> None:
        self._conn = conn
        self._origin = origin
        self._lock = threading.Lock()
        self._artists: dict[str, int] = {}
        # Import numbers (see Preparer) -> ids.
        self._tracks: list[int] = []
        self._albums: list[int | None] = [None]
        self._contexts: list[int] = []
        # The open transaction's plays: ids in (before, after].
        self._span: tuple[int, int] | None = None
        self._rows_per_statement = min(
            _ROWS_PER_STATEMENT, conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // _PLAY_COLUMNS
        )

    @classmethod
    def open(cls, path: Path, origin: str) -> BulkWriter:
        """Connect to the store's file (created and migrated by ``Store.open``)."""
        conn = sqlite3.connect(path, isolation_level=None, timeout=30, check_same_thread=False)
        try:
            for pragma in (
                "PRAGMA synchronous = NORMAL",
                "PRAGMA foreign_keys = OFF",
                "PRAGMA temp_store = MEMORY",
                f"PRAGMA cache_size = -{_CACHE_KIB:d}",
                "PRAGMA busy_timeout = 30000",
                # Checkpoints after fewer commits (64 MiB of WAL rather than 4): pages that every chunk changes (the
                # unique index, the counters) are copied back once for several chunks.
                "PRAGMA wal_autocheckpoint = 16384",
            ):
                conn.execute(pragma)
        except BaseException:
            conn.close()
            raise
        return cls(conn, origin)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def insert(self, chunk: Prepared) -> None:
        """Open the chunk's transaction, store its new names and insert its plays (not yet counted: ``fold``)."""
        with self._lock:
            conn = self._conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                self._store_names(chunk)
                before = int(conn.execute(_MAX_PLAY_ID).fetchone()[0])
                values = chunk.values
                values[0::_PLAY_COLUMNS] = list(map(self._tracks.__getitem__, chunk.tracks))
                values[2::_PLAY_COLUMNS] = list(map(self._albums.__getitem__, chunk.albums))
                values[3::_PLAY_COLUMNS] = list(map(self._contexts.__getitem__, chunk.contexts))
                inserted = self._insert_plays(values)
                after = int(conn.execute(_MAX_PLAY_ID).fetchone()[0])
                # The roll-ups fold the ids in (before, after]: exactly this chunk's plays, as the transaction holds
                # the write lock and a new row's id is the last one plus one.
                assert after - before == inserted, (before, after, inserted)
                self._span = (before, after)
            except BaseException:
                self._abort()
                raise

    def _insert_plays(self, values: list[int | None]) -> int:
        """Insert plays given as one flat list of their columns, many rows per statement (far cheaper than a
        statement per row); returns how many were inserted."""
        conn = self._conn
        step = self._rows_per_statement * _PLAY_COLUMNS
        inserted = 0
        for start in range(0, len(values), step):
            part = values[start : start + step]
            inserted += conn.execute(_insert_plays_sql(len(part) // _PLAY_COLUMNS), part).rowcount
        return inserted

    def fold(self) -> int:
        """Add the chunk's plays to the roll-ups and commit; returns how many plays were new."""
        with self._lock:
            assert self._span is not None, "fold() follows insert()"
            before, after = self._span
            conn = self._conn
            try:
                if after > before:
                    for statement in ROLLUP_STATEMENTS:
                        conn.execute(statement, (before, after))
                conn.execute("COMMIT")
            except BaseException:
                self._abort()
                raise
            self._span = None
            return after - before

    def _abort(self) -> None:
        # Ids stored by the rolled-back transaction are gone with it: the import stops here (add_plays raises).
        self._span = None
        if self._conn.in_transaction:
            self._conn.execute("ROLLBACK")

    def _store_names(self, chunk: Prepared) -> None:
        conn = self._conn
        artists = self._artists
        if chunk.new_artists:
            ids, _ = self._insert_names(
                "artists", ("name_key", "name"), [(key, name) for name, key in chunk.new_artists], keys=1
            )
            for name, key in chunk.new_artists:
                artists[name] = ids[key,]
        if chunk.new_tracks:
            wanted = [(artists[artist], key, title, duration) for artist, title, key, duration in chunk.new_tracks]
            ids, before = self._insert_names("tracks", ("artist_id", "title_key", "title", "duration"), wanted, keys=2)
            track_ids = [ids[artist_id, key] for artist_id, key, _, _ in wanted]
            # Each new track is indexed for search under the names of the play that brought it, as add_play does.
            search: dict[int, tuple[int, str, str]] = {}
            for track_id, (artist, title, _, _) in zip(track_ids, chunk.new_tracks, strict=True):
                if track_id > before and track_id not in search:
                    search[track_id] = (track_id, artist, title)
            conn.executemany("INSERT INTO track_search (rowid, artist, title) VALUES (?, ?, ?)", search.values())
            self._tracks.extend(track_ids)
        if chunk.new_albums:
            wanted_albums = [(artists[owner], key, title) for owner, title, key in chunk.new_albums]
            ids, _ = self._insert_names("albums", ("artist_id", "title_key", "title"), wanted_albums, keys=2)
            self._albums.extend(ids[artist_id, key] for artist_id, key, _ in wanted_albums)
        for service, kind, speaker, room in chunk.new_contexts:
            row = conn.execute(
                "INSERT INTO contexts (service, kind, speaker, room, origin) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (service, kind, speaker, room, origin) DO UPDATE SET origin = excluded.origin "
                "RETURNING id",
                (service, kind, speaker, room or "", self._origin),
            ).fetchone()
            self._contexts.append(int(row[0]))

    def _insert_names(
        self, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]], keys: int
    ) -> tuple[dict[tuple[Any, ...], int], int]:
        """Insert the rows not there yet (their first ``keys`` columns are the table's unique key, and the first
        row of a key wins, as add_play's order does); returns the id of every key, and the table's last id before.
        """
        conn = self._conn
        names = ", ".join(columns)
        key_names = ", ".join(columns[:keys])
        # Fixed table and column names only (S608): every value is a bound parameter.
        before = int(conn.execute(f"SELECT coalesce(max(id), 0) FROM {table}").fetchone()[0])  # noqa: S608
        conn.executemany(
            f"INSERT OR IGNORE INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))})",  # noqa: S608
            rows,
        )
        # The rows just inserted (this transaction holds the write lock: ids above ``before`` are its own) ...
        ids = {
            tuple(row[:keys]): row[keys]
            for row in conn.execute(f"SELECT {key_names}, id FROM {table} WHERE id > ?", (before,))  # noqa: S608
        }
        # ... and the keys that were there already, looked up in one statement.
        missing = [key for key in dict.fromkeys(row[:keys] for row in rows) if key not in ids]
        if missing:
            match = " AND ".join(f"x.{column} = j.value ->> {index}" for index, column in enumerate(columns[:keys]))
            found = conn.execute(
                f"SELECT j.key, x.id FROM json_each(?) j JOIN {table} x ON {match}",  # noqa: S608
                (json.dumps(missing),),
            )
            ids.update((missing[index], row_id) for index, row_id in found)
        return ids, before
