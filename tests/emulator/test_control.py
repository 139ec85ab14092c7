"""Plain SoCo against an emulated speaker: identity, descriptions, transport control and UPnP faults."""

from __future__ import annotations

import aiohttp
import pytest
from soco.exceptions import SoCoUPnPException

from emulator import ManualClock, Station, StreamSong, Track
from emulator.description import SERVICES

from .conftest import MakeHousehold
from .helpers import call, connect

ATTRIBUTES = {"AVTransport": "avTransport"}
QUEUE = [
    Track.spotify("6rqhFgbbKwnb9MLmUQDhG6", "Speak to Me", "Pink Floyd", "The Dark Side of the Moon", 90),
    Track.apple_music("1440857781", "Breathe", "Pink Floyd", "The Dark Side of the Moon", 163),
    Track.deezer("3135553", "Time", "Pink Floyd", "The Dark Side of the Moon", 413),
]


async def test_identity_and_speaker_info(make_household: MakeHousehold) -> None:
    household = await make_household("Living Room", "Kitchen")
    kitchen = household.speakers[1]
    assert kitchen.ip == "127.0.0.3"
    speaker = await connect(kitchen.ip)
    assert await call(lambda: (speaker.uid, speaker.player_name, speaker.household_id)) == (
        kitchen.uid,
        "Kitchen",
        household.household_id,
    )
    info = await call(speaker.get_speaker_info)
    assert info["zone_name"] == "Kitchen"
    assert info["uid"] == kitchen.uid
    assert info["model_name"] == "Sonos One"
    assert info["mac_address"] == kitchen.mac.replace(":", "-")
    attributes = await call(speaker.deviceProperties.GetZoneAttributes)
    assert attributes["CurrentZoneName"] == "Kitchen"
    assert (await call(speaker.deviceProperties.GetZoneInfo))["IPAddress"] == kitchen.ip


async def test_every_service_lists_its_actions_through_soco(make_household: MakeHousehold) -> None:
    """The SCPDs are valid for SoCo: it reads every action and argument type from them."""
    household = await make_household("Living Room")
    speaker = await connect(household.speakers[0].ip)
    for spec in SERVICES:
        service = getattr(speaker, ATTRIBUTES.get(spec.name, spec.name[0].lower() + spec.name[1:]))
        actions = await call(lambda service=service: {action.name: action for action in service.iter_actions()})
        assert set(actions) == {action.name for action in spec.actions}
    seek = (await call(lambda: {action.name: action for action in speaker.avTransport.iter_actions()}))["Seek"]
    assert [argument.name for argument in seek.in_args] == ["InstanceID", "Unit", "Target"]
    assert seek.in_args[1].vartype.list == ["TRACK_NR", "REL_TIME", "TIME_DELTA"]


async def test_transport_control(make_household: MakeHousehold, clock: ManualClock) -> None:
    household = await make_household("Living Room")
    living = household.speakers[0]
    await living.play_queue(QUEUE, play=False)
    speaker = await connect(living.ip)

    async def state() -> str:
        info = await call(speaker.get_current_transport_info)
        return str(info["current_transport_state"])

    assert await state() == "STOPPED"
    await call(speaker.play)
    assert await state() == "PLAYING"
    await clock.advance(30)
    track = await call(speaker.get_current_track_info)
    assert (track["title"], track["position"], track["playlist_position"]) == ("Speak to Me", "0:00:30", "1")
    await call(speaker.pause)
    await clock.advance(30)
    assert await state() == "PAUSED_PLAYBACK"
    assert (await call(speaker.get_current_track_info))["position"] == "0:00:30"
    await call(speaker.seek, "0:01:00")
    assert living.position == 60
    await call(speaker.play)
    await call(speaker.next)
    track = await call(speaker.get_current_track_info)
    assert (track["title"], track["uri"], track["position"]) == ("Breathe", QUEUE[1].uri, "0:00:00")
    await call(speaker.seek, None, 2)
    assert (await call(speaker.get_current_track_info))["title"] == "Time"
    await call(speaker.previous)
    assert (await call(speaker.get_current_track_info))["title"] == "Breathe"
    await call(speaker.stop)
    assert await state() == "STOPPED"
    media = await call(speaker.get_current_media_info)
    assert media == {"uri": f"x-rincon-queue:{living.uid}#0", "channel": ""}
    await call(setattr, speaker, "play_mode", "REPEAT_ONE")
    assert await call(lambda: speaker.play_mode) == "REPEAT_ONE"
    await call(setattr, speaker, "volume", 42)
    assert await call(lambda: speaker.volume) == 42
    assert await call(lambda: speaker.available_actions) == [
        "Set",
        "Stop",
        "Pause",
        "Play",
        "SeekTime",
        "Next",
        "SeekTrackNr",
        "Previous",
    ]


