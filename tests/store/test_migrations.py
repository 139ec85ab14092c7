"""Schema migrations: a file of every earlier version upgrades to the current one and loses nothing."""

from __future__ import annotations

from pathlib import Path
import sqlite3

import pytest

from custom_components.spinstack.store import SCHEMA_VERSION, SchemaTooNewError, Store, schema
from custom_components.spinstack.store.schema import MIGRATIONS, migrate

from .conftest import ZONE, make_play

# Over two local years and two rooms, some without an album: version 7 sums the yearly roll-ups over the contexts.
PLAYS = [
    make_play(
        1_704_050_000 + i * 1000,
        artist=f"Artist {i % 3}",
        title=f"Track {i % 4}",
        album=f"Album {i % 2}" if i % 7 else None,
        room=("Kitchen", "Office")[i % 5 % 2],
        heard=200.0 + i,
    )
    for i in range(40)
]


async def _reference(tmp_path: Path) -> dict[str, list[tuple[object, ...]]]:
    """The same plays written by the current version."""
    store = await Store.open(tmp_path / "reference.db", ZONE)
    try:
        await store.add_plays(PLAYS, origin="live")
        return {sql: await _rows(store, sql) for sql in CHECKS}
    finally:
        await store.close()


CHECKS = (
    "SELECT started_at, track_id, album_id, context_id, heard, lhour FROM plays ORDER BY id",
    "SELECT name, plays, heard, first_played, first_lday FROM artists ORDER BY id",
    "SELECT title, plays, heard, first_played FROM tracks ORDER BY id",
    "SELECT title, plays, heard FROM albums ORDER BY id",
    *(f"SELECT * FROM {rollup.table} ORDER BY {', '.join(rollup.keys)}" for rollup in schema.ROLLUPS),
    "SELECT rowid FROM track_search WHERE track_search MATCH '\"track 3\"' ORDER BY rowid",
)


async def _rows(store: Store, sql: str) -> list[tuple[object, ...]]:
    async with store._conn.execute(sql) as cursor:
        return [tuple(row) for row in await cursor.fetchall()]


def _write_version(path: Path, version: int, reference: Path, *, pending_after: int | None = None) -> None:
    """A file at ``version`` holding the reference plays (copied row by row from the reference file). With
    ``pending_after`` (version 6 on), the plays after that id are left as an import cut short leaves them: in the dated
    roll-ups, not yet in the all-time ones nor the counters, their span in ``all_time_pending``."""
    conn = sqlite3.connect(path, isolation_level=None)
    migrate(conn, version)
    conn.execute("ATTACH DATABASE ? AS ref", (str(reference),))
    for table, columns in (
        ("artists", "id, name, name_key, mbid"),
        ("albums", "id, artist_id, title, title_key, mbid"),
        ("tracks", "id, artist_id, title, title_key, duration, isrc, mbid, spotify_id"),
        ("contexts", "id, service, kind, speaker, room, origin"),
        ("plays", "id, started_at, track_id, album_id, context_id, heard, lhour"),
    ):
        conn.execute(f"INSERT INTO main.{table} ({columns}) SELECT {columns} FROM ref.{table}")
    conn.execute("DETACH DATABASE ref")
    if version == 2:
        # What version 2's writes kept up to date: its roll-ups, counters and search index.
        schema._v2_backfill(conn)
    elif version >= 3:
        # What its writes kept up to date: the search index, and version 3's roll-ups (version 7's from 7 on).
        conn.execute(
            "INSERT INTO track_search (rowid, artist, title) "
            "SELECT t.id, a.name, t.title FROM tracks t JOIN artists a ON a.id = t.artist_id"
        )
        last = conn.execute("SELECT max(id) FROM plays").fetchone()[0]
        rollups = schema.ROLLUPS if version >= 7 else schema._V3_ROLLUPS
        whole = last if pending_after is None else pending_after
        for statement, ranged in schema._fold_statements(rollups):
            conn.execute(statement, (0, whole) if ranged else ())
        if pending_after is not None:
            assert version >= 6, "spans are pending from version 6 on"
            dated = schema._fold_statements(rollup for rollup in rollups if not rollup.all_time)
            for statement, ranged in dated:
                if statement not in schema._FOLD_COUNTERS:
                    conn.execute(statement, (pending_after, last) if ranged else ())
            conn.execute("INSERT INTO all_time_pending (after_id, last_id) VALUES (?, ?)", (pending_after, last))
    conn.close()


@pytest.mark.parametrize("version", range(1, SCHEMA_VERSION))
async def test_upgrade_from_every_earlier_version(tmp_path: Path, version: int) -> None:
    expected = await _reference(tmp_path)
    old = tmp_path / f"v{version}.db"
    _write_version(old, version, tmp_path / "reference.db")
    store = await Store.open(old, ZONE)
    try:
        assert store.migrated_from == version
        assert await store.scalar("PRAGMA user_version") == SCHEMA_VERSION
        for sql, rows in expected.items():
            assert await _rows(store, sql) == rows, sql
        # And it goes on working: the next play lands in the roll-ups too.
        await store.add_play(make_play(1_800_000_000, artist="Artist 0", title="Track 0"))
        assert await store.scalar("SELECT plays FROM artists WHERE name = 'Artist 0'") == 15
        assert await store.integrity_check() == "ok"
    finally:
        await store.close()


async def test_an_import_cut_short_before_an_upgrade_is_settled_after_it(tmp_path: Path) -> None:
    """A version 6 file whose last 25 plays an import left pending (killed before its end) upgrades, and the store
    adds those plays to the all-time roll-ups and counters as it opens: the same tables as the current version's."""
    expected = await _reference(tmp_path)
    old = tmp_path / "v6-pending.db"
    _write_version(old, 6, tmp_path / "reference.db", pending_after=15)
    conn = sqlite3.connect(old)
    # What the file holds before: the artists' counters lack the pending plays.
    assert conn.execute("SELECT sum(plays) FROM artists").fetchone()[0] == 15
    conn.close()
    store = await Store.open(old, ZONE)
    try:
        assert store.migrated_from == 6
        for sql, rows in expected.items():
            assert await _rows(store, sql) == rows, sql
        assert await store.scalar("SELECT count(*) FROM all_time_pending") == 0
        assert await store.integrity_check() == "ok"
    finally:
        await store.close()


def test_every_version_is_reachable_from_empty(tmp_path: Path) -> None:
    assert len(MIGRATIONS) == SCHEMA_VERSION
    conn = sqlite3.connect(tmp_path / "x.db", isolation_level=None)
    assert migrate(conn) == (0, SCHEMA_VERSION)
    assert migrate(conn) == (SCHEMA_VERSION, SCHEMA_VERSION)
    conn.close()


async def test_a_file_from_a_newer_spinstack_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(SchemaTooNewError, match=r"knows up to"):
        await Store.open(path, ZONE)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1
    conn.close()


def test_a_failed_migration_rolls_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE half_done (x)")
        raise RuntimeError("power cut")

    monkeypatch.setattr(schema, "MIGRATIONS", (*schema.MIGRATIONS, broken))
    monkeypatch.setattr(schema, "SCHEMA_VERSION", len(schema.MIGRATIONS))
    conn = sqlite3.connect(tmp_path / "x.db", isolation_level=None)
    with pytest.raises(RuntimeError, match="power cut"):
        schema.migrate(conn)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'half_done'").fetchone()[0] == 0
    conn.close()
