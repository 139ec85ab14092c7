"""The demo day runs on a manual clock in moments, and the command line serves speakers SoCo can reach."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
import subprocess
import sys

from emulator import ManualClock, Source, TransportState
from emulator.scenario import ROOMS, demo_day, demo_household

from .helpers import call, connect, subscribe

REPO = Path(__file__).resolve().parents[2]


async def test_demo_day(clock: ManualClock) -> None:
    household = demo_household(clock)
    living, kitchen, bedroom = (household.by_name(room) for room in ROOMS)
    lines: list[str] = []
    async with household:
        events = await subscribe((await connect(kitchen.ip)).avTransport)
        day = asyncio.create_task(demo_day(household, report=lines.append))
        seen_group = False
        while not day.done():
            await clock.advance(30)
            seen_group = seen_group or bedroom.coordinator is living
        await day
        await household.settle()
        radio = [event.variables["current_track_meta_data"] for event in await events.drain()]
        await events.subscription.unsubscribe()
    assert seen_group
    assert lines[0].startswith("[+0:00:00] Living Room")
    assert lines[-1].endswith("the day is over")
    assert living.state.source is Source.TV
    assert living.transport_state is TransportState.STOPPED
    assert kitchen.transport_state is TransportState.STOPPED
    assert bedroom.state.queue[0].title == "Clair de Lune"
    contents = {getattr(metadata, "stream_content", "") for metadata in radio if metadata}
    assert "Daft Punk - One More Time" in contents
    assert any("Spot Block End" in content for content in contents)


def test_cli_help() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "emulator", "--help"], cwd=REPO, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0
    assert "--rate" in result.stdout


async def test_cli_serves_speakers() -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "emulator",
        "--first-ip",
        "127.0.0.40",
        "--rate",
        "100",
        "--duration",
        "30",
        cwd=REPO,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        first = await asyncio.wait_for(process.stdout.readline(), 20)
        assert first.decode().startswith("Living Room: RINCON_")
        speaker = await connect("127.0.0.41")
        assert await call(lambda: speaker.player_name) == "Kitchen"
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), 10)
