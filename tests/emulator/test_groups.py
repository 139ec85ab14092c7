"""Groups: joining, leaving and handing over, as SoCo sees them in transport URIs, topology and events."""

from __future__ import annotations

from emulator import ManualClock, Track, TransportState

from .conftest import MakeHousehold
from .helpers import call, connect, subscribe

QUEUE = [
    Track.spotify("0VjIjW4GlUZAMYd2vXMi3b", "Blinding Lights", "The Weeknd", "After Hours", 200),
    Track.spotify("7qiZfU4dY1lWllzX7mPBI3", "Shape of You", "Ed Sheeran", "Divide", 233),
]


async def test_join_and_leave_through_soco(make_household: MakeHousehold) -> None:
    household = await make_household("Living Room", "Kitchen", "Bedroom")
    living, kitchen, bedroom = household.speakers
    await living.play_queue(QUEUE)
    living_soco, bedroom_soco = await connect(living.ip), await connect(bedroom.ip)
    kitchen_topology = await subscribe((await connect(kitchen.ip)).zoneGroupTopology)
    await kitchen_topology.next()
    bedroom_events = await subscribe(bedroom_soco.avTransport)
    assert (await bedroom_events.next()).variables["transport_state"] == "STOPPED"

    await call(bedroom_soco.join, living_soco)
    follower = await bedroom_events.next()
    assert follower.variables["av_transport_uri"] == f"x-rincon:{living.uid}"
    assert follower.variables["current_track_uri"] == f"x-rincon:{living.uid}"
    assert follower.variables["transport_state"] == "PLAYING"
    # Every speaker's topology subscribers hear of the new group.
    topology = await kitchen_topology.next()
    assert topology.variables["zone_group_name"] == "Kitchen"
    assert f'<ZoneGroup Coordinator="{living.uid}"' in topology.variables["zone_group_state"]

    await call(living_soco.zone_group_state.clear_cache)
    coordinator, members, zones = await call(
        lambda: (
            bedroom_soco.group.coordinator.uid,
            {member.uid for member in bedroom_soco.group.members},
            {zone.player_name for zone in bedroom_soco.all_zones},
        )
    )
    assert coordinator == living.uid
    assert members == {living.uid, bedroom.uid}
    assert zones == {"Living Room", "Kitchen", "Bedroom"}
    assert not await call(lambda: bedroom_soco.is_coordinator)
    info = await call(bedroom_soco.avTransport.GetPositionInfo, [("InstanceID", 0)])
    assert info["TrackURI"] == f"x-rincon:{living.uid}"

    # The coordinator's changes are the group's: its members send events too.
    await call(living_soco.pause)
    assert (await bedroom_events.next()).variables["transport_state"] == "PAUSED_PLAYBACK"
    assert (await call(bedroom_soco.get_current_transport_info))["current_transport_state"] == "PAUSED_PLAYBACK"

    await call(bedroom_soco.unjoin)
    alone = await bedroom_events.next()
    assert alone.variables["av_transport_uri"] == f"x-rincon-queue:{bedroom.uid}#0"
    assert alone.variables["transport_state"] == "STOPPED"
    assert await call(lambda: bedroom_soco.is_coordinator)
    assert living.transport_state is TransportState.PAUSED_PLAYBACK
    await kitchen_topology.subscription.unsubscribe()
    await bedroom_events.subscription.unsubscribe()


async def test_coordinator_leaving_hands_the_group_over(make_household: MakeHousehold, clock: ManualClock) -> None:
    """When the coordinator leaves, the first member takes over: the same track, at the same position."""
    household = await make_household("Living Room", "Bedroom", "Kitchen")
    living, bedroom, kitchen = household.speakers
    await living.play_queue(QUEUE)
    await bedroom.join(living)
    await kitchen.join(living)
    await clock.advance(50)
    bedroom_soco = await connect(bedroom.ip)
    events = await subscribe(bedroom_soco.avTransport)
    assert (await events.next()).variables["current_track_uri"] == f"x-rincon:{living.uid}"

    await living.leave()
    took_over = await events.next()
    assert took_over.variables["current_track_uri"] == QUEUE[0].uri
    assert took_over.variables["av_transport_uri"] == f"x-rincon-queue:{bedroom.uid}#0"
    assert took_over.variables["transport_state"] == "PLAYING"
    assert bedroom.position == 50
    assert kitchen.coordinator is bedroom
    assert living.transport_state is TransportState.STOPPED
    await clock.advance(150)
    assert (await events.next()).variables["current_track_uri"] == QUEUE[1].uri
    # SoCo caches a polled topology for 5 s: ask afresh.
    await call(bedroom_soco.zone_group_state.clear_cache)
    coordinator = await call(lambda: bedroom_soco.group.coordinator.uid)
    assert coordinator == bedroom.uid
    await events.subscription.unsubscribe()


async def test_delegation_and_group_attributes(make_household: MakeHousehold) -> None:
    household = await make_household("Living Room", "Bedroom")
    living, bedroom = household.speakers
    await living.play_queue(QUEUE)
    await bedroom.join(living)
    attributes = await call((await connect(bedroom.ip)).zoneGroupTopology.GetZoneGroupAttributes)
    assert attributes["CurrentZoneGroupName"] == "Living Room + 1"
    assert attributes["CurrentZonePlayerUUIDsInGroup"] == f"{living.uid},{bedroom.uid}"
    living_soco = await connect(living.ip)
    await call(
        living_soco.avTransport.DelegateGroupCoordinationTo,
        [("InstanceID", 0), ("NewCoordinator", bedroom.uid), ("RejoinGroup", 1)],
    )
    assert living.coordinator is bedroom
    assert bedroom.transport_state is TransportState.PLAYING
    assert household.members_of(bedroom) == [bedroom, living]


async def test_offline_speakers_leave_the_topology(make_household: MakeHousehold) -> None:
    household = await make_household("Living Room", "Kitchen")
    living, kitchen = household.speakers
    topology = await subscribe((await connect(living.ip)).zoneGroupTopology)
    assert kitchen.uid in (await topology.next()).variables["zone_group_state"]
    await kitchen.go_offline(vanish_reason="powered off")
    zgs = (await topology.next()).variables["zone_group_state"]
    assert f'<ZoneGroup Coordinator="{kitchen.uid}"' not in zgs
    assert f'<Device UUID="{kitchen.uid}" ZoneName="Kitchen" Reason="powered off"' in zgs
    await kitchen.come_online()
    assert f'<ZoneGroup Coordinator="{kitchen.uid}"' in (await topology.next()).variables["zone_group_state"]
    await topology.subscription.unsubscribe()
