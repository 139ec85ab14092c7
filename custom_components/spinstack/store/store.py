"""SpinStack's play store: one SQLite file, WAL, reached through aiosqlite so the event loop never blocks (imports
through a connection of their own in worker threads: bulk.py)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Sequence
import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
import itertools
import json
import logging
from pathlib import Path
import sqlite3
from typing import Any, NamedTuple, Self

import aiosqlite

from ..engine.model import Play
from .bulk import BulkWriter, Prepared, Preparer, name_key
from .clock import LocalClock
from .queries import PLAYS_AFTER, QUERIES, PlayRecord, play_record, search_expression
from .schema import ROLLUPS, SCHEMA_VERSION, migrate, settle_pending

_LOGGER = logging.getLogger(__name__)

ORIGIN_LIVE = "live"
# A play of the same track starting within this many seconds of one already stored is the same play (a listen
# re-counted after a restart whose start was estimated from the speaker's position).
LIVE_TOLERANCE_SECONDS = 10
_BULK_CHUNK = 100_000
_CACHE_LIMIT = 4096


@dataclass(frozen=True, slots=True)
class StoreInfo:
    """What the store says of itself (diagnostics, health)."""

    path: str
    schema_version: int
    migrated_from: int
    plays: int
    size_bytes: int


class _Row(NamedTuple):
    """A play as written: the plays table's columns, and the artist the roll-ups need."""

    started_at: int
    track_id: int
    album_id: int | None
    context_id: int
    heard: int
    lhour: int
    artist_id: int


class _Lru(dict[Any, int]):
    """A bounded id cache: cleared when full (names repeat; a miss costs one indexed statement)."""

    def remember(self, key: Any, value: int) -> None:
        if len(self) >= _CACHE_LIMIT:
            self.clear()
        self[key] = value


def _close_bulk(preparer: Preparer, writer: BulkWriter) -> None:
    """Close an import's preparer and writer, once the steps they may be running are done: blocking."""
    preparer.close()
    writer.close()


def _total_and_prepare(writer: BulkWriter, preparer: Preparer) -> Prepared | None:
    """Add the chunks the writer has committed to the import's totals, then prepare the next chunk: blocking, one
    worker thread's job, run while the writer writes (see bulk.py)."""
    writer.total()
    return preparer.prepare()


