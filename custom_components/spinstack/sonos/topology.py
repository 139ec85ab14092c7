"""ZoneGroupState: every speaker of the household, its room, its address and its group's coordinator."""

from __future__ import annotations

from dataclasses import dataclass
import logging
from typing import Any
from urllib.parse import urlsplit
import xml.etree.ElementTree as ET

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class GroupMember:
    """One visible speaker of a ZoneGroupState."""

    uid: str
    room: str
    host: str | None
    coordinator: str
    boot_seq: int | None


# Seconds a speaker has to answer a SOAP request made while setting up (SoCo's own default is 20).
REQUEST_TIMEOUT = 5.0


def read_zone_group_state(device: Any, timeout: float = REQUEST_TIMEOUT) -> dict[str, GroupMember]:
    """Ask a speaker (a SoCo device) for its household's ZoneGroupState. Blocking: run it off the event loop."""
    state = device.zoneGroupTopology.GetZoneGroupState(timeout=timeout)["ZoneGroupState"]
    return parse_zone_group_state(str(state))


def parse_zone_group_state(text: str) -> dict[str, GroupMember]:
    """Every visible member of the household, by uid. Invisible satellites (surrounds, subs) are left out."""
    if not text or "<!DOCTYPE" in text or "<!ENTITY" in text:
        return {}
    try:
        root = ET.fromstring(text)  # noqa: S314 - DTDs refused above; expat refuses entity bombs
    except ET.ParseError as err:
        _LOGGER.warning("Ignoring malformed ZoneGroupState (%s)", err)
        return {}
    members: dict[str, GroupMember] = {}
    for group in root.iter("ZoneGroup"):
        coordinator = group.get("Coordinator") or ""
        for member in group.findall("ZoneGroupMember"):
            uid = member.get("UUID")
            if not uid or member.get("Invisible") == "1":
                continue
            members[uid] = GroupMember(
                uid=uid,
                room=member.get("ZoneName") or uid,
                host=_host(member.get("Location") or ""),
                coordinator=coordinator or uid,
                boot_seq=_boot_seq(member.get("BootSeq")),
            )
    return members


_MAX_BOOT_DIGITS = 18


def _host(location: str) -> str | None:
    """The host of a member's description URL; None when there is none or it is not a URL."""
    if not location:
        return None
    try:
        return urlsplit(location).hostname
    except ValueError:
        _LOGGER.debug("Ignoring a malformed Location in ZoneGroupState: %.100r", location)
        return None


def _boot_seq(boot: str | None) -> int | None:
    """A member's boot sequence: ASCII digits only (``isdigit`` also takes "²"), and a number of sane size."""
    if not boot or not boot.isascii() or not boot.isdigit() or len(boot) > _MAX_BOOT_DIGITS:
        return None
    return int(boot)
