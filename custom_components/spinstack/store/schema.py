"""The play store's schema and its migrations.

The version lives in ``PRAGMA user_version``. Each migration takes the database from version N-1 to N inside one
transaction; opening a store applies the missing ones in order. Never edit a released migration: add one.

Design (figures in bench/README.md): plays are narrow rows of integers (about 90 bytes a play in all at a million)
pointing at tracks, artists, albums and contexts (service, kind, speaker, room, origin); names are stored once.
Roll-ups (``ROLLUPS``: by local day, month and year, by context and all time; counters on each artist, track and
album) answer the period queries without scanning plays.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
import sqlite3

# Version 1: the plays and what they point at.
_V1 = """
CREATE TABLE artists (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL UNIQUE,
    mbid TEXT
);
CREATE TABLE albums (
    id INTEGER PRIMARY KEY,
    artist_id INTEGER NOT NULL REFERENCES artists(id),
    title TEXT NOT NULL,
    title_key TEXT NOT NULL,
    mbid TEXT,
    UNIQUE (artist_id, title_key)
);
CREATE TABLE tracks (
    id INTEGER PRIMARY KEY,
    artist_id INTEGER NOT NULL REFERENCES artists(id),
    title TEXT NOT NULL,
    title_key TEXT NOT NULL,
    duration INTEGER,
    isrc TEXT,
    mbid TEXT,
    spotify_id TEXT,
    UNIQUE (artist_id, title_key)
);
CREATE TABLE contexts (
    id INTEGER PRIMARY KEY,
    service TEXT NOT NULL,
    kind TEXT NOT NULL,
    speaker TEXT NOT NULL,
    room TEXT NOT NULL,
    origin TEXT NOT NULL,
    UNIQUE (service, kind, speaker, room, origin)
);
-- started_at: epoch seconds (UTC); lhour: the local hour number (local wall time in seconds since the epoch,
-- divided by 3600), fixed when the play is written so that days, hours and months follow local time and DST.
CREATE TABLE plays (
    id INTEGER PRIMARY KEY,
    started_at INTEGER NOT NULL,
    track_id INTEGER NOT NULL REFERENCES tracks(id),
    album_id INTEGER REFERENCES albums(id),
    context_id INTEGER NOT NULL REFERENCES contexts(id),
    heard INTEGER NOT NULL,
    lhour INTEGER NOT NULL
);
-- One row per listen: a play written twice (a retry, a restart) is ignored. Also serves "all plays of a track".
CREATE UNIQUE INDEX plays_by_track ON plays (track_id, started_at);
CREATE INDEX plays_by_time ON plays (started_at);
CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
"""

# Version 2: roll-ups, all-time counters and text search, built from the plays already there.
_V2 = """
ALTER TABLE artists ADD COLUMN plays INTEGER NOT NULL DEFAULT 0;
ALTER TABLE artists ADD COLUMN heard INTEGER NOT NULL DEFAULT 0;
ALTER TABLE artists ADD COLUMN first_played INTEGER;
ALTER TABLE albums ADD COLUMN plays INTEGER NOT NULL DEFAULT 0;
ALTER TABLE albums ADD COLUMN heard INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tracks ADD COLUMN plays INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tracks ADD COLUMN heard INTEGER NOT NULL DEFAULT 0;
CREATE INDEX artists_by_plays ON artists (plays DESC);
CREATE INDEX artists_by_first_played ON artists (first_played);
CREATE INDEX albums_by_plays ON albums (plays DESC);
CREATE INDEX tracks_by_plays ON tracks (plays DESC);
CREATE TABLE r_hour (
    lhour INTEGER PRIMARY KEY,
    plays INTEGER NOT NULL,
    heard INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE r_month_artist (
    month INTEGER NOT NULL,
    artist_id INTEGER NOT NULL,
    plays INTEGER NOT NULL,
    heard INTEGER NOT NULL,
    PRIMARY KEY (month, artist_id)
) WITHOUT ROWID;
CREATE VIRTUAL TABLE track_search USING fts5 (artist, title, content='', tokenize='trigram remove_diacritics 1');
"""


def _v2_backfill(conn: sqlite3.Connection) -> None:
    """Fill the roll-ups and the search index from the plays and tracks of version 1."""
    conn.execute(
        "INSERT INTO track_search (rowid, artist, title) "
        "SELECT t.id, a.name, t.title FROM tracks t JOIN artists a ON a.id = t.artist_id"
    )
    last = conn.execute("SELECT coalesce(max(id), 0) FROM plays").fetchone()[0]
    for statement in _V2_ROLLUPS:
        conn.execute(statement, (0, last))


# Version 2's roll-ups as version 2 built them (frozen: version 3 replaced r_hour and r_month_artist).
_V2_ROLLUPS: tuple[str, ...] = (
    """
    INSERT INTO r_hour (lhour, plays, heard)
    SELECT lhour, count(*), sum(heard) FROM plays WHERE id > ?1 AND id <= ?2 GROUP BY lhour
    """,
    """
    INSERT INTO r_month_artist (month, artist_id, plays, heard)
    SELECT CAST(strftime('%Y%m', p.lhour * 3600, 'unixepoch') AS INTEGER), t.artist_id, count(*), sum(p.heard)
    FROM plays p JOIN tracks t ON t.id = p.track_id
    WHERE p.id > ?1 AND p.id <= ?2
    GROUP BY 1, 2
    """,
    """
    UPDATE tracks SET plays = tracks.plays + c.n, heard = tracks.heard + c.h
    FROM (SELECT track_id, count(*) AS n, sum(heard) AS h FROM plays WHERE id > ?1 AND id <= ?2 GROUP BY track_id)
        AS c
    WHERE tracks.id = c.track_id
    """,
    """
    UPDATE albums SET plays = albums.plays + c.n, heard = albums.heard + c.h
    FROM (SELECT album_id, count(*) AS n, sum(heard) AS h FROM plays
          WHERE id > ?1 AND id <= ?2 AND album_id IS NOT NULL GROUP BY album_id) AS c
    WHERE albums.id = c.album_id
    """,
    """
    UPDATE artists SET
        plays = artists.plays + c.n,
        heard = artists.heard + c.h,
        first_played = min(coalesce(artists.first_played, c.f), c.f)
    FROM (SELECT t.artist_id, count(*) AS n, sum(p.heard) AS h, min(p.started_at) AS f
          FROM plays p JOIN tracks t ON t.id = p.track_id WHERE p.id > ?1 AND p.id <= ?2 GROUP BY t.artist_id) AS c
    WHERE artists.id = c.artist_id
    """,
)


# Version 3: roll-ups that keep the context (service, room...) so insights can be filtered by room and service,
# at the day, month, year and all-time grains; a covering time index for the days a roll-up does not cover; when
# each track was first heard; genres (filled by metadata plugins).
#   lday: local day number (lhour / 24); month: local YYYYMM; year: local year; how: hour of the week, Monday 00h = 0.
# Artists, tracks and albums are rolled up by year, not month: a month holds about as many (track, context) pairs as
# plays, so a monthly roll-up is as big as the plays and no faster to read; a year's is two to three times smaller.
# Their key puts the item before the context so that one year's rows come grouped by item (no sort to sum them).
@dataclass(frozen=True, slots=True)
class Rollup:
    """A roll-up table: play counts and heard seconds summed by ``keys`` (columns of ``ROLLUP_SOURCE``)."""

    table: str
    keys: tuple[str, ...]

    @property
    def all_time(self) -> bool:
        """Whether it sums all time (no day, month or year in its keys): an import adds these once, at its end."""
        return not {"lday", "month", "year"}.intersection(self.keys)

    def ddl(self) -> str:
        columns = ", ".join(f"{key} INTEGER NOT NULL" for key in self.keys)
        return (
            f"CREATE TABLE {self.table} ({columns}, plays INTEGER NOT NULL, heard INTEGER NOT NULL, "
            f"PRIMARY KEY ({', '.join(self.keys)})) WITHOUT ROWID"
        )

    def upsert(self, rows: int = 1) -> str:
        """Add (keys..., plays, heard) rows, ``rows`` of them per statement."""
        keys = ", ".join(self.keys)
        row = f"({', '.join('?' for _ in self.keys)}, ?, ?)"
        return (
            f"INSERT INTO {self.table} ({keys}, plays, heard) VALUES {', '.join([row] * rows)} "  # noqa: S608 - fixed names
            f"ON CONFLICT ({keys}) DO UPDATE SET plays = plays + excluded.plays, heard = heard + excluded.heard"
        )

    def sum_from(self, source: str) -> str:
        """Add the plays of ``source`` (a table or a parenthesised select of ``ROLLUP_SOURCE``'s columns), set-based."""
        keys = ", ".join(self.keys)
        where = " WHERE album_id IS NOT NULL" if "album_id" in self.keys else ""
        return (
            f"INSERT INTO {self.table} ({keys}, plays, heard) "  # noqa: S608 - fixed names
            f"SELECT {keys}, count(*), sum(heard) FROM {source}{where} GROUP BY {keys} "
            f"ON CONFLICT ({keys}) DO UPDATE SET plays = plays + excluded.plays, heard = heard + excluded.heard"
        )

    def backfill(self) -> str:
        """Fold the plays with id in (?1, ?2] in, set-based (the migrations)."""
        return self.sum_from(f"({ROLLUP_SOURCE})")


# The plays with id in (?1, ?2], with every column a roll-up is keyed on (and the start and local hour the counters
# need).
ROLLUP_SOURCE = """
    SELECT *, month / 100 AS year FROM (
        SELECT p.lhour / 24 AS lday, CAST(strftime('%Y%m', p.lhour * 3600, 'unixepoch') AS INTEGER) AS month,
               ((p.lhour / 24 + 3) % 7) * 24 + p.lhour % 24 AS how, p.context_id, t.artist_id, p.track_id,
               p.album_id, p.heard, p.started_at, p.lhour
        FROM plays p JOIN tracks t ON t.id = p.track_id WHERE p.id > ?1 AND p.id <= ?2
    )
"""

# The roll-ups as version 3 created them (frozen: version 7 took the context out of the yearly track and album ones).
_V3_ROLLUPS: tuple[Rollup, ...] = (
    Rollup("r_day_total", ("lday",)),
    # Context first: filtered days are read one context's range at a time (unfiltered ones from r_day_total).
    Rollup("r_day", ("context_id", "lday")),
    Rollup("r_month", ("month", "context_id")),
    Rollup("r_year_how", ("year", "context_id", "how")),
    Rollup("r_year_artist", ("year", "artist_id", "context_id")),
    Rollup("r_year_track", ("year", "track_id", "context_id")),
    Rollup("r_year_album", ("year", "album_id", "context_id")),
    Rollup("r_ctx_how", ("context_id", "how")),
    Rollup("r_ctx_artist", ("context_id", "artist_id")),
    Rollup("r_ctx_track", ("context_id", "track_id")),
    Rollup("r_ctx_album", ("context_id", "album_id")),
)

# Version 7's yearly roll-ups of tracks and albums: by year and item, without the context. By context they held about
# as many rows as plays (at a million plays: 692,000 of tracks and 499,000 of albums, 40 % of every roll-up row an
# import writes); by item, 374,000 and 181,000. A filtered period's whole years read its tracks and albums from the
# plays (the covering time index), as its other days already did; unfiltered ones from these. Artists keep the
# context (400,000 rows, 167,000 without): more views rank them (top, discovery, genres, comebacks), and their sums
# from the plays would join every play with its track.
_V7_YEAR_ROLLUPS: tuple[Rollup, ...] = (
    Rollup("r_year_track", ("year", "track_id")),
    Rollup("r_year_album", ("year", "album_id")),
)

# Today's roll-ups, in version 3's order: version 3's, with version 7's in place of the ones it changed.
ROLLUPS: tuple[Rollup, ...] = tuple(
    {rollup.table: rollup for rollup in _V7_YEAR_ROLLUPS}.get(rollup.table, rollup) for rollup in _V3_ROLLUPS
)

# Fold the plays with id in (?1, ?2] into every roll-up and counter, set-based: the bulk path and the tests. The
# chunk's plays, with every column a roll-up is keyed on, are computed once into a temporary table (each roll-up
# joining the plays with tracks again cost 3.2 s per 100,000 plays at a million, against 1.8 s this way); then each
# roll-up and counter sums from it. Single writes add the same sums from Python (Store._fold); tests check that both
# give the same tables. Each statement comes with whether it takes the range (?1, ?2) as parameters.
_FOLD_SOURCE = f"CREATE TEMP TABLE fold_source AS {ROLLUP_SOURCE}"


_FOLD_COUNTERS: tuple[str, ...] = (
    """
    UPDATE tracks SET
        plays = tracks.plays + c.n,
        heard = tracks.heard + c.h,
        first_played = min(coalesce(tracks.first_played, c.f), c.f)
    FROM (SELECT track_id, count(*) AS n, sum(heard) AS h, min(started_at) AS f FROM temp.fold_source
          GROUP BY track_id) AS c
    WHERE tracks.id = c.track_id
    """,
    """
    UPDATE albums SET plays = albums.plays + c.n, heard = albums.heard + c.h
    FROM (SELECT album_id, count(*) AS n, sum(heard) AS h FROM temp.fold_source
          WHERE album_id IS NOT NULL GROUP BY album_id) AS c
    WHERE albums.id = c.album_id
    """,
    # first_lday: the local day of the first play (SQLite takes the bare column lhour from the row giving min()).
    """
    UPDATE artists SET
        plays = artists.plays + c.n,
        heard = artists.heard + c.h,
        first_lday = CASE WHEN artists.first_played IS NULL OR c.f < artists.first_played THEN c.fl
                          ELSE artists.first_lday END,
        first_played = min(coalesce(artists.first_played, c.f), c.f)
    FROM (SELECT artist_id, count(*) AS n, sum(heard) AS h, min(started_at) AS f, lhour / 24 AS fl
          FROM temp.fold_source GROUP BY artist_id) AS c
    WHERE artists.id = c.artist_id
    """,
)


def _fold_statements(rollups: Iterable[Rollup]) -> tuple[tuple[str, bool], ...]:
    return (
        ("DROP TABLE IF EXISTS temp.fold_source", False),
        (_FOLD_SOURCE, True),
        *((rollup.sum_from("temp.fold_source"), False) for rollup in rollups),
        *((statement, False) for statement in _FOLD_COUNTERS),
        ("DROP TABLE temp.fold_source", False),
    )


ROLLUP_STATEMENTS = _fold_statements(ROLLUPS)
# The all-time roll-ups and the counters only (an import's plays whose dated roll-ups are written: version 6).
ALL_TIME_STATEMENTS = _fold_statements(rollup for rollup in ROLLUPS if rollup.all_time)


def fold_plays(conn: sqlite3.Connection, after_id: int, last_id: int, *, all_time_only: bool = False) -> None:
    """Add the plays with id in (after_id, last_id] to every roll-up and counter, or to the all-time ones and the
    counters only (inside the caller's transaction)."""
    for statement, ranged in ALL_TIME_STATEMENTS if all_time_only else ROLLUP_STATEMENTS:
        conn.execute(statement, (after_id, last_id) if ranged else ())


def settle_pending(conn: sqlite3.Connection) -> int:
    """Add the plays of every pending span (version 6) to the all-time roll-ups and counters, from the plays, and
    clear the spans (inside the caller's transaction); returns how many plays that was."""
    spans = conn.execute("SELECT after_id, last_id FROM all_time_pending").fetchall()
    for after_id, last_id in spans:
        fold_plays(conn, after_id, last_id, all_time_only=True)
    conn.execute("DELETE FROM all_time_pending")
    return sum(last_id - after_id for after_id, last_id in spans)


_V3 = """
DROP TABLE r_hour;
DROP TABLE r_month_artist;
DROP INDEX plays_by_time;
CREATE INDEX plays_by_time ON plays (started_at, context_id, track_id, album_id, heard, lhour);
ALTER TABLE tracks ADD COLUMN first_played INTEGER;
CREATE INDEX tracks_by_first_played ON tracks (first_played);
ALTER TABLE artists ADD COLUMN first_lday INTEGER;
CREATE TABLE artist_genres (
    artist_id INTEGER NOT NULL REFERENCES artists(id),
    genre TEXT NOT NULL,
    source TEXT NOT NULL,
    PRIMARY KEY (artist_id, genre)
) WITHOUT ROWID;
"""


def _v3_rollups(conn: sqlite3.Connection) -> None:
    for rollup in _V3_ROLLUPS:
        conn.execute(rollup.ddl())
    last = conn.execute("SELECT coalesce(max(id), 0) FROM plays").fetchone()[0]
    for rollup in _V3_ROLLUPS:
        conn.execute(rollup.backfill(), (0, last))
    conn.execute(
        "UPDATE tracks SET first_played = c.f FROM (SELECT track_id, min(started_at) AS f FROM plays GROUP BY track_id)"
        " AS c WHERE tracks.id = c.track_id"
    )
    conn.execute(
        "UPDATE artists SET first_lday = (SELECT p.lhour / 24 FROM tracks t JOIN plays p ON p.track_id = t.id "
        "AND p.started_at = artists.first_played WHERE t.artist_id = artists.id LIMIT 1) "
        "WHERE first_played IS NOT NULL"
    )


# Version 4: what metadata plugins find (on tracks and artists), and their work list, which is also their cache:
# one row per plugin and track, pending (to do), found or not_found (the answer, until due_at says to ask again),
# failed (to try again at due_at, after a backoff).
_V4 = """
ALTER TABLE tracks ADD COLUMN deezer_id INTEGER;
ALTER TABLE tracks ADD COLUMN share_link TEXT;
ALTER TABLE tracks ADD COLUMN meta TEXT;
ALTER TABLE artists ADD COLUMN country TEXT;
CREATE TABLE enrichment (
    plugin TEXT NOT NULL,
    track_id INTEGER NOT NULL REFERENCES tracks(id),
    state TEXT NOT NULL,
    due_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    updated_at INTEGER,
    error TEXT,
    PRIMARY KEY (plugin, track_id)
) WITHOUT ROWID;
CREATE INDEX enrichment_due ON enrichment (due_at);
"""

# Version 5: the forwarding outbox. A live play to be forwarded gets one row per target in the transaction that
# stores it; a row is deleted once the target accepted it, or kept as a dead letter (dead = 1, with the reason)
# when the target refused it for good, until a retry puts it back in line. Delivery follows id order per target.
_V5 = """
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    target TEXT NOT NULL,
    play_id INTEGER NOT NULL REFERENCES plays(id),
    dead INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT
);
CREATE INDEX outbox_by_target ON outbox (target, dead, id);
"""

# Version 6: spans of plays (ids in (after_id, last_id]) that an import has added to the dated roll-ups but not yet
# to the all-time ones and the counters. An import adds those once, at its end (bulk.py): each track, artist or
# album's total is written once per import instead of once per chunk. A span left by an import that did not end
# (the process killed) is added from the plays when the store opens (settle_pending).
_V6 = """
CREATE TABLE all_time_pending (
    after_id INTEGER NOT NULL,
    last_id INTEGER NOT NULL
);
"""


def _v7_year_rollups(conn: sqlite3.Connection) -> None:
    """Version 7: the yearly roll-ups of tracks and albums summed over the contexts (_V7_YEAR_ROLLUPS)."""
    for rollup in _V7_YEAR_ROLLUPS:
        keys = ", ".join(rollup.keys)
        conn.execute(f"ALTER TABLE {rollup.table} RENAME TO v6_{rollup.table}")
        conn.execute(rollup.ddl())
        conn.execute(
            f"INSERT INTO {rollup.table} ({keys}, plays, heard) "  # noqa: S608 - fixed names
            f"SELECT {keys}, sum(plays), sum(heard) FROM v6_{rollup.table} GROUP BY {keys}"
        )
        conn.execute(f"DROP TABLE v6_{rollup.table}")


Migration = Callable[[sqlite3.Connection], None]


def _script(sql: str, after: Migration | None = None) -> Migration:
    def migrate(conn: sqlite3.Connection) -> None:
        for statement in _split(sql):
            conn.execute(statement)
        if after is not None:
            after(conn)

    return migrate


def _split(sql: str) -> list[str]:
    """Split a script into statements (the migrations hold no semicolons inside strings)."""
    statements, current = [], []
    for line in sql.splitlines():
        if line.strip().startswith("--"):
            continue
        current.append(line)
        if line.rstrip().endswith(";"):
            statements.append("\n".join(current).strip())
            current = []
    rest = "\n".join(current).strip()
    if rest:
        statements.append(rest)
    return statements


# MIGRATIONS[n - 1] takes the database from version n - 1 to version n.
MIGRATIONS: tuple[Migration, ...] = (
    _script(_V1),
    _script(_V2, _v2_backfill),
    _script(_V3, _v3_rollups),
    _script(_V4),
    _script(_V5),
    _script(_V6),
    _v7_year_rollups,
)
SCHEMA_VERSION = len(MIGRATIONS)


class SchemaTooNewError(RuntimeError):
    """The file was written by a newer SpinStack."""


def migrate(conn: sqlite3.Connection, target: int | None = None) -> tuple[int, int]:
    """Bring the database to ``target`` (the newest by default), one transaction per step; returns (version
    before, version after)."""
    newest = len(MIGRATIONS)
    target = newest if target is None else target
    before = conn.execute("PRAGMA user_version").fetchone()[0]
    if before > newest:
        raise SchemaTooNewError(f"the play store has schema version {before}; this SpinStack knows up to {newest}")
    for version in range(before + 1, target + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            MIGRATIONS[version - 1](conn)
            conn.execute(f"PRAGMA user_version = {version:d}")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    return before, max(before, target)
