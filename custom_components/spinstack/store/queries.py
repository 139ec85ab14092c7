"""The documented queries of the play store, by name.

Every query here is used by more than one reader (sensors, services, insights, the benchmark) and has a test that
asserts its plan uses an index or a roll-up: none scans the plays table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from ..engine.model import Play

_PLAY_COLUMNS = """
    p.id, p.started_at, p.heard, a.name AS artist, t.title, al.title AS album, aa.name AS album_artist,
    t.duration, t.isrc, t.mbid, t.spotify_id, c.service, c.kind, c.speaker, c.room, c.origin, t.id AS track_id
"""
_PLAY_JOINS = """
    JOIN tracks t ON t.id = p.track_id
    JOIN artists a ON a.id = t.artist_id
    LEFT JOIN albums al ON al.id = p.album_id
    LEFT JOIN artists aa ON aa.id = al.artist_id
    JOIN contexts c ON c.id = p.context_id
"""

QUERIES: Final[dict[str, str]] = {
    # Plays in [start, end): a count (plays today) and a list, newest first (plays in the last 7 days).
    "plays_count": "SELECT count(*) AS plays FROM plays WHERE started_at >= :start AND started_at < :end",
    "plays_between": f"""
        SELECT {_PLAY_COLUMNS} FROM plays p {_PLAY_JOINS}
        WHERE p.started_at >= :start AND p.started_at < :end
        ORDER BY p.started_at DESC LIMIT :limit
    """,
    "last_play": f"""
        SELECT {_PLAY_COLUMNS} FROM plays p {_PLAY_JOINS}
        WHERE p.started_at = (SELECT max(started_at) FROM plays) ORDER BY p.id DESC LIMIT 1
    """,
    # What metadata plugins already know of a play's track (the scrobble event carries it).
    "play_metadata": """
        SELECT t.isrc, t.mbid, t.deezer_id, t.share_link,
               (SELECT group_concat(genre, '|') FROM artist_genres WHERE artist_id = t.artist_id) AS genres
        FROM plays p JOIN tracks t ON t.id = p.track_id WHERE p.id = :id
    """,
    "heard_between": """
        SELECT coalesce(sum(heard), 0) AS heard FROM plays WHERE started_at >= :start AND started_at < :end
    """,
    # Top tracks of a short period (days): from the plays of the period, by index.
    "top_tracks": """
        SELECT t.id AS track_id, a.name AS artist, t.title, x.plays, x.heard
        FROM (SELECT track_id, count(*) AS plays, sum(heard) AS heard FROM plays
              WHERE started_at >= :start AND started_at < :end
              GROUP BY track_id ORDER BY plays DESC, heard DESC LIMIT :limit) AS x
        JOIN tracks t ON t.id = x.track_id JOIN artists a ON a.id = t.artist_id
        ORDER BY x.plays DESC, x.heard DESC
    """,
    # Top artists of a short period (a month): from its plays, through the covering time index.
    "top_artists": """
        SELECT a.id AS artist_id, a.name AS artist, x.plays, x.heard
        FROM (SELECT t.artist_id, count(*) AS plays, sum(p.heard) AS heard FROM plays p
              JOIN tracks t ON t.id = p.track_id
              WHERE p.started_at >= :start AND p.started_at < :end
              GROUP BY t.artist_id ORDER BY plays DESC, heard DESC LIMIT :limit) AS x
        JOIN artists a ON a.id = x.artist_id
        ORDER BY x.plays DESC, x.heard DESC
    """,
    # Top artists of whole local years (this year): the yearly roll-up.
    "top_artists_years": """
        SELECT a.id AS artist_id, a.name AS artist, x.plays, x.heard
        FROM (SELECT artist_id, sum(plays) AS plays, sum(heard) AS heard FROM r_year_artist
              WHERE year >= :first_year AND year <= :last_year
              GROUP BY artist_id ORDER BY plays DESC, heard DESC LIMIT :limit) AS x
        JOIN artists a ON a.id = x.artist_id
        ORDER BY x.plays DESC, x.heard DESC
    """,
    # All time: the counters kept on each artist, album and track, read through their indexes.
    "top_artists_all_time": """
        SELECT id AS artist_id, name AS artist, plays, heard FROM artists
        WHERE plays > 0 ORDER BY plays DESC LIMIT :limit
    """,
    "top_albums_all_time": """
        SELECT al.id AS album_id, al.title AS album, a.name AS artist, al.plays, al.heard
        FROM albums al JOIN artists a ON a.id = al.artist_id
        WHERE al.plays > 0 ORDER BY al.plays DESC LIMIT :limit
    """,
    "top_tracks_all_time": """
        SELECT t.id AS track_id, a.name AS artist, t.title, t.plays, t.heard
        FROM tracks t JOIN artists a ON a.id = t.artist_id
        WHERE t.plays > 0 ORDER BY t.plays DESC LIMIT :limit
    """,
    # Text search on artist and title (trigram full-text index; :match is built by search_expression).
    "search_tracks": """
        SELECT t.id AS track_id, a.name AS artist, t.title, t.plays, t.heard
        FROM track_search s JOIN tracks t ON t.id = s.rowid JOIN artists a ON a.id = t.artist_id
        WHERE track_search MATCH :match
        ORDER BY t.plays DESC LIMIT :limit
    """,
    # All plays of one track, newest first.
    "track_plays": """
        SELECT p.id, p.started_at, p.heard, c.service, c.room, c.origin
        FROM plays p JOIN contexts c ON c.id = p.context_id
        WHERE p.track_id = :track_id ORDER BY p.started_at DESC LIMIT :limit
    """,
    # Plays per local day (local day numbers in [first_day, end_day)) from the daily totals, and the
    # hour-by-weekday heatmap of whole local years (how: hour of the week, Monday 00h = 0) from the yearly one.
    "plays_per_day": """
        SELECT lday AS day, plays, heard FROM r_day_total
        WHERE lday >= :first_day AND lday < :end_day ORDER BY lday
    """,
    "heatmap": """
        SELECT how / 24 AS weekday, how % 24 AS hour, sum(plays) AS plays, sum(heard) AS heard
        FROM r_year_how WHERE year >= :first_year AND year <= :last_year GROUP BY how
    """,
    # Artists first heard in [start, end).
    "new_artists": """
        SELECT id AS artist_id, name AS artist, first_played, plays FROM artists
        WHERE first_played >= :start AND first_played < :end ORDER BY first_played LIMIT :limit
    """,
}


# Plays with everything needed to rebuild the Play (exports, the forwarding outbox), in id order: see play_record.
PLAY_RECORD = f"""
    SELECT p.id, p.started_at, p.heard, a.name, t.title, al.title, aa.name, t.duration, c.service, c.kind,
           c.speaker, c.room, c.origin, t.isrc, t.mbid, a.mbid, al.mbid
    FROM plays p {_PLAY_JOINS}
