"""SpinStack's decision engine: pure Python, no Home Assistant, no SoCo, no SQLite.

Observations of speakers go in; counted plays come out.
"""

from .engine import Engine, Listen
from .model import Observation, Play, SourceKind, TransportState
from .rules import Rules
from .songs import Song, parse_stream_content, song_of
from .sources import SERVICE_IDS, Source, identify_source

__all__ = [
    "SERVICE_IDS",
    "Engine",
    "Listen",
    "Observation",
    "Play",
    "Rules",
    "Song",
    "Source",
    "SourceKind",
    "TransportState",
    "identify_source",
    "parse_stream_content",
    "song_of",
]