async def test_play_uri_radio_line_in_and_tv(make_household: MakeHousehold, clock: ManualClock) -> None:
    household = await make_household("Living Room", "Kitchen")
    living, kitchen = household.speakers
    station = Station.tunein(
        "s24861", "DR P3", (StreamSong.artist_title("Daft Punk", "One More Time", 100),), stream_uri="aac://http://x/p3"
    )
    household.register(station)
    speaker = await connect(living.ip)
    await call(speaker.play_uri, station.uri, station.station_didl())
    info = await call(speaker.get_current_track_info)
    assert (info["artist"], info["title"], info["duration"], info["uri"]) == (
        "Daft Punk",
        "One More Time",
        "0:00:00",
        "aac://http://x/p3",
    )
    assert await call(speaker.get_current_media_info) == {"uri": station.uri, "channel": "DR P3"}

    await call(speaker.switch_to_line_in, await connect(kitchen.ip))
    assert await call(lambda: speaker.is_playing_line_in)
    assert (await call(speaker.get_current_transport_info))["current_transport_state"] == "PLAYING"
    await call(speaker.switch_to_tv)
    assert await call(lambda: speaker.is_playing_tv)

    track = QUEUE[0]
    await call(speaker.play_uri, track.uri, track.didl())
    await clock.advance(track.duration)
    assert (await call(speaker.get_current_transport_info))["current_transport_state"] == "STOPPED"


async def _fault_code(function: object, *args: object) -> str:
    with pytest.raises(SoCoUPnPException) as caught:
        await call(function, *args)
    return str(caught.value.error_code)


async def test_upnp_faults(make_household: MakeHousehold) -> None:
    household = await make_household("Living Room")
    living = household.speakers[0]
    speaker = await connect(living.ip)
    # Nothing to play: 701 transition not available.
    assert await _fault_code(speaker.play) == "701"
    # A URI no speaker plays: 714 illegal MIME type.
    assert await _fault_code(speaker.play_uri, "ftp://example.com/song.mp3") == "714"
    await living.play_queue(QUEUE[:1])
    # Beyond the track's end, or the queue's: 711 illegal seek target.
    assert await _fault_code(speaker.seek, "1:00:00") == "711"
    assert await _fault_code(speaker.next) == "711"
    assert await _fault_code(speaker.avTransport.Play, [("InstanceID", 1), ("Speed", 1)]) == "718"
    await living.line_in()
    assert await _fault_code(speaker.avTransport.Pause, [("InstanceID", 0)]) == "701"
    assert await _fault_code(speaker.avTransport.Next, [("InstanceID", 0)]) == "701"
    await living.play_radio(Station.tunein("s1", "Radio One"))
    assert await _fault_code(speaker.seek, "0:00:10") == "701"


async def test_raw_soap_faults(make_household: MakeHousehold) -> None:
    """Unknown actions (401) and missing arguments (402) are real UPnP faults, HTTP 500 with a SOAP body."""
    household = await make_household("Living Room")
    url = f"http://{household.speakers[0].ip}:1400/MediaRenderer/AVTransport/Control"
    service = "urn:schemas-upnp-org:service:AVTransport:1"

    def envelope(action: str, arguments: str) -> str:
        return (
            '<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" '
            's:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body>'
            f'<u:{action} xmlns:u="{service}">{arguments}</u:{action}></s:Body></s:Envelope>'
        )

    async with aiohttp.ClientSession() as session:
        for action, arguments, code in (
            ("Fly", "<InstanceID>0</InstanceID>", "401"),
            ("Seek", "<InstanceID>0</InstanceID><Unit>REL_TIME</Unit>", "402"),
        ):
            headers = {"SOAPACTION": f'"{service}#{action}"', "Content-Type": 'text/xml; charset="utf-8"'}
            async with session.post(url, data=envelope(action, arguments), headers=headers) as response:
                body = await response.text()
            assert response.status == 500
            assert f"<errorCode>{code}</errorCode>" in body
            assert "<faultstring>UPnPError</faultstring>" in body
