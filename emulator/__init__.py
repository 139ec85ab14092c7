"""A Sonos speaker emulator: emulated speakers on 127.0.0.2, 127.0.0.3, ... port 1400 that speak the real Sonos
UPnP protocol (device description, SCPD, SOAP control, GENA events), so that unmodified SoCo works against them.

Scripted from Python (asyncio) through `Household` and `EmulatedSpeaker`, on a `ManualClock` that tests advance
by hand or a `RealtimeClock` running at an accelerated rate; run from the command line with ``python -m emulator``.
"""

from __future__ import annotations

from .clock import Clock, ManualClock, RealtimeClock, Timer
from .gena import Faults
from .household import EmulatedSpeaker, Household
from .media import Station, StreamSong, Track
from .speaker import PlayMode, Source, TransportState, UPnPError

__all__ = [
    "Clock",
    "EmulatedSpeaker",
    "Faults",
    "Household",
    "ManualClock",
    "PlayMode",
    "RealtimeClock",
    "Source",
    "Station",
    "StreamSong",
    "Timer",
    "Track",
    "TransportState",
    "UPnPError",
]
