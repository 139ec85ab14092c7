"""The play store's bulk-load path: imports of many plays, written in worker threads on a connection of their own.

The event loop only awaits. Each chunk of plays goes through these steps, each run in a worker thread:

- ``Preparer.prepare`` (no database): reads the next plays from the source, numbers each distinct artist, track,
  album and context in the order the import meets them, computes start seconds and local hours as numpy columns,
  sums the chunk into every roll-up and counter (sums.py, keyed on those numbers), and orders the rows by track (the
  unique ``(track_id, started_at)`` index is cheapest that way);
- ``BulkWriter``, on a stdlib ``sqlite3`` connection beside the store's aiosqlite one (WAL lets that one read
  meanwhile): ``begin`` opens the transaction and stores the chunk's new names; ``insert`` inserts its plays with
  ``INSERT OR IGNORE``, thousands of rows per statement (the unique index drops plays already stored, from this
  import or an earlier one); ``fold`` adds the chunk's sums to the dated roll-ups (by day, month, year), its
  numbers replaced with ids, records the chunk's span of ids in ``all_time_pending``, and commits;
- ``BulkWriter.total``, in the preparer's thread before it prepares the next chunk, beside the writer's steps: adds
  the sums of the chunks committed so far to the import's all-time totals (``sums.Totals``);
- ``finish``, once the last chunk is committed, adds the import's all-time sums (the ``r_ctx_*`` roll-ups and the
  counters on tracks, albums and artists), summed across its chunks (``sums.Totals``), and clears its spans, in one
  transaction. Per chunk, they were half the rows of sums a chunk writes (a track played in ten chunks is one row,
  not ten), and the counters' rows are the dearest to write: each moves the track in ``tracks_by_plays``.

Where the sums are not those of the plays inserted (plays already stored were dropped, an import with a tolerance,
or two spellings the import numbered apart are one name in the store), ``fold`` sums the plays the chunk inserted
from the file instead, into every roll-up and counter, with ``schema.fold_plays`` over their id range: about ten
times slower, exact.

An import that fails or is cancelled adds the all-time sums of the chunks it committed as it closes. One that
never gets there (the process killed, or that last write failing) leaves its spans in ``all_time_pending``: the
store adds those plays to the all-time roll-ups and counters from the file when it opens (``schema.settle_pending``).
Until then, or until ``finish``, the all-time figures lack the import's plays; the dated ones have every chunk
committed.

SQLite releases the GIL while it runs a statement, and numpy while it sorts, so ``Store.import_plays`` prepares the
next chunk while this one is written. Every write adds thousands of rows per statement: the writer's thread needs
the GIL back after each statement, and waits for it while the preparer's Python code runs (up to the interpreter's
switch interval, 5 ms), a wait per statement rather than per row.

Names are resolved as ``Store.add_play`` resolves them and in the order it meets them, so that both paths give
the same ids, stored names, durations and search entries.
"""

from __future__ import annotations

import collections
from collections.abc import Callable, Iterable, Iterator
import contextlib
from dataclasses import dataclass, field
import functools
import itertools
import json
from operator import attrgetter, itemgetter
from pathlib import Path
import sqlite3
import threading
import time
from typing import Any

import numpy as np
import numpy.typing as npt

from ..engine.model import Play
from .clock import LocalClock
from .schema import ROLLUPS, fold_plays
from .sums import NAME_KEYS, Ints, Sums, Totals, chunk_sums

_HOUR = 3600
_DAY = 86400
# The bulk connection's page cache (KiB): the plays table, its indexes and the counters stay in memory through an
# import instead of being read back for every chunk. Taken as pages are read (at most the file's size) and freed
# when the import ends.
_CACHE_KIB = 256 * 1024
# WAL written before the bulk connection copies it back into the database file.
_WAL_BYTES = 64 * 1024 * 1024

# Plays prepared per step, and the pause between steps (see _let_others_run). A step holds the GIL about 1.5 ms:
# the writer's thread, which needs it back after each statement, waited 1.5 s in all for a million plays with steps
# of 2,048 plays, 1 s with 512.
_PIECE = 512
_PAUSE = 0.0002
_PLAY_COLUMNS = 6
_PLAY_COLUMN_NAMES = "track_id, started_at, album_id, context_id, heard, lhour"
# Plays per INSERT statement, at most (fewer if the build allows fewer bound parameters), and names.
_ROWS_PER_STATEMENT = 4096
_NAMES_PER_STATEMENT = 1024


