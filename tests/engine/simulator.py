"""A simulated Sonos player with a ground truth of what was actually heard, for property tests.

It plays tracks from a queue on a controlled clock and reports an observation at every moment a real speaker
would send an event (play, pause, seek, stop, a new track), never when a track repeats by itself. Alongside it
keeps the truth: every listen ("instance") with the PLAYING wall time that went into it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from custom_components.spinstack.engine import Observation, Rules, TransportState

RESTART_SLACK = 5.0


@dataclass
class Instance:
    """One true listen of one track."""

    uri: str
    duration: float
    started_at: float
    heard: float = 0.0


@dataclass
class Player:
    """The simulated speaker."""

    rules: Rules
    speaker: str = "RINCON_SIM"
    with_positions: bool = True
    t: float = 1_000_000.0
    uri: str = ""
    duration: float = 0.0
    position: float = 0.0
    state: TransportState = TransportState.STOPPED
    repeat_one: bool = False
    tracks_made: int = 0
    observations: list[Observation] = field(default_factory=list)
    instances: list[Instance] = field(default_factory=list)
    playing_time: dict[str, float] = field(default_factory=dict)

    # -- actions ---------------------------------------------------------------------------------------------
    def new_track(self, duration: float) -> None:
        """The queue moves on to a new track (chosen, or 'next')."""
        self.tracks_made += 1
        self.uri = f"x-file-cifs://nas/music/{self.tracks_made}.flac"
        self.duration = duration
        self.position = 0.0
        self._new_instance()
        self._emit()

    def play(self) -> None:
        if self.uri and self.state is not TransportState.PLAYING:
            if self.instances[-1].started_at < 0:
                self.instances[-1].started_at = self.t - self.position
            self.state = TransportState.PLAYING
            self._emit()

    def pause(self) -> None:
        if self.state is TransportState.PLAYING:
            self.state = TransportState.PAUSED_PLAYBACK
            self._emit()

    def stop(self) -> None:
        """Sonos keeps the track and puts it back to its start."""
        if self.uri:
            self.state = TransportState.STOPPED
            self._seek_to(0.0)
            self._emit()

    def seek(self, fraction: float) -> None:
        if self.uri:
            self._seek_to(min(self.duration - 1, max(0.0, round(fraction * self.duration))))
            self._emit()

    def toggle_repeat(self) -> None:
        self.repeat_one = not self.repeat_one

    def wait(self, seconds: float) -> None:
        """Time passes; a track that ends repeats silently (repeat-one) or the next one begins (an event)."""
        while seconds > 0:
            if self.state is not TransportState.PLAYING or not self.uri:
                self.t += seconds
                return
            step = min(seconds, self.duration - self.position)
            self._hear(step)
            seconds -= step
            if self.position >= self.duration:
                if self.repeat_one:
                    self.position = 0.0
                    self._new_instance()
                    self.instances[-1].started_at = self.t
                else:
                    self.new_track(self.duration)
                    self.instances[-1].started_at = self.t

    # -- truth -----------------------------------------------------------------------------------------------
    def counted_instances(self) -> list[Instance]:
        """The instances whose heard time reached the threshold."""
        return [
            inst
            for inst in self.instances
            if self.rules.qualifies(inst.duration) and inst.heard >= self.rules.threshold(inst.duration)
        ]

    def _hear(self, seconds: float) -> None:
        self.t += seconds
        self.position += seconds
        self.instances[-1].heard += seconds
        self.playing_time[self.uri] = self.playing_time.get(self.uri, 0.0) + seconds

    def _seek_to(self, position: float) -> None:
        current = self.instances[-1]
        counted = self.rules.qualifies(current.duration) and current.heard >= self.rules.threshold(current.duration)
        if position + 1.5 < self.position and position <= RESTART_SLACK and counted:
            # Going back to the start of a track that already counted is a new listen.
            self.position = position
            self._new_instance()
            if self.state is TransportState.PLAYING:
                self.instances[-1].started_at = self.t - position
            return
        self.position = position

    def _new_instance(self) -> None:
        started = self.t - self.position if self.state is TransportState.PLAYING else -1.0
        self.instances.append(Instance(self.uri, self.duration, started))

    def _emit(self) -> None:
        self.observations.append(
            Observation(
                t=self.t,
                speaker=self.speaker,
                state=self.state,
                track_uri=self.uri,
                enqueued_uri="x-rincon-queue:RINCON_SIM#0",
                title=f"Track {self.uri}",
                artist="Artist",
                duration=self.duration,
                position=self.position if self.with_positions else None,
            )
        )
