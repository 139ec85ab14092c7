"""Fixtures of the forwarders' tests: the Last.fm and ListenBrainz fakes on a clock moved by hand (their wall clock
too), a sleep that moves that clock, a plugin context pointed at the fakes, and plays to send."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
import json
import random
from typing import Any

import aiohttp
import pytest
import pytest_socket

from custom_components.spinstack.engine import Play
from custom_components.spinstack.forwarding import LastfmForwarder, ListenBrainzForwarder, Outgoing
from custom_components.spinstack.plugins import PluginContext, RetryPolicy, validate_options
from fakes import (
    LASTFM_API_KEY,
    LASTFM_SECRET,
    LASTFM_SESSION_KEY,
    LISTENBRAINZ_TOKEN,
    FakeClock,
    FakeLastfm,
    FakeListenBrainz,
)
from tests.plugins.conftest import MANIFEST, REQUEST_TIMEOUT, ClockSleep, user_agent

HOUR = 3_600
DAY = 86_400


def version() -> str:
    """The integration's version, from its manifest."""
    return str(json.loads(MANIFEST.read_text())["version"])


def make_play(
    clock: FakeClock, index: int = 0, *, ago: float = 2 * DAY, service: str = "spotify", **changes: Any
) -> Play:
    """A play that started `ago` seconds before the clock, plus `index` times four minutes (distinct per index)."""
    values: dict[str, Any] = {
        "started_at": float(int(clock() - ago) + index * 240),
        "artist": f"Artist {index}",
        "title": f"Title {index}",
        "album": f"Album {index // 10}",
        "album_artist": None,
        "duration": 200.0 + index % 60,
        "heard": 200.0,
        "service": service,
        "kind": "on_demand",
        "speaker": "RINCON_000E58000001",
        "room": "Kitchen",
    }
    values.update(changes)
    return Play(**values)


def outgoing(plays: Iterable[Play], *, first: int = 1, **ids: Any) -> list[Outgoing]:
    """The plays as outbox rows, numbered from `first`."""
    return [Outgoing(first + offset, play, **ids) for offset, play in enumerate(plays)]


def lastfm_forwarder(context: PluginContext, **options: Any) -> LastfmForwarder:
    """A Last.fm forwarder with the fake's credentials (and `options` over them)."""
    given = {"api_key": LASTFM_API_KEY, "api_secret": LASTFM_SECRET, "session_key": LASTFM_SESSION_KEY, **options}
    return LastfmForwarder(context, validate_options(LastfmForwarder.option_specs, given))


def listenbrainz_forwarder(context: PluginContext, **options: Any) -> ListenBrainzForwarder:
    """A ListenBrainz forwarder with the fake's token (and `options` over it)."""
    given = {"user_token": LISTENBRAINZ_TOKEN, **options}
    return ListenBrainzForwarder(context, validate_options(ListenBrainzForwarder.option_specs, given))


@pytest.fixture(autouse=True)
def loopback_sockets(socket_enabled: None) -> None:
    """The fakes listen on 127.0.0.1 only: allowed, and nothing else."""
    pytest_socket.socket_allow_hosts(["127.0.0.1", "localhost"], allow_unix_socket=True)


@pytest.fixture
def clock() -> FakeClock:
    """The clock of the fakes (their log, their rate windows, their idea of now), the limiters and the retries."""
    return FakeClock()


@pytest.fixture
def sleep(clock: FakeClock) -> ClockSleep:
    """The forwarders' sleep: it moves the clock."""
    return ClockSleep(clock)


@pytest.fixture
async def lastfm(clock: FakeClock) -> AsyncIterator[FakeLastfm]:
    """The Last.fm fake, with its published rate limit."""
    async with FakeLastfm(clock=clock, wall=clock) as started:
        yield started


@pytest.fixture
async def listenbrainz(clock: FakeClock) -> AsyncIterator[FakeListenBrainz]:
    """The ListenBrainz fake, with its rate limit."""
    async with FakeListenBrainz(clock=clock, wall=clock) as started:
        yield started


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """A bare aiohttp session, like Home Assistant's shared one."""
    async with aiohttp.ClientSession() as opened:
        yield opened


def make_context(
    session: aiohttp.ClientSession, base_urls: dict[str, str], clock: FakeClock, sleep: ClockSleep
) -> PluginContext:
    """A plugin context on the fakes, the clock and the sleep."""
    return PluginContext.create(
        session,
        user_agent(),
        base_urls=base_urls,
        clock=clock,
        sleep=sleep,
        rng=random.Random(7).random,
        retry=RetryPolicy(timeout=REQUEST_TIMEOUT),
    )


@pytest.fixture
def context(
    session: aiohttp.ClientSession,
    lastfm: FakeLastfm,
    listenbrainz: FakeListenBrainz,
    clock: FakeClock,
    sleep: ClockSleep,
) -> PluginContext:
    """A plugin context on both fakes."""
    return make_context(session, {"lastfm": lastfm.base_url, "listenbrainz": listenbrainz.base_url}, clock, sleep)