@functools.lru_cache(maxsize=64)
def _insert_sql(table: str, columns: str, rows: int, *, ignore: bool = True) -> str:
    """Insert ``rows`` rows into ``columns`` (comma-separated) of ``table``; with ``ignore``, rows already there (by
    a unique key) are left as they are."""
    row = f"({','.join('?' * len(columns.split(',')))})"
    verb = "INSERT OR IGNORE" if ignore else "INSERT"
    return f"{verb} INTO {table} ({columns}) VALUES {','.join(itertools.repeat(row, rows))}"


# Imports that match plays already stored within a tolerance (a play of the same track starting within that many
# seconds is the same listen, whatever source recorded it): the chunk goes to a temporary table first, then into
# plays, but for the rows that match a stored play or an earlier row of the chunk. Both look-ups are index searches.
_INCOMING = "bulk_incoming"
_CREATE_INCOMING = (
    (
        f"CREATE TEMP TABLE IF NOT EXISTS {_INCOMING} (track_id INTEGER, started_at INTEGER, album_id INTEGER, "
        "context_id INTEGER, heard INTEGER, lhour INTEGER)"
    ),
    f"CREATE INDEX IF NOT EXISTS temp.{_INCOMING}_by_track ON {_INCOMING} (track_id, started_at)",
)
_INSERT_NEW_PLAYS = f"""
    INSERT INTO plays ({_PLAY_COLUMN_NAMES})
    SELECT {_PLAY_COLUMN_NAMES} FROM {_INCOMING} AS i
    WHERE NOT EXISTS (SELECT 1 FROM plays AS p WHERE p.track_id = i.track_id
                      AND p.started_at BETWEEN i.started_at - ?1 AND i.started_at + ?1)
      AND NOT EXISTS (SELECT 1 FROM {_INCOMING} AS j WHERE j.track_id = i.track_id
                      AND j.started_at BETWEEN i.started_at - ?1 AND i.started_at + ?1 AND j.rowid < i.rowid)
    ORDER BY i.rowid
"""  # noqa: S608 - fixed names


_MAX_PLAY_ID = "SELECT coalesce(max(id), 0) FROM plays"