"""
PLAYS_AFTER = f"{PLAY_RECORD} WHERE p.id > ? ORDER BY p.id LIMIT ?"


@dataclass(frozen=True, slots=True)
class PlayRecord:
    """A stored play as a Play again, with its origin and the ids known for it."""

    play_id: int
    play: Play
    origin: str
    isrc: str | None
    track_mbid: str | None
    artist_mbid: str | None
    album_mbid: str | None


def play_record(row: Sequence[Any]) -> PlayRecord:
    """A row of ``PLAY_RECORD`` as a PlayRecord. The album artist is given only where it is not the artist (an album
    without one belongs to the track's artist); the duration is the track's."""
    play_id, started, heard, artist, title, album, album_artist, duration, service, kind, speaker, room = row[:12]
    origin, isrc, track_mbid, artist_mbid, album_mbid = row[12:17]
    play = Play(
        started_at=float(started),
        artist=artist,
        title=title,
        album=album,
        album_artist=album_artist if album_artist is not None and album_artist != artist else None,
        duration=float(duration or 0),
        heard=float(heard),
        service=service,
        kind=kind,
        speaker=speaker,
        room=room or None,
    )
    return PlayRecord(play_id, play, origin, isrc, track_mbid, artist_mbid, album_mbid)


def search_expression(text: str) -> str | None:
    """An FTS5 expression matching every word of ``text`` (words of three or more characters), or None."""
    words = [word for word in text.split() if len(word) >= 3]
    if not words:
        return None
    return " ".join('"' + word.replace('"', '""') + '"' for word in words[:8])
