"""The engine's plain data: what a speaker reports (Observation) and what counts (Play)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from enum import StrEnum
import hashlib
from typing import Any, Self


class TransportState(StrEnum):
    """AVTransport TransportState values as Sonos reports them."""

    PLAYING = "PLAYING"
    PAUSED_PLAYBACK = "PAUSED_PLAYBACK"
    STOPPED = "STOPPED"
    TRANSITIONING = "TRANSITIONING"
    NO_MEDIA_PRESENT = "NO_MEDIA_PRESENT"

    @classmethod
    def parse(cls, value: str | None) -> TransportState:
        """Map any reported state onto one we know; unknown values count as not playing."""
        if value is None:
            return cls.STOPPED
        try:
            return cls(value.strip().upper())
        except ValueError:
            return cls.STOPPED


class SourceKind(StrEnum):
    """What kind of source a track URI belongs to."""

    ON_DEMAND = "on_demand"
    RADIO = "radio"
    LINE_IN = "line_in"
    TV = "tv"
    GROUP_FOLLOWER = "group_follower"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Observation:
    """A full snapshot of one speaker at one moment, as the listener saw it.

    Times are epoch seconds; ``duration`` is 0 for streams; ``position`` is None when it is not known (UPnP
    events do not carry it; a GetPositionInfo reply does).
    """

    t: float
    speaker: str
    state: TransportState
    coordinator: str | None = None
    track_uri: str | None = None
    enqueued_uri: str | None = None
    title: str | None = None
    artist: str | None = None
    album: str | None = None
    album_artist: str | None = None
    duration: float = 0.0
    position: float | None = None
    stream_content: str | None = None
    room: str | None = None

    # The replay format's keys, in order: one JSON object per line, a full snapshot each.
    REPLAY_KEYS = (
        "t",
        "speaker",
        "coordinator",
        "state",
        "track_uri",
        "enqueued_uri",
        "title",
        "artist",
        "album",
        "album_artist",
        "duration",
        "position",
        "stream_content",
        "room",
    )

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Self:
        """Build an observation from one replay line; raises ValueError with the reason when it is not one."""
        if not isinstance(data, dict):
            raise ValueError("an observation must be a JSON object")  # noqa: TRY004 - a bad line, reported as such
        missing = [key for key in ("t", "speaker") if data.get(key) in (None, "")]
        if missing:
            raise ValueError(f"missing {', '.join(missing)}")
        try:
            t = float(data["t"])
            duration = float(data.get("duration") or 0.0)
            position = None if data.get("position") is None else float(data["position"])
        except (TypeError, ValueError) as err:
            raise ValueError(f"t, duration and position must be numbers: {err}") from err

        def text(key: str) -> str | None:
            value = data.get(key)
            if value is None:
                return None
            if not isinstance(value, str):
                raise ValueError(f"{key} must be a string")  # noqa: TRY004
            return value

        return cls(
            t=t,
            speaker=str(data["speaker"]),
            state=TransportState.parse(text("state")),
            coordinator=text("coordinator"),
            track_uri=text("track_uri"),
            enqueued_uri=text("enqueued_uri"),
            title=text("title"),
            artist=text("artist"),
            album=text("album"),
            album_artist=text("album_artist"),
            duration=max(duration, 0.0),
            position=None if position is None else max(position, 0.0),
            stream_content=text("stream_content"),
            room=text("room"),
        )

    def to_json(self) -> dict[str, Any]:
        """The replay line for this observation."""
        data = asdict(self)
        data["state"] = str(self.state)
        return {key: data[key] for key in self.REPLAY_KEYS}


@dataclass(frozen=True, slots=True)
class Play:
    """One counted listen."""

    started_at: float
    artist: str
    title: str
    album: str | None
    album_artist: str | None
    duration: float
    heard: float
    service: str
    kind: str
    speaker: str
    room: str | None = None
    track_uri: str | None = None
    counted_at: float | None = None

    @property
    def key(self) -> str:
        """A stable key: the same listen written twice (a retry, a restart) has the same key."""
        raw = "\x1f".join(
            (
                self.speaker,
                str(round(self.started_at)),
                self.artist.casefold(),
                self.title.casefold(),
            )
        )
        return hashlib.blake2b(raw.encode(), digest_size=12).hexdigest()

    def to_json(self) -> dict[str, Any]:
        """A JSON-able dict of the play (the replay tool's output line, the bus event's data)."""
        return {field.name: getattr(self, field.name) for field in fields(self)}
