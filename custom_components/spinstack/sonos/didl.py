"""DIDL-Lite track metadata, read defensively: speakers and services send odd, huge or broken metadata.

Metadata comes two ways: in events, already parsed by SoCo (lxml, which recovers what it can of broken XML), and as
text in GetPositionInfo replies. Both are read alike, so that one item reads the same whichever way it came (an
item that read differently in an event and in the read that follows it would make a listen stop and start): text
that is well-formed is read as it is, text that is not is read as SoCo reads it in events. Text that declares a DTD
or entities is refused before any parser sees it (DIDL-Lite has no DTD; the standard library's expat would expand
internal entities up to its amplification limit). Whatever cannot be read reads as no metadata, and each distinct
rejection is logged once (a warning with its reason): the same bad item, read again by every refresh, poll or
resubscription, is not logged again.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
import hashlib
import logging
import threading
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
# What speakers send for "no metadata".
_NOTHING = ("", "NOT_IMPLEMENTED")
# How much of an input the rejection log remembers it by.
_KEY_CHARS = 64 * 1024


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


class RejectionLog:
    """Remembers the bad inputs already logged, so that each distinct one is logged once: a bad item is read again
    by every refresh and poll, and a resubscription brings its event again. Holds the last ``size`` of them."""

    def __init__(self, size: int = 1024) -> None:
        self._size = size
        self._seen: OrderedDict[bytes, None] = OrderedDict()
        self._lock = threading.Lock()

    def first(self, key: Iterable[str]) -> bool:
        """True the first time ``key`` (the input and the reason it was refused) is seen."""
        digest = hashlib.blake2b(digest_size=16)
        for part in key:
            # A huge input (a 10 MB item read again at every poll) is known by its length and its ends.
            text = part if len(part) <= _KEY_CHARS else f"{len(part)}:{part[:_KEY_CHARS]}{part[-1024:]}"
            digest.update(text.encode("utf-8", "surrogatepass"))
            digest.update(b"\0")
        fingerprint = digest.digest()
        with self._lock:
            if fingerprint in self._seen:
                self._seen.move_to_end(fingerprint)
                return False
            self._seen[fingerprint] = None
            if len(self._seen) > self._size:
                self._seen.popitem(last=False)
            return True

    def warning(self, logger: logging.Logger, key: Iterable[str], message: str, *args: object) -> None:
        """Log ``message`` as a warning unless ``key`` was logged already."""
        if self.first(key):
            logger.warning(message, *args, stacklevel=2)

    def clear(self) -> None:
        """Forget every input logged (tests)."""
        with self._lock:
            self._seen.clear()


# One for the process: the same bad item heard from a speaker is logged once, whichever listener reads it again.
REJECTIONS = RejectionLog()


class _Unreadable(Exception):  # noqa: N818 - a reason, not an error that leaves this module
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def parse_didl(value: Any, *, speaker: str = "") -> TrackMeta:
    """Metadata from a DIDL-Lite string or from SoCo's parsed DIDL object; empty metadata when it cannot be read.

    Never raises: a malformed item (broken XML, entity tricks, non-UTF-8 bytes, a huge item, an object of another
    kind) is logged once (naming ``speaker``) and read as empty.
    """
    if value is None or (isinstance(value, str) and value.strip() in _NOTHING):
        return EMPTY
    try:
        return _read(value)
    except _Unreadable as err:
        text = _shown(value)
        REJECTIONS.warning(
            _LOGGER,
            ("didl", speaker, err.reason, text),
            "Ignoring the track metadata%s: %s: %.200r",
            f" of {speaker}" if speaker else "",
            err.reason,
            text,
        )
        return EMPTY


def _shown(value: Any) -> str:
    """The item as the log shows (and remembers) it: its text, whichever way it came (a SoCoFault carries the text
    the read after the event gets again: one item, one line)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return repr(value)
    raw = getattr(_attribute(value, "exception"), "metadata", None)
    return raw if isinstance(raw, str) else type(value).__name__


