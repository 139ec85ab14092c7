"""A household of emulated speakers: topology and groups, the events that tie them together, and the async API
tests and scenarios script them with.

    household = Household(ManualClock())
    living = household.add_speaker("Living Room")        # 127.0.0.2:1400
    kitchen = household.add_speaker("Kitchen")           # 127.0.0.3:1400
    async with household:
        await living.play_queue([Track.spotify("4uLU6hMCjMI75M1A2tKUQC", "Never Gonna Give You Up", "Rick Astley")])
        await kitchen.join(living)
        await household.clock.advance(240)
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Sequence
import contextlib
import itertools
import logging
from types import TracebackType
from typing import Any, Self
import xml.etree.ElementTree as ET

from . import didl
from .clock import Clock, ManualClock
from .description import SOFTWARE_VERSION, DeviceInfo, device_description
from .gena import Faults, Gena
from .media import Station, Track, container_didl
from .server import SpeakerServer
from .speaker import (
    AV_TRANSPORT,
    ILLEGAL_MIME_TYPE,
    RENDERING_CONTROL,
    TRANSITION_NOT_AVAILABLE,
    ZONE_GROUP_TOPOLOGY,
    Source,
    Speaker,
    TransportState,
    UPnPError,
)

_LOGGER = logging.getLogger(__name__)

DEFAULT_HOUSEHOLD_ID = "Sonos_SpinStackEmulatedHousehold01"
RADIO_SCHEMES = (
    "x-sonosapi-stream:",
    "x-sonosapi-radio:",
    "x-sonosapi-hls:",
    "x-rincon-mp3radio:",
    "aac:",
    "hls-radio:",
)
TRACK_SCHEMES = ("x-sonos-spotify:", "x-sonos-http:", "x-file-cifs:", "x-sonosapi-hls-static:", "http:", "https:")
DIDL_NS = {
    "dc": "http://purl.org/dc/elements/1.1/",
    "upnp": "urn:schemas-upnp-org:metadata-1-0/upnp/",
    "didl": "urn:schemas-upnp-org:metadata-1-0/DIDL-Lite/",
}


def ip_after(ip: str, steps: int) -> str:
    """The IPv4 address `steps` after `ip`."""
    parts = [int(part) for part in ip.split(".")]
    value = (parts[0] << 24 | parts[1] << 16 | parts[2] << 8 | parts[3]) + steps
    return ".".join(str(value >> shift & 0xFF) for shift in (24, 16, 8, 0))


class EmulatedSpeaker:
    """One emulated speaker: its state (`state`), eventing (`gena`, `faults`) and HTTP server, scriptable."""

    def __init__(self, household: Household, state: Speaker, mac: str, port: int) -> None:
        self.household = household
        self.state = state
        self.mac = mac
        self.gena = Gena(household.clock, state.uid, self.event_body)
        self.server = SpeakerServer(self, port)
        self.online = True
        self.vanish_reason: str | None = None

    def __repr__(self) -> str:
        return f"<EmulatedSpeaker {self.name!r} {self.uid} at {self.ip}>"

    # -- identity ----------------------------------------------------------------------------------------------------
    @property
    def uid(self) -> str:
        """``RINCON_...``."""
        return self.state.uid

    @property
    def name(self) -> str:
        """The room name."""
        return self.state.name

    @property
    def ip(self) -> str:
        """The loopback address the speaker answers on."""
        return self.state.ip

    @property
    def faults(self) -> Faults:
        """This speaker's fault switches (see `emulator.gena.Faults`)."""
        return self.gena.faults

    @property
    def coordinator(self) -> EmulatedSpeaker:
        """The speaker coordinating this one's group."""
        return self.household.by_uid(self.state.group_coordinator.uid)

    @property
    def position(self) -> float:
        """Seconds into the current track."""
        return self.state.position

    @property
    def transport_state(self) -> TransportState:
        """PLAYING, PAUSED_PLAYBACK, STOPPED, ..."""
        return self.state.group_coordinator.state

    def device_description(self) -> str:
        """``/xml/device_description.xml``."""
        info = DeviceInfo(self.uid, self.ip, self.name, self.state.model_name, self.state.model_number, self.mac)
        return device_description(info)

    # -- events ------------------------------------------------------------------------------------------------------
    def event_body(self, service: str) -> str:
        """The NOTIFY body for `service`'s current state."""
        state = self.state
        if service == AV_TRANSPORT:
            variables = state.av_transport_variables(pad_metadata=self.faults.oversized_metadata)
            return didl.propertyset([("LastChange", didl.last_change(didl.AVT_EVENT_NS, variables))])
        if service == RENDERING_CONTROL:
            variables = state.rendering_control_variables()
            return didl.propertyset([("LastChange", didl.last_change(didl.RCS_EVENT_NS, variables))])
        if service == ZONE_GROUP_TOPOLOGY:
            return didl.propertyset(self.household.topology_properties(self))
        if service == "DeviceProperties":
            return didl.propertyset(
                [
                    ("ZoneName", state.name),
                    ("Icon", "x-rincon-roomicon:living"),
                    ("Configuration", "1"),
                    ("IsZoneBridge", "0"),
                    ("ChannelMapSet", ""),
                    ("HTSatChanMapSet", ""),
                    ("MicEnabled", "0"),
                ]
            )
        if service == "GroupRenderingControl":
            return didl.propertyset(
                [
                    ("GroupMute", "1" if state.muted else "0"),
                    ("GroupVolume", str(state.volume)),
                    ("GroupVolumeChangeable", "1"),
                ]
            )
        if service == "AlarmClock":
            return didl.propertyset([("AlarmListVersion", f"{self.uid}:1"), ("DailyIndexRefreshTime", "02:00:00")])
        if service == "ContentDirectory":
            return didl.propertyset([("SystemUpdateID", "1"), ("ContainerUpdateIDs", "Q:0,1")])
        if service == "Queue":
            return didl.propertyset(
                [("LastChange", '<Event xmlns="urn:schemas-sonos-com:metadata-1-0/Queue/"><QueueID val="0"/></Event>')]
            )
        return didl.propertyset([("SettingsReplicationState", "")])

    def _changed(self, state: Speaker, service: str) -> None:
        del state
        self.gena.notify(service)
        if service == AV_TRANSPORT:
            for follower in self.household.followers_of(self):
                follower.gena.notify(AV_TRANSPORT)

    # -- SOAP --------------------------------------------------------------------------------------------------------
    async def perform(self, service: str, action: str, arguments: dict[str, str]) -> list[tuple[str, str]]:
        """Carry out a SOAP action; returns its out-arguments or raises `UPnPError`."""
        from .control import perform  # noqa: PLC0415 (control needs the household, which imports this module)

        return await perform(self, service, action, arguments)

    # -- scripting: what to play -------------------------------------------------------------------------------------
    async def play_queue(
        self,
        tracks: Sequence[Track],
        *,
        start: int = 0,
        play: bool = True,
        container_uri: str = "",
        container_title: str = "",
    ) -> None:
        """Replace the queue with `tracks` and play it from index `start` (one event, like the Sonos app does).

        The enqueued URI is the queue's own (``x-rincon-queue:RINCON_...#0``) unless a container (a playlist or
        album, e.g. ``x-rincon-cpcontainer:1006206cspotify%3aplaylist%3a...``) is given.
        """
        state = self._coordinator_state()
        with state.batch():
            state.queue = list(tracks)
            state.queue_index = min(max(0, start), max(0, len(tracks) - 1))
            metadata = container_didl(container_title) if container_uri and container_title else ""
            state.load_queue(enqueued_uri=container_uri, enqueued_metadata=metadata)
            if play and tracks:
                state.play()

    async def add_to_queue(self, tracks: Sequence[Track]) -> None:
        """Append tracks to the queue."""
        self._coordinator_state().add_to_queue(list(tracks))

    async def play_track(self, track: Track, *, play: bool = True) -> None:
        """Play one track directly (its URI as the transport URI, not through the queue)."""
        state = self._coordinator_state()
        with state.batch():
            state.load_track(track)
            if play:
                state.play()

    async def play_radio(self, station: Station, *, play: bool = True) -> None:
        """Tune in to `station`; its program of stream metadata starts now."""
        self.household.register(station)
        state = self._coordinator_state()
        with state.batch():
            state.load_station(station)
            if play:
                state.play()

    async def line_in(self, source: EmulatedSpeaker | None = None) -> None:
        """Play a line-in (this speaker's own by default)."""
        await self._leave_group_first()
        self.state.load_line_in(source.uid if source is not None else None)

    async def tv(self) -> None:
        """Play the TV input (a soundbar's ``x-sonos-htastream:...:spdif``)."""
        await self._leave_group_first()
        self.state.load_tv()

    # -- scripting: transport ----------------------------------------------------------------------------------------
    async def play(self) -> None:
        """Play (resume)."""
        self._coordinator_state().play()

    async def pause(self) -> None:
        """Pause."""
        self._coordinator_state().pause()

    async def stop(self) -> None:
        """Stop."""
        self._coordinator_state().stop()

    async def next(self) -> None:
        """Next track."""
        self._coordinator_state().next()

    async def previous(self) -> None:
        """Previous track."""
        self._coordinator_state().previous()

    async def seek(self, seconds: float) -> None:
        """Seek within the current track."""
        self._coordinator_state().seek_time(seconds)

    async def seek_track(self, number: int) -> None:
        """Go to queue track `number` (1-based)."""
        self._coordinator_state().seek_track(number)

    async def set_play_mode(self, mode: str) -> None:
        """NORMAL, REPEAT_ALL, REPEAT_ONE, SHUFFLE, SHUFFLE_NOREPEAT, SHUFFLE_REPEAT_ONE."""
        self._coordinator_state().set_play_mode(mode)

    async def set_volume(self, volume: int) -> None:
        """Set the volume (a RenderingControl event)."""
        self.state.set_volume(volume)

    async def rename(self, name: str) -> None:
        """Rename the room (topology events to every speaker)."""
        self.state.name = name
        self.gena.notify("DeviceProperties")
        self.household.topology_changed()

    def _coordinator_state(self) -> Speaker:
        return self.state.group_coordinator

    async def _leave_group_first(self) -> None:
        if not self.state.is_coordinator or self.household.followers_of(self):
            self.household.leave(self)

    # -- scripting: groups -------------------------------------------------------------------------------------------
    async def join(self, other: EmulatedSpeaker) -> None:
        """Join `other`'s group (this speaker's transport becomes ``x-rincon:<coordinator>``)."""
        self.household.join(self, other)

    async def leave(self) -> None:
        """Leave the group; a coordinator hands the group over to its first member, which plays on."""
        self.household.leave(self)

    async def delegate_to(self, other: EmulatedSpeaker, *, rejoin: bool = True) -> None:
        """Hand the group's coordination to `other`, a member (this speaker stays in the group if `rejoin`)."""
        self.household.delegate(self, other, rejoin=rejoin)

    # -- scripting: network and power --------------------------------------------------------------------------------
    async def go_offline(self, *, refuse: bool = True, vanish_reason: str | None = None) -> None:
        """Drop off the network: connections refused (`refuse`) or left unanswered; no NOTIFY goes out.

        The other speakers' topology drops it (listing it in VanishedDevices when `vanish_reason` is given, e.g.
        ``"powered off"`` or ``"sleeping"``). Subscriptions survive, as on a real speaker briefly unreachable.
        """
        self.online = False
        self.vanish_reason = vanish_reason
        self.gena.online = False
        if refuse:
            await self.server.stop_listening()
        else:
            self.server.go_silent()
        self.household.topology_changed()

    async def come_online(self) -> None:
        """Answer again (and rejoin the others' topology)."""
        self.server.wake()
        await self.server.start()
        self.online = True
        self.vanish_reason = None
        self.gena.online = True
        self.household.topology_changed()

    async def reboot(self, *, downtime: float = 0.0) -> None:
        """Reboot: playback stops, the boot sequence (ZoneGroupState BootSeq) moves on and every subscription is
        forgotten (renewals then get 412). With `downtime` (clock seconds) the speaker refuses connections until
        the clock has moved that far (this returns at once; the speaker comes back on a clock timer)."""
        for follower in self.household.followers_of(self):
            follower.state.stand_alone()
            follower.gena.notify(AV_TRANSPORT)
        await self.gena.forget_all()
        self.state.reboot()
        if downtime <= 0:
            self.household.topology_changed()
            return
        await self.go_offline()
        self.household.clock.call_later(downtime, lambda: self.household.spawn(self.come_online()))