def _batches(count: int, most: int) -> Iterator[tuple[int, int]]:
    """Rows [start, end) for each statement writing ``count`` rows, ``most`` at a time, the rest in powers of two.

    Each count of rows is a statement of its own, compiled once and kept in the connection's cache: about 2 MB at
    thousands of rows, and compiling one takes about 40 % as long as running it. Full statements and powers of two
    keep a dozen sizes per statement, whatever the counts of rows chunks give.
    """
    start = 0
    for _ in range(count // most):
        yield start, start + most
        start += most
    size = 1 << (count - start).bit_length()
    while start < count:
        size >>= 1
        if start + size <= count:
            yield start, start + size
            start += size


# Each counter's sums, as bulk.Sums gives them, and how they are added (as schema._FOLD_COUNTERS adds them).
_COUNTERS: dict[str, tuple[str, str]] = {
    "tracks": (
        "id, n, h, f",
        "plays = plays + c.n, heard = heard + c.h, first_played = min(coalesce(first_played, c.f), c.f)",
    ),
    "albums": ("id, n, h", "plays = plays + c.n, heard = heard + c.h"),
    "artists": (
        "id, n, h, f, fl",
        (
            "plays = plays + c.n, heard = heard + c.h, "
            "first_lday = CASE WHEN first_played IS NULL OR c.f < first_played THEN c.fl ELSE first_lday END, "
            "first_played = min(coalesce(first_played, c.f), c.f)"
        ),
    ),
}


@functools.lru_cache(maxsize=8)
def _counters_sql(table: str, rows: int) -> str:
    """Add ``rows`` rows of sums to a counter table."""
    columns, update = _COUNTERS[table]
    row = f"({', '.join('?' * len(columns.split(', ')))})"
    values = ",".join(itertools.repeat(row, rows))
    return f"WITH c({columns}) AS (VALUES {values}) UPDATE {table} SET {update} FROM c WHERE {table}.id = c.id"  # noqa: S608


_started = attrgetter("started_at")
_artist = attrgetter("artist")
_title = attrgetter("title")
_album = attrgetter("album")
_album_artist = attrgetter("album_artist")
_heard = attrgetter("heard")
_play_of = itemgetter(0)
_origin_of = itemgetter(1)

type Context = tuple[str, str, str, str | None, str]


def _sums_of(columns: tuple[Ints, ...]) -> Sums:
    """The sums of a chunk's columns (``Preparer._columns``' order)."""
    track, started, album, context, heard, lhour, artist = columns
    return chunk_sums(
        track=track, album=album, context=context, artist=artist, started=started, heard=heard, lhour=lhour
    )


# A play's context but its origin: (service, kind, speaker, room).
_context_of = attrgetter("service", "kind", "speaker", "room")


def name_key(name: str) -> str:
    """The key names are matched on: case and spacing do not make another artist or track."""
    return " ".join(name.casefold().split())


@dataclass(slots=True)
class NewNames:
    """Names an import meets for the first time, in the order add_play would store them, as columns."""

    # Each play's artist, then its album's artist.
    artists: list[str] = field(default_factory=list)
    artist_keys: list[str] = field(default_factory=list)
    track_artists: list[str] = field(default_factory=list)
    track_titles: list[str] = field(default_factory=list)
    track_keys: list[str] = field(default_factory=list)
    # Of the track's first play.
    track_durations: list[int | None] = field(default_factory=list)
    album_owners: list[str] = field(default_factory=list)
    album_titles: list[str] = field(default_factory=list)
    album_keys: list[str] = field(default_factory=list)
    contexts: list[Context] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Prepared:
    """One chunk, ready to write: its rows ordered by track, and the names first met in it.

    Tracks, albums and contexts are numbered in the order the import meets them (album 0 is "no album"); the
    writer maps those numbers to ids as it stores the new names.
    """

    # One row per play (_PLAY_COLUMN_NAMES: track, start, album, context, heard, local hour): the track, album and
    # context are the import's numbers, which the writer replaces with ids.
    rows: Ints
    new: NewNames
    # The chunk's roll-up sums, on the import's numbers (sums.py), when the preparer was asked for them.
    sums: Sums | None

    def __len__(self) -> int:
        return len(self.rows)


class _Numbers(dict[Any, int]):
    """Numbers keys in the order they are first looked up (``numbers[key]``); ``new`` lists the numbers given since
    the last ``take_new``."""

    def __init__(self, first: int = 0) -> None:
        super().__init__()
        self.next = first
        self.new: list[int] = []

    def __missing__(self, key: Any) -> int:
        number = self[key] = self.next
        self.next += 1
        self.new.append(number)
        return number

    def take_new(self) -> list[int]:
        new, self.new = self.new, []
        return new


class _Albums(_Numbers):
    """Albums by (owner number, title); no title is no album, album 0."""

    def __missing__(self, key: tuple[int, str | None]) -> int:
        if not key[1]:
            self[key] = 0
            return 0
        return super().__missing__(key)


class _Contexts(dict[tuple[tuple[str, str, str, str | None], str], int]):
    """Contexts, numbered, keyed by (``_context_of(play)``, origin): a few dozen per import."""

    def __init__(self) -> None:
        super().__init__()
        self.by_number: list[Context] = []

    def __missing__(self, key: tuple[tuple[str, str, str, str | None], str]) -> int:
        (service, kind, speaker, room), origin = key
        number = self[key] = len(self.by_number)
        self.by_number.append((service, kind, speaker, room, origin))
        return number


def _pair_numbers(pairs: _Numbers, owners: list[int], titles: list[str | None]) -> list[int]:
    """The numbers of (owner number, title) pairs, in C loops."""
    return list(map(pairs.__getitem__, zip(owners, titles, strict=True)))


def _let_others_run() -> None:
    """Give the GIL away for a moment, between two steps of a chunk's preparation.

    The writer's thread needs the GIL back each time SQLite finishes a statement; left to the interpreter, it would
    wait for its switch interval (5 ms) and then for the end of whatever C loop the preparer is in.
    """
    time.sleep(_PAUSE)


class Preparer:
    """Turns plays into ``Prepared`` chunks; keeps the import's numbering of names. Pure Python: no database.

    Per-play work is done by C loops (``map``, ``zip``, dict look-ups) over columns, keeping no new tuple per play
    or per name (each would count towards a run of the garbage collector, which walks the whole heap in steps): a
    Python loop runs only over the names new to the import.
    """

    def __init__(self, plays: Iterator[tuple[Play, str]], clock: LocalClock, size: int, *, sums: bool = True) -> None:
        self._plays = plays
        # Whether chunks come with their sums (not for imports with a tolerance, whose writer drops plays that
        # match: summed from the file).
        self._sums = sums
        self._clock = clock
        # The first chunks are smaller: the writer starts sooner, and each chunk is prepared while the one before,
        # half its size, is folded.
        self._sizes = itertools.chain((max(1, size // 4), max(1, size // 2)), itertools.repeat(size))
        # Names are numbered; a track is keyed (artist number, title), an album (owner number, title): one tuple per
        # name kept, none per play (zip hands the same tuple back while the one before is not kept).
        self._artists = _Numbers(first=1)
        self._tracks = _Numbers()
        self._albums = _Albums(first=1)
        self._contexts = _Contexts()
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
        # The source is read a piece at a time and each piece turned into columns at once, giving the GIL away
        # between pieces: an import's parser is Python code that would otherwise keep the event loop waiting behind
        # this thread and the writer's, and a chunk's plays kept alive together (a hundred thousand objects) would
        # be moved to the collector's old generation and make it walk the whole heap, the event loop waiting.
        size = next(self._sizes)
        new = NewNames()
        # The plays' columns (_PLAY_COLUMN_NAMES but the local hour, then each play's artist number, for the sums
        # only), and their exact starts, a piece each.
        pieces: list[Ints] = []
        starts: list[npt.NDArray[np.float64]] = []
        count = 0
        while count < size:
            pairs = list(itertools.islice(self._plays, min(_PIECE, size - count)))
            if not pairs:
                break
            count += len(pairs)
            plays = list(map(_play_of, pairs))
            origins = list(map(_origin_of, pairs))
            del pairs
            piece, started = self._columns(plays, origins, new)
            pieces.append(np.vstack(piece))
            starts.append(started)
            del plays, origins, piece, started
            _let_others_run()
        if not count:
            return None
        # The local hours, once for the chunk: a piece's share of the work is mostly numpy's overhead per call.
        lhours = self._lhours(np.concatenate(starts))
        columns: Ints = np.insert(np.concatenate(pieces, axis=1), 5, lhours, axis=0)
        del pieces, starts
        sums = _sums_of(tuple(columns)) if self._sums else None
        # Ordered by track, and by position for a track (a stable sort: of two plays of a track in the same second,
        # the first one met is kept, as add_play keeps it). When plays come in time order, as imports give them,
        # that is the unique index's order.
        order = np.argsort(columns[0], kind="stable")
        rows: Ints = np.ascontiguousarray(columns[:_PLAY_COLUMNS, order].T)
        return Prepared(rows, new, sums)

    def _columns(
        self, plays: list[Play], origins: list[str], new: NewNames
    ) -> tuple[tuple[Ints, ...], npt.NDArray[np.float64]]:
        """The columns of some plays (track, start, album, context, heard, and the artist's number), and their exact
        starts; their new names go to ``new``."""
        artists = list(map(_artist, plays))
        titles = list(map(_title, plays))
        albums = list(map(_album, plays))
        album_artists = list(map(_album_artist, plays))
        owners = artists
        # Artists in the order add_play meets them: each play's artist, then its album's artist.
        met: Iterable[str | None] = artists
        if any(album_artists):
            owners = [owner or artist for artist, owner in zip(artists, album_artists, strict=True)]
            met = itertools.chain.from_iterable(
                zip(
                    artists,
                    [owner if album and owner else None for owner, album in zip(album_artists, albums, strict=True)],
                    strict=True,
                )
            )
        numbers = self._artists
        new_artists = [name for name in dict.fromkeys(met) if name is not None and name not in numbers]
        for name in new_artists:
            numbers[name]  # gives it the next number
        numbers.take_new()
        new.artists += new_artists
        new.artist_keys += map(name_key, new_artists)

        artist_numbers = list(map(numbers.__getitem__, artists))
        tracks = _pair_numbers(self._tracks, artist_numbers, titles)
        first = 0
        for number in self._tracks.take_new():
            # The first play of each new track gives its names and duration (numbers are met in order).
            first = tracks.index(number, first)
            new.track_artists.append(artists[first])
            new.track_titles.append(titles[first])
            new.track_keys.append(name_key(titles[first]))
            new.track_durations.append(round(plays[first].duration) or None)
        owner_numbers = artist_numbers if owners is artists else list(map(numbers.__getitem__, owners))
        album_numbers = _pair_numbers(self._albums, owner_numbers, albums)
        first = 0
        for number in self._albums.take_new():
            first = album_numbers.index(number, first)
            new.album_owners.append(owners[first])
            new.album_titles.append(albums[first])
            new.album_keys.append(name_key(albums[first]))
        known = len(self._contexts.by_number)
        contexts = list(map(self._contexts.__getitem__, zip(map(_context_of, plays), origins, strict=True)))
        new.contexts += self._contexts.by_number[known:]

        count = len(plays)
        starts = np.fromiter(map(_started, plays), dtype=np.float64, count=count)
        heard = np.fromiter(map(_heard, plays), dtype=np.float64, count=count)
        # np.rint rounds halves to even, as round() does.
        columns = (
            np.asarray(tracks, dtype=np.int64),
            np.rint(starts).astype(np.int64),
            np.asarray(album_numbers, dtype=np.int64),
            np.asarray(contexts, dtype=np.int64),
            np.rint(heard).astype(np.int64),
            np.asarray(artist_numbers, dtype=np.int64),
        )
        return columns, starts

    def _lhours(self, started: npt.NDArray[np.float64]) -> Ints:
        """``LocalClock.lhour`` of each start, with the UTC offset looked up once per UTC day."""
        days, index = np.unique(np.floor_divide(started, _DAY).astype(np.int64), return_inverse=True)
        clock = self._clock
        shifts = np.asarray([clock.day_offset(day) for day in days.tolist()], dtype=np.float64)  # None: NaN
        each = shifts[index]
        changing = np.isnan(each)
        if changing.any():
            # A day in which the offset changes: play by play.
            each[changing] = [clock.offset(ts) for ts in started[changing].tolist()]
        lhours: Ints = np.floor_divide(started + each, _HOUR).astype(np.int64)
        return lhours


class BulkWriter:
    """One import's writer: its connection and the ids of the names the import has met.

    Its methods block; call them from a worker thread, one at a time: ``begin``, ``insert`` and ``fold`` for each
    chunk, then ``finish``. A lock makes sure of it, so that closing waits for a step still running after its caller
    was cancelled (closing rolls back a transaction left open). ``total`` needs no database and has a lock of its
    own: it runs beside those steps.
    """

    def __init__(self, conn: sqlite3.Connection, tolerance: int = 0) -> None:
        self._conn = conn
        self._tolerance = tolerance
        self._lock = threading.Lock()
        self._artists: dict[str, int] = {}
        # Import numbers (see Preparer) -> ids.
        self._tracks: list[int] = []
        self._albums: list[int] = [0]
        self._contexts: list[int] = []
        self._artist_ids: list[int] = [0]
        # Whether no two numbers have the same id (names the import spells two ways that the store keeps as one,
        # "AIR" and "Air", share an id): only then are the preparer's sums, keyed on numbers, the sums by id.
        self._distinct = True
        # The open transaction's plays (ids in (before, after]) and the chunk's sums.
        self._span: tuple[int, int] | None = None
        self._sums: Sums | None = None
        # Numbers -> ids as of the last chunk's names (``_id_arrays``).
        self._ids: dict[str, Ints] = {}
        # The committed chunks whose all-time sums wait for the import's end (``finish``): their spans (also in
        # all_time_pending, in case the import never ends) and the sums.
        self._pending: list[tuple[int, int]] = []
        self._totals = Totals()
        # Sums of committed chunks not yet in ``_totals``: ``total`` adds them beside the writer's steps, in the
        # preparer's thread (no database needed), under a lock of its own. ``_totals_whole`` turns False if adding
        # them failed (the totals may hold part of a chunk): the import's end then adds its plays from the file.
        self._committed: collections.deque[Sums] = collections.deque()
        self._totals_lock = threading.Lock()
        self._totals_whole = True
        self._max_parameters = min(
            _ROWS_PER_STATEMENT * _PLAY_COLUMNS, conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        )
        self._rows_per_statement = self._max_parameters // _PLAY_COLUMNS

    @classmethod
    def open(cls, path: Path, tolerance: int = 0) -> BulkWriter:
        """Connect to the store's file (created and migrated by ``Store.open``)."""
        conn = sqlite3.connect(path, isolation_level=None, timeout=30, check_same_thread=False)
        try:
            for pragma in (
                "PRAGMA synchronous = NORMAL",
                "PRAGMA foreign_keys = OFF",
                "PRAGMA temp_store = MEMORY",
                f"PRAGMA cache_size = -{_CACHE_KIB:d}",
                "PRAGMA busy_timeout = 30000",
            ):
                conn.execute(pragma)
            # Checkpoints after fewer commits (64 MiB of WAL rather than SQLite's 1,000 pages): pages that every chunk
            # changes (the unique index, the counters) are copied back once for several chunks.
            page_size = int(conn.execute("PRAGMA page_size").fetchone()[0])
            conn.execute(f"PRAGMA wal_autocheckpoint = {_WAL_BYTES // page_size:d}")
        except BaseException:
            conn.close()
            raise
        return cls(conn, tolerance)

    def close(self) -> None:
        """Add the all-time sums still pending (an import that failed or was cancelled: those of the chunks it
        committed; when that fails too, the store adds them from the plays when it next opens), copy what the
        import wrote back into the database file (not to leave it to a live play's commit, on the store's
        connection), then close."""
        with self._lock:
            try:
                # A chunk whose step was still running when its caller was cancelled: not committed, rolled back.
                self._abort()
                with contextlib.suppress(sqlite3.Error):
                    self._finish()
                with contextlib.suppress(sqlite3.Error):
                    self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
            finally:
                self._conn.close()

    def finish(self) -> None:
        """Add the committed chunks' all-time sums to the all-time roll-ups and counters, in one transaction."""
        with self._lock:
            self._finish()

    def _finish(self) -> None:
        if not self._pending:
            return
        conn = self._conn
        if self._distinct:
            self.total()
        conn.execute("BEGIN IMMEDIATE")
        try:
            if self._distinct and self._totals_whole:
                self._ids = self._id_arrays()
                with self._totals_lock:
                    totals = self._totals.sums()
                self._add_sums(totals, all_time=True)
            else:
                # Two of the import's numbers came to share an id (the sums by number are not the sums by id), or
                # adding a chunk to the totals failed.
                for before, after in self._pending:
                    fold_plays(conn, before, after, all_time_only=True)
            conn.executemany("DELETE FROM all_time_pending WHERE after_id = ? AND last_id = ?", self._pending)
            conn.execute("COMMIT")
        except BaseException:
            self._abort()
            raise
        self._pending = []
        with self._totals_lock:
            self._committed.clear()
            self._totals = Totals()
            self._totals_whole = True

    def total(self) -> None:
        """Add the chunks committed since the last call to the import's totals. Needs no database, nor the writer's
        lock: ``Store.import_plays`` calls it in the preparer's thread, beside the next chunk's writes, so that the
        writer's thread only writes (``finish`` adds the last chunks)."""
        with self._totals_lock:
            while self._committed and self._totals_whole:
                sums = self._committed.popleft()
                try:
                    self._totals.add(sums)
                except BaseException:
                    self._totals_whole = False
                    raise

    def begin(self, chunk: Prepared) -> None:
        """Open the chunk's transaction and store its new names."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                self._store_names(chunk)
                # The chunk's names are all stored: its numbers' ids, for its plays and its sums.
                self._ids = self._id_arrays()
            except BaseException:
                self._abort()
                raise

    def insert(self, chunk: Prepared) -> None:
        """Insert the chunk's plays (not yet counted: ``fold``), in the transaction ``begin`` opened."""
        with self._lock:
            conn = self._conn
            assert conn.in_transaction, "insert() follows begin()"
            try:
                before = int(conn.execute(_MAX_PLAY_ID).fetchone()[0])
                self._sums = chunk.sums
                inserted = self._insert_plays(chunk)
                after = int(conn.execute(_MAX_PLAY_ID).fetchone()[0])
                # The roll-ups fold the ids in (before, after]: exactly this chunk's plays, as the transaction holds
                # the write lock and a new row's id is the last one plus one.
                assert after - before == inserted, (before, after, inserted)
                self._span = (before, after)
            except BaseException:
                self._abort()
                raise

    def _insert_plays(self, chunk: Prepared) -> int:
        """Insert the chunk's plays, many rows per statement (far cheaper than a statement per row), their import
        numbers replaced with ids; returns how many were inserted."""
        conn = self._conn
        table = "plays" if self._tolerance <= 0 else _INCOMING
        if table == _INCOMING:
            for statement in _CREATE_INCOMING:
                conn.execute(statement)
        rows = chunk.rows.copy()
        for index, key in ((0, "track_id"), (2, "album_id"), (3, "context_id")):
            rows[:, index] = self._ids[key][rows[:, index]]
        inserted = 0
        for start, end in _batches(len(rows), self._rows_per_statement):
            part = rows[start:end]
            values: list[Any] = part.ravel().tolist()
            # Album 0 is no album: NULL (an expression in the rows, nullif(?, 0), would make the statement slower).
            values[2::_PLAY_COLUMNS] = [album or None for album in values[2::_PLAY_COLUMNS]]
            inserted += conn.execute(_insert_sql(table, _PLAY_COLUMN_NAMES, len(part)), values).rowcount
        if table == _INCOMING:
            inserted = conn.execute(_INSERT_NEW_PLAYS, (self._tolerance,)).rowcount
            conn.execute(f"DELETE FROM {_INCOMING}")  # noqa: S608 - a fixed name
        return inserted

    def fold(self) -> int:
        """Add the chunk's plays to the roll-ups and commit; returns how many plays were new."""
        with self._lock:
            assert self._span is not None, "fold() follows insert()"
            before, after = self._span
            conn = self._conn
            # The chunk's sums, if they are those of the plays it inserted, by id.
            sums = self._sums
            if sums is not None and (after - before != sums.plays or not self._distinct):
                sums = None
            try:
                if sums is not None:
                    # The dated roll-ups now; the all-time ones and the counters at the import's end (``finish``).
                    self._add_sums(sums, all_time=False)
                    conn.execute("INSERT INTO all_time_pending (after_id, last_id) VALUES (?, ?)", (before, after))
                elif after > before:
                    # Some plays were already stored (the unique index dropped them) or the sums' names are not
                    # the store's: the plays this chunk inserted are summed from the file.
                    fold_plays(conn, before, after)
                conn.execute("COMMIT")
            except BaseException:
                self._abort()
                raise
            if sums is not None:
                self._pending.append((before, after))
                self._committed.append(sums)
            self._span = None
            return after - before

    def _id_arrays(self) -> dict[str, Ints]:
        """The import's numbers -> ids, by key column (``NAME_KEYS``), as arrays to index with numbers."""
        return {
            "track_id": np.asarray(self._tracks, dtype=np.int64),
            "album_id": np.asarray(self._albums, dtype=np.int64),
            "context_id": np.asarray(self._contexts, dtype=np.int64),
            "artist_id": np.asarray(self._artist_ids, dtype=np.int64),
        }

    def _add_sums(self, sums: Sums, *, all_time: bool) -> None:
        """Add sums to the dated roll-ups, or to the all-time ones and the counters, their numbers replaced with
        ids."""
        ids = self._ids
        for rollup, rows in zip(ROLLUPS, sums.rollups, strict=True):
            if rollup.all_time == all_time:
                self._write_sums(rollup.upsert, rollup.keys, rows, ids)
        if all_time:
            for table, rows in (("tracks", sums.tracks), ("albums", sums.albums), ("artists", sums.artists)):
                self._write_sums(functools.partial(_counters_sql, table), (f"{table[:-1]}_id",), rows, ids)

    def _write_sums(
        self, statement: Callable[[int], str], keys: tuple[str, ...], rows: Ints, ids: dict[str, Ints]
    ) -> None:
        """Write rows of sums, ``statement(n)`` adding n rows at a time; their key columns named in ``NAME_KEYS``
        hold numbers, replaced with ids."""
        rows = rows.copy()
        for index, key in enumerate(keys):
            if key in NAME_KEYS:
                rows[:, index] = ids[key][rows[:, index]]
        width = rows.shape[1]
        for start, end in _batches(len(rows), self._max_parameters // width):
            self._conn.execute(statement(end - start), rows[start:end].ravel().tolist())

    def _abort(self) -> None:
        # Ids stored by the rolled-back transaction are gone with it: the import stops here (add_plays raises).
        self._span = None
        if self._conn.in_transaction:
            self._conn.execute("ROLLBACK")

    def _store_names(self, chunk: Prepared) -> None:
        new = chunk.new
        artists = self._artists
        if new.artists:
            ids, before = self._insert_names("artists", ("name_key", "name"), [new.artist_keys, new.artists], keys=1)
            artists.update(zip(new.artists, ids, strict=True))
            self._artist_ids += ids
            self._check_distinct(before, self._artist_ids)
        if new.track_titles:
            owners = list(map(artists.__getitem__, new.track_artists))
            columns: list[list[Any]] = [owners, new.track_keys, new.track_titles, new.track_durations]
            ids, before = self._insert_names("tracks", ("artist_id", "title_key", "title", "duration"), columns, keys=2)
            # Each new track is indexed for search under the names of the play that brought it, as add_play does.
            search: Iterable[tuple[int, str, str]] = zip(ids, new.track_artists, new.track_titles, strict=True)
            if before is not None:
                # Some were there already (indexed then), or came twice: each new track once.
                firsts: dict[int, tuple[int, str, str]] = {}
                for row in search:
                    if row[0] > before:
                        firsts.setdefault(row[0], row)
                search = firsts.values()
            values = list(itertools.chain.from_iterable(search))
            self._insert_rows("track_search", "rowid, artist, title", values, 3, ignore=False)
            self._tracks += ids
            self._check_distinct(before, self._tracks)
        if new.album_titles:
            owners = list(map(artists.__getitem__, new.album_owners))
            columns = [owners, new.album_keys, new.album_titles]
            ids, before = self._insert_names("albums", ("artist_id", "title_key", "title"), columns, keys=2)
            self._albums += ids
            self._check_distinct(before, self._albums)
        for service, kind, speaker, room, origin in new.contexts:
            row = self._conn.execute(
                "INSERT INTO contexts (service, kind, speaker, room, origin) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (service, kind, speaker, room, origin) DO UPDATE SET origin = excluded.origin "
                "RETURNING id",
                (service, kind, speaker, room or "", origin),
            ).fetchone()
            self._contexts.append(int(row[0]))
        if new.contexts:
            self._check_distinct(0, self._contexts)

    def _insert_rows(self, table: str, columns: str, values: list[Any], width: int, *, ignore: bool = True) -> int:
        """Insert names given one value after the other, up to ``_NAMES_PER_STATEMENT`` rows per statement (one
        statement per row would hand the GIL to the preparer's thread and wait to get it back, row after row);
        returns how many were inserted."""
        inserted = 0
        for start, end in _batches(len(values) // width, _NAMES_PER_STATEMENT):
            statement = _insert_sql(table, columns, end - start, ignore=ignore)
            inserted += self._conn.execute(statement, values[start * width : end * width]).rowcount
        return inserted

    def _check_distinct(self, before: int | None, ids: list[Any]) -> None:
        """Note when two of the import's numbers have come to share an id. Rows all new (``before`` None) have
        new ids: nothing to check."""
        if before is not None and self._distinct:
            self._distinct = len(set(ids)) == len(ids)

    def _insert_names(
        self, table: str, names: tuple[str, ...], columns: list[list[Any]], keys: int
    ) -> tuple[list[int], int | None]:
        """Insert rows (given as columns) not there yet: the first ``keys`` columns are the table's unique key and
        the first row of a key wins, as in add_play's order. Returns the id of each row, and the table's last id
        before when some rows were there already (None when all were new)."""
        conn = self._conn
        # Fixed table and column names only (S608): every value is a bound parameter.
        last_id = f"SELECT coalesce(max(id), 0) FROM {table}"  # noqa: S608
        before = int(conn.execute(last_id).fetchone()[0])
        count = len(columns[0])
        values = list(itertools.chain.from_iterable(zip(*columns, strict=True)))
        inserted = self._insert_rows(table, ", ".join(names), values, len(names))
        if inserted == count and int(conn.execute(last_id).fetchone()[0]) == before + count:
            # All new (as in most chunks of an import): their ids follow the last one, in order.
            return list(range(before + 1, before + count + 1)), None
        # Some were there already, or came twice: look their ids up, in one statement.
        match = " AND ".join(f"x.{name} = j.value ->> {index}" for index, name in enumerate(names[:keys]))
        ids = [0] * count
        for index, row_id in conn.execute(
            f"SELECT j.key, x.id FROM json_each(?) j JOIN {table} x ON {match}",  # noqa: S608
            (json.dumps(list(zip(*columns[:keys], strict=True))),),
        ):
            ids[index] = row_id
        return ids, before