def _read(value: Any) -> TrackMeta:
    text = _as_text(value)
    if len(text) > MAX_DIDL_BYTES:
        raise _Unreadable(f"{len(text)} characters (over {MAX_DIDL_BYTES})")
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        raise _Unreadable("it declares a DTD or entities")
    try:
        root = _parse(text)
    except _Unreadable:
        # Not well-formed: read it as SoCo reads the same item in an event (it recovers what it can).
        recovered = _soco_reading(text)
        if recovered is None:
            raise
        root = _parse(recovered)
    return _from_root(root)


def _parse(text: str) -> ET.Element:
    try:
        return ET.fromstring(text)  # noqa: S314 - DTDs refused before; an entity cannot be declared without one
    except ET.ParseError as err:
        raise _Unreadable(f"malformed ({err})") from None
    except ValueError as err:  # text that cannot be encoded (lone surrogates)
        raise _Unreadable(f"not text ({type(err).__name__})") from None


def _from_root(root: ET.Element) -> TrackMeta:
    # The DIDL-Lite elements are found by their local names, as SoCo finds them (some senders leave out the
    # default namespace); the Dublin Core, UPnP and Sonos ones by their namespaces, as SoCo does too.
    if _local(root.tag) != "DIDL-Lite":
        raise _Unreadable(f"not DIDL-Lite (<{root.tag[:80]}>)")
    item = next((child for child in root if _local(child.tag) in ("item", "container")), None)
    if item is None:
        return EMPTY
    res = next((child for child in item if _local(child.tag) == "res"), None)
    return TrackMeta(
        title=_text(item, "dc:title"),
        artist=_text(item, "dc:creator"),
        album=_text(item, "upnp:album"),
        album_artist=_text(item, "r:albumArtist"),
        stream_content=_text(item, "r:streamContent"),
        upnp_class=_text(item, "upnp:class"),
        duration=_bounded(res.get("duration") if res is not None else None),
    )


def _local(tag: object) -> str:
    """An element's name without its namespace (comments and processing instructions have none)."""
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _text(item: ET.Element, tag: str) -> str | None:
    node = item.find(tag, NS)
    return None if node is None else _bounded(node.text)


def _bounded(text: str | None) -> str | None:
    if not text:
        return None
    return text.strip()[:_MAX_TEXT] or None


def _as_text(value: Any) -> str:
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError as err:
            raise _Unreadable(f"not UTF-8 ({err.reason} at byte {err.start})") from None
    if isinstance(value, str):
        return value
    # SoCo hands parsed DIDL objects, or a SoCoFault carrying the raw text when it could not parse it (a SoCoFault
    # raises its exception for any other attribute asked of it).
    raw = getattr(_attribute(value, "exception"), "metadata", None)
    if isinstance(raw, str):
        return raw
    if not callable(_attribute(value, "to_element")):
        raise _Unreadable(f"an object of type {type(value).__name__}")
    try:
        from soco.data_structures import to_didl_string  # noqa: PLC0415 - only for SoCo's objects

        return str(to_didl_string(value))
    except Exception as err:  # noqa: BLE001 - SoCo's object could not be written out: no metadata
        raise _Unreadable(f"SoCo's {type(value).__name__} cannot be written out ({type(err).__name__})") from None


def _attribute(value: object, name: str) -> Any:
    try:
        return getattr(value, name, None)
    except Exception:  # noqa: BLE001 - SoCoFault raises whatever it carries
        return None


def _soco_reading(text: str) -> str | None:
    """What SoCo makes of an item that is not well-formed (as in events), written out again; None when nothing."""
    try:
        from soco.data_structures import to_didl_string  # noqa: PLC0415 - SoCo's parser, as for events
        from soco.data_structures_entry import from_didl_string  # noqa: PLC0415

        items = from_didl_string(text)
        return str(to_didl_string(*items[:1])) if items else None
    except Exception:  # noqa: BLE001 - SoCo (lxml) could not read it either
        return None
