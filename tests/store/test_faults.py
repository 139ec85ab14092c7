"""The play store under the reliability issue's faults, with real SQLite and real processes: the file locked by
another process, the disk full, the writer killed with SIGKILL in the middle of a burst of plays.

Each test writes plays as the coordinator's writer does (`Store.add_play(play, forward_to=...)`, one transaction per
play, the play and its outbox rows together) and states what is lost. The coordinator's side of the first two faults
(the play kept, retried with backoff and saved in `.storage`) is in tests/e2e/test_faults.py.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
import signal
import sqlite3
import sys

import pytest

from custom_components.spinstack.engine import Play
from custom_components.spinstack.store import Store

from .conftest import ZONE, make_play
from .sqlite_faults import REPO, LockHolder, fill_disk, small_disk
from .test_bulk import assert_consistent

T0 = 1_790_000_000.0
TARGETS = ("lastfm",)
# SQLite's default limit, to give the space back after `PRAGMA max_page_count`.
NO_PAGE_LIMIT = 1_073_741_823


def burst_play(index: int) -> Play:
    """The ``index``-th play of a burst: a few dozen artists and tracks, four minutes apart."""
    return make_play(
        T0 + 240 * index,
        artist=f"Artist {index % 23}",
        title=f"Song {index % 101}",
        album=f"Album {index % 7}",
        heard=float(120 + index % 90),
    )


async def stored_plays(store: Store) -> list[tuple[int, str, str]]:
    """(started_at, artist, title) of every play in the file, in time order."""
    return await store.rows(
        "SELECT p.started_at, a.name, t.title FROM plays p JOIN tracks t ON t.id = p.track_id "
        "JOIN artists a ON a.id = t.artist_id ORDER BY p.started_at"
    )


def key(play: Play) -> tuple[int, str, str]:
    return (round(play.started_at), play.artist, play.title)


async def assert_sound(store: Store) -> None:
    """The file is sound, the roll-ups are those of its plays, and each play is in the outbox once (the play and its
    forwarding are written together or not at all)."""
    await assert_consistent(store)
    assert await store.scalar("SELECT count(*) FROM outbox") == await store.scalar("SELECT count(*) FROM plays")
    assert await store.scalar("SELECT count(*) FROM plays WHERE id NOT IN (SELECT play_id FROM outbox)") == 0


# -- 6. The database locked by another process ---------------------------------------------------------------------
async def test_a_file_locked_by_another_process_beyond_the_busy_timeout_refuses_the_play_whole_then_takes_it_once(
    store: Store,
) -> None:
    """Fault: a second process holds BEGIN EXCLUSIVE on the file for longer than the busy timeout (200 ms here;
    30 s in production), through three attempts. Each attempt fails with "database is locked" and leaves nothing
    (no play, no outbox row, no name); reads go on meanwhile (WAL). Released, the play is written once; writing it
    again adds nothing. Lost: nothing (the caller keeps the play: see the e2e test)."""
    first = await store.add_play(make_play(T0), forward_to=TARGETS)
    assert first is not None
    await store._conn.execute("PRAGMA busy_timeout = 200")
    play = make_play(T0 + 600, artist="Air", title="Kelly Watch the Stars", album="Moon Safari")
    async with LockHolder(store.path) as holder:
        for _ in range(3):
            with pytest.raises(sqlite3.OperationalError, match="database is locked"):
                await store.add_play(play, forward_to=TARGETS)
            # Readers are not blocked by a writer in WAL mode: the sensors and the panel still answer.
            assert await stored_plays(store) == [key(make_play(T0))]
        await holder.release()
    assert await store.add_play(play, forward_to=TARGETS) is not None
    assert await store.add_play(play, forward_to=TARGETS) is None
    assert await stored_plays(store) == [key(make_play(T0)), key(play)]
    assert await store.scalar("SELECT count(*) FROM artists WHERE name = 'Air'") == 1
    await assert_sound(store)


async def test_a_lock_shorter_than_the_busy_timeout_only_delays_the_play(store: Store) -> None:
    """Fault: another process holds the write lock for a moment (shorter than the busy timeout). The write waits
    for it instead of failing, and goes through once. Lost: nothing; no error."""
    play = make_play(T0)
    async with LockHolder(store.path) as holder:
        writing = asyncio.create_task(store.add_play(play, forward_to=TARGETS))
        await asyncio.sleep(0.3)
        assert not writing.done()  # waiting for the lock, not failed
        await holder.release()
    assert await writing is not None
    assert await stored_plays(store) == [key(play)]
    await assert_sound(store)


# -- 7. The disk full ----------------------------------------------------------------------------------------------
async def test_a_full_database_refuses_the_play_whole_and_takes_it_once_space_returns(store: Store) -> None:
    """Fault: the file may not grow (``PRAGMA max_page_count`` set to its size, SQLite's own "database or disk is
    full"). Plays go in while they fit in the pages there are; the first that needs a new page fails whole, and so
    does a retry while the limit stands. Once there is room again, that play is written once. Lost: nothing."""
    pages = await store.scalar("PRAGMA page_count")
    await store._conn.execute(f"PRAGMA max_page_count = {pages}")
    written: list[Play] = []
    refused: Play | None = None
    reason = ""
    for index in range(2000):
        # Long, new names: each play needs room in several tables and the search index.
        play = make_play(T0 + 240 * index, artist=f"Artist {index} " + "x" * 200, title=f"Song {index} " + "y" * 200)
        try:
            await store.add_play(play, forward_to=TARGETS)
        except sqlite3.OperationalError as err:
            refused, reason = play, str(err)
            break
        written.append(play)
    assert refused is not None
    assert reason == "database or disk is full"
    assert written  # some fitted in the pages there were
    with pytest.raises(sqlite3.OperationalError, match="database or disk is full"):
        await store.add_play(refused, forward_to=TARGETS)
    assert await stored_plays(store) == sorted(key(play) for play in written)

    await store._conn.execute(f"PRAGMA max_page_count = {NO_PAGE_LIMIT}")
    assert await store.add_play(refused, forward_to=TARGETS) is not None
    assert await store.add_play(refused, forward_to=TARGETS) is None
    assert await stored_plays(store) == sorted(key(play) for play in [*written, refused])
    await assert_sound(store)


async def test_a_full_disk_refuses_the_play_whole_and_takes_it_once_space_returns(tmp_path: Path) -> None:
    """Fault: the file system is full (a 4 MiB tmpfs filled to the last byte by another file: ENOSPC, which SQLite
    reports as "database or disk is full"). The play fails whole, and again on retry; the store still reads. Once
    the other file is deleted, the play is written once and the file is sound. Lost: nothing."""
    with small_disk(tmp_path / "disk") as disk:
        store = await Store.open(disk / "spinstack.db", ZONE)
        try:
            for index in range(3):
                await store.add_play(burst_play(index), forward_to=TARGETS)
            filler = fill_disk(disk)
            play = make_play(T0 + 86_400, artist="Air", title="La Femme d'Argent", album="Moon Safari")
            for _ in range(2):
                with pytest.raises(sqlite3.OperationalError, match="database or disk is full"):
                    await store.add_play(play, forward_to=TARGETS)
            assert len(await stored_plays(store)) == 3
            filler.unlink()
            assert await store.add_play(play, forward_to=TARGETS) is not None
            assert await store.add_play(play, forward_to=TARGETS) is None
            assert await stored_plays(store) == sorted([*(key(burst_play(i)) for i in range(3)), key(play)])
            await assert_sound(store)
        finally:
            await store.close()


# -- 8. The writer killed with SIGKILL during a burst ---------------------------------------------------------------
# A child process writes plays as the coordinator's writer does, one transaction each, and prints each play once
# add_play has returned (committed), as the coordinator fires spinstack_scrobble then. With a kill point, it kills
# itself with SIGKILL inside the transaction of that play: rows inserted and folded, the outbox not yet, no COMMIT.
_WRITER = """
import asyncio, os, signal, sys, types
from pathlib import Path

repo = Path(sys.argv[2])
sys.path.insert(0, str(repo))
# The store needs no Home Assistant: load it without the integration's __init__, which imports Home Assistant.
package = types.ModuleType("custom_components.spinstack")
package.__path__ = [str(repo / "custom_components" / "spinstack")]
sys.modules["custom_components.spinstack"] = package

from custom_components.spinstack.store import Store
from tests.store.test_faults import TARGETS, ZONE, burst_play

kill_at = int(sys.argv[3])
fold = Store._fold
folds = 0

async def dying_fold(self, rows):
    global folds
    await fold(self, rows)
    folds += 1
    if folds == kill_at:
        os.kill(os.getpid(), signal.SIGKILL)

Store._fold = dying_fold

async def main():
    store = await Store.open(sys.argv[1], ZONE)
    for index in range(100_000):
        row = await store.add_play(burst_play(index), forward_to=TARGETS)
        print(index, row, flush=True)

asyncio.run(main())
"""


async def killed_writer(path: Path, *, kill_after: int = 0, kill_at: int = 0) -> list[int]:
    """Run the writer on ``path`` and kill it with SIGKILL: from here once it has reported ``kill_after`` plays, or
    by itself inside the transaction of play ``kill_at`` (1-based). Returns the plays it reported as committed."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        _WRITER,
        str(path),
        str(REPO),
        str(kill_at),
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    assert process.stderr is not None
    reported: list[int] = []
    try:
        async with asyncio.timeout(60):
            while kill_at or len(reported) < kill_after:
                line = await process.stdout.readline()
                if not line:
                    break
                reported.append(int(line.split()[0]))
            if not kill_at:
                process.send_signal(signal.SIGKILL)  # mid-burst: the writer never waits between plays
            await process.wait()
            # Lines written to the pipe before the kill are reports too.
            reported += [int(line.split()[0]) for line in (await process.stdout.read()).splitlines()]
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == -signal.SIGKILL, (await process.stderr.read()).decode()
    return reported


@pytest.mark.parametrize("kill_after", [40, 150])
async def test_a_writer_killed_mid_burst_keeps_every_play_it_reported(tmp_path: Path, kill_after: int) -> None:
    """Fault: the process writing plays gets SIGKILL at an arbitrary moment of a burst (after it reported 40, or 150,
    plays). The file is sound, every play reported as committed is in it, with its outbox row, and at most one more
    (committed, killed before it could say so). Reopened, the store takes the next plays and none twice. Lost:
    nothing reported; a play whose transaction had not committed was never reported, and its writer (the
    coordinator) still holds it."""
    path = tmp_path / "spinstack.db"
    reported = await killed_writer(path, kill_after=kill_after)
    assert reported == list(range(len(reported)))
    assert len(reported) >= kill_after
    store = await Store.open(path, ZONE)
    try:
        assert await store.integrity_check() == "ok"
        stored = await stored_plays(store)
        assert len(stored) in (len(reported), len(reported) + 1)
        assert stored == [key(burst_play(index)) for index in range(len(stored))]
        await assert_sound(store)
        # The writer starts again (as a restarted Home Assistant would, its unwritten plays restored): plays already
        # there are not written twice, the others are.
        again = [await store.add_play(burst_play(index), forward_to=TARGETS) for index in range(len(stored) + 5)]
        assert again[: len(stored)] == [None] * len(stored)
        assert None not in again[len(stored) :]
        await assert_sound(store)
    finally:
        await store.close()


async def test_a_writer_killed_inside_a_transaction_leaves_that_play_out_whole(tmp_path: Path) -> None:
    """Fault: SIGKILL inside the transaction of the 25th play (its row inserted and folded into the roll-ups, its
    outbox row not yet written, no COMMIT). The file is sound and holds the 24 plays reported, nothing of the 25th
    (no play, no roll-up, no outbox row). Lost: nothing reported as counted."""
    path = tmp_path / "spinstack.db"
    reported = await killed_writer(path, kill_at=25)
    assert reported == list(range(24))
    store = await Store.open(path, ZONE)
    try:
        assert await store.integrity_check() == "ok"
        assert await stored_plays(store) == [key(burst_play(index)) for index in range(24)]
        assert await store.scalar("SELECT sum(plays) FROM tracks") == 24
        await assert_sound(store)
    finally:
        await store.close()
