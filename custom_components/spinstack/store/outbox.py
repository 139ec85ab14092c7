"""The forwarding outbox, in the play store (it survives a restart and a day offline).

One row per play and target (table ``outbox``, schema version 5), written with the play (``Store.add_play``'s
``forward_to``). The forwarding worker takes the oldest rows of a target in order, and then either deletes them
(``delivered``: the target has them), marks them dead with the reason (``dead``: the target will never take them,
kept and visible), or leaves them where they are (a failure worth retrying: the next batch is the same one).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .queries import PLAY_RECORD, PlayRecord, play_record
from .store import Store


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """A play waiting for a target (``record``: the play, its origin and the ids the target may want)."""

    outbox_id: int
    record: PlayRecord
    attempts: int
    error: str | None


_ITEMS = f"""
    SELECT o.id, o.attempts, o.error, x.* FROM outbox o JOIN ({PLAY_RECORD}) AS x ON x.id = o.play_id
    WHERE o.target = ? AND o.dead = ? AND o.id > ?
    ORDER BY o.id LIMIT ?
"""  # noqa: S608 - fixed text


def _item(row: Sequence[Any]) -> OutboxItem:
    return OutboxItem(int(row[0]), play_record(row[3:]), int(row[1]), row[2])


async def pending(store: Store, target: str, limit: int, after: int = 0) -> list[OutboxItem]:
    """The oldest ``limit`` plays waiting for ``target`` (after outbox id ``after``), in order."""
    return [_item(row) for row in await store.rows(_ITEMS, (target, 0, after, limit))]


async def dead_letters(store: Store, target: str, limit: int = 100) -> list[OutboxItem]:
    """The plays ``target`` refused for good, oldest first, with the reason."""
    return [_item(row) for row in await store.rows(_ITEMS, (target, 1, 0, limit))]


async def delivered(store: Store, outbox_ids: Sequence[int]) -> int:
    """The target has these: they leave the outbox."""
    return await store.execute_many("DELETE FROM outbox WHERE id = ?", [(item,) for item in outbox_ids])


async def dead(store: Store, failures: Sequence[tuple[int, str]]) -> int:
    """The target will never take these: kept as dead letters, with the reason."""
    return await store.execute_many(
        "UPDATE outbox SET dead = 1, attempts = attempts + 1, error = ? WHERE id = ?",
        [(reason[:500], item) for item, reason in failures],
    )


async def attempted(store: Store, outbox_ids: Sequence[int], error: str) -> int:
    """A try that failed for now (they stay first in line); the reason is kept for diagnostics."""
    return await store.execute_many(
        "UPDATE outbox SET attempts = attempts + 1, error = ? WHERE id = ?",
        [(error[:500], item) for item in outbox_ids],
    )


async def retry(store: Store, target: str | None = None) -> int:
    """Put the dead letters (of ``target``, or of every target) back in line; returns how many."""
    if target is None:
        return await store.execute("UPDATE outbox SET dead = 0, error = NULL WHERE dead = 1")
    return await store.execute("UPDATE outbox SET dead = 0, error = NULL WHERE dead = 1 AND target = ?", (target,))


async def counts(store: Store) -> dict[str, dict[str, int]]:
    """Per target: plays pending and dead letters."""
    found: dict[str, dict[str, int]] = {}
    for target, is_dead, count in await store.rows("SELECT target, dead, count(*) FROM outbox GROUP BY 1, 2"):
        found.setdefault(target, {"pending": 0, "dead": 0})["dead" if is_dead else "pending"] = int(count)
    return found
