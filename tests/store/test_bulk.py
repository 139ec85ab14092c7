"""The bulk-load path (Store.add_plays): the same store as play-by-play writes, in chunks that each commit whole,
safe to interrupt, beside live plays and readers."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
import contextlib
from datetime import datetime
import functools
import logging
from pathlib import Path
import signal
import sqlite3
import subprocess
import sys
import threading
from zoneinfo import ZoneInfo

from hypothesis import given, strategies as st
import pytest

from custom_components.spinstack.engine import Play
from custom_components.spinstack.store import LocalClock, Store, bulk, schema, store as store_module
from custom_components.spinstack.store.bulk import Preparer
from custom_components.spinstack.store.schema import fold_plays
from custom_components.spinstack.store.sums import Sums, Totals

from .conftest import ZONE, make_play

REPO = Path(__file__).resolve().parents[2]
PARIS = ZoneInfo(ZONE)
# Chunks of 2, 4 and then 8 plays: many transactions out of a few dozen plays.
CHUNK = 8

# Everything the store derives from plays, ids included (the monthly roll-up and the plays point at them).
TABLES = (
    "SELECT id, name, name_key, plays, heard, first_played FROM artists ORDER BY id",
    "SELECT id, artist_id, title, title_key, duration, plays, heard FROM tracks ORDER BY id",
    "SELECT id, artist_id, title, title_key, plays, heard FROM albums ORDER BY id",
    "SELECT id, service, kind, speaker, room, origin FROM contexts ORDER BY id",
    "SELECT started_at, track_id, album_id, context_id, heard, lhour FROM plays ORDER BY track_id, started_at",
    *(f"SELECT * FROM {rollup.table} ORDER BY {', '.join(rollup.keys)}" for rollup in schema.ROLLUPS),
)
ROLLUPS = (
    "SELECT id, plays, heard, first_played, first_lday FROM artists ORDER BY id",
    "SELECT id, plays, heard, first_played FROM tracks ORDER BY id",
    "SELECT id, plays, heard FROM albums ORDER BY id",
    *(f"SELECT * FROM {rollup.table} ORDER BY {', '.join(rollup.keys)}" for rollup in schema.ROLLUPS),
)


def ts(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> float:
    return datetime(year, month, day, hour, minute, tzinfo=PARIS).timestamp()


def awkward_plays() -> list[Play]:
    """Plays with everything name resolution and dedup must get right, not in time order everywhere."""
    base = ts(2026, 3, 27, 20)
    plays = [
        # Spellings that are the same artist, track or album: the first one met is stored.
        make_play(base, artist="Daft  Punk", title="One More Time"),
        make_play(base + 400, artist="daft punk", title="ONE MORE TIME", album="discovery"),
        # An artist first met as an album artist, then as an artist.
        make_play(base + 800, artist="Various", title="Intro", album="Mix", album_artist="DJ Kicks"),
        make_play(base + 1200, artist="DJ Kicks", title="Outro", album="Mix", album_artist=""),
        # No album, an empty album, no room, a zero duration (stored as unknown).
        make_play(base + 1600, artist="Air", title="Alone in Kyoto", album=None, room=None, duration=0.0),
        make_play(base + 2000, artist="Air", title="Alone in Kyoto", album="", room=""),
        # The same track in the same second twice: the first one is kept, with its own heard time.
        make_play(base + 2400, artist="Air", title="Playground Love", heard=100.0),
        make_play(base + 2400.4, artist="Air", title="Playground Love", heard=200.0),
        # Across the change to summer time (2026-03-29, 02:00 local), and an older play out of order.
        make_play(ts(2026, 3, 29, 1, 30), artist="Sigur Rós", title="Hoppípolla", service="apple_music"),
        make_play(ts(2026, 3, 29, 3, 30), artist="Sigur Rós", title="Hoppípolla", speaker="RINCON_B"),
        make_play(ts(2025, 12, 31, 23, 59), artist="Röyksopp", title="Eple", kind="radio"),
    ]
    # And many ordinary plays, over months and a few dozen tracks.
    plays += [
        make_play(
            base + 86400 * (i % 70) + 3600 * (i % 24) + i,
            artist=f"Artist {i % 7}",
            title=f"Track {i % 13}",
            album=f"Album {i % 5}",
            heard=float(60 + i % 200),
        )
        for i in range(120)
    ]
    return plays


@pytest.fixture
def chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_module, "_BULK_CHUNK", CHUNK)


async def rows(store: Store, sql: str) -> list[tuple[object, ...]]:
    async with store._conn.execute(sql) as cursor:
        return [tuple(row) for row in await cursor.fetchall()]


def search_index(path: Path) -> list[tuple[object, ...]]:
    """Every entry of the search index (its terms, documents, columns and offsets)."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("CREATE VIRTUAL TABLE temp.v USING fts5vocab(main, track_search, 'instance')")
        return conn.execute("SELECT term, doc, col, offset FROM temp.v ORDER BY 1, 2, 3, 4").fetchall()
    finally:
        conn.close()


