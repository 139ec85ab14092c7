"""A speaker's transport state, merged from its AVTransport events, turned into engine observations."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..engine import Observation, TransportState
from .didl import EMPTY, TrackMeta, parse_didl

# The AVTransport variables (as SoCo names them) an observation is made of.
_TRACKED = (
    "transport_state",
    "current_track_uri",
    "current_track_duration",
    "current_track_meta_data",
    "enqueued_transport_uri",
    "av_transport_uri",
    "current_play_mode",
)


def parse_duration(value: str | None) -> float | None:
    """'0:03:12' -> 192.0; None for '', 'NOT_IMPLEMENTED' and anything unreadable."""
    if not value or value == "NOT_IMPLEMENTED":
        return None
    parts = value.strip().split(":")
    if len(parts) != 3:
        return None
    try:
        hours, minutes = int(parts[0]), int(parts[1])
        seconds = float(parts[2])
    except ValueError:
        return None
    if hours < 0 or not 0 <= minutes < 60 or not 0 <= seconds < 60:
        return None
    return hours * 3600 + minutes * 60 + seconds


@dataclass(slots=True)
class SpeakerState:
    """What is known of one speaker: merged from its events (LastChange carries only what changed)."""

    uid: str
    room: str | None = None
    coordinator: str | None = None
    variables: dict[str, str] = field(default_factory=dict)
    meta: TrackMeta = EMPTY

    def apply_avtransport(self, variables: dict[str, Any]) -> None:
        """Merge the variables of one AVTransport event."""
        for name in _TRACKED:
            if name not in variables:
                continue
            value = variables[name]
            if name == "current_track_meta_data":
                self.meta = parse_didl(value)
                continue
            self.variables[name] = "" if value is None else str(value)[:4096]

    def apply_position_info(self, info: dict[str, Any]) -> float | None:
        """Merge a GetPositionInfo reply (TrackURI, TrackDuration, TrackMetaData, RelTime); returns the position."""
        if "TrackURI" in info:
            self.variables["current_track_uri"] = str(info["TrackURI"] or "")
        if "TrackDuration" in info:
            self.variables["current_track_duration"] = str(info["TrackDuration"] or "")
        if "TrackMetaData" in info and info["TrackMetaData"] not in (None, "", "NOT_IMPLEMENTED"):
            self.meta = parse_didl(info["TrackMetaData"])
        return parse_duration(info.get("RelTime"))

    @property
    def play_mode(self) -> str:
        """NORMAL, REPEAT_ONE, REPEAT_ALL, SHUFFLE, ..."""
        return self.variables.get("current_play_mode", "NORMAL")

    def observation(self, t: float, position: float | None = None) -> Observation:
        """The engine observation of this speaker now."""
        variables = self.variables
        uri = variables.get("current_track_uri") or None
        duration = parse_duration(variables.get("current_track_duration")) or 0.0
        if not duration and self.meta.duration:
            duration = parse_duration(self.meta.duration) or 0.0
        av_uri = variables.get("av_transport_uri") or ""
        if av_uri.startswith("x-rincon:"):
            # A group follower: its transport points at the coordinator.
            uri = av_uri
        # The enqueued URI tells the service of streams whose track URI carries no sid, and that a plain URL
        # comes from the queue: the enqueued container when it names its service, else the transport URI.
        enqueued = variables.get("enqueued_transport_uri") or None
        if enqueued is None or "sid=" not in enqueued:
            enqueued = av_uri or enqueued
        return Observation(
            t=t,
            speaker=self.uid,
            state=TransportState.parse(variables.get("transport_state")),
            coordinator=self.coordinator,
            track_uri=uri,
            enqueued_uri=enqueued or None,
            title=self.meta.title,
            artist=self.meta.artist,
            album=self.meta.album,
            album_artist=self.meta.album_artist,
            duration=duration,
            position=position,
            stream_content=self.meta.stream_content,
            room=self.room,
        )