class Household:
    """Several emulated speakers sharing a household id and a clock."""

    def __init__(
        self,
        clock: Clock | None = None,
        *,
        household_id: str = DEFAULT_HOUSEHOLD_ID,
        first_ip: str = "127.0.0.2",
        port: int = 1400,
    ) -> None:
        self.clock: Clock = clock if clock is not None else ManualClock()
        self.household_id = household_id
        self.first_ip = first_ip
        self.port = port
        self.speakers: list[EmulatedSpeaker] = []
        self.catalogue: dict[str, Track | Station] = {}
        self._group_ids: dict[str, str] = {}
        self._group_serial = itertools.count(1)
        self._joined: dict[str, int] = {}
        self._join_serial = itertools.count()
        self._started = False
        self._tasks: set[asyncio.Task[None]] = set()

    # -- speakers ----------------------------------------------------------------------------------------------------
    def add_speaker(
        self,
        name: str,
        *,
        uid: str | None = None,
        ip: str | None = None,
        model_name: str = "Sonos One",
        model_number: str = "S18",
    ) -> EmulatedSpeaker:
        """Add a speaker (before `start`); by default on the next loopback address from 127.0.0.2."""
        if self._started:
            raise RuntimeError("add speakers before starting the household")
        ip = ip or ip_after(self.first_ip, len(self.speakers))
        octets = [int(part) for part in ip.split(".")]
        mac = "00:0E:58:{:02X}:{:02X}:{:02X}".format(*octets[1:])
        uid = uid or "RINCON_" + mac.replace(":", "") + "01400"
        if any(speaker.uid == uid or speaker.ip == ip for speaker in self.speakers):
            raise ValueError(f"a speaker with uid {uid} or ip {ip} exists already")
        state = Speaker(
            self.clock,
            uid=uid,
            name=name,
            ip=ip,
            model_name=model_name,
            model_number=model_number,
            boot_seq=octets[3] * 3 + 10,
            seed=octets[3],
        )
        speaker = EmulatedSpeaker(self, state, mac, self.port)
        state.on_change = speaker._changed  # noqa: SLF001 (the household wires its own speakers)
        state.queue_index = 0
        state.source = Source.QUEUE
        state.transport_uri = state.enqueued_uri = state.queue_uri()
        self.speakers.append(speaker)
        self._group_ids[uid] = f"{uid}:{next(self._group_serial)}"
        return speaker

    def by_uid(self, uid: str) -> EmulatedSpeaker:
        """The speaker with this uid."""
        for speaker in self.speakers:
            if speaker.uid == uid:
                return speaker
        raise KeyError(uid)

    def by_name(self, name: str) -> EmulatedSpeaker:
        """The speaker in this room."""
        for speaker in self.speakers:
            if speaker.name == name:
                return speaker
        raise KeyError(name)

    def register(self, *items: Track | Station) -> None:
        """Make tracks and stations known, so that a controller's SetAVTransportURI with their URI plays them."""
        for entry in items:
            self.catalogue[entry.uri] = entry

    # -- lifecycle ---------------------------------------------------------------------------------------------------
    async def start(self) -> None:
        """Start every speaker's server and eventing."""
        self._started = True
        for speaker in self.speakers:
            await speaker.gena.start()
            await speaker.server.start()

    async def stop(self) -> None:
        """Stop everything: servers, subscriptions, NOTIFY deliveries and clock timers."""
        for task in list(self._tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for speaker in self.speakers:
            speaker.state.shutdown()
            await speaker.gena.close()
            await speaker.server.close()
        self._started = False

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        await self.stop()

    def spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        """Run `coroutine` in the background (cancelled when the household stops)."""
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def settle(self) -> None:
        """Wait until every queued NOTIFY has been delivered (or dropped)."""
        for speaker in self.speakers:
            await speaker.gena.drain()

    # -- groups ------------------------------------------------------------------------------------------------------
    def followers_of(self, speaker: EmulatedSpeaker) -> list[EmulatedSpeaker]:
        """The members of `speaker`'s group other than itself, when it coordinates (in joining order)."""
        members = [other for other in self.speakers if other.state.coordinator is speaker.state]
        return sorted(members, key=lambda other: self._joined.get(other.uid, 0))

    def members_of(self, coordinator: EmulatedSpeaker) -> list[EmulatedSpeaker]:
        """A group: its coordinator first, then its members."""
        return [coordinator, *self.followers_of(coordinator)]

    def join(self, speaker: EmulatedSpeaker, target: EmulatedSpeaker) -> None:
        """`speaker` joins `target`'s group."""
        coordinator = target.coordinator
        if coordinator is speaker or speaker.state.coordinator is coordinator.state:
            return
        if not speaker.state.is_coordinator or self.followers_of(speaker):
            self._split(speaker)
        speaker.state.follow(coordinator.state)
        self._joined[speaker.uid] = next(self._join_serial)
        self._group_ids[coordinator.uid] = f"{coordinator.uid}:{next(self._group_serial)}"
        speaker.gena.notify(AV_TRANSPORT)
        self.topology_changed()

    def leave(self, speaker: EmulatedSpeaker) -> tuple[str, str]:
        """`speaker` leaves its group; returns (the remaining group's coordinator, `speaker`'s new group id)."""
        remaining = self._split(speaker)
        self.topology_changed()
        return remaining.uid, self._group_ids[speaker.uid]

    def delegate(self, speaker: EmulatedSpeaker, new: EmulatedSpeaker, *, rejoin: bool) -> None:
        """Hand `speaker`'s group over to `new`, one of its members."""
        if not speaker.state.is_coordinator or new.state.coordinator is not speaker.state:
            raise UPnPError(TRANSITION_NOT_AVAILABLE, "not a member of this group")
        others = [follower for follower in self.followers_of(speaker) if follower is not new]
        new.state.take_over_from(speaker.state)
        for follower in others:
            follower.state.follow(new.state)
        speaker.state.stand_alone()
        if rejoin:
            speaker.state.follow(new.state)
            self._joined[speaker.uid] = next(self._join_serial)
        self._group_ids[new.uid] = f"{new.uid}:{next(self._group_serial)}"
        self._group_ids[speaker.uid] = f"{speaker.uid}:{next(self._group_serial)}"
        for member in (new, speaker, *others):
            member.gena.notify(AV_TRANSPORT)
        self.topology_changed()

    def _split(self, speaker: EmulatedSpeaker) -> EmulatedSpeaker:
        """Take `speaker` out of its group (without the topology event); returns who coordinates what remains."""
        state = speaker.state
        if state.coordinator is not None:
            coordinator = self.by_uid(state.coordinator.uid)
            state.stand_alone()
            self._group_ids[speaker.uid] = f"{speaker.uid}:{next(self._group_serial)}"
            self._group_ids[coordinator.uid] = f"{coordinator.uid}:{next(self._group_serial)}"
            speaker.gena.notify(AV_TRANSPORT)
            return coordinator
        followers = self.followers_of(speaker)
        if not followers:
            return speaker
        new, others = followers[0], followers[1:]
        new.state.take_over_from(state)
        for follower in others:
            follower.state.follow(new.state)
        state.stand_alone()
        self._group_ids[new.uid] = f"{new.uid}:{next(self._group_serial)}"
        self._group_ids[speaker.uid] = f"{speaker.uid}:{next(self._group_serial)}"
        for member in (speaker, new, *others):
            member.gena.notify(AV_TRANSPORT)
        return new

    # -- topology ----------------------------------------------------------------------------------------------------
    def topology_changed(self) -> None:
        """Send every speaker's ZoneGroupTopology subscribers the new topology."""
        for speaker in self.speakers:
            speaker.gena.notify(ZONE_GROUP_TOPOLOGY)

    def zone_group_state(self) -> str:
        """The household's ZoneGroupState document (as GetZoneGroupState and topology events carry it)."""
        groups: list[str] = []
        for coordinator in self.speakers:
            if not coordinator.state.is_coordinator or not coordinator.online:
                continue
            members = [member for member in self.members_of(coordinator) if member.online]
            group_id = self._group_ids[coordinator.uid]
            groups.append(
                f'<ZoneGroup Coordinator="{didl.attr(coordinator.uid)}" ID="{didl.attr(group_id)}">'
                + "".join(self._member_xml(member) for member in members)
                + "</ZoneGroup>"
            )
        vanished = "".join(
            f'<Device UUID="{didl.attr(speaker.uid)}" ZoneName="{didl.attr(speaker.name)}" '
            f'Reason="{didl.attr(speaker.vanish_reason)}" Version="2" HHID="{didl.attr(self.household_id)}"/>'
            for speaker in self.speakers
            if not speaker.online and speaker.vanish_reason
        )
        return (
            f"<ZoneGroupState><ZoneGroups>{''.join(groups)}</ZoneGroups>"
            f"<VanishedDevices>{vanished}</VanishedDevices></ZoneGroupState>"
        )

    def _member_xml(self, speaker: EmulatedSpeaker) -> str:
        state = speaker.state
        attributes = [
            ("UUID", speaker.uid),
            ("Location", f"http://{speaker.ip}:{self.port}/xml/device_description.xml"),
            ("ZoneName", state.name),
            ("Icon", ""),
            ("Configuration", "1"),
            ("SoftwareVersion", SOFTWARE_VERSION),
            ("SWGen", "2"),
            ("MinCompatibleVersion", "84.0-00000"),
            ("LegacyCompatibleVersion", "58.0-00000"),
            ("BootSeq", str(state.boot_seq)),
            ("TVConfigurationError", "0"),
            ("HdmiCecAvailable", "0"),
            ("WirelessMode", "1"),
            ("WirelessLeafOnly", "0"),
            ("ChannelFreq", "5180"),
            ("BehindWifiExtender", "0"),
            ("WifiEnabled", "1"),
            ("EthLink", "0"),
            ("Orientation", "0"),
            ("RoomCalibrationState", "4"),
            ("SecureRegState", "3"),
            ("VoiceConfigState", "0"),
            ("MicEnabled", "0"),
            ("AirPlayEnabled", "1"),
            ("IdleState", "1"),
            ("MoreInfo", ""),
            ("SSLPort", "1443"),
            ("HHSSLPort", "1843"),
        ]
        return "<ZoneGroupMember " + " ".join(f'{name}="{didl.attr(value)}"' for name, value in attributes) + "/>"

    def group_attributes(self, speaker: EmulatedSpeaker) -> list[tuple[str, str]]:
        """GetZoneGroupAttributes' answer for `speaker`."""
        coordinator = speaker.coordinator
        members = self.members_of(coordinator)
        name = coordinator.name if len(members) == 1 else f"{coordinator.name} + {len(members) - 1}"
        return [
            ("CurrentZoneGroupName", name),
            ("CurrentZoneGroupID", self._group_ids[coordinator.uid]),
            ("CurrentZonePlayerUUIDsInGroup", ",".join(member.uid for member in members)),
            ("CurrentMuseHouseholdId", self.household_id + ".0"),
        ]

    def topology_properties(self, speaker: EmulatedSpeaker) -> list[tuple[str, str]]:
        """The ZoneGroupTopology NOTIFY properties for `speaker`'s subscribers."""
        attributes = dict(self.group_attributes(speaker))
        return [
            ("ZoneGroupState", self.zone_group_state()),
            ("ThirdPartyMediaServersX", ""),
            (
                "AvailableSoftwareUpdate",
                (
                    '<UpdateItem xmlns="urn:schemas-rinconnetworks-com:update-1-0" Type="Software" '
                    f'Version="{SOFTWARE_VERSION}" UpdateURL="" DownloadSize="0" ManifestURL="" ManifestHash="" '
                    'Swgen="2"/>'
                ),
            ),
            ("AlarmRunSequence", f"{speaker.uid}:{speaker.state.boot_seq}:0"),
            ("ZoneGroupName", attributes["CurrentZoneGroupName"]),
            ("ZoneGroupID", attributes["CurrentZoneGroupID"]),
            ("ZonePlayerUUIDsInGroup", attributes["CurrentZonePlayerUUIDsInGroup"]),
            ("AreasUpdateID", "0"),
            ("SourceAreasUpdateID", "0"),
            ("NetsettingsUpdateID", "0"),
            ("MuseHouseholdId", attributes["CurrentMuseHouseholdId"]),
        ]

    # -- SetAVTransportURI -------------------------------------------------------------------------------------------
    def set_transport_uri(self, speaker: EmulatedSpeaker, uri: str, metadata: str) -> None:
        """What a speaker does with SetAVTransportURI (raises `UPnPError` for what real speakers refuse)."""
        if uri.startswith("x-rincon:"):
            self.join(speaker, self.by_uid_or_fault(uri.removeprefix("x-rincon:")))
            return
        if uri.startswith("x-rincon-stream:"):
            source = self.by_uid_or_fault(uri.removeprefix("x-rincon-stream:"))
            if not speaker.state.is_coordinator:
                self._split(speaker)
                self.topology_changed()
            speaker.state.load_line_in(source.uid)
            return
        if uri.startswith("x-sonos-htastream:"):
            if uri != f"x-sonos-htastream:{speaker.uid}:spdif":
                raise UPnPError(ILLEGAL_MIME_TYPE, "no such TV input")
            if not speaker.state.is_coordinator:
                self._split(speaker)
                self.topology_changed()
            speaker.state.load_tv()
            return
        state = speaker.state
        if not state.is_coordinator:
            self._split(speaker)
            self.topology_changed()
        if uri.startswith("x-rincon-queue:"):
            if uri != state.queue_uri():
                raise UPnPError(ILLEGAL_MIME_TYPE, "not this speaker's queue")
            state.load_queue()
            return
        known = self.catalogue.get(uri)
        if isinstance(known, Station) or (known is None and uri.startswith(RADIO_SCHEMES)):
            station = known if isinstance(known, Station) else Station(uri, _didl_title(metadata) or uri)
            state.load_station(station, metadata or None)
            return
        if isinstance(known, Track) or uri.startswith(TRACK_SCHEMES):
            track = known if isinstance(known, Track) else track_from_metadata(uri, metadata)
            state.load_track(track, metadata or None)
            return
        raise UPnPError(ILLEGAL_MIME_TYPE, "unsupported URI")

    def by_uid_or_fault(self, uid: str) -> EmulatedSpeaker:
        """The speaker with `uid`, or the fault a real speaker answers for an unknown one."""
        try:
            return self.by_uid(uid)
        except KeyError:
            raise UPnPError(ILLEGAL_MIME_TYPE, f"unknown speaker {uid}") from None

    def track_for(self, uri: str, metadata: str) -> Track:
        """The track a queued URI stands for (from the catalogue, else from its metadata)."""
        known = self.catalogue.get(uri)
        if isinstance(known, Track):
            return known
        if not uri.startswith(TRACK_SCHEMES):
            raise UPnPError(ILLEGAL_MIME_TYPE, "not a track")
        return track_from_metadata(uri, metadata)


def _parse_didl(metadata: str) -> ET.Element | None:
    if not metadata:
        return None
    try:
        # Metadata sent by a controller under test on the loopback interface.
        root = ET.fromstring(metadata)  # noqa: S314
    except ET.ParseError:
        return None
    return root.find("didl:item", DIDL_NS)


def _didl_title(metadata: str) -> str:
    item = _parse_didl(metadata)
    return (item.findtext("dc:title", "", DIDL_NS) if item is not None else "") or ""


def track_from_metadata(uri: str, metadata: str, default_duration: float = 180.0) -> Track:
    """A track built from a controller's DIDL-Lite (title, creator, album, ``res@duration``)."""
    item = _parse_didl(metadata)
    if item is None:
        return Track(uri=uri, title=uri.rsplit("/", 1)[-1], duration=default_duration)
    duration = default_duration
    resource = item.find("didl:res", DIDL_NS)
    if resource is not None and resource.get("duration"):
        try:
            duration = didl.parse_hms(resource.get("duration", "").split(".")[0])
        except ValueError:
            duration = default_duration
    return Track(
        uri=uri,
        title=item.findtext("dc:title", "", DIDL_NS) or uri,
        artist=item.findtext("dc:creator", "", DIDL_NS) or "",
        album=item.findtext("upnp:album", "", DIDL_NS) or "",
        duration=duration,
        album_art=item.findtext("upnp:albumArtURI", "", DIDL_NS) or "",
        protocol_info=resource.get("protocolInfo", "http-get:*:audio/mpeg:*") if resource is not None else "",
    )
