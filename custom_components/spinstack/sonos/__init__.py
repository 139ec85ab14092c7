"""SpinStack's Sonos listener: SoCo subscriptions, UPnP event -> engine observation, speaker resolution.

Knows the engine and SoCo; knows nothing of Home Assistant or SQLite.
"""

from .didl import TrackMeta, parse_didl
from .state import SpeakerState, parse_duration
from .topology import GroupMember, parse_zone_group_state, read_zone_group_state

__all__ = [
    "GroupMember",
    "SpeakerState",
    "TrackMeta",
    "parse_didl",
    "parse_duration",
    "parse_zone_group_state",
    "read_zone_group_state",
]
