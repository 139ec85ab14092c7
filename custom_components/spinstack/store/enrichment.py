"""The metadata plugins' work list and cache, in the play store (it survives a restart).

One row per plugin and track (table ``enrichment``, schema version 4):

* ``pending``: to do, at ``due_at``;
* ``found`` / ``not_found``: the plugin's answer, kept until ``due_at`` (the cache's expiry), then asked again;
* ``failed``: the service could not answer (down, rate-limited, timed out): tried again at ``due_at``.

What a plugin finds lands on the track (ISRC, MusicBrainz id, Deezer id, share link, and the rest in ``meta`` as
JSON), on its artist (MusicBrainz id, country) and in ``artist_genres`` (which the insights' genre diversity reads).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
import json
from typing import Any, Final

from .store import Store

PENDING: Final = "pending"
FOUND: Final = "found"
NOT_FOUND: Final = "not_found"
FAILED: Final = "failed"
STATES: Final = (PENDING, FOUND, NOT_FOUND, FAILED)

# Fields with a column of their own; anything else a plugin finds goes into tracks.meta.
_TRACK_COLUMNS: Final = {"isrc": "isrc", "mbid": "mbid", "deezer_id": "deezer_id", "share_link": "share_link"}
_NOT_META: Final = {*_TRACK_COLUMNS, "genres", "country", "artist_mbids", "found", "source"}


@dataclass(frozen=True, slots=True)
class Job:
    """One track for one plugin: what the plugin gets to search with."""

    plugin: str
    track_id: int
    artist: str
    title: str
    album: str | None
    duration: int | None
    isrc: str | None
    mbid: str | None
    deezer_id: int | None
    attempts: int


async def enqueue(store: Store, plugins: Sequence[str], now: int, track_ids: Sequence[int] | None = None) -> int:
    """Add work for ``plugins``: the tracks named, or every track (a backfill). Tracks already listed for a plugin
    (pending, answered or failed) are left as they are. Returns how many rows were added."""
    if not plugins:
        return 0
    added = 0
    for plugin in plugins:
        if track_ids is None:
            added += await store.execute(
                "INSERT OR IGNORE INTO enrichment (plugin, track_id, state, due_at) "
                "SELECT ?, id, 'pending', ? FROM tracks",
                (plugin, now),
            )
        else:
            added += await store.execute_many(
                "INSERT OR IGNORE INTO enrichment (plugin, track_id, state, due_at) VALUES (?, ?, 'pending', ?)",
                [(plugin, track_id, now) for track_id in track_ids],
            )
    return added


async def enqueue_play(store: Store, plugins: Sequence[str], now: int, play_id: int) -> int:
    """List the track of a play just stored, for ``plugins`` (unless already listed); returns rows added."""
    if not plugins:
        return 0
    return await store.execute_many(
        "INSERT OR IGNORE INTO enrichment (plugin, track_id, state, due_at) "
        "SELECT ?, track_id, 'pending', ? FROM plays WHERE id = ?",
        [(plugin, now, play_id) for plugin in plugins],
    )


async def drop_pending(store: Store) -> int:
    """Forget the work not started yet (a cancelled backfill); answers and failures stay."""
    return await store.execute("DELETE FROM enrichment WHERE state = 'pending'")


async def due(store: Store, plugins: Sequence[str], now: int, limit: int = 50) -> list[Job]:
    """The work whose time has come, oldest first, for the plugins that are enabled."""
    if not plugins:
        return []
    marks = ",".join("?" for _ in plugins)
    rows = await store.rows(
        "SELECT e.plugin, t.id, a.name, t.title, "  # noqa: S608 - placeholders only
        "(SELECT al.title FROM plays p JOIN albums al ON al.id = p.album_id WHERE p.track_id = t.id LIMIT 1), "
        "t.duration, t.isrc, t.mbid, t.deezer_id, e.attempts "
        "FROM enrichment e JOIN tracks t ON t.id = e.track_id JOIN artists a ON a.id = t.artist_id "
        f"WHERE e.due_at <= ? AND e.plugin IN ({marks}) ORDER BY e.due_at LIMIT ?",
        (now, *plugins, limit),
    )
    return [Job(*row) for row in rows]


async def next_due(store: Store, plugins: Sequence[str]) -> int | None:
    """When the next piece of work is due (epoch seconds), or None when there is none."""
    if not plugins:
        return None
    marks = ",".join("?" for _ in plugins)
    value = await store.scalar(
        f"SELECT min(due_at) FROM enrichment WHERE plugin IN ({marks})",  # noqa: S608 - placeholders only
        tuple(plugins),
    )
    return None if value is None else int(value)


async def record_found(store: Store, job: Job, result: Mapping[str, Any], now: int, keep_for: int) -> None:
    """Store what a plugin found for a track, and keep the answer for ``keep_for`` seconds."""
    statements: list[tuple[str, Sequence[Any]]] = []
    for key, column in _TRACK_COLUMNS.items():
        value = result.get(key)
        if value is not None:
            statements.append((f"UPDATE tracks SET {column} = ? WHERE id = ?", (value, job.track_id)))  # noqa: S608
    meta = {key: value for key, value in result.items() if key not in _NOT_META and value not in (None, (), [])}
    if meta:
        statements.append(
            (
                "UPDATE tracks SET meta = json_patch(coalesce(meta, '{}'), ?) WHERE id = ?",
                (json.dumps(meta, separators=(",", ":"), default=list), job.track_id),
            )
        )
    artist = "(SELECT artist_id FROM tracks WHERE id = ?)"
    if result.get("country"):
        statements.append((f"UPDATE artists SET country = ? WHERE id = {artist}", (result["country"], job.track_id)))  # noqa: S608
    artist_mbids = result.get("artist_mbids") or ()
    if artist_mbids:
        statements.append(
            (
                f"UPDATE artists SET mbid = coalesce(mbid, ?) WHERE id = {artist}",  # noqa: S608 - fixed text
                (artist_mbids[0], job.track_id),
            )
        )
    genres = [str(genre).casefold() for genre in result.get("genres") or ()]
    if genres:
        statements.append(
            (
                f"DELETE FROM artist_genres WHERE artist_id = {artist} AND source = ?",  # noqa: S608 - fixed text
                (job.track_id, job.plugin),
            )
        )
        statements.extend(
            (
                f"INSERT OR IGNORE INTO artist_genres (artist_id, genre, source) VALUES ({artist}, ?, ?)",  # noqa: S608
                (job.track_id, genre, job.plugin),
            )
            for genre in dict.fromkeys(genres)
        )
    statements.append(_answer(job, FOUND, now, now + keep_for, None))
    await store.execute_all(statements)


async def record_not_found(store: Store, job: Job, now: int, keep_for: int) -> None:
    """The plugin looked and found nothing: ask again in ``keep_for`` seconds."""
    await store.execute_all([_answer(job, NOT_FOUND, now, now + keep_for, None)])


async def record_failure(store: Store, job: Job, now: int, retry_in: int, error: str) -> None:
    """The service could not answer: try again in ``retry_in`` seconds (the caller's backoff)."""
    await store.execute(
        "UPDATE enrichment SET state = 'failed', due_at = ?, attempts = attempts + 1, updated_at = ?, "
        "error = ? WHERE plugin = ? AND track_id = ?",
        (now + retry_in, now, error[:500], job.plugin, job.track_id),
    )


def _answer(job: Job, state: str, now: int, due_at: int, error: str | None) -> tuple[str, Sequence[Any]]:
    sql = (
        "UPDATE enrichment SET state = ?, due_at = ?, attempts = 0, updated_at = ?, error = ? "
        "WHERE plugin = ? AND track_id = ?"
    )
    return sql, (state, due_at, now, error, job.plugin, job.track_id)


async def counts(store: Store) -> dict[str, dict[str, int]]:
    """How many tracks each plugin has in each state."""
    result: dict[str, dict[str, int]] = {}
    for plugin, state, count in await store.rows(
        "SELECT plugin, state, count(*) FROM enrichment GROUP BY plugin, state"
    ):
        result.setdefault(plugin, dict.fromkeys(STATES, 0))[state] = int(count)
    return result
