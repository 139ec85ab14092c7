"""A speaker's transport state, merged from its AVTransport events, turned into engine observations.

Events and replies are merged all or nothing: one with a tracked variable of the wrong type (a dict where SoCo met a
``channel`` attribute, a parsed DIDL object where a URI was expected, a number, text with lone surrogates) is
rejected whole, the state left as it was, and logged once. Values longer than `MAX_VALUE` are cut to it (logged
once); metadata that cannot be read reads as none (see `parse_didl`). So an observation is always made of one
consistent state.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
import logging
import math
from typing import Any

from ..engine import Observation, TransportState
from .didl import EMPTY, REJECTIONS, TrackMeta, parse_didl

_LOGGER = logging.getLogger(__name__)

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
_META = "current_track_meta_data"
# GetPositionInfo's fields and the variables they set.
_POSITION_FIELDS = {"TrackURI": "current_track_uri", "TrackDuration": "current_track_duration"}
# A variable's value is cut to this many characters (a real URI is a few hundred).
MAX_VALUE = 4096
# No duration is longer than this many characters ("NOT_IMPLEMENTED", "123:59:59.999").
_MAX_DURATION_TEXT = 32


def parse_duration(value: object) -> float | None:
    """'0:03:12' -> 192.0; None for '', 'NOT_IMPLEMENTED' and anything unreadable (never raises)."""
    if not isinstance(value, str) or not value or value == "NOT_IMPLEMENTED" or len(value) > _MAX_DURATION_TEXT:
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
    total = hours * 3600 + minutes * 60 + seconds
    return total if math.isfinite(total) else None


class _Rejected(Exception):  # noqa: N818 - a reason, not an error that leaves this module
    def __init__(self, name: str, reason: str, value: Any) -> None:
        super().__init__(reason)
        self.name, self.reason, self.value = name, reason, value


def _checked(source: Any, fields: Mapping[str, str]) -> dict[str, str]:
    """The variables ``fields`` names (source field: variable) that ``source`` holds, each checked: text (None reads
    as empty); raises `_Rejected` at the first that is not, or when ``source`` is no mapping."""
    if not isinstance(source, Mapping):
        raise _Rejected("it", "not a mapping", source)
    checked: dict[str, str] = {}
    for key, name in fields.items():
        if key not in source:
            continue
        value = source[key]
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise _Rejected(name, f"a {type(value).__name__}, not text", value)
        if not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise _Rejected(name, "text that is not valid Unicode", value) from None
        checked[name] = value
    return checked


def _fingerprint(value: Any) -> str:
    """A bad value, for the rejection log's memory and its message."""
    if isinstance(value, str):
        return value
    if value is None or isinstance(value, (bytes, int, float, bool, dict, list, tuple)):
        try:
            return repr(value)
        except Exception:  # noqa: BLE001 - a container holding an object whose repr fails
            return type(value).__name__
    return f"<{type(value).__name__}>"


@dataclass(slots=True)
class SpeakerState:
    """What is known of one speaker: merged from its events (LastChange carries only what changed)."""

    uid: str
    room: str | None = None
    coordinator: str | None = None
    variables: dict[str, str] = field(default_factory=dict)
    meta: TrackMeta = EMPTY

    def apply_avtransport(self, variables: Mapping[str, Any]) -> bool:
        """Merge the variables of one AVTransport event, all or nothing; False when it was rejected (logged once,
        nothing merged)."""
        try:
            updates = _checked(variables, {name: name for name in _TRACKED if name != _META})
        except _Rejected as err:
            self._reject("an AVTransport event", err)
            return False
        self._merge(updates)
        if _META in variables:
            self.meta = parse_didl(variables[_META], speaker=self.uid)
        return True

    def apply_position_info(self, info: Mapping[str, Any]) -> float | None:
        """Merge a GetPositionInfo reply (TrackURI, TrackDuration, TrackMetaData, RelTime), all or nothing; returns
        the position (None when unknown, or when the reply was rejected: logged once, nothing merged)."""
        try:
            updates = _checked(info, _POSITION_FIELDS)
        except _Rejected as err:
            self._reject("a GetPositionInfo reply", err)
            return None
        self._merge(updates)
        metadata = info.get("TrackMetaData")
        if metadata is not None and not (isinstance(metadata, str) and metadata in ("", "NOT_IMPLEMENTED")):
            self.meta = parse_didl(metadata, speaker=self.uid)
        return parse_duration(info.get("RelTime"))

    def _merge(self, updates: dict[str, str]) -> None:
        """Keep checked values, each cut to `MAX_VALUE` characters (the cut logged once)."""
        for name, text in updates.items():
            value = text
            if len(value) > MAX_VALUE:
                REJECTIONS.warning(
                    _LOGGER,
                    ("cut", self.uid, name, value),
                    "Cut the %s of %s from %d to %d characters: %.200r",
                    name,
                    self.uid,
                    len(value),
                    MAX_VALUE,
                    value,
                )
                value = value[:MAX_VALUE]
            self.variables[name] = value

    def _reject(self, what: str, err: _Rejected) -> None:
        value = _fingerprint(err.value)
        REJECTIONS.warning(
            _LOGGER,
            ("rejected", self.uid, what, err.name, err.reason, value),
            "Ignoring %s from %s: %s is %s: %.200r",
            what,
            self.uid,
            err.name,
            err.reason,
            value,
        )

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
