"""Home Assistant killed (SIGKILL) while SpinStack counts plays, then started again: a real ``hass`` process,
emulated speakers playing the demo day 60 times faster than real time, real SoCo, the real SQLite file.

What must hold: every play Home Assistant reported (its ``spinstack_scrobble`` event, fired once the play is committed)
is in the file once; the file is whole (``integrity_check``) and its roll-ups agree with its plays; after the
restart SpinStack counts again and nothing is counted twice. What may be lost, by design: a listen in progress whose
state was not saved yet (the engine's state is saved by Home Assistant's storage helper, a few seconds late).

Run without Home Assistant's pytest plugin (its own processes, its own sockets):
`python -m pytest -p no:homeassistant tests/system`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import contextlib
import os
from pathlib import Path
import signal
from typing import Any

import aiohttp
import pytest

from custom_components.spinstack.const import EVENT_SCROBBLE
from custom_components.spinstack.store import Store
from scripts.demo import Demo, free_port, prepare_config
from tests.store.test_bulk import assert_consistent

# The demo day at 60 times real time: a 200 s track lasts 3.3 s and counts after 2 s heard (demo thresholds);
# about six plays a minute over three rooms.
RATE = 60.0
# Emulated speakers on a loopback block of this process: not the demo's, the browser tests' or the e2e tests'.
FIRST_SPEAKER = f"127.0.{140 + os.getpid() % 100}.2"
PLAYS_BEFORE_KILL = 6
PLAYS_AFTER_RESTART = 2


async def start_home_assistant(demo: Demo, config: Path) -> None:
    await demo.start_process("homeassistant", "-m", "homeassistant", "--config", str(config), "--skip-pip")
    async with aiohttp.ClientSession() as session:
        await demo.wait_for_home_assistant(session)
        await demo.log_in(session)


@contextlib.asynccontextmanager
async def play_events(demo: Demo) -> AsyncIterator[asyncio.Queue[dict[str, Any]]]:
    """Each ``spinstack_scrobble`` event's data, as Home Assistant's websocket API delivers it."""
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    async with aiohttp.ClientSession() as session, session.ws_connect(f"{demo.url}/api/websocket") as ws:
        await ws.receive_json()
        await ws.send_json({"type": "auth", "access_token": demo.token})
        assert (await ws.receive_json())["type"] == "auth_ok"
        await ws.send_json({"id": 1, "type": "subscribe_events", "event_type": EVENT_SCROBBLE})
        assert (await ws.receive_json())["success"]

        async def read() -> None:
            async for message in ws:
                if message.type is not aiohttp.WSMsgType.TEXT:
                    break
                data = message.json()
                if data.get("type") == "event":
                    queue.put_nowait(data["event"]["data"])

        reader = asyncio.create_task(read())
        try:
            yield queue
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader


async def collect(queue: asyncio.Queue[dict[str, Any]], count: int, within: float = 150.0) -> list[dict[str, Any]]:
    plays: list[dict[str, Any]] = []
    async with asyncio.timeout(within):
        while len(plays) < count:
            plays.append(await queue.get())
    return plays


def kill_home_assistant(demo: Demo) -> None:
    """SIGKILL Home Assistant (the demo's last process) and whatever it started: no handler runs, nothing is saved."""
    os.killpg(demo.processes[-1].pid, signal.SIGKILL)


async def examine(path: Path) -> list[tuple[int, str, str, str]]:
    """Check the file as the store's own tests do (integrity_check, and every roll-up and counter exactly those of
    the plays: ``assert_consistent``), and give every play in it: (start, artist, title, room)."""
    store = await Store.open(path, "UTC")  # scripts/demo.py's configuration.yaml: time_zone UTC
    try:
        await assert_consistent(store)
        rows = await store.rows(
            "SELECT p.started_at, a.name, t.title, c.room FROM plays p JOIN tracks t ON t.id = p.track_id "
            "JOIN artists a ON a.id = t.artist_id JOIN contexts c ON c.id = p.context_id"
        )
    finally:
        await store.close()
    return [(int(started), str(artist), str(title), str(room)) for started, artist, title, room in rows]


def key(play: dict[str, Any]) -> tuple[int, str, str, str]:
    return (round(play["started_at"]), play["artist"], play["title"], play["room"])


@pytest.mark.timeout(300)
async def test_a_killed_home_assistant_keeps_every_reported_play_and_counts_none_twice(tmp_path: Path) -> None:
    config = tmp_path / "config"
    port = free_port()
    prepare_config(fresh=True, config=config, port=port)
    database = config / "spinstack.db"
    demo = Demo(rate=RATE, port=port, first_speaker=FIRST_SPEAKER, logs=tmp_path)
    try:
        await demo.start_process(
            "emulator", "-m", "emulator", "--rate", str(RATE), "--loop", "--first-ip", FIRST_SPEAKER
        )
        await start_home_assistant(demo, config)
        async with aiohttp.ClientSession() as session:
            await demo.keep_http_config(session)
            await demo.add_spinstack(session)
        async with play_events(demo) as queue:
            before = await collect(queue, PLAYS_BEFORE_KILL)
            kill_home_assistant(demo)
        await demo.processes[-1].wait()

        rows = await examine(database)
        at_kill = len(rows)
        assert len(set(rows)) == len(rows)
        missing = [key(play) for play in before if key(play) not in rows]
        assert not missing, f"reported but not in the file: {missing}"

        demo.processes.pop()
        await start_home_assistant(demo, config)
        async with play_events(demo) as queue:
            after = await collect(queue, PLAYS_AFTER_RESTART)
    finally:
        await demo.stop()

    rows = await examine(database)
    for play in before + after:
        assert rows.count(key(play)) == 1, key(play)
    # Nothing counted twice across the kill: no track started twice in a room within 10 seconds (SpinStack's own
    # tolerance for a listen counted again after a restart).
    by_track: dict[tuple[str, str, str], list[int]] = {}
    for started, artist, title, room in rows:
        by_track.setdefault((artist, title, room), []).append(started)
    doubled = {
        track: starts
        for track, starts in by_track.items()
        if any(later - earlier <= 10 for earlier, later in zip(sorted(starts), sorted(starts)[1:], strict=False))
    }
    assert not doubled
    print(  # noqa: T201 - the figures, shown with -s
        f"reported before the kill {len(before)}, in the file after it {at_kill}; reported after the restart "
        f"{len(after)}, in the file at the end {len(rows)}"
    )
