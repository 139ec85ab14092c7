"""GENA through SoCo's asyncio events: initial event, events on changes, SEQ, renewal, expiry, unsubscribe."""

from __future__ import annotations

import aiohttp
import pytest
from soco.data_structures import DidlMusicTrack

from emulator import ManualClock, Station, StreamSong, Track
from emulator.media import AD_MARKER

from .conftest import MakeHousehold
from .helpers import call, connect, subscribe

QUEUE = [
    Track.spotify(
        "4uLU6hMCjMI75M1A2tKUQC", "Never Gonna Give You Up", "Rick Astley", "Whenever You Need Somebody", 213
    ),
    Track.apple_music("1452859441", "Take On Me", "a-ha", "Hunting High and Low", 225),
    Track.local(
        "nas/music/Queen/A Night at the Opera/11 Bohemian Rhapsody.flac", "Bohemian Rhapsody", "Queen", duration=354
    ),
]


async def test_initial_event_and_events_on_changes(make_household: MakeHousehold, clock: ManualClock) -> None:
    household = await make_household("Living Room")
    living = household.speakers[0]
    await living.play_queue(
        QUEUE, container_uri="x-rincon-cpcontainer:1006206cspotify%3aplaylist%3a37i9", container_title="80s"
    )
    speaker = await connect(living.ip)
    events = await subscribe(speaker.avTransport)

    initial = await events.next()
    assert initial.seq == "0"
    assert initial.variables["transport_state"] == "PLAYING"
    assert initial.variables["current_track_uri"] == QUEUE[0].uri
    assert initial.variables["av_transport_uri"] == f"x-rincon-queue:{living.uid}#0"
    assert initial.variables["enqueued_transport_uri"] == "x-rincon-cpcontainer:1006206cspotify%3aplaylist%3a37i9"
    assert initial.variables["enqueued_transport_uri_meta_data"].title == "80s"
    metadata = initial.variables["current_track_meta_data"]
    assert isinstance(metadata, DidlMusicTrack)
    assert (metadata.title, metadata.creator, metadata.album) == (
        "Never Gonna Give You Up",
        "Rick Astley",
        "Whenever You Need Somebody",
    )
    assert initial.variables["current_track_duration"] == "0:03:33"
    assert initial.variables["next_track_uri"] == QUEUE[1].uri

    await call(speaker.pause)
    paused = await events.next()
    assert (paused.seq, paused.variables["transport_state"]) == ("1", "PAUSED_PLAYBACK")
    await call(speaker.play)
    assert (await events.next()).variables["transport_state"] == "PLAYING"

    # The track ends on the clock: the queue moves on, with one event.
    await clock.advance(213)
    changed = await events.next()
    assert changed.seq == "3"
    assert changed.variables["current_track_uri"] == QUEUE[1].uri
    assert changed.variables["current_track"] == "2"
    assert changed.variables["transport_state"] == "PLAYING"
    await events.none()

    # Seek is an event too.
    await call(speaker.seek, "0:01:00")
    assert (await events.next()).seq == "4"

    # End of the queue: STOPPED, back at the first track.
    await clock.advance(225 - 60 + 354)
    third = await events.next()
    assert third.variables["current_track_uri"] == QUEUE[2].uri
    stopped = await events.next()
    assert stopped.variables["transport_state"] == "STOPPED"
    assert stopped.variables["current_track"] == "1"
    assert stopped.seq == "6"
    await events.subscription.unsubscribe()


async def test_repeat_one_sends_no_event(make_household: MakeHousehold, clock: ManualClock) -> None:
    """REPEAT_ONE: the track restarts at its end without an event, like a real speaker."""
    household = await make_household("Living Room")
    living = household.speakers[0]
    await living.play_queue(QUEUE)
    await living.set_play_mode("REPEAT_ONE")
    speaker = await connect(living.ip)
    events = await subscribe(speaker.avTransport)
    assert (await events.next()).variables["current_play_mode"] == "REPEAT_ONE"
    await clock.advance(213 + 10)
    await events.none()
    assert living.state.repeats == 1
    info = await call(speaker.get_current_track_info)
    assert (info["uri"], info["position"]) == (QUEUE[0].uri, "0:00:10")
    await events.subscription.unsubscribe()


