"""Fault switches: NOTIFYs dropped, delayed, duplicated, reordered, malformed, oversized; renewals refused; a
speaker offline (connection refused, or no answer) and back."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web
import pytest
import requests

from emulator import ManualClock, Track

from .conftest import MakeHousehold
from .helpers import call, connect, subscribe

TRACK = Track.deezer("3135556", "Harder, Better, Faster, Stronger", "Daft Punk", "Discovery", 224)


async def test_dropped_notifies_leave_a_seq_gap(make_household: MakeHousehold) -> None:
    household = await make_household("Living Room")
    living = household.speakers[0]
    await living.play_queue([TRACK])
    speaker = await connect(living.ip)
    events = await subscribe(speaker.avTransport)
    await events.next()
    living.faults.drop_notifies = True
    await living.pause()
    await events.none(0.2)
    living.faults.drop_notifies = False
    await living.play()
    event = await events.next()
    assert (event.seq, event.variables["transport_state"]) == ("2", "PLAYING")
    await events.subscription.unsubscribe()


async def test_delayed_duplicated_and_reordered_notifies(make_household: MakeHousehold) -> None:
    household = await make_household("Living Room")
    living = household.speakers[0]
    await living.play_queue([TRACK])
    speaker = await connect(living.ip)
    events = await subscribe(speaker.avTransport)
    await events.next()

    living.faults.notify_delay = 0.4
    await living.pause()
    await events.none(0.2)
    assert (await events.next()).seq == "1"
    living.faults.notify_delay = 0.0

    living.faults.duplicate_notifies = True
    await living.play()
    first, second = await events.next(), await events.next()
    assert (first.seq, second.seq) == ("2", "2")
    living.faults.duplicate_notifies = False

    living.faults.reorder_notifies = True
    await living.pause()
    await living.play()
    assert [(await events.next()).seq for _ in range(2)] == ["4", "3"]
    # A lone NOTIFY still goes out, after the reorder window.
    await living.pause()
    assert (await events.next(within=2)).seq == "5"
    await events.subscription.unsubscribe()


async def test_refused_renewals(make_household: MakeHousehold) -> None:
    household = await make_household("Living Room")
    living = household.speakers[0]
    events = await subscribe((await connect(living.ip)).avTransport)
    await events.next()
    living.faults.refuse_renewals = True
    with pytest.raises(aiohttp.ClientResponseError) as refused:
        await events.subscription.renew()
    assert refused.value.status == 412


@pytest.fixture
async def notify_sink() -> AsyncIterator[tuple[str, list[tuple[dict[str, str], bytes]]]]:
    """A bare NOTIFY receiver: its callback URL, and every (headers, body) it got."""
    received: list[tuple[dict[str, str], bytes]] = []

    async def notify(request: web.Request) -> web.Response:
        received.append((dict(request.headers), await request.read()))
        return web.Response()

    app = web.Application()
    app.router.add_route("NOTIFY", "/", notify)
    runner = web.AppRunner(app, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    server = site._server
    assert isinstance(server, asyncio.Server)
    port = server.sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}/", received
    await runner.cleanup()


async def _raw_subscribe(ip: str, callback: str) -> str:
    async with (
        aiohttp.ClientSession() as session,
        session.request(
            "SUBSCRIBE",
            f"http://{ip}:1400/MediaRenderer/AVTransport/Event",
            headers={"NT": "upnp:event", "CALLBACK": f"<{callback}>", "TIMEOUT": "Second-3600"},
        ) as response,
    ):
        assert response.headers["TIMEOUT"] == "Second-3600"
        return response.headers["SID"]


async def test_malformed_and_oversized_notifies(
    make_household: MakeHousehold, notify_sink: tuple[str, list[tuple[dict[str, str], bytes]]]
) -> None:
    callback, received = notify_sink
    household = await make_household("Living Room")
    living = household.speakers[0]
    await living.play_queue([TRACK])
    sid = await _raw_subscribe(living.ip, callback)
    await household.settle()
    headers, body = received[0]
    assert (headers["SID"], headers["SEQ"], headers["NT"], headers["NTS"]) == (
        sid,
        "0",
        "upnp:event",
        "upnp:propchange",
    )
    assert body.startswith(b'<e:propertyset xmlns:e="urn:schemas-upnp-org:event-1-0">')

    living.faults.malformed_notifies = True
    await living.pause()
    await household.settle()
    assert not received[1][1].endswith(b"</e:propertyset>")
    living.faults.clear()

    living.faults.oversized_metadata = 300_000
    await living.play()
    await household.settle()
    assert len(received[2][1]) > 300_000


async def test_oversized_metadata_reaches_soco(make_household: MakeHousehold) -> None:
    household = await make_household("Living Room")
    living = household.speakers[0]
    living.faults.oversized_metadata = 200_000
    await living.play_queue([TRACK])
    events = await subscribe((await connect(living.ip)).avTransport)
    event = await events.next()
    assert event.variables["current_track_meta_data"].title == TRACK.title
    await events.subscription.unsubscribe()


async def test_offline_refused_and_back(make_household: MakeHousehold) -> None:
    household = await make_household("Living Room")
    living = household.speakers[0]
    await living.play_queue([TRACK])
    speaker = await connect(living.ip)
    events = await subscribe(speaker.avTransport)
    await events.next()

    await living.go_offline()
    with pytest.raises(requests.exceptions.ConnectionError):
        await call(speaker.get_current_transport_info)
    await living.pause()  # happens while nobody can hear of it
    await events.none(0.2)

    await living.come_online()
    assert (await call(speaker.get_current_transport_info))["current_transport_state"] == "PAUSED_PLAYBACK"
    await living.play()
    assert (await events.next()).seq == "2"
    await events.subscription.unsubscribe()


async def test_offline_silent_and_back(make_household: MakeHousehold) -> None:
    household = await make_household("Living Room")
    living = household.speakers[0]
    speaker = await connect(living.ip)
    await living.go_offline(refuse=False)
    with pytest.raises(requests.exceptions.ReadTimeout):
        await call(speaker.avTransport.GetTransportInfo, [("InstanceID", 0)], timeout=0.3)
    await living.come_online()
    await asyncio.sleep(0)
    assert (await call(speaker.get_current_transport_info))["current_transport_state"] == "STOPPED"


async def test_reboot_with_downtime_follows_the_clock(make_household: MakeHousehold, clock: ManualClock) -> None:
    household = await make_household("Living Room", "Bedroom")
    living, bedroom = household.speakers
    await living.play_queue([TRACK])
    await bedroom.join(living)
    speaker = await connect(living.ip)
    boot_seq = await call(lambda: speaker.boot_seqnum)
    await living.reboot(downtime=90)
    assert bedroom.coordinator is bedroom
    with pytest.raises(requests.exceptions.ConnectionError):
        await call(speaker.get_current_transport_info)
    await clock.advance(90)
    assert (await call(speaker.get_current_transport_info))["current_transport_state"] == "STOPPED"
    await call(speaker.zone_group_state.clear_cache)
    assert await call(lambda: speaker.boot_seqnum) == boot_seq + 1
