"""A backfill of 10,000 distinct tracks through the ISRC look-up (Deezer, MusicBrainz for the tracks Deezer lacks,
share links for some) and Discogs for some, a hundred at a time, on a controlled clock: every service's published
rate limit is kept exactly, and the event loop is never blocked."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import dataclasses
import gc
import heapq
import itertools
import json
import time

import aiohttp
import pytest

from custom_components.spinstack.plugins import DiscogsPlugin, PluginContext, RetryPolicy, isrc_lookup
from fakes import DISCOGS_TOKEN, Catalogue, FakeClock, FakeServices, Track, max_in_window

from .conftest import make_context, query_for, user_agent

TRACKS = 10_000
WORKERS = 100
NOT_ON_DEEZER = 20  # every 20th track: only MusicBrainz has its ISRC
SHARE_LINK = 100  # every 100th: its share link too
DISCOGS = 40  # every 40th: Discogs too
LIMITS = {"deezer": (50, 5.0), "musicbrainz": (1, 1.0), "discogs": (60, 60.0), "odesli": (10, 60.0)}


class VirtualTime:
    """Sleeps on a `FakeClock` woken in order: whenever someone sleeps, a driver lets the network run a moment (one
    real millisecond) and then moves the clock to the earliest wake-up and wakes everyone due."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self._wake = asyncio.Event()
        self.advances = 0

    async def sleep(self, seconds: float) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.clock() + max(0.0, seconds), next(self._order), future))
        self._wake.set()
        await future

    async def drive(self) -> None:
        while True:
            if not self._sleepers:
                self._wake.clear()
                await self._wake.wait()
            await asyncio.sleep(0.001)
            if not self._sleepers:
                continue
            target = self._sleepers[0][0]
            if target > self.clock():
                self.clock.set(target)
                self.advances += 1
            while self._sleepers and self._sleepers[0][0] <= self.clock():
                _, _, future = heapq.heappop(self._sleepers)
                if not future.done():
                    future.set_result(None)


class Ticker:
    """Measures how long the event loop goes without running a task that asks to run every 5 ms."""

    def __init__(self) -> None:
        self.longest = 0.0
        self.ticks = 0

    async def run(self) -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(0.005)
            self.longest = max(self.longest, time.perf_counter() - before - 0.005)
            self.ticks += 1


def _catalogue() -> Catalogue:
    tracks: list[Track] = []
    for number, made in enumerate(Catalogue.synthetic(TRACKS)):
        only_musicbrainz = number % NOT_ON_DEEZER == NOT_ON_DEEZER - 1
        tracks.append(dataclasses.replace(made, deezer_id=None) if only_musicbrainz else made)
    return Catalogue(tracks)


async def _warm_up(services: FakeServices, session: aiohttp.ClientSession) -> None:
    headers = {"User-Agent": user_agent(), "Authorization": f"Discogs token={DISCOGS_TOKEN}"}
    for url, params in (
        (f"{services.deezer.base_url}/search", {"q": 'artist:"the" track:"no"'}),
        (
            f"{services.musicbrainz.base_url}/ws/2/recording",
            {"query": 'recording:"no" AND artist:"the"', "fmt": "json"},
        ),
        (f"{services.discogs.base_url}/database/search", {"type": "release", "artist": "the", "track": "no"}),
        (f"{services.odesli.base_url}/v1-alpha.1/links", {"url": "https://www.deezer.com/track/1"}),
    ):
        async with session.get(url, params=params, headers=headers) as response:
            await response.read()
    services.reset()


@pytest.fixture
async def backfill_services(clock: FakeClock) -> AsyncIterator[FakeServices]:
    async with FakeServices(_catalogue(), clock=clock) as started:
        yield started


