"""The emulator's payloads have the shape of payloads captured from real speakers (../shared/fixtures/sonos-real)."""

from __future__ import annotations

from typing import Any
import xml.etree.ElementTree as ET

import pytest
from soco.data_structures import DidlObject
from soco.data_structures_entry import from_didl_string
from soco.events_base import parse_event_xml
from soco.exceptions import SoCoFault

from emulator import ManualClock, Station, StreamSong, Track
from emulator.didl import parse_hms

from .conftest import MakeHousehold, fixture_json, fixture_text
from .helpers import call, connect, subscribe

LINE_IN_UID = "RINCON_949F3E5352EC01400"
FIXTURE_SPEAKER_HOST = "http://192.168.1.101:1400"


def _item(metadata: str) -> ET.Element:
    root = ET.fromstring(metadata)
    item = root.find("{urn:schemas-upnp-org:metadata-1-0/DIDL-Lite/}item")
    assert item is not None
    return item


def _text(item: ET.Element, tag: str) -> str:
    return item.findtext(tag, "") or ""


def _scripted_from_fixture(data: dict[str, str]) -> Track | Station:
    """What the emulator is told to play to reproduce a captured GetPositionInfo."""
    item = _item(data["TrackMetaData"])
    content = _text(item, "{urn:schemas-rinconnetworks-com:metadata-1-0/}streamContent")
    uri = data["TrackURI"]
    if data["TrackDuration"] == "0:00:00" and _text(item, "{urn:schemas-upnp-org:metadata-1-0/upnp/}class") == (
        "object.item"
    ):
        return Station(uri=uri, name="Station", program=(StreamSong.talk(content, 3600),))
    if uri.startswith("x-file-cifs://"):
        return Track.local(
            uri.removeprefix("x-file-cifs://"),
            title=_text(item, "{http://purl.org/dc/elements/1.1/}title"),
            artist=_text(item, "{http://purl.org/dc/elements/1.1/}creator"),
            album=_text(item, "{urn:schemas-upnp-org:metadata-1-0/upnp/}album"),
            duration=parse_hms(data["TrackDuration"]),
            album_artist=_text(item, "{urn:schemas-rinconnetworks-com:metadata-1-0/}albumArtist"),
            track_number=int(_text(item, "{urn:schemas-upnp-org:metadata-1-0/upnp/}originalTrackNumber")),
            art_version=265,
        )
    # Programmed radio and services with their own metadata: replay the captured DIDL-Lite as it is.
    return Track(uri=uri, title="", duration=parse_hms(data["TrackDuration"]), metadata=data["TrackMetaData"])


@pytest.mark.parametrize(
    ("name", "generated"),
    [
        ("cifs.json", True),
        ("tunein.json", True),
        ("tunein_2.json", True),
        ("bbc.json", True),
        ("pandora.json", False),
        ("sonos_radio.json", False),
    ],
)
async def test_position_info_matches_real_speakers(
    make_household: MakeHousehold, clock: ManualClock, name: str, generated: bool
) -> None:
    """GetPositionInfo of the same track gives, through SoCo, what a real speaker gave; for local tracks and
    radio the emulator's own DIDL-Lite is byte for byte the captured one."""
    data = fixture_json(name)
    household = await make_household("Living Room")
    living = household.speakers[0]
    scripted = _scripted_from_fixture(data["input"])
    if isinstance(scripted, Station):
        await living.play_radio(scripted)
    else:
        await living.play_queue([scripted])
    await clock.advance(parse_hms(data["input"]["RelTime"]))

    speaker = await connect(living.ip)
    result = await call(speaker.get_current_track_info)

    expected = dict(data["result"])
    expected["album_art"] = expected["album_art"].replace(FIXTURE_SPEAKER_HOST, f"http://{living.ip}:1400")
    assert result == expected
    if generated:
        assert result["metadata"] == data["input"]["TrackMetaData"]
    raw = await call(speaker.avTransport.GetPositionInfo, [("InstanceID", 0), ("Channel", "Master")])
    assert sorted(raw) == sorted(data["input"])
    assert raw == {**data["input"], "TrackMetaData": result["metadata"]}


def _fixture_last_change() -> str:
    root = ET.fromstring(fixture_text("source_linein.xml"))
    last_change = root.find("{urn:schemas-upnp-org:event-1-0}property/LastChange")
    assert last_change is not None
    assert last_change.text is not None
    return last_change.text


