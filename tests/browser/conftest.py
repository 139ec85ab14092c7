"""A real Home Assistant with SpinStack and a play store seeded with 100,000 plays, and headless Chromium.

One Home Assistant per module: `scripts/demo.py`'s own steps (config folder, emulated speakers, `hass`, onboarding,
SpinStack's config flow) on a free port, a config folder of the test's and a loopback block of its own. The expected
numbers come from the insights module itself, reading the same SQLite file (it is tested against brute force).

Run without Home Assistant's pytest plugin, which blocks sockets:
`python -m pytest -p no:homeassistant tests/browser`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
import json
import os
from pathlib import Path
import time
from typing import Any

from playwright.async_api import Browser, async_playwright
import pytest
import pytest_asyncio

from bench import history
from custom_components.spinstack.insights import Insights, Request
from custom_components.spinstack.store import Store
from scripts.demo import Demo, browser_login_script, free_port, prepare_config

REPO = Path(__file__).resolve().parents[2]
PLAYS = 100_000
# The time zone of scripts/demo.py's configuration.yaml: the seeded plays and the expected numbers use it too.
TIME_ZONE = "UTC"
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = REPO / "test-artifacts" / "browser"
# Emulated speakers on a loopback block of this process: never the demo's 127.0.0.2, nor the e2e tests' 127.10+.
FIRST_SPEAKER = f"127.0.{30 + os.getpid() % 100}.2"


@dataclass(frozen=True, slots=True)
class Server:
    """A running Home Assistant with SpinStack, and the play store it reads."""

    url: str
    tokens: dict[str, Any]
    store: Store

    async def expected(self, request: Request) -> dict[str, Any]:
        """What `spinstack/insights` answers for ``request`` now, as the panel receives it (through JSON)."""
        views = await Insights(self.store).views(request, time.time())
        result: dict[str, Any] = json.loads(json.dumps(views))
        return result

    def login_script(self) -> str:
        """Logs the browser in as Home Assistant's frontend does itself: its tokens in localStorage."""
        return browser_login_script(self.url, self.tokens)


async def seed(path: Path, now: float) -> Store:
    """The play store of a long listening history (20 years up to ``now``), left open to answer the checks."""
    store = await Store.open(path, TIME_ZONE)
    try:
        # The store skips a generated play that repeats one (same track, same second): one in 100,000 at most.
        assert await store.add_plays(history.generate(PLAYS, end=now), origin="bench") > PLAYS * 0.999
    except BaseException:
        await store.close()
        raise
    return store


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Server]:
    """Home Assistant on a free port with SpinStack added by its config flow over a seeded store; always stopped."""
    config = tmp_path_factory.mktemp("config")
    port = free_port()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for log in ("emulator.log", "homeassistant.log"):
        (ARTIFACTS / log).unlink(missing_ok=True)
    prepare_config(fresh=False, config=config, port=port)
    store = await seed(config / "spinstack.db", time.time())
    # rate 1: real time, so SpinStack keeps its usual thresholds; idle speakers play nothing that would add plays.
    demo = Demo(rate=1.0, port=port, first_speaker=FIRST_SPEAKER, logs=ARTIFACTS)
    try:
        await demo.start_idle(config)
        yield Server(demo.url, demo.tokens, store)
    finally:
        await demo.stop()
        await store.close()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser() -> AsyncIterator[Browser]:
    """Debian's Chromium, headless (no browser is downloaded: never `playwright install`)."""
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        )
        try:
            yield chromium
        finally:
            await chromium.close()
