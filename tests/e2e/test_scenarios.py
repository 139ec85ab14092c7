"""The issue's end-to-end scenarios: radio, groups, repeat-one, a long pause, a reboot, a refused renewal and a burst
of NOTIFYs, each through real SoCo, a real Home Assistant and the SQLite file, on a clock moved by hand."""

from __future__ import annotations

from typing import Any

from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import async_capture_events

from custom_components.spinstack.const import DOMAIN, EVENT_SCROBBLE
from custom_components.spinstack.coordinator import SpinStackCoordinator
from custom_components.spinstack.sonos.listener import SUBSCRIPTION_SECONDS, ListenerState
from emulator import EmulatedSpeaker, Household, ManualClock, Station, StreamSong, Track
from tests.emulator.helpers import wait_for

from .conftest import make_entry, setup_entry
from .test_play import entity_id, state_of, subscribed
from .timing import Lockstep, noon_today, use_subscription_seconds

# Long enough that no renewal falls due unless a test asks for one (SoCo renews at 85 %).
LONG_SUBSCRIPTION = 86_400

ONE_MORE_TIME = Track.spotify("0DiWol3AO6WpXZgp0goxAV", "One More Time", "Daft Punk", "Discovery", 200)
AROUND = Track.spotify("1pKYYY0dkg23sQQXi0Q5zN", "Around the World", "Daft Punk", "Homework", 240)
DIGITAL_LOVE = Track.spotify("2VEZx7NWsZ1D0eJ4uv5Fym", "Digital Love", "Daft Punk", "Discovery", 300)
SHORT_SONG = Track.spotify("3H3cOQ6LBLSvmcaV7QkZEu", "Short Circuit", "Daft Punk", "Discovery", 60)


@pytest.fixture
def clock(hass: HomeAssistant) -> ManualClock:
    """The speakers' clock, starting at noon today (Home Assistant's "today" sensors then see the plays)."""
    del hass  # its time zone must be set first
    return ManualClock(start=noon_today())


async def start(
    hass: HomeAssistant,
    household: Household,
    clock: ManualClock,
    monkeypatch: pytest.MonkeyPatch,
    *rooms: str,
    subscription_seconds: int = LONG_SUBSCRIPTION,
) -> tuple[Lockstep, SpinStackCoordinator, list[Event[Any]]]:
    """Set SpinStack up for ``rooms`` on the lockstep clock; returns the lockstep, coordinator, captured plays."""
    use_subscription_seconds(monkeypatch, subscription_seconds)
    lockstep = Lockstep(hass, household, clock, monkeypatch)
    events = async_capture_events(hass, EVENT_SCROBBLE)
    entry = make_entry(household, *rooms)
    await setup_entry(hass, entry)
    coordinator: SpinStackCoordinator = entry.runtime_data.coordinator
    await subscribed(coordinator)
    lockstep.watch(coordinator)
    await lockstep.settle()
    return lockstep, coordinator, events


async def stored(coordinator: SpinStackCoordinator) -> list[tuple[Any, ...]]:
    """The plays in the SQLite file: (started_at, artist, title, album, service, kind, speaker, room), in order."""
    rows = await coordinator.store.query("plays_between", start=0, end=2**40, limit=100)
    keys = ("started_at", "artist", "title", "album", "service", "kind", "speaker", "room")
    return sorted(tuple(row[key] for key in keys) for row in rows)


def titles(events: list[Event[Any]]) -> list[str]:
    return [event.data["title"] for event in events]


async def plays_written(coordinator: SpinStackCoordinator, events: list[Event[Any]], count: int) -> None:
    """Wait until ``count`` plays are written, and check that no other one follows."""
    await wait_for(lambda: len(events) >= count and coordinator.data.pending_writes == 0)
    await coordinator.hass.async_block_till_done()
    assert len(events) == count, [event.data for event in events]
    assert await coordinator.store.scalar("SELECT count(*) FROM plays") == count


def now_playing(hass: HomeAssistant, speaker: EmulatedSpeaker) -> str:
    return state_of(hass, entity_id(hass, "sensor", f"{speaker.uid}_now_playing")).state


