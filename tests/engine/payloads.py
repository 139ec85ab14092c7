"""Turn the real GetPositionInfo payloads into observations the way the listener will."""

from __future__ import annotations

import json
from pathlib import Path
import xml.etree.ElementTree as ET

from custom_components.spinstack.engine import Observation, TransportState

NS = {
    "didl": "urn:schemas-upnp-org:metadata-1-0/DIDL-Lite/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "upnp": "urn:schemas-upnp-org:metadata-1-0/upnp/",
    "r": "urn:schemas-rinconnetworks-com:metadata-1-0/",
}


def seconds(hms: str) -> float:
    """'0:03:12' -> 192.0"""
    if not hms or hms == "NOT_IMPLEMENTED":
        return 0.0
    hours, minutes, secs = (int(part) for part in hms.split(":"))
    return float(hours * 3600 + minutes * 60 + secs)


def observation_from_payload(path: Path, t: float = 1000.0, speaker: str = "RINCON_A") -> Observation:
    """An observation of a PLAYING speaker from a real GetPositionInfo reply."""
    data = json.loads(path.read_text())["input"]
    item = ET.fromstring(data["TrackMetaData"]).find("didl:item", NS)
    assert item is not None

    def text(tag: str) -> str | None:
        node = item.find(tag, NS)
        return node.text if node is not None and node.text else None

    return Observation(
        t=t,
        speaker=speaker,
        state=TransportState.PLAYING,
        track_uri=data["TrackURI"],
        title=text("dc:title"),
        artist=text("dc:creator"),
        album=text("upnp:album"),
        album_artist=text("r:albumArtist"),
        duration=seconds(data["TrackDuration"]),
        position=seconds(data["RelTime"]),
        stream_content=text("r:streamContent"),
    )
