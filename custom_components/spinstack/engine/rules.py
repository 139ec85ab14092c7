"""The counting rules' settings."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Self


@dataclass(frozen=True, slots=True)
class Rules:
    """When a listen counts.

    On-demand (a track with a duration): Last.fm's rule. The track must be longer than ``min_track_seconds``
    and counts once the time actually heard reaches ``min(threshold_fraction * duration, threshold_cap_seconds)``.
    Streams (radio, duration 0): a song counts when it changes or the stream stops, if it was heard for at least
    ``radio_min_seconds``.
    """

    min_track_seconds: float = 30.0
    threshold_fraction: float = 0.5
    threshold_cap_seconds: float = 240.0
    radio_min_seconds: float = 30.0
    # A paused or stopped track resumed within this time continues the same listen.
    resume_window_seconds: float = 6 * 3600.0
    # A room that takes over a group's playback within this time continues the group's listen.
    handover_window_seconds: float = 60.0

    def __post_init__(self) -> None:
        if not 0.0 < self.threshold_fraction <= 1.0:
            raise ValueError("threshold_fraction must be in (0, 1]")
        for name in (
            "min_track_seconds",
            "threshold_cap_seconds",
            "radio_min_seconds",
            "resume_window_seconds",
            "handover_window_seconds",
        ):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")

    def qualifies(self, duration: float) -> bool:
        """Whether a track of this duration can count at all."""
        return duration > self.min_track_seconds

    def threshold(self, duration: float) -> float:
        """Seconds a track of this duration must be heard to count."""
        return min(duration * self.threshold_fraction, self.threshold_cap_seconds)

    def to_json(self) -> dict[str, Any]:
        """The rules as plain data."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Self:
        """Rules from plain data; unknown keys are ignored."""
        known = {key: float(value) for key, value in data.items() if key in cls.__dataclass_fields__}
        return cls(**known)
