"""Writes, idempotence, roll-ups and reads of the play store, on a real SQLite file."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
import sqlite3
from zoneinfo import ZoneInfo

import pytest

from custom_components.spinstack.store import SCHEMA_VERSION, LocalClock, Store, schema
from custom_components.spinstack.store.bulk import BulkWriter

from .conftest import ZONE, make_play

PARIS = ZoneInfo(ZONE)


def ts(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> float:
    return datetime(year, month, day, hour, minute, tzinfo=PARIS).timestamp()


async def test_open_creates_the_file_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "folder" / "spinstack.db"
    store = await Store.open(path, ZONE)
    try:
        assert path.exists()
        assert await store.scalar("PRAGMA journal_mode") == "wal"
        info = await store.info()
        assert (info.schema_version, info.migrated_from, info.plays) == (SCHEMA_VERSION, 0, 0)
        assert await store.integrity_check() == "ok"
    finally:
        await store.close()


async def test_a_file_with_other_pages_keeps_them(tmp_path: Path) -> None:
    """A file whose pages are not SQLite's 4 KiB (its owner ran VACUUM with another page_size) keeps them: imports and
    plays work as on a new file, and the bulk writer checkpoints after the same 64 MiB of WAL."""
    path = tmp_path / "spinstack.db"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA page_size = 16384")
    conn.execute("VACUUM")
    conn.close()
    store = await Store.open(path, ZONE)
    try:
        await store.add_plays([make_play(ts(2024, 5, 1, 12) + i * 600, title=f"Track {i}") for i in range(30)], "test")
        await store.add_play(make_play(ts(2024, 5, 2, 12)))
        assert await store.scalar("PRAGMA page_size") == 16384
        assert await store.scalar("SELECT count(*) FROM plays") == 31
        assert await store.integrity_check() == "ok"
    finally:
        await store.close()
    writer = BulkWriter.open(path)
    try:
        assert writer._conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 4096
    finally:
        writer.close()


async def test_a_play_written_twice_is_one_row(store: Store) -> None:
    play = make_play(ts(2026, 11, 26, 9, 0))
    first = await store.add_play(play)
    assert first is not None
    assert await store.add_play(play) is None
    # A restart that re-estimated the start from the speaker's position: the same play.
    assert await store.add_play(make_play(play.started_at + 2)) is None
    assert await store.scalar("SELECT count(*) FROM plays") == 1
    assert await store.scalar("SELECT plays FROM artists WHERE name = 'Daft Punk'") == 1


async def test_a_track_played_twice_is_two_rows(store: Store) -> None:
    start = ts(2026, 11, 26, 9, 0)
    assert await store.add_play(make_play(start)) is not None
    assert await store.add_play(make_play(start + 320)) is not None
    rows = await store.query("track_plays", track_id=1, limit=10)
    assert [r["started_at"] for r in rows] == [round(start + 320), round(start)]


async def test_a_play_carries_everything_later_features_need(store: Store) -> None:
    play = make_play(
        ts(2026, 11, 26, 21, 30),
        artist="Röyksopp",
        title="Eple",
        album="Melody A.M.",
        album_artist="Röyksopp",
        duration=222,
        heard=111.4,
        service="apple_music",
        kind="on_demand",
        speaker="RINCON_B",
        room="Kitchen",
    )
    await store.add_play(play, origin="import:lastfm")
    await store._conn.execute("UPDATE tracks SET isrc = 'NOG840100010', mbid = 'm-1', spotify_id = 's-1'")
    rows = await store.query("plays_between", start=0, end=2**40, limit=10)
    assert rows == [
        {
            "id": 1,
            "started_at": round(play.started_at),
            "heard": 111,
            "artist": "Röyksopp",
            "title": "Eple",
            "album": "Melody A.M.",
            "album_artist": "Röyksopp",
            "duration": 222,
            "isrc": "NOG840100010",
            "mbid": "m-1",
            "spotify_id": "s-1",
            "service": "apple_music",
            "kind": "on_demand",
            "speaker": "RINCON_B",
            "room": "Kitchen",
            "origin": "import:lastfm",
            "track_id": 1,
        }
    ]
    assert (await store.query("last_play"))[0]["title"] == "Eple"


async def test_names_differing_in_case_and_spacing_are_one(store: Store) -> None:
    await store.add_play(make_play(ts(2026, 1, 1, 10), artist="Daft  Punk"))
    await store.add_play(make_play(ts(2026, 1, 2, 10), artist="daft punk", title="ONE MORE TIME"))
    assert await store.scalar("SELECT count(*) FROM artists") == 1
    assert await store.scalar("SELECT count(*) FROM tracks") == 1
    top = await store.query("top_artists_all_time", limit=5)
    assert [(r["artist"], r["plays"]) for r in top] == [("Daft  Punk", 2)]


async def test_rollups_follow_local_time_and_dst(store: Store) -> None:
    # 2026-03-29 is the day Paris moves to summer time: 23 hours long.
    plays = [
        make_play(ts(2026, 3, 28, 23, 30), title="A"),  # Saturday
        make_play(ts(2026, 3, 29, 0, 30), title="B"),  # Sunday, 00:30 local
        make_play(ts(2026, 3, 29, 3, 30), title="C"),  # Sunday, 03:30 local (after the jump)
        make_play(ts(2026, 3, 31, 23, 59), title="D"),  # Tuesday, last minute of March
        make_play(ts(2026, 4, 1, 0, 0), title="E", artist="Air"),  # April
    ]
    for play in plays:
        await store.add_play(play)
    clock = store.clock
    first, end = clock.lhour(ts(2026, 3, 1)) // 24, clock.lhour(ts(2026, 5, 1)) // 24
    days = await store.query("plays_per_day", first_day=first, end_day=end)
    assert [(LocalClock.day_of_lhour(r["day"] * 24), r["plays"]) for r in days] == [
        ("2026-03-28", 1),
        ("2026-03-29", 2),
        ("2026-03-31", 1),
        ("2026-04-01", 1),
    ]
    heat = await store.query("heatmap", first_year=2026, last_year=2026)
    assert sorted((r["weekday"], r["hour"], r["plays"]) for r in heat) == [
        (1, 23, 1),  # Tuesday 23h
        (2, 0, 1),  # Wednesday 0h
        (5, 23, 1),  # Saturday 23h
        (6, 0, 1),  # Sunday 0h
        (6, 3, 1),  # Sunday 3h
    ]
    march = await store.query("top_artists", start=ts(2026, 3, 1), end=ts(2026, 4, 1), limit=5)
    assert [(r["artist"], r["plays"]) for r in march] == [("Daft Punk", 4)]
    year = await store.query("top_artists_years", first_year=2026, last_year=2026, limit=5)
    assert [(r["artist"], r["plays"]) for r in year] == [("Daft Punk", 4), ("Air", 1)]


async def test_counts_periods_and_tops(store: Store) -> None:
    day = ts(2026, 11, 26)
    for hour in range(5):
        await store.add_play(make_play(day + hour * 3600, title=f"T{hour % 2}", heard=100 + hour))
    await store.add_play(make_play(day - 86400, artist="Air", title="La femme d'argent", album="Moon Safari"))
    today = {"start": day, "end": day + 86400}
    assert (await store.query("plays_count", **today))[0]["plays"] == 5
    assert (await store.query("heard_between", **today))[0]["heard"] == 510
    top = await store.query("top_tracks", **today, limit=10)
    assert [(r["title"], r["plays"]) for r in top] == [("T0", 3), ("T1", 2)]
    albums = await store.query("top_albums_all_time", limit=10)
    assert [(r["album"], r["plays"]) for r in albums] == [("Discovery", 5), ("Moon Safari", 1)]
    tracks = await store.query("top_tracks_all_time", limit=1)
    assert [(t["title"], t["plays"]) for t in tracks] == [("T0", 3)]
    new = await store.query("new_artists", start=day - 86400, end=day + 86400, limit=10)
    assert [(r["artist"], r["first_played"]) for r in new] == [("Daft Punk", round(day)), ("Air", round(day - 86400))][
        ::-1
    ]


async def test_search(store: Store) -> None:
    await store.add_play(make_play(ts(2026, 1, 1), artist="Sigur Rós", title="Hoppípolla"))
    await store.add_play(make_play(ts(2026, 1, 2), artist="Daft Punk", title="Harder, Better, Faster, Stronger"))
    assert [r["title"] for r in await store.search("hoppi")] == ["Hoppípolla"]
    assert [r["title"] for r in await store.search("ros hop")] == ["Hoppípolla"]
    assert [r["artist"] for r in await store.search("daft faster")] == ["Daft Punk"]
    assert await store.search("zz") == []
    assert await store.search('"; DROP TABLE plays; --') == []
    assert await store.scalar("SELECT count(*) FROM plays") == 2


async def test_bulk_insert_matches_single_inserts(tmp_path: Path) -> None:
    base = ts(2025, 6, 1)
    plays = [
        make_play(base + i * 700, artist=f"Artist {i % 7}", title=f"Track {i % 13}", album=f"Album {i % 5}")
        for i in range(2000)
    ]
    one = await Store.open(tmp_path / "one.db", ZONE)
    many = await Store.open(tmp_path / "many.db", ZONE)
    try:
        for play in plays[:300]:
            await one.add_play(play, origin="import:test", tolerance=0)
        assert await many.add_plays(plays[:300], origin="import:test") == 300
        # Again, with duplicates: only the new ones count.
        assert await many.add_plays(plays, origin="import:test") == 1700
        for play in plays[300:]:
            await one.add_play(play, origin="import:test", tolerance=0)
        for sql in (
            *(f"SELECT * FROM {rollup.table} ORDER BY {', '.join(rollup.keys)}" for rollup in schema.ROLLUPS),
            "SELECT name, plays, heard, first_played, first_lday FROM artists ORDER BY 1",
            "SELECT title, plays, heard FROM albums ORDER BY 1",
            "SELECT title, plays, heard, first_played FROM tracks ORDER BY 1",
            "SELECT started_at, track_id, album_id, heard, lhour FROM plays ORDER BY started_at",
        ):
            async with one._conn.execute(sql) as a, many._conn.execute(sql) as b:
                assert [tuple(r) for r in await a.fetchall()] == [tuple(r) for r in await b.fetchall()], sql
        assert {r["title"] for r in await many.search("track 12")} == {"Track 12"}
    finally:
        await one.close()
        await many.close()


async def test_a_failed_write_leaves_nothing_half_written(store: Store) -> None:
    await store.add_play(make_play(ts(2026, 1, 1)))
    await store._conn.execute("CREATE TRIGGER boom BEFORE INSERT ON plays BEGIN SELECT RAISE(ABORT, 'disk full'); END")
    with pytest.raises(Exception, match="disk full"):
        await store.add_play(make_play(ts(2026, 1, 2), artist="New Artist", title="New Track"))
    assert await store.scalar("SELECT count(*) FROM artists") == 1
    assert await store.scalar("SELECT count(*) FROM tracks") == 1
    await store._conn.execute("DROP TRIGGER boom")
    # The next play goes through, and the cached ids of the failed one are not trusted.
    assert await store.add_play(make_play(ts(2026, 1, 2), artist="New Artist", title="New Track")) is not None
    assert await store.scalar("SELECT plays FROM artists WHERE name = 'New Artist'") == 1
    assert await store.integrity_check() == "ok"


async def test_state_round_trip(store: Store) -> None:
    assert await store.get_state("engine") is None
    await store.set_state("engine", {"version": 1, "trackers": []})
    assert await store.get_state("engine") == {"version": 1, "trackers": []}


async def test_reopen_keeps_everything(tmp_path: Path) -> None:
    path = tmp_path / "spinstack.db"
    store = await Store.open(path, ZONE)
    await store.add_play(make_play(ts(2026, 1, 1)))
    await store.close()
    store = await Store.open(path, ZONE)
    try:
        assert (await store.info()).plays == 1
        assert store.migrated_from == SCHEMA_VERSION
    finally:
        await store.close()


async def test_rollup_statements_rebuild_what_writes_summed(store: Store) -> None:
    """The set-based roll-up statements (migrations, bulk loads) and the sums of single writes agree."""
    base = ts(2025, 12, 30)
    for i in range(120):
        await store.add_play(
            make_play(base + i * 5000, artist=f"Artist {i % 4}", title=f"Track {i % 9}", album=f"Album {i % 3}"),
            origin="live" if i % 2 else "import:test",
        )
    tables = [f"SELECT * FROM {rollup.table} ORDER BY {', '.join(rollup.keys)}" for rollup in schema.ROLLUPS]
    counters = [
        f"SELECT id, plays, heard{extra} FROM {table} ORDER BY id"
        for table, extra in (("artists", ", first_played, first_lday"), ("tracks", ", first_played"), ("albums", ""))
    ]
    written = {sql: await _all(store, sql) for sql in tables + counters}
    conn = store._conn
    for rollup in schema.ROLLUPS:
        await conn.execute(f"DELETE FROM {rollup.table}")
    for table in ("artists", "tracks", "albums"):
        await conn.execute(f"UPDATE {table} SET plays = 0, heard = 0")
    await conn.execute("UPDATE artists SET first_played = NULL, first_lday = NULL")
    await conn.execute("UPDATE tracks SET first_played = NULL")
    last = await store.scalar("SELECT max(id) FROM plays")
    for statement, ranged in schema.ROLLUP_STATEMENTS:
        await conn.execute(statement, (0, last) if ranged else ())
    for sql, rows in written.items():
        assert await _all(store, sql) == rows, sql


async def _all(store: Store, sql: str) -> list[tuple[object, ...]]:
    async with store._conn.execute(sql) as cursor:
        return [tuple(row) for row in await cursor.fetchall()]