async def test_backfill_keeps_every_rate_limit_and_never_blocks_the_loop(
    backfill_services: FakeServices, clock: FakeClock, session: aiohttp.ClientSession
) -> None:
    services = backfill_services
    virtual = VirtualTime(clock)
    # The fakes answer in this same event loop: a burst of 50 searches is answered in a few hundred milliseconds,
    # so the request timeout is the production one here, not the other tests' short one.
    context: PluginContext = make_context(
        session,
        services,
        clock,
        virtual.sleep,
        retry=RetryPolicy(),
    )
    discogs = DiscogsPlugin()
    await discogs.setup(context, {"token": DISCOGS_TOKEN})
    tracks = list(services.catalogue)
    work: asyncio.Queue[tuple[int, Track]] = asyncio.Queue()
    for item in enumerate(tracks):
        work.put_nowait(item)
    found: dict[str, int] = {"deezer": 0, "musicbrainz": 0, "share": 0, "discogs": 0}

    async def worker() -> None:
        while not work.empty():
            number, track = work.get_nowait()
            result = await isrc_lookup(context, query_for(track), share_links=number % SHARE_LINK == 3)
            assert result.isrc == track.isrc, track.key
            assert result.source is not None
            found[result.source] += 1
            found["share"] += result.share_link is not None
            if number % DISCOGS == 5:
                answer = await discogs.enrich(query_for(track))
                assert answer.found, track.key
                found["discogs"] += 1

    # The fakes build their search indexes on first use, in this event loop: build them (one request of each kind,
    # then a fresh log and rate window) before measuring the loop.
    await _warm_up(services, session)
    # What the fakes hold (a catalogue of 10,000 tracks, its indexes, the request logs) is the test's, not the
    # plugins': keep Python's full collections from walking it again and again (each such walk holds the loop for
    # a few hundred milliseconds in this process, whoever runs).
    gc.collect()
    gc.freeze()
    ticker = Ticker()
    background = [asyncio.create_task(virtual.drive()), asyncio.create_task(ticker.run())]
    started_clock, started = clock(), time.perf_counter()
    try:
        await asyncio.gather(*(worker() for _ in range(WORKERS)))
    finally:
        gc.unfreeze()
        for task in background:
            task.cancel()
        await asyncio.gather(*background, return_exceptions=True)
    elapsed, virtual_seconds = time.perf_counter() - started, clock() - started_clock

    expected_mb = TRACKS // NOT_ON_DEEZER
    assert found == {
        "deezer": TRACKS - expected_mb,
        "musicbrainz": expected_mb,
        "share": TRACKS // SHARE_LINK,
        "discogs": TRACKS // DISCOGS,
    }
    figures: dict[str, object] = {"tracks": TRACKS, "real_seconds": round(elapsed, 2)}
    figures["virtual_seconds"] = round(virtual_seconds, 1)
    figures["longest_loop_stall_ms"] = round(ticker.longest * 1000, 1)
    figures["clock_advances"] = virtual.advances
    for service in services:
        requests, per = LIMITS[service.name]
        peak = max_in_window(service.requests, per)
        outcomes = {record.outcome for record in service.requests}
        figures[service.name] = {
            "requests": len(service.requests),
            "max_in_window": peak,
            "limit": f"{requests}/{per:g}s",
            "rate_per_window": round(len(service.requests) / virtual_seconds * per, 2),
        }
        assert peak <= requests, service.name
        assert outcomes == {"ok"}, (service.name, outcomes)  # never a 429, a quota error or a 503
    print(json.dumps(figures, indent=1))  # noqa: T201 - the figures, for the record
    assert len(services.deezer.requests) == TRACKS  # one search a track, the ISRC in the hit
    assert len(services.musicbrainz.requests) == expected_mb  # one search a track Deezer lacks
    # Deezer is the bottleneck: it must run close to its limit (the limiter is not merely slow).
    assert virtual_seconds < TRACKS / 50 * 5 * 1.15
    # The longest stall is a figure for `make bench` (plugins_backfill), not an assertion: timed assertions are
    # flaky on a shared machine.