def recomputed_rollups(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """The roll-ups as schema.ROLLUP_STATEMENTS compute them from the plays alone, on a copy of the file."""
    source = sqlite3.connect(path)
    conn = sqlite3.connect(":memory:", isolation_level=None)
    try:
        source.backup(conn)
        for rollup in schema.ROLLUPS:
            conn.execute(f"DELETE FROM {rollup.table}")
        conn.execute("UPDATE artists SET plays = 0, heard = 0, first_played = NULL, first_lday = NULL")
        conn.execute("UPDATE tracks SET plays = 0, heard = 0, first_played = NULL")
        conn.execute("UPDATE albums SET plays = 0, heard = 0")
        last = conn.execute("SELECT coalesce(max(id), 0) FROM plays").fetchone()[0]
        fold_plays(conn, 0, last)
        return {sql: conn.execute(sql).fetchall() for sql in ROLLUPS}
    finally:
        source.close()
        conn.close()


async def assert_consistent(store: Store) -> None:
    """The roll-ups are exactly those of the plays stored, and the file is sound."""
    assert {sql: await rows(store, sql) for sql in ROLLUPS} == await asyncio.to_thread(recomputed_rollups, store.path)
    assert await store.integrity_check() == "ok"


@pytest.mark.usefixtures("chunks")
async def test_bulk_and_play_by_play_build_the_same_store(tmp_path: Path) -> None:
    plays = awkward_plays()
    one = await Store.open(tmp_path / "one.db", ZONE)
    many = await Store.open(tmp_path / "many.db", ZONE)
    try:
        # Names already stored by a live play are found, not stored again.
        for store in (one, many):
            await store.add_play(make_play(ts(2025, 1, 1), artist="AIR", title="alone in kyoto", album="Talkie Walkie"))
        for play in plays[:50]:
            await one.add_play(play, origin="import:test", tolerance=0)
        assert await many.add_plays(plays[:50], origin="import:test") == 49
        # Again, with everything: only the new plays count.
        assert await many.add_plays(plays, origin="import:test") == len(plays) - 50
        for play in plays[50:]:
            await one.add_play(play, origin="import:test", tolerance=0)
        for sql in TABLES:
            assert await rows(one, sql) == await rows(many, sql), sql
        assert search_index(one.path) == search_index(many.path)
        assert [r["title"] for r in await many.search("kyoto")] == ["alone in kyoto"]
        await assert_consistent(many)
        # A repeated import adds nothing.
        assert await many.add_plays(plays, origin="import:test") == 0
        assert await rows(one, TABLES[4]) == await rows(many, TABLES[4])
    finally:
        await one.close()
        await many.close()


async def test_an_import_of_nothing(store: Store) -> None:
    assert await store.add_plays([], origin="import:test") == 0
    assert await store.scalar("SELECT count(*) FROM plays") == 0


async def test_a_writer_that_cannot_be_set_up_is_closed(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    closed: list[sqlite3.Connection] = []

    class Recording(sqlite3.Connection):
        def close(self) -> None:
            closed.append(self)
            super().close()

    connect = sqlite3.connect
    monkeypatch.setattr(sqlite3, "connect", functools.partial(connect, factory=Recording))
    monkeypatch.setattr(bulk, "_CACHE_KIB", "plenty")
    with pytest.raises(ValueError, match="format code"):
        await store.add_plays(awkward_plays(), origin="import:test")
    assert len(closed) == 1


def test_local_hours_of_a_zone_whose_changes_fall_inside_a_utc_hour() -> None:
    # Lord Howe Island moves its clocks by half an hour at 02:00 local: 15:30 UTC.
    clock = LocalClock("Australia/Lord_Howe")
    change = datetime(2026, 10, 4, 2, tzinfo=ZoneInfo("Australia/Lord_Howe")).timestamp()
    starts = [change + offset for offset in range(-7200, 7200, 301)] + [1_700_000_000.5]
    plays = [make_play(start, title=f"T{index}") for index, start in enumerate(starts)]
    chunk = Preparer(((play, "import:test") for play in plays), clock, 10_000).prepare()
    assert chunk is not None
    lhours = chunk.rows[:, 5].tolist()
    assert sorted(lhours) == sorted(clock.lhour(start) for start in starts)
    assert len(set(lhours)) > 4


@given(
    st.sampled_from(["Europe/Paris", "Australia/Lord_Howe", "America/Sao_Paulo", "Asia/Kathmandu", "Pacific/Apia"]),
    st.lists(
        st.floats(-1e9, 4e9)
        # Near a change of offset: Paris's in March 2026, Lord Howe's, Sao Paulo's in 2018 and Apia's day skipped.
        | st.builds(
            float.__add__,
            st.sampled_from([1_774_746_000.0, 1_791_041_400.0, 1_541_300_400.0, 1_325_152_800.0]),
            st.floats(-172_800, 172_800),
        ),
        min_size=1,
        max_size=200,
    ),
)
def test_local_hours_are_those_of_each_play_s_own_offset(zone: str, starts: list[float]) -> None:
    # Offsets are looked up once per UTC day, play by play on a day with a transition (Apia skipped a whole day at
    # the end of 2011): every local hour is the one the play's own UTC offset gives.
    tz = ZoneInfo(zone)
    plays = [make_play(start, title=f"T{index}") for index, start in enumerate(starts)]
    chunk = Preparer(((play, "import:test") for play in plays), LocalClock(zone), 10_000).prepare()
    assert chunk is not None
    exact = []
    for start in starts:
        offset = datetime.fromtimestamp(start, tz).utcoffset()
        assert offset is not None
        exact.append(int((start + offset.total_seconds()) // 3600))
    assert sorted(chunk.rows[:, 5].tolist()) == sorted(exact)


@pytest.mark.usefixtures("chunks")
async def test_a_failed_chunk_keeps_the_chunks_before_and_the_import_can_resume(store: Store) -> None:
    plays = awkward_plays()
    # The 20th play cannot be written: the first chunks (2, 4, 8 plays) are committed, not the fourth.
    await store._conn.execute(
        f"CREATE TRIGGER boom BEFORE INSERT ON plays WHEN NEW.started_at = {round(plays[19].started_at)} "
        "BEGIN SELECT RAISE(ABORT, 'disk full'); END"
    )
    with pytest.raises(sqlite3.IntegrityError, match="disk full"):
        await store.add_plays(plays, origin="import:test")
    assert await store.scalar("SELECT count(*) FROM plays") == 13  # one of 14 a duplicate
    await assert_consistent(store)
    await store._conn.execute("DROP TRIGGER boom")
    assert await store.add_plays(plays, origin="import:test") == len(plays) - 1 - 13
    await assert_consistent(store)


# Awkward plays fold from the file; ordinary ones (from the 12th) take the sums, whose all-time part is written
# when the import ends, failed or not.
PLAYS = pytest.mark.parametrize("first", [0, 11], ids=["awkward", "ordinary"])


@PLAYS
@pytest.mark.usefixtures("chunks")
async def test_a_failed_fold_rolls_its_chunk_back(store: Store, first: int) -> None:
    plays = awkward_plays()[first:]
    # (A failure that rolls the transaction back itself, as SQLite does on some I/O errors.)
    await store._conn.execute(
        "CREATE TRIGGER boom BEFORE INSERT ON r_day_total WHEN (SELECT count(*) FROM plays) > 10 "
        "BEGIN SELECT RAISE(ROLLBACK, 'no space'); END"
    )
    with pytest.raises(sqlite3.IntegrityError, match="no space"):
        await store.add_plays(plays, origin="import:test")
    assert await store.scalar("SELECT count(*) FROM plays") == 6
    await assert_consistent(store)


@PLAYS
@pytest.mark.usefixtures("chunks")
async def test_a_failing_source_keeps_what_was_committed(store: Store, first: int) -> None:
    def plays() -> Iterator[Play]:
        yield from awkward_plays()[first : first + 27]
        raise OSError("the export file is truncated")

    with pytest.raises(OSError, match="truncated"):
        await store.add_plays(plays(), origin="import:test")
    # Chunks of 2, 4, 8 and 8 plays (one a duplicate among the awkward ones), and the fifth was being read when the
    # source failed.
    assert await store.scalar("SELECT count(*) FROM plays") == 2 + 4 + 8 + 8 - (first == 0)
    await assert_consistent(store)
    assert await store.scalar("SELECT count(*) FROM all_time_pending") == 0


@pytest.mark.usefixtures("chunks")
async def test_live_plays_and_reads_during_an_import(store: Store) -> None:
    plays = [make_play(1_700_000_000 + i * 600, artist=f"Artist {i % 9}", title=f"Track {i % 31}") for i in range(400)]
    live = [make_play(1_800_000_000 + i * 600, artist="Live", title=f"Song {i}") for i in range(20)]
    importing = asyncio.create_task(store.add_plays(plays, origin="import:test"))
    written = []
    for play in live:
        written.append(await store.add_play(play))
        assert (await store.query("plays_count", start=0, end=2**40))[0]["plays"] >= len(written)
    assert await importing == 400
    assert None not in written
    assert await store.scalar("SELECT count(*) FROM plays") == 420
    assert await store.scalar("SELECT plays FROM artists WHERE name = 'Live'") == 20
    await assert_consistent(store)


@pytest.mark.usefixtures("chunks")
async def test_a_cancelled_import_stops_cleanly(store: Store) -> None:
    reading = threading.Event()
    release = threading.Event()

    def plays() -> Iterator[Play]:
        yield from awkward_plays()[:20]
        reading.set()
        release.wait(10)
        yield from awkward_plays()[20:]

    importing = asyncio.create_task(store.add_plays(plays(), origin="import:test"))
    await asyncio.to_thread(reading.wait, 10)
    importing.cancel()
    await asyncio.sleep(0.05)
    release.set()
    with pytest.raises(asyncio.CancelledError):
        await importing
    # The chunks before the one being read are there, or the two before the one being folded when the cancel came
    # (a fold that had not started yet does not start: its transaction is rolled back), and nothing half-done.
    assert await store.scalar("SELECT count(*) FROM plays") in (6, 13)
    await assert_consistent(store)
    assert await store.add_play(make_play(1_900_000_000)) is not None


async def test_closing_rolls_back_a_chunk_left_open_and_adds_the_totals_of_those_committed(store: Store) -> None:
    # An import cancelled while its writer's thread was between begin and fold: closing finds the chunk's transaction
    # open, rolls it back, and still adds the all-time sums of the chunk before.
    plays = awkward_plays()[11:]
    preparer = Preparer(((play, "import:test") for play in plays), store.clock, 40)
    writer = await asyncio.to_thread(bulk.BulkWriter.open, store.path)
    first, second = preparer.prepare(), preparer.prepare()
    assert first is not None
    assert second is not None
    writer.begin(first)
    writer.insert(first)
    assert writer.fold() == len(first)
    writer.begin(second)
    writer.insert(second)
    writer.close()
    assert await store.scalar("SELECT count(*) FROM plays") == len(first)
    assert await store.scalar("SELECT count(*) FROM all_time_pending") == 0
    await assert_consistent(store)


@pytest.mark.usefixtures("chunks")
async def test_totals_that_could_not_be_added_are_summed_from_the_plays(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Adding a chunk to the import's totals fails halfway (here: added twice, then out of memory): the import fails
    # with that error, and its end adds the committed chunks' plays from the file, not the totals.
    add = Totals.add
    calls = 0

    def failing_add(totals: Totals, sums: Sums) -> None:
        nonlocal calls
        calls += 1
        add(totals, sums)
        if calls == 2:
            add(totals, sums)
            raise MemoryError

    monkeypatch.setattr(Totals, "add", failing_add)
    with pytest.raises(MemoryError):
        await store.add_plays(awkward_plays()[11:], origin="import:test")
    assert await store.scalar("SELECT count(*) FROM plays") > 6
    assert await store.scalar("SELECT count(*) FROM all_time_pending") == 0
    await assert_consistent(store)


# A process that dies (SIGKILL) halfway through folding its third chunk: two are committed, the third is not.
_DIES = """
import asyncio, os, signal, sys
from custom_components.spinstack.store import Store, bulk, schema as bulk_schema, store as store_module
from tests.store.test_bulk import CHUNK, ZONE, awkward_plays

store_module._BULK_CHUNK = CHUNK
fold = bulk.BulkWriter.fold
folds = 0

def dying_fold(writer):
    global folds
    folds += 1
    if folds == 3:
        for statement, ranged in bulk_schema.ROLLUP_STATEMENTS[:3]:  # a fold half done
            writer._conn.execute(statement, writer._span if ranged else ())
        os.kill(os.getpid(), signal.SIGKILL)
    return fold(writer)

bulk.BulkWriter.fold = dying_fold

async def main():
    store = await Store.open(sys.argv[1], ZONE)
    await store.add_plays(awkward_plays()[int(sys.argv[2]):], origin="import:test")

asyncio.run(main())
"""


# All the plays, or the ordinary ones only (from the 12th): names spelt two ways ("Daft  Punk", "daft punk") send every
# chunk to fold_plays; ordinary plays take the sums, whose all-time part waits for the import's end.
@pytest.mark.parametrize(("first", "pending"), [(0, 0), (11, 2)], ids=["awkward", "ordinary"])
async def test_an_import_killed_midway_leaves_a_consistent_store(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, first: int, pending: int
) -> None:
    path = tmp_path / "spinstack.db"
    died = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-c", _DIES, str(path), str(first)],
        cwd=REPO,
        capture_output=True,
        timeout=60,
    )
    assert died.returncode == -signal.SIGKILL, died.stderr.decode()
    with contextlib.closing(sqlite3.connect(path)) as conn:
        assert conn.execute("SELECT count(*) FROM all_time_pending").fetchone()[0] == pending
    with caplog.at_level(logging.WARNING):
        store = await Store.open(path, ZONE)
    # Plays of the chunks committed but not in the all-time roll-ups and counters are added to them as it opens.
    assert ("6 plays added now" in caplog.text) == bool(pending)
    try:
        assert await store.scalar("SELECT count(*) FROM plays") == 2 + 4
        await assert_consistent(store)
        # Resumed, the import adds the rest: the store ends as an import never interrupted.
        plays = awkward_plays()[first:]
        new = len({(play.title.casefold(), round(play.started_at)) for play in plays})
        assert await store.add_plays(plays, origin="import:test") == new - 6
        await assert_consistent(store)
        clean = await Store.open(tmp_path / "clean.db", ZONE)
        try:
            await clean.add_plays(plays, origin="import:test")
            assert await rows(store, TABLES[4]) == await rows(clean, TABLES[4])
        finally:
            await clean.close()
    finally:
        await store.close()


@pytest.mark.usefixtures("chunks")
async def test_imports_skip_plays_stored_within_the_tolerance_from_any_source(store: Store) -> None:
    base = ts(2026, 3, 27, 20)
    assert await store.add_play(make_play(base)) is not None
    imported = [
        # The live play, as another source recorded it 20 s off: the same listen.
        (make_play(base + 20, speaker="", room=None), "lastfm"),
        # The same track 10 minutes later: another listen.
        (make_play(base + 600, speaker="", room=None), "lastfm"),
        # The same listen from a second source, in the same import (and chunk): skipped too.
        (make_play(base + 610, speaker="", room=None), "spotify"),
        # A listen of another track at the same time: kept.
        (make_play(base + 20, title="Aerodynamic", speaker="", room=None), "lastfm"),
    ]
    commits: list[tuple[int, int]] = []

    async def on_commit(read: int, inserted: int) -> None:
        commits.append((read, inserted))

    assert await store.import_plays(imported, tolerance=30, on_commit=on_commit) == 2
    assert commits[-1] == (4, 2)
    rows = await store.rows(
        "SELECT p.started_at, t.title, c.origin FROM plays p JOIN tracks t ON t.id = p.track_id "
        "JOIN contexts c ON c.id = p.context_id ORDER BY p.started_at, t.title"
    )
    assert rows == [
        (round(base), "One More Time", "live"),
        (round(base + 20), "Aerodynamic", "lastfm"),
        (round(base + 600), "One More Time", "lastfm"),
    ]
    # Imported again, in other chunks: nothing new.
    assert await store.import_plays(imported, tolerance=30) == 0
    assert await store.scalar("SELECT sum(plays) FROM tracks") == 3


async def test_each_import_row_keeps_its_own_origin(store: Store) -> None:
    base = ts(2026, 3, 27, 20)
    pairs = [(make_play(base + 600 * index, title=f"T{index}"), origin) for index, origin in enumerate("abab")]
    assert await store.import_plays(pairs) == 4
    sql = "SELECT origin, count(*) FROM contexts JOIN plays ON context_id = contexts.id GROUP BY 1"
    assert await store.rows(sql) == [
        ("a", 2),
        ("b", 2),
    ]


# The counters as their definition reads, straight from the plays (first_lday: the local day of the first play).
_COUNTERS_FROM_PLAYS = (
    """
    SELECT a.id, count(p.id), coalesce(sum(p.heard), 0), min(p.started_at),
           (SELECT q.lhour / 24 FROM plays q JOIN tracks u ON u.id = q.track_id
            WHERE u.artist_id = a.id ORDER BY q.started_at, q.id LIMIT 1)
    FROM artists a LEFT JOIN tracks t ON t.artist_id = a.id LEFT JOIN plays p ON p.track_id = t.id
    GROUP BY a.id ORDER BY a.id
    """,
    """
    SELECT t.id, count(p.id), coalesce(sum(p.heard), 0), min(p.started_at)
    FROM tracks t LEFT JOIN plays p ON p.track_id = t.id GROUP BY t.id ORDER BY t.id
    """,
    """
    SELECT al.id, count(p.id), coalesce(sum(p.heard), 0)
    FROM albums al LEFT JOIN plays p ON p.album_id = al.id GROUP BY al.id ORDER BY al.id
    """,
)


async def test_the_fold_sums_as_each_roll_up_alone_would(store: Store) -> None:
    # The other tests recompute roll-ups with fold_plays itself; here each roll-up is summed straight from the plays
    # on its own (Rollup.backfill, as the migrations fill them) and the counters are read from the plays, whatever
    # shape the fold takes: imports in several chunks, across a change of time, and before 1970 (where the local day
    # rounds towards 0).
    # Two plays of local day 0, one on 1969-12-31 and one on 1970-01-01 (local hours -2 and 6).
    old = [make_play(hours * 3600.0, title="Old") for hours in (-3, 5, -30)]
    plays = [*awkward_plays(), *old]
    plays += [make_play(-86400.0 * 400 + 7200 * i, artist=f"Early {i % 3}", title=f"E{i % 4}") for i in range(30)]
    half = len(plays) // 2
    assert (
        await store.add_plays(plays[:half], origin="import:test")
        + await store.add_plays(plays[half:], origin="import:test")
        == len(plays) - 1
    )
    assert await store.scalar("SELECT count(*) FROM plays WHERE lhour < 0") > 30

    def recomputed(path: Path) -> tuple[dict[str, list[tuple[object, ...]]], dict[str, list[tuple[object, ...]]]]:
        conn = sqlite3.connect(path, isolation_level=None)
        try:
            conn.execute("BEGIN")
            last = conn.execute("SELECT max(id) FROM plays").fetchone()[0]
            for rollup in schema.ROLLUPS:
                conn.execute(f"DELETE FROM {rollup.table}")
                conn.execute(rollup.backfill(), (0, last))
            alone = {sql: conn.execute(sql).fetchall() for sql in ROLLUPS[3:]}
            counters = {sql: conn.execute(sql).fetchall() for sql in _COUNTERS_FROM_PLAYS}
            conn.execute("ROLLBACK")
            return alone, counters
        finally:
            conn.close()

    alone, counters = await asyncio.to_thread(recomputed, store.path)
    assert {sql: await rows(store, sql) for sql in ROLLUPS[3:]} == alone
    stored = [
        "SELECT id, plays, heard, first_played, first_lday FROM artists ORDER BY id",
        "SELECT id, plays, heard, first_played FROM tracks ORDER BY id",
        "SELECT id, plays, heard FROM albums ORDER BY id",
    ]
    for sql, expected in zip(stored, counters.values(), strict=True):
        assert await rows(store, sql) == expected, sql
    await assert_consistent(store)


@pytest.mark.usefixtures("chunks")
async def test_a_new_history_is_summed_before_it_is_written(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    # Every chunk of a history new to the store, repeats of a play within a chunk included, is added to the roll-ups
    # from the preparer's sums (store/sums.py): the plays are never read back.
    def never(*args: object) -> None:
        raise AssertionError("summed from the file")

    monkeypatch.setattr(bulk, "fold_plays", never)
    plays = [
        make_play(
            ts(2024, 1, 1) + 3600 * i, artist=f"Artist {i % 5}", title=f"T{i % 7}", album=f"A{i % 3}" if i % 4 else None
        )
        for i in range(60)
    ]
    plays.insert(9, plays[8])
    plays += [make_play(-86400.0 * 30 + 5400 * i, artist="Early", title=f"E{i % 2}", room=None) for i in range(12)]
    assert await store.add_plays(plays, origin="import:test") == len(plays) - 1
    await assert_consistent(store)


@pytest.mark.usefixtures("chunks")
async def test_plays_already_stored_or_names_spelt_two_ways_are_summed_from_the_file(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    folds: list[tuple[int, int]] = []
    all_time_folds: list[tuple[int, int]] = []

    def counted(conn: sqlite3.Connection, after_id: int, last_id: int, *, all_time_only: bool = False) -> None:
        (all_time_folds if all_time_only else folds).append((after_id, last_id))
        fold_plays(conn, after_id, last_id, all_time_only=all_time_only)

    monkeypatch.setattr(bulk, "fold_plays", counted)
    # Chunks of 2, 4, 8, 8 plays: the second chunk holds a play stored before.
    first = [make_play(ts(2025, 5, 1) + 3600 * i, title=f"T{i}") for i in range(22)]
    await store.add_play(first[3], origin="import:test")
    assert await store.add_plays(first, origin="import:test") == 21
    assert len(folds) == 1
    assert not all_time_folds
    await assert_consistent(store)
    # "AIR" then "Air": one artist in the store, two in the import's numbers; from there on the sums are not the
    # store's, and every chunk is summed from the file, as are the all-time sums of the first one, at the end.
    spelt = [make_play(ts(2025, 6, 1) + 3600 * i, artist="AIR" if i < 3 else "Air", title=f"S{i}") for i in range(14)]
    folds.clear()
    assert await store.add_plays(spelt, origin="import:test") == 14
    assert len(folds) == 2
    assert len(all_time_folds) == 1
    await assert_consistent(store)


@given(st.integers(0, 100_000), st.integers(1, 5000))
def test_statements_cover_the_rows_in_a_dozen_sizes(count: int, most: int) -> None:
    # Each size is a statement of its own in the connection's cache: full ones, then powers of two.
    batches = list(bulk._batches(count, most))
    assert [end for _, end in batches[:-1]] == [start for start, _ in batches[1:]]
    assert (batches[0][0], batches[-1][1]) == (0, count) if count else batches == []
    sizes = {end - start for start, end in batches}
    assert all(size == most or (size < most and size & (size - 1) == 0) for size in sizes)