async def test_radio_metadata_changes_are_evented(make_household: MakeHousehold, clock: ManualClock) -> None:
    household = await make_household("Kitchen")
    kitchen = household.speakers[0]
    station = Station.tunein(
        "s24861",
        "DR P3",
        (
            StreamSong.artist_title("Daft Punk", "One More Time", 200),
            StreamSong.ad_break(60),
            StreamSong.tagged("Couleurs", "M83", "Saturdays = Youth", 250),
        ),
        stream_uri="x-sonosapi-stream:s24861?sid=254&flags=8224&sn=0",
    )
    await kitchen.play_radio(station)
    speaker = await connect(kitchen.ip)
    events = await subscribe(speaker.avTransport)
    first = await events.next()
    assert first.variables["current_track_duration"] == "0:00:00"
    assert first.variables["enqueued_transport_uri"] == station.uri
    assert first.variables["current_track_meta_data"].stream_content == "Daft Punk - One More Time"
    await clock.advance(200)
    assert (await events.next()).variables["current_track_meta_data"].stream_content == AD_MARKER
    await clock.advance(60)
    assert (await events.next()).variables["current_track_meta_data"].stream_content == (
        "TYPE=SNG|TITLE Couleurs|ARTIST M83|ALBUM Saturdays = Youth"
    )
    info = await call(speaker.get_current_track_info)
    assert (info["title"], info["artist"], info["album"]) == ("Couleurs", "M83", "Saturdays = Youth")
    # The program starts again after its end.
    await clock.advance(250)
    assert (await events.next()).variables["current_track_meta_data"].stream_content == "Daft Punk - One More Time"
    await events.subscription.unsubscribe()


async def test_renew_unsubscribe_and_expiry(make_household: MakeHousehold, clock: ManualClock) -> None:
    household = await make_household("Living Room")
    living = household.speakers[0]
    speaker = await connect(living.ip)
    events = await subscribe(speaker.avTransport, requested_timeout=600)
    subscription = events.subscription
    assert subscription.timeout == 600
    await events.next()
    await clock.advance(500)
    await subscription.renew()
    await clock.advance(500)  # 1000 s after subscribing, 500 after renewing: still alive
    assert len(living.gena.subscriptions) == 1
    await living.set_volume(30)  # not an AVTransport change
    await living.play_queue(QUEUE)
    assert (await events.next()).seq == "1"
    await subscription.unsubscribe()
    assert living.gena.subscriptions == {}

    # A subscription that is not renewed expires on the clock; its renewal then gets 412.
    other = await subscribe(speaker.renderingControl, requested_timeout=60)
    volume = await other.next()
    assert volume.variables["volume"]["Master"] == "30"
    await clock.advance(61)
    assert living.gena.subscriptions == {}
    with pytest.raises(aiohttp.ClientResponseError) as refused:
        await other.subscription.renew()
    assert refused.value.status == 412


async def test_reboot_forgets_subscriptions(make_household: MakeHousehold) -> None:
    household = await make_household("Living Room", "Kitchen")
    living, kitchen = household.speakers
    speaker = await connect(living.ip)
    topology = await subscribe((await connect(kitchen.ip)).zoneGroupTopology)
    await topology.next()
    events = await subscribe(speaker.avTransport)
    await events.next()
    boot_seq = await call(lambda: speaker.boot_seqnum)
    await living.reboot()
    # The others see the new boot sequence in their topology events.
    zgs = (await topology.next()).variables["zone_group_state"]
    assert f'BootSeq="{boot_seq + 1}"' in zgs
    with pytest.raises(aiohttp.ClientResponseError) as refused:
        await events.subscription.renew()
    assert refused.value.status == 412
    await topology.subscription.unsubscribe()


async def test_unknown_sid_and_bad_subscribe_requests(make_household: MakeHousehold) -> None:
    household = await make_household("Living Room")
    url = f"http://{household.speakers[0].ip}:1400/MediaRenderer/AVTransport/Event"
    async with aiohttp.ClientSession() as session:
        for method, headers, status in (
            ("SUBSCRIBE", {"SID": "uuid:RINCON_nobody_sub0000000001"}, 412),
            ("UNSUBSCRIBE", {"SID": "uuid:RINCON_nobody_sub0000000001"}, 412),
            ("SUBSCRIBE", {"NT": "upnp:event"}, 412),
            ("SUBSCRIBE", {"SID": "uuid:x", "NT": "upnp:event", "CALLBACK": "<http://127.0.0.1:9/>"}, 400),
        ):
            async with session.request(method, url, headers=headers) as response:
                assert response.status == status, (method, headers)
        # A well-formed subscription gets SID and TIMEOUT (Sonos grants 86400 s when none is asked).
        headers = {"NT": "upnp:event", "CALLBACK": "<http://127.0.0.1:9/>"}
        async with session.request("SUBSCRIBE", url, headers=headers) as response:
            assert response.status == 200
            assert response.headers["SID"].startswith(f"uuid:{household.speakers[0].uid}_sub")
            assert response.headers["TIMEOUT"] == "Second-86400"


async def test_every_eventing_service_answers(make_household: MakeHousehold) -> None:
    """Home Assistant subscribes to more services than AVTransport: each gets an initial event."""
    household = await make_household("Living Room")
    speaker = await connect(household.speakers[0].ip)
    for service in (
        speaker.renderingControl,
        speaker.deviceProperties,
        speaker.zoneGroupTopology,
        speaker.alarmClock,
        speaker.contentDirectory,
        speaker.groupRenderingControl,
    ):
        events = await subscribe(service)
        event = await events.next()
        assert event.variables, service
        assert event.seq == "0"
        await events.subscription.unsubscribe()
