"""A chunk's roll-up sums, computed with numpy while the chunk before is written (the bulk path, bulk.py).

SQLite groups by sorting every row: about 0.8 s per roll-up per million plays whatever the number of groups, and
the eleven roll-ups and three counters took about 22 s of a million-play import in the writer's thread, which
nothing else could use meanwhile. numpy sums the same columns in a fraction of that (sorts release the GIL), in the
preparer's thread, and the writer only adds the sums. It adds the dated roll-ups' sums per chunk; ``Totals`` sums
the all-time roll-ups and the counters across the import's chunks, in the preparer's thread too, and the writer adds
them once, at the import's end (about 3 rows of sums per play at a million, 0.9 of them all-time).

The sums are keyed on the import's numbers (bulk.Preparer), which the writer replaces with ids, and follow
``schema.ROLLUP_SOURCE``'s arithmetic exactly: SQLite's integer division and remainder truncate towards zero (a
local hour before 1970 belongs to day 0 and to the weekday that gives), the month is the calendar month of the
hour. ``schema.fold_plays`` stays the reference: tests check that both give the same tables.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .schema import ROLLUPS

type Ints = npt.NDArray[np.int64]

# Key columns that hold the import's numbers of names (replaced with ids by the writer); the others are values.
NAME_KEYS = ("track_id", "album_id", "context_id", "artist_id")


@dataclass(frozen=True, slots=True)
class Sums:
    """One chunk's sums, as rows of integers: each roll-up's (keys..., plays, heard) in ``schema.ROLLUPS`` order, and
    the counters: tracks (track, plays, heard, first played), albums (album, plays, heard), artists (artist, plays,
    heard, first played, local day of that play)."""

    rollups: tuple[Ints, ...]
    tracks: Ints
    albums: Ints
    artists: Ints
    # How many plays they count: the chunk's, less the repeats of a track and start second within it (the unique
    # index keeps the first).
    plays: int


def _truncated(value: Ints, by: int) -> Ints:
    """``value / by`` as SQLite computes it on integers (towards zero)."""
    quotient: Ints = np.abs(value) // by * np.sign(value)
    return quotient


def _order(columns: list[Ints], *, stable: bool = False) -> Ints:
    """The positions of the rows ordered by ``columns`` (most significant first); rows equal in every column keep
    their order when ``stable``. The columns are packed into one integer where they fit in 63 bits: one sort of
    that is about ten times faster than ``np.lexsort`` over three columns."""
    packed = np.zeros(len(columns[0]), dtype=np.int64)
    shift = 0
    for column in reversed(columns):
        if not len(column):
            break
        low = int(column.min())
        width = (int(column.max()) - low).bit_length()
        if shift + width > 63:
            order: Ints = np.lexsort(columns[::-1]).astype(np.int64)
            return order
        packed |= (column - low) << shift
        shift += width
    return np.argsort(packed, kind="stable" if stable else None).astype(np.int64)


def _groups(
    keys: list[Ints], heard: Ints, within: Ints | None = None, *, stable: bool = False
) -> tuple[list[Ints], Ints, Ints, Ints]:
    """Group rows by ``keys`` (most significant first): each group's keys, plays and heard seconds, and the row
    that comes first in it (ordered by ``within`` inside a group when given, then by position when ``stable``)."""
    order = _order([*keys, *([] if within is None else [within])], stable=stable)
    ordered = [key[order] for key in keys]
    count = len(order)
    change = np.zeros(count, dtype=bool)
    change[:1] = True
    for key in ordered:
        change[1:] |= key[1:] != key[:-1]
    starts: Ints = np.flatnonzero(change).astype(np.int64)
    plays: Ints = np.diff(np.append(starts, count)).astype(np.int64)
    sums: Ints = np.add.reduceat(heard[order], starts) if count else np.zeros(0, dtype=np.int64)
    return [key[starts] for key in ordered], plays, sums, order[starts]


def _rows(*columns: Ints) -> Ints:
    rows: Ints = np.column_stack(columns).astype(np.int64, copy=False)
    return rows


def chunk_sums(
    *, track: Ints, album: Ints, context: Ints, artist: Ints, started: Ints, heard: Ints, lhour: Ints
) -> Sums:
    """The sums of some plays, one array entry per play: album 0 is no album. Of plays with the same track and start,
    the first is counted, as the unique index keeps the first inserted."""
    (_, _), _, _, first = _groups([track, started], heard, stable=True)
    if len(first) < len(track):
        kept = np.sort(first)
        track, album, context, artist = track[kept], album[kept], context[kept], artist[kept]
        started, heard, lhour = started[kept], heard[kept], lhour[kept]
    lday = _truncated(lhour, 24)
    months = (lhour // 24).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    month = (months // 12 + 1970) * 100 + months % 12 + 1
    columns: dict[str, Ints] = {
        "lday": lday,
        "month": month,
        "year": month // 100,
        "how": np.fmod(lday + 3, 7) * 24 + np.fmod(lhour, 24),
        "context_id": context,
        "artist_id": artist,
        "track_id": track,
        "album_id": album,
    }
    with_album = album != 0
    rollups = []
    for rollup in ROLLUPS:
        if "album_id" in rollup.keys:
            keys, plays, sums, _ = _groups([columns[key][with_album] for key in rollup.keys], heard[with_album])
        else:
            keys, plays, sums, _ = _groups([columns[key] for key in rollup.keys], heard)
        rollups.append(_rows(*keys, plays, sums))
    # Sorted by start within a track or an artist, a group's first row is its first play.
    (tracks,), track_plays, track_sums, first = _groups([track], heard, within=started)
    track_rows = _rows(tracks, track_plays, track_sums, started[first])
    (artists,), artist_plays, artist_sums, first = _groups([artist], heard, within=started)
    artist_rows = _rows(artists, artist_plays, artist_sums, started[first], lday[first])
    (albums,), album_plays, album_sums, _ = _groups([album[with_album]], heard[with_album])
    return Sums(
        rollups=tuple(rollups),
        tracks=track_rows,
        albums=_rows(albums, album_plays, album_sums),
        artists=artist_rows,
        plays=len(track),
    )


_LOW_32 = (1 << 32) - 1
_BIAS = 1 << 31


def _packed(rows: Ints, keys: int) -> Ints:
    """A table's keys as one integer, in the same order: one key, or two (a number in [0, 2**31) and an integer in
    [-2**31, 2**31): the hour of the week is negative before 1970)."""
    if keys == 1:
        return rows[:, 0].copy()
    first, second = rows[:, 0], rows[:, 1]
    assert not len(rows) or (first.min() >= 0 and first.max() < _BIAS), "a number over 31 bits"
    assert not len(rows) or (second.min() >= -_BIAS and second.max() < _BIAS), "a key over 32 bits"
    packed: Ints = first << 32 | (second + _BIAS)
    return packed


class Totals:
    """The all-time roll-ups and counters of an import's chunks, summed as they are committed (in the preparer's
    thread: ``BulkWriter.total``; the writer adds them once, at the import's end): rows kept sorted by their keys, each
    chunk's rows added where their keys are and inserted where they are new."""

    def __init__(self) -> None:
        # Table -> (packed keys, sorted; values: plays, heard[, first played[, local day of that play]]).
        self._tables: dict[str, tuple[Ints, Ints]] = {}
        self.plays = 0

    def add(self, sums: Sums) -> None:
        for rollup, rows in zip(ROLLUPS, sums.rollups, strict=True):
            if rollup.all_time:
                self._add(rollup.table, rows, len(rollup.keys))
        for table, rows in (("tracks", sums.tracks), ("albums", sums.albums), ("artists", sums.artists)):
            self._add(table, rows, 1)
        self.plays += sums.plays

    def _add(self, table: str, rows: Ints, keys: int) -> None:
        new_keys, new_values = _packed(rows, keys), rows[:, keys:]
        if table not in self._tables:
            self._tables[table] = (new_keys, new_values.copy())
            return
        old_keys, old_values = self._tables[table]
        at = np.searchsorted(old_keys, new_keys)
        found = np.zeros(len(new_keys), dtype=bool)
        inside = at < len(old_keys)
        found[inside] = old_keys[at[inside]] == new_keys[inside]
        hit = at[found]
        old_values[hit, :2] += new_values[found, :2]
        if new_values.shape[1] > 2:
            # First played, and its local day (artists): the earlier play's.
            earlier = new_values[found, 2] < old_values[hit, 2]
            old_values[hit[earlier], 2:] = new_values[found][earlier, 2:]
        new = ~found
        self._tables[table] = (
            np.insert(old_keys, at[new], new_keys[new]),
            np.insert(old_values, at[new], new_values[new], axis=0),
        )

    def sums(self) -> Sums:
        """The totals as one chunk's sums would give them; the dated roll-ups empty."""

        def rows(table: str, keys: int, width: int) -> Ints:
            if table not in self._tables:
                return np.zeros((0, width), dtype=np.int64)
            packed, values = self._tables[table]
            columns = [packed] if keys == 1 else [packed >> 32, (packed & _LOW_32) - _BIAS]
            return _rows(*columns, *values.T)

        return Sums(
            rollups=tuple(
                rows(rollup.table, len(rollup.keys), len(rollup.keys) + 2)
                if rollup.all_time
                else np.zeros((0, len(rollup.keys) + 2), dtype=np.int64)
                for rollup in ROLLUPS
            ),
            tracks=rows("tracks", 1, 4),
            albums=rows("albums", 1, 3),
            artists=rows("artists", 1, 5),
            plays=self.plays,
        )