async def test_a_radio_station_with_three_songs_and_an_ad_break_gives_the_three_songs(
    hass: HomeAssistant, household: Household, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    kitchen = household.by_name("Kitchen")
    lockstep, coordinator, events = await start(hass, household, clock, monkeypatch, "Kitchen")
    station = Station.tunein(
        "s24861",
        "DR P3",
        (
            StreamSong.artist_title("Daft Punk", "One More Time", 200),
            StreamSong.ad_break(60),
            StreamSong.tagged("Couleurs", "M83", "Saturdays = Youth", 250),
            StreamSong.artist_title("Phoenix", "1901", 180),
        ),
    )
    t0 = clock.now()
    await kitchen.play_radio(station)
    await lockstep.advance(200 + 60 + 250 + 100)  # into the third song
    assert titles(events) == ["One More Time", "Couleurs"]
    assert now_playing(hass, kitchen) == "Phoenix \u2013 1901"

    await kitchen.stop()  # the stream stops: the song in progress counts
    await lockstep.advance(1)
    await plays_written(coordinator, events, 3)
    assert [(e.data["title"], e.data["heard"], e.data["started_at"] - t0) for e in events] == [
        ("One More Time", 200, 0),
        ("Couleurs", 250, 260),
        ("1901", 100, 510),
    ]
    assert {(e.data["service"], e.data["kind"], e.data["duration"]) for e in events} == {("tunein", "radio", 0)}
    assert await stored(coordinator) == [
        (round(t0), "Daft Punk", "One More Time", None, "tunein", "radio", kitchen.uid, "Kitchen"),
        (round(t0) + 260, "M83", "Couleurs", "Saturdays = Youth", "tunein", "radio", kitchen.uid, "Kitchen"),
        (round(t0) + 510, "Phoenix", "1901", None, "tunein", "radio", kitchen.uid, "Kitchen"),
    ]
    await wait_for(
        lambda: state_of(hass, entity_id(hass, "sensor", f"{household.household_id}_plays_today")).state == "3"
    )


async def test_two_grouped_rooms_give_one_play_from_the_coordinator(
    hass: HomeAssistant, household: Household, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    living, bedroom = household.by_name("Living Room"), household.by_name("Bedroom")
    lockstep, coordinator, events = await start(hass, household, clock, monkeypatch, "Living Room", "Bedroom")
    t0 = clock.now()
    await living.play_queue([ONE_MORE_TIME])
    await lockstep.advance(40)
    await bedroom.join(living)  # while Living Room plays
    await lockstep.advance(1)
    assert coordinator.listeners[bedroom.uid].state.coordinator == living.uid
    assert coordinator.engine.now_playing(bedroom.uid) is None  # a member produces no listen of its own
    await lockstep.advance(100)  # past the threshold (100 s of 200)
    await living.pause()
    await lockstep.advance(1)

    await plays_written(coordinator, events, 1)
    play = events[0].data
    assert (play["speaker"], play["room"], play["title"], play["started_at"], play["heard"]) == (
        living.uid,
        "Living Room",
        "One More Time",
        t0,
        100,
    )
    assert await stored(coordinator) == [
        (round(t0), "Daft Punk", "One More Time", "Discovery", "spotify", "on_demand", living.uid, "Living Room")
    ]


async def test_repeat_one_gives_two_plays(
    hass: HomeAssistant, household: Household, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    living = household.by_name("Living Room")
    lockstep, coordinator, events = await start(hass, household, clock, monkeypatch, "Living Room")
    await living.set_play_mode("REPEAT_ONE")
    t0 = clock.now()
    await living.play_queue([SHORT_SONG])  # 60 s: counts after 30 s heard
    await lockstep.advance(100)  # played through once (no event at the restart), and 40 s more
    assert living.state.repeats == 1
    await living.pause()
    await lockstep.advance(1)

    await plays_written(coordinator, events, 2)
    assert [(e.data["title"], e.data["started_at"] - t0, e.data["heard"]) for e in events] == [
        ("Short Circuit", 0, 30),
        ("Short Circuit", 60, 30),
    ]
    assert [row[0] - round(t0) for row in await stored(coordinator)] == [0, 60]


async def test_a_pause_of_an_hour_then_the_rest_gives_one_play_with_its_start_time(
    hass: HomeAssistant, household: Household, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    living = household.by_name("Living Room")
    lockstep, coordinator, events = await start(hass, household, clock, monkeypatch, "Living Room")
    t0 = clock.now()
    await living.play_queue([ONE_MORE_TIME])  # 200 s: counts after 100 s heard
    await lockstep.advance(40)
    await living.pause()
    await lockstep.advance(3600)
    assert events == []
    await living.play()
    await lockstep.advance(59)
    assert events == []  # 99 s heard
    await lockstep.advance(2)
    await plays_written(coordinator, events, 1)
    play = events[0].data
    assert (play["started_at"], play["heard"], play["counted_at"]) == (t0, 100, t0 + 40 + 3600 + 60)
    await lockstep.advance(200)  # played to its end: the queue stops
    await lockstep.advance(1)
    await plays_written(coordinator, events, 1)
    assert await stored(coordinator) == [
        (round(t0), "Daft Punk", "One More Time", "Discovery", "spotify", "on_demand", living.uid, "Living Room")
    ]


async def test_a_speaker_reboot_mid_track_keeps_the_play_and_restores_the_subscription(
    hass: HomeAssistant, household: Household, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    living = household.by_name("Living Room")
    lockstep, coordinator, events = await start(
        hass, household, clock, monkeypatch, "Living Room", subscription_seconds=300
    )
    listener = coordinator.listeners[living.uid]
    health = entity_id(hass, "binary_sensor", f"{household.household_id}_health")
    t0 = clock.now()
    await living.play_queue([DIGITAL_LOVE])  # 300 s: counts after 150 s heard
    await lockstep.advance(160)
    await plays_written(coordinator, events, 1)

    await living.reboot(downtime=30)  # playback stops, subscriptions forgotten, off the network for 30 s
    lockstep.fire_timers(extra=300)  # SoCo's renewals fall due: the speaker does not answer
    await wait_for(lambda: listener.health.state is ListenerState.OFFLINE)
    await wait_for(lambda: state_of(hass, health).state == "on")
    assert ir.async_get(hass).async_get_issue(DOMAIN, f"events_stopped_{living.uid}") is not None
    await lockstep.advance(30)  # back on the network
    await wait_for(lambda: listener.health.state is ListenerState.SUBSCRIBED, within=10)
    assert listener.health.subscriptions == 2
    await lockstep.settle()
    await wait_for(lambda: state_of(hass, health).state == "off")
    assert ir.async_get(hass).async_get_issue(DOMAIN, f"events_stopped_{living.uid}") is None
    await plays_written(coordinator, events, 1)  # kept, not counted twice

    # Events flow again: the next track is heard and counted.
    t1 = clock.now()
    await living.play_queue([AROUND])
    await lockstep.advance(125)
    await plays_written(coordinator, events, 2)
    assert [(e.data["title"], e.data["started_at"]) for e in events] == [("Digital Love", t0), ("Around the World", t1)]


async def test_a_reboot_seen_in_the_topology_resubscribes_before_the_renewal_falls_due(
    hass: HomeAssistant, household: Household, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    living = household.by_name("Living Room")
    lockstep, coordinator, events = await start(
        hass, household, clock, monkeypatch, "Living Room", "Kitchen", subscription_seconds=SUBSCRIPTION_SECONDS
    )
    listener = coordinator.listeners[living.uid]
    await living.play_queue([DIGITAL_LOVE])
    await lockstep.advance(160)
    await plays_written(coordinator, events, 1)

    # The speaker reboots; the Kitchen's topology event carries its new BootSeq at once.
    await living.reboot()
    await lockstep.advance(150)  # SpinStack reads the stopped speaker at the track's expected end
    assert coordinator.topology[living.uid].boot_seq == living.state.boot_seq
    # Well before SoCo would renew (at 1530 s), the listener subscribes again...
    await wait_for(
        lambda: listener.health.subscriptions == 2 and listener.health.state is ListenerState.SUBSCRIBED, within=5
    )
    await lockstep.settle()
    # ... and what the speaker plays next is heard.
    t1 = clock.now()
    await living.play_queue([AROUND])
    await lockstep.advance(125)
    await plays_written(coordinator, events, 2)
    assert (events[1].data["title"], events[1].data["started_at"]) == ("Around the World", t1)


async def test_a_refused_renewal_resubscribes_and_the_track_in_progress_counts_once(
    hass: HomeAssistant, household: Household, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    living = household.by_name("Living Room")
    lockstep, coordinator, events = await start(
        hass, household, clock, monkeypatch, "Living Room", subscription_seconds=300
    )
    listener = coordinator.listeners[living.uid]
    t0 = clock.now()
    await living.play_queue([ONE_MORE_TIME])
    await lockstep.advance(50)

    living.faults.refuse_renewals = True
    lockstep.fire_timers(extra=300)  # the renewals fall due and get 412
    await wait_for(lambda: listener.health.state is not ListenerState.SUBSCRIBED)
    assert listener.health.last_error is not None
    assert "renewal failed" in listener.health.last_error
    living.faults.clear()
    await wait_for(lambda: listener.health.state is ListenerState.SUBSCRIBED, within=10)
    assert listener.health.subscriptions == 2
    await lockstep.settle()

    await lockstep.advance(60)  # past the threshold on the new subscription
    await living.pause()
    await lockstep.advance(1)
    await plays_written(coordinator, events, 1)
    assert (events[0].data["started_at"], events[0].data["heard"]) == (t0, 100)

    # And the new subscription carries events: a pause and a resume are heard.
    await living.play()
    await lockstep.advance(1)
    assert coordinator.listeners[living.uid].state.variables["transport_state"] == "PLAYING"


async def test_a_burst_of_a_thousand_notifies_is_absorbed_without_losing_the_final_state(
    hass: HomeAssistant, household: Household, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    living = household.by_name("Living Room")
    lockstep, coordinator, events = await start(hass, household, clock, monkeypatch, "Living Room")
    listener = coordinator.listeners[living.uid]
    t0 = clock.now()
    await living.play_queue([ONE_MORE_TIME, AROUND, DIGITAL_LOVE])
    await lockstep.advance(110)
    await plays_written(coordinator, events, 1)
    before = listener.health.events

    # 500 actions in a tight loop, each NOTIFY sent twice: 1,000 NOTIFYs. Transport actions (600 AVTransport
    # NOTIFYs, each followed by a read of the position) and renames (400 ZoneGroupTopology NOTIFYs).
    living.faults.duplicate_notifies = True
    for index in range(500):
        match index % 10:
            case 0 | 5:
                await living.pause()
            case 2 | 7:
                await living.play()
            case 3:
                await living.seek(index % 150)
            case 4:
                await (living.next() if index % 20 == 4 else living.previous())
            case _:
                await living.rename(f"Room {index}")
    await living.seek_track(3)  # the final state: Digital Love, playing from its start, in the Lounge
    await living.rename("Lounge")
    await lockstep.settle()
    living.faults.clear()
    assert listener.health.events - before >= 1000
    final = coordinator.engine.now_playing(living.uid)
    assert final is not None
    assert final.title == "Digital Love"
    assert listener.state.room == "Lounge"
    assert coordinator.listeners[living.uid].state.variables["transport_state"] == "PLAYING"
    assert now_playing(hass, living) == "Daft Punk \u2013 Digital Love"
    await plays_written(coordinator, events, 1)  # no time passed: nothing more was heard

    t1 = clock.now()
    await lockstep.advance(155)  # Digital Love: 300 s, counts after 150 s
    await plays_written(coordinator, events, 2)
    assert [(e.data["title"], e.data["room"], e.data["started_at"]) for e in events] == [
        ("One More Time", "Living Room", t0),
        ("Digital Love", "Lounge", t1),
    ]