def _comparable(variables: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in variables.items():
        if isinstance(value, DidlObject):
            out[key] = ("didl", type(value).__name__, value.to_dict())
        elif isinstance(value, SoCoFault):
            out[key] = ("fault", str(value.exception))
        else:
            out[key] = value
    return out


async def test_line_in_last_change_is_a_real_speakers(make_household: MakeHousehold) -> None:
    """The AVTransport NOTIFY body for line-in carries the captured LastChange exactly, and parses alike."""
    household = await make_household("Living Room", uids=[LINE_IN_UID])
    living = household.speakers[0]
    await living.line_in()

    body = living.event_body("AVTransport")
    root = ET.fromstring(body)
    last_change = root.find("{urn:schemas-upnp-org:event-1-0}property/LastChange")
    assert last_change is not None
    assert last_change.text == _fixture_last_change()

    ours = parse_event_xml(body.encode())
    theirs = parse_event_xml(fixture_text("source_linein.xml").encode())
    assert _comparable(ours) == _comparable(theirs)
    assert ours["transport_state"] == "PLAYING"
    assert ours["current_track_uri"] == f"x-rincon-stream:{LINE_IN_UID}"


async def test_line_in_event_over_gena_parses_like_the_fixture(make_household: MakeHousehold) -> None:
    """The same through a real subscription: the initial event's variables are those of the captured NOTIFY."""
    household = await make_household("Living Room", uids=[LINE_IN_UID])
    living = household.speakers[0]
    await living.line_in()
    speaker = await connect(living.ip)
    events = await subscribe(speaker.avTransport)
    event = await events.next()
    theirs = parse_event_xml(fixture_text("source_linein.xml").encode())
    assert _comparable(event.variables) == _comparable(theirs)
    await events.subscription.unsubscribe()


def _zgs_shape(xml: str) -> list[tuple[str, tuple[str, ...]]]:
    root = ET.fromstring(xml)
    shape: list[tuple[str, tuple[str, ...]]] = [(root.tag, tuple(sorted(root.attrib)))]
    groups = root.find("ZoneGroups")
    assert groups is not None
    shape.append((groups.tag, tuple(sorted(groups.attrib))))
    for group in groups:
        shape.append((group.tag, tuple(sorted(group.attrib))))
        shape.extend((member.tag, tuple(sorted(member.attrib))) for member in group)
    return shape


async def test_zone_group_state_has_the_shape_of_a_real_group(make_household: MakeHousehold) -> None:
    """A two-speaker group's ZoneGroupState has the captured elements and attributes, and SoCo reads it."""
    household = await make_household("Living Room", "Bedroom")
    living, bedroom = household.speakers
    await bedroom.join(living)
    ours = household.zone_group_state()
    assert _zgs_shape(ours) == _zgs_shape(fixture_text("zgs_group.xml"))
    group = ET.fromstring(ours).find("ZoneGroups/ZoneGroup")
    assert group is not None
    assert group.get("Coordinator") == living.uid
    assert [member.get("ZoneName") for member in group] == ["Living Room", "Bedroom"]

    speaker = await connect(bedroom.ip)
    coordinator, names = await call(
        lambda: (speaker.group.coordinator.uid, {member.player_name for member in speaker.group.members})
    )
    assert coordinator == living.uid
    assert names == {"Living Room", "Bedroom"}


async def test_didl_items_from_real_speakers_are_played(make_household: MakeHousehold) -> None:
    """Items as real speakers list them (track.xml, audio_broadcast.xml) go into the queue and the transport."""
    household = await make_household("Living Room")
    living = household.speakers[0]
    speaker = await connect(living.ip)

    track = from_didl_string(fixture_text("track.xml"))[0]
    await call(speaker.clear_queue)
    await call(speaker.add_to_queue, track)
    await call(speaker.play_from_queue, 0)
    info = await call(speaker.get_current_track_info)
    assert (info["title"], info["artist"], info["album"]) == (
        "17 - Track 17",
        "Den sorte skole",
        "Lektion #1 (Mix tape)",
    )
    assert info["uri"] == track.resources[0].uri
    assert (await call(speaker.get_current_transport_info))["current_transport_state"] == "PLAYING"

    broadcast = from_didl_string(fixture_text("audio_broadcast.xml"))[0]
    metadata = fixture_text("audio_broadcast.xml")
    await call(speaker.play_uri, broadcast.resources[0].uri, metadata)
    media = await call(speaker.get_current_media_info)
    assert media == {"uri": broadcast.resources[0].uri, "channel": "DR P3 93.9 (Euro Hits)"}
    assert await call(lambda: speaker.is_playing_radio)
