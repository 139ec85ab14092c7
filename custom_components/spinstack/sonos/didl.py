"""DIDL-Lite track metadata, read defensively: speakers and services send odd, huge or broken metadata."""

from __future__ import annotations

from dataclasses import dataclass
import logging
from typing import Any
import xml.etree.ElementTree as ET

_LOGGER = logging.getLogger(__name__)

NS = {
    "didl": "urn:schemas-upnp-org:metadata-1-0/DIDL-Lite/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "upnp": "urn:schemas-upnp-org:metadata-1-0/upnp/",
    "r": "urn:schemas-rinconnetworks-com:metadata-1-0/",
}
# Metadata larger than this is not parsed (a real item is a few kilobytes).
MAX_DIDL_BYTES = 256 * 1024
_MAX_TEXT = 1024


@dataclass(frozen=True, slots=True)
class TrackMeta:
    """What a DIDL-Lite item says of a track."""

    title: str | None = None
    artist: str | None = None
    album: str | None = None
    album_artist: str | None = None
    stream_content: str | None = None
    upnp_class: str | None = None
    duration: str | None = None


EMPTY = TrackMeta()


def _text(item: ET.Element, tag: str) -> str | None:
    node = item.find(tag, NS)
    if node is None or not node.text:
        return None
    text = node.text.strip()
    return text[:_MAX_TEXT] or None


def parse_didl(value: Any) -> TrackMeta:
    """Metadata from a DIDL-Lite string or from SoCo's parsed DIDL object; empty metadata when it cannot be read.

    Never raises: a malformed item (broken XML, entity tricks, non-UTF-8 bytes) is logged and read as empty.
    """
    if value is None or value == "":
        return EMPTY
    text = _as_text(value)
    if text is None:
        return EMPTY
    if len(text) > MAX_DIDL_BYTES:
        _LOGGER.warning("Ignoring track metadata of %s bytes (over %s)", len(text), MAX_DIDL_BYTES)
        return EMPTY
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        # DIDL-Lite has no DTD; a document declaring entities is an attack or garbage.
        _LOGGER.warning("Ignoring track metadata that declares a DTD or entities")
        return EMPTY
    try:
        root = ET.fromstring(text)  # noqa: S314 - DTDs refused above; expat refuses entity bombs
    except ET.ParseError as err:
        _LOGGER.warning("Ignoring malformed track metadata (%s): %.200s", err, text)
        return EMPTY
    item = root.find("didl:item", NS)
    if item is None:
        item = root.find("didl:container", NS)
    if item is None:
        return EMPTY
    res = item.find("didl:res", NS)
    return TrackMeta(
        title=_text(item, "dc:title"),
        artist=_text(item, "dc:creator"),
        album=_text(item, "upnp:album"),
        album_artist=_text(item, "r:albumArtist"),
        stream_content=_text(item, "r:streamContent"),
        upnp_class=_text(item, "upnp:class"),
        duration=res.get("duration") if res is not None else None,
    )


def _as_text(value: Any) -> str | None:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, str):
        return value
    # SoCo hands parsed DIDL objects (or a SoCoFault carrying the raw text when it could not parse it).
    exception = getattr(value, "exception", None)
    raw = getattr(exception, "metadata", None)
    if isinstance(raw, str):
        return raw
    try:
        from soco.data_structures import to_didl_string  # noqa: PLC0415 - only for SoCo's objects

        return str(to_didl_string(value))
    except Exception:
        _LOGGER.debug("Unreadable track metadata object %r", value, exc_info=True)
        return None
