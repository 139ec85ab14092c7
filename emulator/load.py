"""Groups of rooms skipping tracks on the clock: the load of SpinStack's reliability figure.

Used by ``bench/load_bench.py`` (32 rooms in 8 groups, 300 skips each) and ``tests/e2e/test_load.py`` (a small
version). Each group's coordinator plays a queue of its own (track ``k`` of group ``g`` is "Song k" by "Artist g"),
starts at its own offset, skips to the next track every ``skip_every`` clock seconds, and pauses ``skip_every``
seconds after its last skip, so that every track of the run is heard for exactly ``skip_every`` seconds. Groups
start ``stagger`` seconds apart, so that one group's events never fall on the same moment as another's (nor on
another's threshold, one second into a track, with the default ``stagger``).

    load = SkippingLoad(groups=2, group_size=4, skips=29)
    household = load_household(load, ManualClock(), first_ip="127.0.0.2")
    async with household:
        form_groups(household, load)  # grouped, queues loaded, stopped
        run = schedule_skips(household, load, start=household.clock.now() + 1)
        await household.clock.advance(load.duration + 2)  # or, at any moment, run.cut() to end it early
"""

from __future__ import annotations

from dataclasses import dataclass

from .clock import Clock, Timer
from .household import EmulatedSpeaker, Household
from .media import Track


@dataclass(frozen=True, slots=True)
class SkippingLoad:
    """The shape of the load: how many groups of how many rooms, how often and how many times they skip."""

    groups: int = 8
    group_size: int = 4
    skip_every: float = 2.0
    skips: int = 300
    track_seconds: float = 180.0
    stagger: float = 0.23

    @property
    def speakers(self) -> int:
        """Rooms in all."""
        return self.groups * self.group_size

    @property
    def tracks_per_group(self) -> int:
        """Tracks each group plays (the first one, then one per skip)."""
        return self.skips + 1

    def offset(self, group: int) -> float:
        """Clock seconds after the start at which `group` starts playing."""
        return group * self.stagger

    @property
    def duration(self) -> float:
        """Clock seconds from the start until the last group pauses."""
        return self.offset(self.groups - 1) + self.tracks_per_group * self.skip_every

    @staticmethod
    def room(group: int, member: int) -> str:
        """The name of a room (member 0 coordinates its group)."""
        return f"Group {group + 1} Room {member + 1}"

    @staticmethod
    def artist(group: int) -> str:
        """The artist of every track of `group`'s queue."""
        return f"Artist {group + 1}"

    @staticmethod
    def title(number: int) -> str:
        """The title of track `number` (1-based) of a queue."""
        return f"Song {number:03d}"

    def queue(self, group: int) -> list[Track]:
        """`group`'s queue: one track more than there are skips."""
        return [
            Track.spotify(
                f"{group:02d}{number:020d}",
                self.title(number),
                self.artist(group),
                f"Album {group + 1}",
                self.track_seconds,
            )
            for number in range(1, self.tracks_per_group + 1)
        ]


def load_household(load: SkippingLoad, clock: Clock, *, first_ip: str = "127.0.0.2", port: int = 1400) -> Household:
    """A household with the load's rooms (group by group, each group's coordinator first), not started."""
    household = Household(clock, first_ip=first_ip, port=port)
    for group in range(load.groups):
        for member in range(load.group_size):
            household.add_speaker(load.room(group, member))
    return household


def coordinators(household: Household, load: SkippingLoad) -> list[EmulatedSpeaker]:
    """Each group's coordinator, in group order."""
    return [household.speakers[group * load.group_size] for group in range(load.groups)]


def form_groups(household: Household, load: SkippingLoad) -> None:
    """Group the rooms and load each coordinator's queue at its first track, stopped (call once started)."""
    for group, coordinator in enumerate(coordinators(household, load)):
        first = group * load.group_size
        for member in household.speakers[first + 1 : first + load.group_size]:
            household.join(member, coordinator)
        state = coordinator.state
        with state.batch():
            state.queue = load.queue(group)
            state.queue_index = 0
            state.load_queue()


@dataclass(slots=True)
class SkippingRun:
    """The load put on the household's clock: each group's track timers (its play, then its skips) and pause."""

    household: Household
    load: SkippingLoad
    start: float
    tracks: list[list[Timer]]
    pauses: list[Timer]

    def tracks_started(self, group: int) -> int:
        """How many tracks `group` has started so far."""
        now = self.household.clock.now()
        return sum(1 for timer in self.tracks[group] if timer.when <= now and not timer.cancelled)

    def cut(self) -> float:
        """End the run early, now: no group skips again; each group's track in progress still plays for its
        ``skip_every`` seconds, then the group pauses (a group not started yet never starts). Returns when the
        last group pauses."""
        clock = self.household.clock
        now = last = clock.now()
        for group, coordinator in enumerate(coordinators(self.household, self.load)):
            started = self.tracks_started(group)
            for timer in self.tracks[group]:
                if timer.when > now:
                    timer.cancel()
            if not started:
                self.pauses[group].cancel()
                continue
            pause_at = self.start + self.load.offset(group) + started * self.load.skip_every
            if self.pauses[group].when != pause_at:
                self.pauses[group].cancel()
                self.pauses[group] = clock.call_at(pause_at, coordinator.state.pause)
            last = max(last, pause_at)
        return last


def schedule_skips(household: Household, load: SkippingLoad, start: float) -> SkippingRun:
    """Put the whole run on the household's clock: each coordinator plays at ``start`` plus its offset, skips every
    ``skip_every`` seconds ``skips`` times, then pauses."""
    clock = household.clock
    tracks: list[list[Timer]] = []
    pauses: list[Timer] = []
    for group, coordinator in enumerate(coordinators(household, load)):
        state = coordinator.state
        begin = start + load.offset(group)
        tracks.append(
            [
                clock.call_at(begin, state.play),
                *(clock.call_at(begin + k * load.skip_every, state.next) for k in range(1, load.skips + 1)),
            ]
        )
        pauses.append(clock.call_at(begin + load.tracks_per_group * load.skip_every, state.pause))
    return SkippingRun(household, load, start, tracks, pauses)
