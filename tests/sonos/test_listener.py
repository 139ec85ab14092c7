"""The listener with real SoCo over real HTTP against emulated speakers: events in, observations out."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import soco

from custom_components.spinstack.engine import Engine, Observation, Play, TransportState, identify_source
from custom_components.spinstack.sonos.listener import Backoff, ListenerState, SpeakerListener
from custom_components.spinstack.sonos.topology import GroupMember
from emulator import ManualClock, Station, StreamSong, Track
from tests.emulator.conftest import MakeHousehold
from tests.emulator.helpers import connect, wait_for

SONG = Track.spotify("4uLU6hMCjMI75M1A2tKUQC", "One More Time", "Daft Punk", "Discovery", 200)


async def in_thread[T](func: Callable[[], T]) -> T:
    """Run a blocking call off the loop (Home Assistant's executor does this in the integration)."""
    return await asyncio.to_thread(func)


class Harness:
    """A listener feeding an engine, as the coordinator will."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.engine = Engine()
        self.observations: list[Observation] = []
        self.plays: list[Play] = []
        self.topologies: list[dict[str, GroupMember]] = []
        self.listener: SpeakerListener | None = None

    def observe(self, observation: Observation) -> None:
        self.observations.append(observation)
        self.plays.extend(self.engine.observe(observation))

    async def tick(self) -> None:
        """What the coordinator's timer does at a wake-up: read the position, then let the engine count."""
        assert self.listener is not None
        await self.listener.refresh()
        self.plays.extend(self.engine.advance(self.clock.now()))

    async def listen(self, ip: str, **kwargs: Any) -> SpeakerListener:
        device = await connect(ip)
        self.listener = SpeakerListener(
            device,
            uid=device.uid,
            room=None,
            on_observation=self.observe,
            on_topology=self.topologies.append,
            now=self.clock.now,
            run_blocking=in_thread,
            **kwargs,
        )
        self.listener.start()
        await wait_for(lambda: self.listener is not None and self.listener.health.state is ListenerState.SUBSCRIBED)
        return self.listener


@pytest.fixture
async def harness(clock: ManualClock) -> AsyncIterator[Harness]:
    made = Harness(clock)
    yield made
    if made.listener is not None:
        await made.listener.async_stop()


async def test_a_track_played_past_its_threshold_is_one_play(
    make_household: MakeHousehold, harness: Harness, clock: ManualClock
) -> None:
    household = await make_household("Living Room")
    living = household.by_name("Living Room")
    await harness.listen(living.ip)
    await wait_for(lambda: bool(harness.topologies))
    assert harness.listener is not None
    assert harness.listener.state.room == "Living Room"

    await living.play_queue([SONG])
    await household.settle()
    # The queue is set, then it plays: wait for the engine to hear it playing (events and reads may interleave).
    await wait_for(lambda: harness.engine.next_wakeup() is not None)
    obs = next(o for o in harness.observations if o.title == "One More Time" and o.state is TransportState.PLAYING)
    assert (obs.artist, obs.album, obs.duration, obs.state) == ("Daft Punk", "Discovery", 200, TransportState.PLAYING)
    assert identify_source(obs.track_uri or "", obs.enqueued_uri).service == "spotify"
    assert harness.engine.next_wakeup() == pytest.approx(clock.now() + 100, abs=2)

    await clock.advance(100)
    await harness.tick()
    assert [(p.artist, p.title, p.service, p.room) for p in harness.plays] == [
        ("Daft Punk", "One More Time", "spotify", "Living Room")
    ]
    # The rest of the track, and its end: still one play.
    await clock.advance(120)
    await household.settle()
    await asyncio.sleep(0.2)
    assert len(harness.plays) == 1


async def test_radio_songs_come_from_stream_metadata(
    make_household: MakeHousehold, harness: Harness, clock: ManualClock
) -> None:
    household = await make_household("Kitchen")
    kitchen = household.by_name("Kitchen")
    await harness.listen(kitchen.ip)
    station = Station.tunein(
        "s24861",
        "DR P3",
        (
            StreamSong.artist_title("Daft Punk", "One More Time", 200),
            StreamSong.ad_break(60),
            StreamSong.tagged("Midnight City", "M83", "Hurry Up, We're Dreaming", 240),
            StreamSong.artist_title("Air", "Sexy Boy", 300),
        ),
    )
    await kitchen.play_radio(station)
    for _ in range(6):
        await clock.advance(100)
        await household.settle()
        await asyncio.sleep(0.05)
    await kitchen.stop()
    await household.settle()
    await wait_for(lambda: len(harness.plays) >= 3)
    assert [(p.artist, p.title, p.kind) for p in harness.plays] == [
        ("Daft Punk", "One More Time", "radio"),
        ("M83", "Midnight City", "radio"),
        ("Air", "Sexy Boy", "radio"),
    ]
    assert {p.service for p in harness.plays} == {"tunein"}


async def test_a_reboot_is_survived_by_resubscribing(
    make_household: MakeHousehold, harness: Harness, clock: ManualClock
) -> None:
    household = await make_household("Living Room")
    living = household.by_name("Living Room")
    # Short subscriptions, so SoCo renews (and the emulator refuses) within the test.
    listener = await harness.listen(living.ip, subscription_seconds=2)
    assert listener.health.subscriptions == 1
    await living.reboot()
    await wait_for(lambda: listener.health.subscriptions >= 2, within=15)
    assert listener.health.failures >= 1
    await wait_for(lambda: listener.health.state is ListenerState.SUBSCRIBED)
    await living.play_queue([SONG])
    await household.settle()
    await wait_for(lambda: any(o.title == "One More Time" for o in harness.observations))


async def test_an_unreachable_speaker_is_polled_then_heard_again(
    make_household: MakeHousehold, harness: Harness
) -> None:
    household = await make_household("Living Room")
    living = household.by_name("Living Room")
    await living.go_offline()
    device = await connect_later(living.ip)
    listener = SpeakerListener(
        device,
        uid=living.uid,
        room="Living Room",
        on_observation=harness.observe,
        on_topology=harness.topologies.append,
        now=harness.clock.now,
        run_blocking=in_thread,
        poll_seconds=0.1,
    )
    harness.listener = listener
    listener.start()
    await wait_for(lambda: listener.health.state is ListenerState.OFFLINE)
    assert listener.health.last_error
    await living.come_online()
    await wait_for(lambda: listener.health.state is ListenerState.SUBSCRIBED, within=10)


async def connect_later(ip: str) -> Any:
    """A SoCo device for a speaker that is not answering yet (nothing is fetched)."""
    return soco.SoCo(ip)


async def test_a_failing_listener_is_logged_and_restarted(
    make_household: MakeHousehold, harness: Harness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    household = await make_household("Living Room")
    living = household.by_name("Living Room")
    listener = await harness.listen(living.ip)
    calls = 0

    async def broken() -> None:
        nonlocal calls
        calls += 1
        raise RuntimeError("a bug")

    monkeypatch.setattr(listener, "_supervise", broken)
    monkeypatch.setattr("custom_components.spinstack.sonos.listener.Backoff.next", lambda self: 0.01)
    await listener.async_stop()
    listener.start()
    await wait_for(lambda: calls >= 2)
    assert "The listener of" in caplog.text
    assert listener.health.state is ListenerState.OFFLINE
    assert listener.health.last_error == "listener failed: RuntimeError: a bug"


def test_backoff_doubles_up_to_its_cap() -> None:
    backoff = Backoff(first=2, maximum=10)
    delays = [backoff.next() for _ in range(5)]
    assert 1.6 <= delays[0] <= 2.4
    assert 8 <= delays[-1] <= 12
    backoff.reset()
    assert backoff.next() <= 2.4
