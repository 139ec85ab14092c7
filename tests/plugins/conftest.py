"""Fixtures of the plugins' tests: the four fakes on a clock moved by hand, a sleep that moves that clock, and a
plugin context pointed at the fakes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import dataclasses
import json
from pathlib import Path
import random
from typing import Any

import aiohttp
import pytest
import pytest_socket

from custom_components.spinstack.plugins import (
    PluginContext,
    RetryPolicy,
    TrackQuery,
    user_agent_from_manifest,
)
from custom_components.spinstack.plugins.base import Sleep
from fakes import FakeClock, FakeService, FakeServices, Track

MANIFEST = Path(__file__).resolve().parents[2] / "custom_components" / "spinstack" / "manifest.json"
# Short enough that a held request fails fast, long enough for a loaded machine.
REQUEST_TIMEOUT = 0.5


class ClockSleep:
    """A sleep on a `FakeClock`: it lets the other ready tasks run, then moves the clock to the end of the sleep
    (unless another sleeper already moved it further). Records every sleep."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.sleeps: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        target = self.clock() + max(0.0, seconds)
        await asyncio.sleep(0)
        if self.clock() < target:
            self.clock.set(target)


def user_agent() -> str:
    """The User-Agent as the integration builds it, from its manifest."""
    return user_agent_from_manifest(json.loads(MANIFEST.read_text()))


def query_for(track: Track, **changes: Any) -> TrackQuery:
    """What SpinStack knows of a catalogue track when a speaker played it (nothing but the reported names and the
    duration), with `changes`."""
    reported = TrackQuery(
        artist=track.reported_artist, title=track.reported_title, album=track.reported_album, duration=track.duration
    )
    return dataclasses.replace(reported, **changes)


def make_context(
    session: aiohttp.ClientSession,
    services: FakeServices,
    clock: FakeClock,
    sleep: Sleep,
    *,
    retry: RetryPolicy | None = None,
) -> PluginContext:
    """A plugin context on the fakes, the clock and the sleep."""
    return PluginContext.create(
        session,
        user_agent(),
        base_urls=services.base_urls,
        clock=clock,
        sleep=sleep,
        rng=random.Random(7).random,
        retry=retry or RetryPolicy(timeout=REQUEST_TIMEOUT),
    )


async def first_request(service: FakeService) -> None:
    """Wait (a few real seconds at most) until `service` has received a request."""
    for _ in range(500):
        if service.requests:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{service.name} received no request")


@pytest.fixture(autouse=True)
def loopback_sockets(socket_enabled: None) -> None:
    """The fakes listen on 127.0.0.1 only: allowed, and nothing else."""
    pytest_socket.socket_allow_hosts(["127.0.0.1", "localhost"], allow_unix_socket=True)


@pytest.fixture
def clock() -> FakeClock:
    """The clock of the fakes, the limiters and the retries."""
    return FakeClock()


@pytest.fixture
def sleep(clock: FakeClock) -> ClockSleep:
    """The plugins' sleep: it moves the clock."""
    return ClockSleep(clock)


@pytest.fixture
async def services(clock: FakeClock) -> AsyncIterator[FakeServices]:
    """The four fakes on the test's clock, with their published rate limits."""
    async with FakeServices(clock=clock) as started:
        yield started


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """A bare aiohttp session (the plugins set their own headers), like Home Assistant's shared one."""
    async with aiohttp.ClientSession() as opened:
        yield opened


@pytest.fixture
def context(
    session: aiohttp.ClientSession, services: FakeServices, clock: FakeClock, sleep: ClockSleep
) -> PluginContext:
    """A plugin context on the fakes."""
    return make_context(session, services, clock, sleep)
