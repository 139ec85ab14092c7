"""The load benchmark (bench/load_bench.py) in small: 8 rooms in 2 groups of 4, each group's coordinator skipping to
the next track every 2 s for a minute of emulated time, through real SoCo, a real Home Assistant test instance and
the SQLite file. Every play stored is one that the engine's replay of the same observations gives, and each track
counts once, for its group's coordinator (the grouped rooms never count). No timing is asserted."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
import json

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
import pytest

from custom_components.spinstack.const import DOMAIN
from custom_components.spinstack.coordinator import SpinStackCoordinator
from custom_components.spinstack.engine import Observation
from custom_components.spinstack.engine.replay import read_observations, replay
from emulator import Household, ManualClock
from emulator.load import SkippingLoad, coordinators, form_groups, load_household, schedule_skips
from tests.emulator.helpers import wait_for

from .conftest import FIRST_IP, make_entry, setup_entry
from .test_play import subscribed
from .timing import Lockstep, noon_today, use_subscription_seconds

# 2 groups of 4; 29 skips: 30 tracks per group, both groups pausing 60 s after they started. The groups skip at the
# same moments (no stagger), so that their events share the lockstep's steps: half the steps, the same plays.
LOAD = SkippingLoad(groups=2, group_size=4, skips=29, stagger=0.0)
# Long enough that no renewal falls due (SoCo renews at 85 %).
LONG_SUBSCRIPTION = 86_400

Key = tuple[str, int, str, str]  # (speaker, started_at, artist, title)


@pytest.fixture(autouse=True)
def enable_event_loop_debug() -> None:
    """Home Assistant's test plugin runs each test's loop in asyncio's debug mode; here its checks of every callback
    would take most of the run (the other end-to-end tests keep them)."""


@pytest.fixture
def clock(hass: HomeAssistant) -> ManualClock:
    """The speakers' clock, from noon today."""
    del hass  # its time zone must be set first
    return ManualClock(start=noon_today())


@pytest.fixture
async def household(hass: HomeAssistant, clock: ManualClock) -> AsyncIterator[Household]:
    """The load's rooms, grouped, each coordinator's queue loaded and stopped."""
    made = load_household(LOAD, clock, first_ip=FIRST_IP)
    await made.start()
    form_groups(made, LOAD)
    yield made
    for entry in hass.config_entries.async_entries(DOMAIN):
        if entry.state is ConfigEntryState.LOADED:
            await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    await made.stop()


async def test_groups_skipping_every_two_seconds_give_the_replayed_plays_one_per_track_per_group(
    hass: HomeAssistant, household: Household, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every observation the coordinator feeds its engine (it keeps only the last 500 itself).
    observations: list[Observation] = []
    original = SpinStackCoordinator._on_observation

    def recording(self: SpinStackCoordinator, observation: Observation) -> None:
        observations.append(observation)
        original(self, observation)

    monkeypatch.setattr(SpinStackCoordinator, "_on_observation", recording)
    use_subscription_seconds(monkeypatch, LONG_SUBSCRIPTION)
    lockstep = Lockstep(hass, household, clock, monkeypatch)
    # 3-minute tracks count after 1 s heard: each track, heard for its 2 s, counts once.
    entry = make_entry(household, threshold_cap_seconds=1)
    await setup_entry(hass, entry)
    coordinator: SpinStackCoordinator = entry.runtime_data.coordinator
    await subscribed(coordinator)
    lockstep.watch(coordinator)
    await lockstep.settle()

    start = clock.now() + 1
    schedule_skips(household, LOAD, start)
    await lockstep.advance(start + LOAD.duration + 1 - clock.now())
    await wait_for(lambda: coordinator.data.pending_writes == 0)

    rows = await coordinator.store.query("plays_between", start=0, end=2**40, limit=10_000)
    stored: Counter[Key] = Counter((row["speaker"], row["started_at"], row["artist"], row["title"]) for row in rows)
    # The observations as the replay tool reads them (the format diagnostics export).
    lines = [json.dumps(observation.to_json()) for observation in observations]
    replayed: Counter[Key] = Counter(
        (play.speaker, round(play.started_at), play.artist, play.title)
        for play in replay(read_observations(lines), coordinator.engine.rules)
    )
    assert stored == replayed, (sorted((stored - replayed).elements()), sorted((replayed - stored).elements()))

    leaders = [speaker.uid for speaker in coordinators(household, LOAD)]
    every_track = [LOAD.title(number) for number in range(1, LOAD.tracks_per_group + 1)]
    for group, leader in enumerate(leaders):
        plays = [(artist, title) for (speaker, _, artist, title) in stored.elements() if speaker == leader]
        assert sorted(plays) == [(LOAD.artist(group), title) for title in every_track]
    followers = [speaker for (speaker, _, _, _) in stored.elements() if speaker not in leaders]
    assert followers == []
    assert stored.total() == LOAD.groups * LOAD.tracks_per_group
