"""The bulk path's roll-up sums (store/sums.py): the same rows as SQLite's fold (schema.fold_plays) of the same plays,
whatever the plays, before 1970 and repeats included."""

from __future__ import annotations

import itertools
import sqlite3

from hypothesis import HealthCheck, example, given, settings, strategies as st
import numpy as np

from custom_components.spinstack.store import schema
from custom_components.spinstack.store.sums import Sums, Totals, _order, chunk_sums

# (track, album (0: none), context, start, heard, local hour); a track's artist is track % 3 + 1.
type PlayRow = tuple[int, int, int, int, int, int]

_PLAY = st.tuples(
    st.integers(1, 6),
    st.integers(0, 3),
    st.integers(1, 3),
    st.integers(-(10**9), 2 * 10**9),
    st.integers(0, 3600),
    # Around 1970 (local hours below 0, where SQLite's division truncates), and up to 2100.
    st.integers(-300_000, 1_140_000),
)


def _artist(track: int) -> int:
    return track % 3 + 1


def folded(plays: list[PlayRow]) -> dict[str, list[tuple[int, ...]]]:
    """Every roll-up and counter as schema.fold_plays computes them, for plays written in this order."""
    conn = sqlite3.connect(":memory:", isolation_level=None)
    try:
        schema.migrate(conn)
        conn.executemany(
            "INSERT INTO artists (id, name, name_key) VALUES (?, ?, ?)", [(i, f"a{i}", f"a{i}") for i in (1, 2, 3)]
        )
        conn.executemany(
            "INSERT INTO tracks (id, artist_id, title, title_key) VALUES (?, ?, ?, ?)",
            [(t, _artist(t), f"t{t}", f"t{t}") for t in range(1, 7)],
        )
        conn.executemany(
            "INSERT INTO albums (id, artist_id, title, title_key) VALUES (?, 1, ?, ?)",
            [(i, f"b{i}", f"b{i}") for i in (1, 2, 3)],
        )
        conn.executemany(
            "INSERT INTO contexts (id, service, kind, speaker, room, origin) VALUES (?, 's', 'k', 'x', 'r', ?)",
            [(i, f"o{i}") for i in (1, 2, 3)],
        )
        conn.executemany(
            "INSERT OR IGNORE INTO plays (track_id, album_id, context_id, started_at, heard, lhour) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [(t, a or None, c, s, h, lh) for t, a, c, s, h, lh in plays],
        )
        conn.execute("BEGIN")
        schema.fold_plays(conn, 0, conn.execute("SELECT coalesce(max(id), 0) FROM plays").fetchone()[0])
        conn.execute("COMMIT")
        tables = {
            rollup.table: conn.execute(f"SELECT * FROM {rollup.table} ORDER BY {', '.join(rollup.keys)}").fetchall()
            for rollup in schema.ROLLUPS
        }
        tables["tracks"] = conn.execute(
            "SELECT id, plays, heard, first_played FROM tracks WHERE plays > 0 ORDER BY id"
        ).fetchall()
        tables["albums"] = conn.execute("SELECT id, plays, heard FROM albums WHERE plays > 0 ORDER BY id").fetchall()
        tables["artists"] = conn.execute(
            "SELECT id, plays, heard, first_played, first_lday FROM artists WHERE plays > 0 ORDER BY id"
        ).fetchall()
        return tables
    finally:
        conn.close()


def summed(plays: list[PlayRow]) -> tuple[dict[str, list[tuple[int, ...]]], Sums]:
    track, album, context, started, heard, lhour = (
        np.array(column, dtype=np.int64) for column in zip(*plays, strict=True)
    )
    sums = chunk_sums(
        track=track, album=album, context=context, artist=track % 3 + 1, started=started, heard=heard, lhour=lhour
    )
    tables = {
        rollup.table: sorted(tuple(int(v) for v in row) for row in rows)
        for rollup, rows in zip(schema.ROLLUPS, sums.rollups, strict=True)
    }
    for name, rows in (("tracks", sums.tracks), ("albums", sums.albums), ("artists", sums.artists)):
        tables[name] = sorted(tuple(int(v) for v in row) for row in rows)
    return tables, sums


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.lists(_PLAY, min_size=1, max_size=60))
# A play before 1970 at a local hour that is not a whole day back (day 0, weekday from 0); the same track and start
# twice, the first kept with its album and context.
@example([(1, 0, 1, 0, 10, -5), (2, 3, 2, -7200, 20, -26)])
@example([(1, 2, 1, 100, 10, 40), (1, 3, 2, 100, 99, 41), (1, 2, 1, 50, 5, 39)])
def test_the_sums_are_the_folds(plays: list[PlayRow]) -> None:
    tables, sums = summed(plays)
    assert tables == folded(plays)
    assert sums.plays == len({(track, started) for track, _, _, started, _, _ in plays})


@settings(deadline=None)
@given(
    st.lists(st.tuples(st.integers(-(2**40), 2**40), st.integers(0, 3), st.integers(-5, 5)), min_size=1, max_size=40),
    st.booleans(),
)
def test_rows_are_ordered_as_lexsort_orders_them_packed_or_not(rows: list[tuple[int, int, int]], wide: bool) -> None:
    # Two columns of 41 bits do not fit in one integer (lexsort); a 41-bit one with two small ones does (packed).
    first, second, third = (np.array(column, dtype=np.int64) for column in zip(*rows, strict=True))
    columns = [first, first * 3, third] if wide else [first, second, third]
    order = _order(columns, stable=True)
    assert order.tolist() == np.lexsort(columns[::-1]).tolist()
    expected = sorted(zip(*(column.tolist() for column in columns), strict=True))
    assert [tuple(int(column[i]) for column in columns) for i in _order(columns)] == expected


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.lists(_PLAY, min_size=1, max_size=60, unique_by=lambda play: (play[0], play[3])), st.data())
def test_totals_of_chunks_are_the_all_time_sums_of_all_their_plays(plays: list[PlayRow], data: st.DataObject) -> None:
    # An import's chunks (no play in two of them: those the store already holds are summed from the file).
    cuts = sorted(data.draw(st.lists(st.integers(1, len(plays)), max_size=4)))
    totals = Totals()
    for start, end in itertools.pairwise([0, *cuts, len(plays)]):
        if start < end:
            totals.add(summed(plays[start:end])[1])
    whole = summed(plays)[1]
    together = totals.sums()
    assert together.plays == whole.plays == len(plays)
    for rollup, got, expected in zip(schema.ROLLUPS, together.rollups, whole.rollups, strict=True):
        assert got.tolist() == (expected.tolist() if rollup.all_time else []), rollup.table
    for got, expected in (
        (together.tracks, whole.tracks),
        (together.albums, whole.albums),
        (together.artists, whole.artists),
    ):
        assert got.tolist() == expected.tolist()