def _prepare_file(path: Path) -> tuple[int, int]:
    """Create the folder and the file, set WAL, and migrate: blocking, run in a worker thread."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None, timeout=30)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        versions = migrate(conn)
        if conn.execute("SELECT 1 FROM all_time_pending LIMIT 1").fetchone():
            conn.execute("BEGIN IMMEDIATE")
            try:
                settled = settle_pending(conn)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            _LOGGER.warning(
                "Play store %s: an import ended before adding its plays to the all-time totals; %d plays added now",
                path,
                settled,
            )
        return versions
    finally:
        conn.close()


class Store:
    """Plays in and out. Every write is one transaction, one at a time (the store's lock): live plays on the aiosqlite
    connection, imports on their own (bulk.py), both reading meanwhile through WAL."""

    def __init__(self, conn: aiosqlite.Connection, path: Path, clock: LocalClock, migrated_from: int) -> None:
        self._conn = conn
        self.path = path
        self.clock = clock
        self.migrated_from = migrated_from
        self._lock = asyncio.Lock()
        self._artists = _Lru()
        self._albums = _Lru()
        self._tracks = _Lru()
        self._contexts = _Lru()
        self._months: dict[int, int] = {}
        # Writes this store ended (committed or rolled back): with SQLite's data_version, what data_version() gives.
        self._writes = 0

    # -- life cycle ----------------------------------------------------------------------------------------------
    @classmethod
    async def open(cls, path: Path | str, timezone: str | tzinfo = "UTC") -> Self:
        """Open (creating and migrating as needed) the store at ``path``."""
        path = Path(path)
        before, _ = await asyncio.to_thread(_prepare_file, path)
        conn = await aiosqlite.connect(path, isolation_level=None, timeout=30)
        # Rows that are tuples and know their columns (query() returns them as dicts).
        conn.row_factory = sqlite3.Row
        try:
            for pragma in (
                "PRAGMA journal_mode = WAL",
                "PRAGMA synchronous = NORMAL",
                "PRAGMA foreign_keys = OFF",
                "PRAGMA temp_store = MEMORY",
                "PRAGMA cache_size = -16000",
                "PRAGMA busy_timeout = 30000",
            ):
                await conn.execute(pragma)
        except BaseException:
            await conn.close()
            raise
        if before < SCHEMA_VERSION:
            _LOGGER.info("Play store %s migrated from schema version %s to %s", path, before, SCHEMA_VERSION)
        return cls(conn, path, LocalClock(timezone), before)

    async def close(self) -> None:
        """Close the store; writes in progress finish first."""
        async with self._lock:
            await self._conn.close()

    async def info(self) -> StoreInfo:
        """Facts about the file."""
        plays = await self.scalar("SELECT count(*) FROM plays")
        size = await asyncio.to_thread(self._size)
        return StoreInfo(str(self.path), SCHEMA_VERSION, self.migrated_from, int(plays or 0), size)

    def _size(self) -> int:
        files = (self.path, Path(f"{self.path}-wal"))
        return sum(file.stat().st_size for file in files if file.exists())

    # -- writes --------------------------------------------------------------------------------------------------
    async def add_play(
        self,
        play: Play,
        origin: str = ORIGIN_LIVE,
        tolerance: int = LIVE_TOLERANCE_SECONDS,
        *,
        forward_to: Sequence[str] = (),
    ) -> int | None:
        """Write one play; returns its row id, or None when it was already there (same track, same start within
        ``tolerance`` seconds). A new play is put in the outbox of each of ``forward_to`` in the same transaction
        (see outbox.py): it is stored and to be forwarded, or neither."""
        row_id: int | None = None
        async with self._transaction() as conn:
            track_id, album_id = await self._resolve(play)
            context_id = await self._context_id(play, origin)
            started = round(play.started_at)
            async with conn.execute(
                "SELECT 1 FROM plays WHERE track_id = ? AND started_at BETWEEN ? AND ? LIMIT 1",
                (track_id, started - tolerance, started + tolerance),
            ) as cursor:
                duplicate = await cursor.fetchone() is not None
            if not duplicate:
                artist_id = await self.scalar("SELECT artist_id FROM tracks WHERE id = ?", (track_id,))
                row = _Row(
                    started,
                    track_id,
                    album_id,
                    context_id,
                    round(play.heard),
                    self.clock.lhour(play.started_at),
                    int(artist_id),
                )
                if await self._write_rows([row]) == 1:
                    row_id = int(await self.scalar("SELECT last_insert_rowid()"))
                    if forward_to:
                        await conn.executemany(
                            "INSERT INTO outbox (target, play_id) VALUES (?, ?)",
                            [(target, row_id) for target in forward_to],
                        )
        return row_id

    async def add_plays(self, plays: Iterable[Play], origin: str, *, tolerance: int = 0) -> int:
        """Write many plays (imports, the benchmark) in transactions of up to 100,000; returns how many were new.

        Plays already stored are skipped: the same track starting in the same second, or within ``tolerance``
        seconds when it is above 0 (a listen another source recorded). The work runs in worker threads on a
        connection of its own (see bulk.py): ``plays`` is iterated there too, so it must not touch the event loop.
        Each transaction is committed whole, with the plays' dated roll-ups; their all-time roll-ups and counters
        are added once, at the end (an import cut short by a crash: when the store next opens). Live plays and other
        writes wait for one transaction at most.
        """
        return await self.import_plays(zip(plays, itertools.repeat(origin)), tolerance=tolerance)

    async def import_plays(
        self,
        plays: Iterable[tuple[Play, str]],
        *,
        tolerance: int = 0,
        on_commit: Callable[[int, int], Awaitable[None]] | None = None,
    ) -> int:
        """``add_plays`` for (play, origin) pairs; ``on_commit(read, inserted)`` is awaited after each committed
        transaction with how many plays were read and inserted so far (an import's checkpoint: the first ``read``
        plays of its source are all stored)."""
        preparer = Preparer(iter(plays), self.clock, _BULK_CHUNK, sums=tolerance <= 0)
        writer = await asyncio.to_thread(BulkWriter.open, self.path, tolerance)
        inserted = read = 0
        following: asyncio.Future[Prepared | None] | None = None
        try:
            chunk = await asyncio.to_thread(preparer.prepare)
            while chunk is not None:
                async with self._lock:
                    # The next chunk is prepared while this one is written (see bulk.py).
                    following = asyncio.ensure_future(asyncio.to_thread(_total_and_prepare, writer, preparer))
                    await asyncio.to_thread(writer.begin, chunk)
                    await asyncio.to_thread(writer.insert, chunk)
                    inserted += await asyncio.to_thread(writer.fold)
                read += len(chunk)
                if on_commit is not None:
                    await on_commit(read, inserted)
                chunk = await following
                following = None
            async with self._lock:
                await asyncio.to_thread(writer.finish)
        finally:
            if following is not None:
                following.cancel()
            # A cancelled await does not stop its thread: wait for a step still running, then close (shielded, so
            # that this is carried through even if the caller is cancelled again meanwhile).
            await asyncio.shield(asyncio.to_thread(_close_bulk, preparer, writer))
            self._writes += 1
        return inserted

    async def _write_rows(self, rows: list[_Row]) -> int:
        """Insert plays known to be new and fold them into the roll-ups; returns how many were written."""
        if not rows:
            return 0
        conn = self._conn
        # In index order: the unique index takes them faster.
        rows.sort(key=lambda row: (row.track_id, row.started_at))
        before = await self._total_changes()
        await conn.executemany(
            "INSERT OR IGNORE INTO plays (started_at, track_id, album_id, context_id, heard, lhour) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [row[:6] for row in rows],
        )
        written = await self._total_changes() - before
        if written != len(rows):
            # Cannot happen under the store's lock; if it does, the roll-ups must not count what was not written.
            raise RuntimeError(f"wrote {written} of {len(rows)} new plays; the transaction is rolled back")
        await self._fold(rows)
        return written

    async def _fold(self, rows: list[_Row]) -> None:
        """Add plays to the roll-ups and counters (the same sums as schema.ROLLUP_STATEMENTS)."""
        month_of = self._month_of_lhour
        # One dict of sums per roll-up, keyed as the roll-up is (schema.ROLLUPS, same order).
        sums: list[dict[tuple[int, ...], list[int]]] = [{} for _ in ROLLUPS]
        (
            day_total,
            day,
            month,
            year_how,
            year_artist,
            year_track,
            year_album,
            ctx_how,
            ctx_artist,
            ctx_track,
            ctx_album,
        ) = sums
        tracks: dict[int, list[int]] = {}
        albums: dict[int, list[int]] = {}
        artists: dict[int, list[int]] = {}

        def add(table: dict[Any, list[int]], key: Any, heard: int) -> None:
            entry = table.get(key)
            if entry is None:
                table[key] = [1, heard]
            else:
                entry[0] += 1
                entry[1] += heard

        def add_first(table: dict[int, list[int]], key: int, heard: int, started: int) -> None:
            entry = table.get(key)
            if entry is None:
                table[key] = [1, heard, started]
            else:
                entry[0] += 1
                entry[1] += heard
                entry[2] = min(entry[2], started)

        for row in rows:
            heard, ctx, lhour = row.heard, row.context_id, row.lhour
            lday = lhour // 24
            mon = month_of(lhour)
            year = mon // 100
            how = ((lday + 3) % 7) * 24 + lhour % 24
            add(day_total, (lday,), heard)
            add(day, (ctx, lday), heard)
            add(month, (mon, ctx), heard)
            add(year_how, (year, ctx, how), heard)
            add(year_artist, (year, row.artist_id, ctx), heard)
            add(year_track, (year, row.track_id), heard)
            add(ctx_how, (ctx, how), heard)
            add(ctx_artist, (ctx, row.artist_id), heard)
            add(ctx_track, (ctx, row.track_id), heard)
            add_first(tracks, row.track_id, heard, row.started_at)
            entry = artists.get(row.artist_id)
            if entry is None:
                artists[row.artist_id] = [1, heard, row.started_at, lday]
            else:
                entry[0] += 1
                entry[1] += heard
                if row.started_at < entry[2]:
                    entry[2], entry[3] = row.started_at, lday
            if row.album_id is not None:
                add(year_album, (year, row.album_id), heard)
                add(ctx_album, (ctx, row.album_id), heard)
                add(albums, row.album_id, heard)
        conn = self._conn
        for rollup, table in zip(ROLLUPS, sums, strict=True):
            await conn.executemany(rollup.upsert(), [(*key, n, h) for key, (n, h) in table.items()])
        await conn.executemany(
            "UPDATE tracks SET plays = plays + ?, heard = heard + ?, "
            "first_played = min(coalesce(first_played, ?3), ?3) WHERE id = ?4",
            [(n, h, first, track) for track, (n, h, first) in tracks.items()],
        )
        await conn.executemany(
            "UPDATE albums SET plays = plays + ?, heard = heard + ? WHERE id = ?",
            [(n, h, album) for album, (n, h) in albums.items()],
        )
        await conn.executemany(
            "UPDATE artists SET plays = plays + ?1, heard = heard + ?2, "
            "first_lday = CASE WHEN first_played IS NULL OR ?3 < first_played THEN ?4 ELSE first_lday END, "
            "first_played = min(coalesce(first_played, ?3), ?3) WHERE id = ?5",
            [(n, h, first, first_day, artist) for artist, (n, h, first, first_day) in artists.items()],
        )

    def _month_of_lhour(self, lhour: int) -> int:
        day = lhour // 24
        month = self._months.get(day)
        if month is None:
            date = datetime.fromtimestamp(day * 86400, UTC)
            month = self._months[day] = date.year * 100 + date.month
        return month

    async def _upsert_id(self, sql: str, params: tuple[Any, ...]) -> int:
        async with self._conn.execute(sql, params) as cursor:
            row = await cursor.fetchone()
        assert row is not None
        return int(row[0])

    async def _artist_id(self, name: str) -> int:
        key = name_key(name)
        cached = self._artists.get(key)
        if cached is None:
            cached = await self._upsert_id(
                "INSERT INTO artists (name_key, name) VALUES (?, ?) "
                "ON CONFLICT (name_key) DO UPDATE SET name_key = excluded.name_key RETURNING id",
                (key, name),
            )
            self._artists.remember(key, cached)
        return cached

    async def _resolve(self, play: Play) -> tuple[int, int | None]:
        artist_id = await self._artist_id(play.artist)
        title_key = name_key(play.title)
        track_id = self._tracks.get((artist_id, title_key))
        if track_id is None:
            async with self._conn.execute(
                "SELECT id FROM tracks WHERE artist_id = ? AND title_key = ?", (artist_id, title_key)
            ) as cursor:
                row = await cursor.fetchone()
            if row is None:
                cursor = await self._conn.execute(
                    "INSERT INTO tracks (artist_id, title_key, title, duration) VALUES (?, ?, ?, ?)",
                    (artist_id, title_key, play.title, round(play.duration) or None),
                )
                assert cursor.lastrowid is not None
                track_id = cursor.lastrowid
                await self._conn.execute(
                    "INSERT INTO track_search (rowid, artist, title) VALUES (?, ?, ?)",
                    (track_id, play.artist, play.title),
                )
            else:
                track_id = int(row[0])
            self._tracks.remember((artist_id, title_key), track_id)
        album_id: int | None = None
        if play.album:
            owner = await self._artist_id(play.album_artist) if play.album_artist else artist_id
            album_key = (owner, name_key(play.album))
            album_id = self._albums.get(album_key)
            if album_id is None:
                album_id = await self._upsert_id(
                    "INSERT INTO albums (artist_id, title_key, title) VALUES (?, ?, ?) "
                    "ON CONFLICT (artist_id, title_key) DO UPDATE SET title_key = excluded.title_key RETURNING id",
                    (owner, album_key[1], play.album),
                )
                self._albums.remember(album_key, album_id)
        return track_id, album_id

    async def _context_id(self, play: Play, origin: str) -> int:
        key = (play.service, play.kind, play.speaker, play.room or "", origin)
        cached = self._contexts.get(key)
        if cached is None:
            cached = await self._upsert_id(
                "INSERT INTO contexts (service, kind, speaker, room, origin) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (service, kind, speaker, room, origin) DO UPDATE SET origin = excluded.origin "
                "RETURNING id",
                key,
            )
            self._contexts.remember(key, cached)
        return cached

    async def _rollback(self) -> None:
        try:
            await self._conn.execute("ROLLBACK")
        except sqlite3.Error:
            _LOGGER.debug("Nothing to roll back", exc_info=True)
        # Ids cached during the failed transaction may not exist.
        for cache in (self._artists, self._albums, self._tracks, self._contexts):
            cache.clear()

    # -- key/value state (the engine's snapshot, import cursors) ---------------------------------------------------
    async def get_state(self, key: str) -> Any:
        """A JSON value saved with :meth:`set_state`, or None."""
        value = await self.scalar("SELECT value FROM kv WHERE key = ?", (key,))
        return None if value is None else json.loads(value)

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """One write statement, in a transaction of its own; returns how many rows it changed."""
        return await self.execute_all([(sql, params)])

    async def execute_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> int:
        """One write statement for each of ``rows``, in one transaction; returns how many rows changed."""
        if not rows:
            return 0
        async with self._transaction() as conn:
            before = await self._total_changes()
            await conn.executemany(sql, rows)
            return await self._total_changes() - before

    async def execute_all(self, statements: Sequence[tuple[str, Sequence[Any]]]) -> int:
        """Write statements in one transaction (all or none); returns how many rows they changed."""
        async with self._transaction() as conn:
            before = await self._total_changes()
            for sql, params in statements:
                await conn.execute(sql, params)
            return await self._total_changes() - before

    @contextlib.asynccontextmanager
    async def _transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """One write transaction under the store's lock: committed when the block ends, rolled back if it raises."""
        async with self._lock:
            conn = self._conn
            await conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                await conn.execute("COMMIT")
            except BaseException:
                await self._rollback()
                raise
            finally:
                self._writes += 1

    async def data_version(self) -> tuple[int, int]:
        """A value that changes whenever what the store holds may have: after each write this store ended (committed
        or rolled back; a read during a write sees it uncommitted) and each commit by another connection (an
        import's, or another process's: SQLite's ``PRAGMA data_version``). Read before reading the data it stands
        for: an answer computed after it is at least as new as it."""
        return self._writes, int(await self.scalar("PRAGMA data_version"))

    async def _total_changes(self) -> int:
        return int(await self.scalar("SELECT total_changes()"))

    async def set_state(self, key: str, value: Any) -> None:
        """Save a JSON value."""
        async with self._lock:
            try:
                await self._conn.execute(
                    "INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (key, json.dumps(value, separators=(",", ":"))),
                )
            finally:
                self._writes += 1

    # -- reads ---------------------------------------------------------------------------------------------------
    async def _read(self, sql: str, params: Sequence[Any] | dict[str, Any]) -> list[sqlite3.Row]:
        """Every row of a read, stepped through in one call to the connection's thread: no write of another task
        on this connection can come between two steps of it (SQLite leaves a read undefined when its own
        connection changes the table under it)."""
        return list(await self._conn.execute_fetchall(sql, params))

    async def scalar(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Any:
        """The first column of the first row."""
        rows = await self._read(sql, params)
        return None if not rows else rows[0][0]

    async def rows(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[tuple[Any, ...]]:
        """Every row of a read (the insights build their own, from the documented tables)."""
        return [tuple(row) for row in await self._read(sql, params)]

    async def plan(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[str]:
        """The query plan of a read, one line per step."""
        return [row[3] for row in await self._read("EXPLAIN QUERY PLAN " + sql, params)]

    async def query(self, name: str, **params: Any) -> list[dict[str, Any]]:
        """Run a documented query (see queries.py) and return its rows as dicts."""
        return [dict(row) for row in await self._read(QUERIES[name], params)]

    async def explain(self, name: str, **params: Any) -> list[str]:
        """The query plan of a documented query, one line per step."""
        return [row[3] for row in await self._read("EXPLAIN QUERY PLAN " + QUERIES[name], params)]

    async def search(self, text: str, limit: int = 20) -> list[dict[str, Any]]:
        """Tracks whose artist or title contain every word of ``text`` (three characters or more)."""
        match = search_expression(text)
        if match is None:
            return []
        short = [word.casefold() for word in text.split() if len(word) < 3]
        if not short:
            return await self.query("search_tracks", match=match, limit=limit)
        # Words too short for the trigram index narrow the indexed matches.
        rows = await self.query("search_tracks", match=match, limit=limit * 20)
        return [row for row in rows if all(word in f"{row['artist']} {row['title']}".casefold() for word in short)][
            :limit
        ]

    def read_plays(self, after: int = 0, batch: int = 10_000) -> Iterator[PlayRecord]:
        """Every play with id above ``after``, in id order, read on a connection of its own, a batch at a time:
        blocking, for a worker thread (exports). WAL lets writes go on meanwhile; each batch sees the file as it is."""
        conn = sqlite3.connect(self.path, timeout=30)
        try:
            while True:
                rows = conn.execute(PLAYS_AFTER, (after, batch)).fetchall()
                if not rows:
                    return
                for row in rows:
                    yield play_record(row)
                after = rows[-1][0]
        finally:
            conn.close()

    def track_durations(self) -> dict[tuple[str, str], int]:
        """Every known track duration by (artist key, title key) (see ``name_key``), read on a connection of its
        own: blocking, for a worker thread (imports whose source gives no durations)."""
        conn = sqlite3.connect(self.path, timeout=30)
        try:
            return {
                (artist, title): int(duration)
                for artist, title, duration in conn.execute(
                    "SELECT a.name_key, t.title_key, t.duration FROM tracks t JOIN artists a ON a.id = t.artist_id "
                    "WHERE t.duration > 0"
                )
            }
        finally:
            conn.close()

    async def integrity_check(self) -> str:
        """SQLite's own verdict on the file: 'ok' when it is sound."""
        return str(await self.scalar("PRAGMA integrity_check"))
