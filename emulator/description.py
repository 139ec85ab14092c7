"""The UPnP descriptions an emulated speaker serves: its device description and the SCPD of each service.

The SCPDs are as small as SoCo needs (SoCo reads a service's SCPD before calling an action with keyword
arguments, to learn the action's arguments) but valid: every argument points at a declared state variable. The
same table tells the SOAP endpoint which arguments an action requires.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import didl

UPNP_SERVICE_NS = "urn:schemas-upnp-org:service-1-0"
UPNP_DEVICE_NS = "urn:schemas-upnp-org:device-1-0"
SOFTWARE_VERSION = "85.0-64200"
DISPLAY_VERSION = "17.2"


@dataclass(frozen=True)
class StateVariable:
    """An SCPD state variable."""

    name: str
    data_type: str = "string"
    allowed: tuple[str, ...] = ()
    evented: bool = False


@dataclass(frozen=True)
class Argument:
    """An action argument: name, direction and the state variable giving its type."""

    name: str
    direction: str
    variable: str


@dataclass(frozen=True)
class Action:
    """An SCPD action."""

    name: str
    arguments: tuple[Argument, ...]

    @property
    def inputs(self) -> tuple[str, ...]:
        """The names of the action's in-arguments."""
        return tuple(arg.name for arg in self.arguments if arg.direction == "in")


@dataclass(frozen=True)
class ServiceSpec:
    """One UPnP service of a Sonos speaker."""

    name: str
    device: str  # "" (the ZonePlayer root), "MediaRenderer" or "MediaServer"
    actions: tuple[Action, ...]
    variables: tuple[StateVariable, ...]

    @property
    def service_type(self) -> str:
        """``urn:schemas-upnp-org:service:<name>:1``."""
        return f"urn:schemas-upnp-org:service:{self.name}:1"

    @property
    def prefix(self) -> str:
        """The path prefix of the control and event URLs."""
        return f"/{self.device}/{self.name}" if self.device else f"/{self.name}"

    @property
    def control_url(self) -> str:
        """Where SOAP actions are posted."""
        return f"{self.prefix}/Control"

    @property
    def event_url(self) -> str:
        """Where SUBSCRIBE and UNSUBSCRIBE go."""
        return f"{self.prefix}/Event"

    @property
    def scpd_url(self) -> str:
        """Where the SCPD is (SoCo reads ``/xml/<name>1.xml``)."""
        return f"/xml/{self.name}1.xml"

    def action(self, name: str) -> Action | None:
        """The action called `name`, if the service has one."""
        return next((action for action in self.actions if action.name == name), None)

    def scpd(self) -> str:
        """The service's SCPD document."""
        parts = [
            f'<?xml version="1.0" encoding="utf-8"?><scpd xmlns="{UPNP_SERVICE_NS}">',
            "<specVersion><major>1</major><minor>0</minor></specVersion><actionList>",
        ]
        for action in self.actions:
            parts.append(f"<action><name>{action.name}</name><argumentList>")
            parts.extend(
                f"<argument><name>{arg.name}</name><direction>{arg.direction}</direction>"
                f"<relatedStateVariable>{arg.variable}</relatedStateVariable></argument>"
                for arg in action.arguments
            )
            parts.append("</argumentList></action>")
        parts.append("</actionList><serviceStateTable>")
        for variable in self.variables:
            evented = "yes" if variable.evented else "no"
            parts.append(f'<stateVariable sendEvents="{evented}"><name>{variable.name}</name>')
            parts.append(f"<dataType>{variable.data_type}</dataType>")
            if variable.allowed:
                values = "".join(f"<allowedValue>{didl.text(value)}</allowedValue>" for value in variable.allowed)
                parts.append(f"<allowedValueList>{values}</allowedValueList>")
            parts.append("</stateVariable>")
        parts.append("</serviceStateTable></scpd>")
        return "".join(parts)


def _action(name: str, inputs: str = "", outputs: str = "") -> Action:
    """An action from ``"Arg=Variable Arg2=Variable2"`` lists (``Arg`` alone: a variable named like it)."""
    arguments: list[Argument] = []
    for direction, spec in (("in", inputs), ("out", outputs)):
        for token in spec.split():
            argument, _, variable = token.partition("=")
            arguments.append(Argument(argument, direction, variable or argument))
    return Action(name, tuple(arguments))


def _variables(*names: str, evented: tuple[str, ...] = (), **typed: str) -> tuple[StateVariable, ...]:
    out = [StateVariable(name, evented=name in evented) for name in names]
    out.extend(StateVariable(name, data_type) for name, data_type in typed.items())
    return tuple(out)


INSTANCE = "InstanceID=A_ARG_TYPE_InstanceID"
PLAY_MODES = ("NORMAL", "REPEAT_ALL", "REPEAT_ONE", "SHUFFLE_NOREPEAT", "SHUFFLE", "SHUFFLE_REPEAT_ONE")

AV_TRANSPORT = ServiceSpec(
    name="AVTransport",
    device="MediaRenderer",
    actions=(
        _action(
            "SetAVTransportURI",
            f"{INSTANCE} CurrentURI=AVTransportURI CurrentURIMetaData=AVTransportURIMetaData",
        ),
        _action(
            "AddURIToQueue",
            f"{INSTANCE} EnqueuedURI=A_ARG_TYPE_URI EnqueuedURIMetaData=A_ARG_TYPE_URIMetaData "
            "DesiredFirstTrackNumberEnqueued=A_ARG_TYPE_TrackNumber EnqueueAsNext=A_ARG_TYPE_EnqueueAsNext",
            "FirstTrackNumberEnqueued=A_ARG_TYPE_TrackNumber NumTracksAdded=A_ARG_TYPE_NumTracks "
            "NewQueueLength=A_ARG_TYPE_NumTracks",
        ),
        _action("RemoveAllTracksFromQueue", INSTANCE),
        _action(
            "GetMediaInfo",
            INSTANCE,
            "NrTracks=NumberOfTracks MediaDuration=CurrentMediaDuration CurrentURI=AVTransportURI "
            "CurrentURIMetaData=AVTransportURIMetaData NextURI=NextAVTransportURI "
            "NextURIMetaData=NextAVTransportURIMetaData PlayMedium=PlaybackStorageMedium "
            "RecordMedium=RecordStorageMedium WriteStatus=RecordMediumWriteStatus",
        ),
        _action(
            "GetTransportInfo",
            INSTANCE,
            "CurrentTransportState=TransportState CurrentTransportStatus=TransportStatus "
            "CurrentSpeed=TransportPlaySpeed",
        ),
        _action(
            "GetPositionInfo",
            INSTANCE,
            "Track=CurrentTrack TrackDuration=CurrentTrackDuration TrackMetaData=CurrentTrackMetaData "
            "TrackURI=CurrentTrackURI RelTime=RelativeTimePosition AbsTime=AbsoluteTimePosition "
            "RelCount=RelativeCounterPosition AbsCount=AbsoluteCounterPosition",
        ),
        _action("GetTransportSettings", INSTANCE, "PlayMode=CurrentPlayMode RecQualityMode=CurrentRecordQualityMode"),
        _action("GetCurrentTransportActions", INSTANCE, "Actions=CurrentTransportActions"),
        _action("GetCrossfadeMode", INSTANCE, "CrossfadeMode=CurrentCrossfadeMode"),
        _action("SetCrossfadeMode", f"{INSTANCE} CrossfadeMode=CurrentCrossfadeMode"),
        _action("Stop", INSTANCE),
        _action("Play", f"{INSTANCE} Speed=TransportPlaySpeed"),
        _action("Pause", INSTANCE),
        _action("Seek", f"{INSTANCE} Unit=A_ARG_TYPE_SeekMode Target=A_ARG_TYPE_SeekTarget"),
        _action("Next", INSTANCE),
        _action("Previous", INSTANCE),
        _action("SetPlayMode", f"{INSTANCE} NewPlayMode=CurrentPlayMode"),
        _action(
            "BecomeCoordinatorOfStandaloneGroup",
            INSTANCE,
            "DelegatedGroupCoordinatorID=A_ARG_TYPE_MemberID NewGroupID=A_ARG_TYPE_GroupID",
        ),
        _action(
            "DelegateGroupCoordinationTo",
            f"{INSTANCE} NewCoordinator=A_ARG_TYPE_MemberID RejoinGroup=A_ARG_TYPE_RejoinGroup",
        ),
    ),
    variables=(
        StateVariable("TransportState", allowed=("STOPPED", "PLAYING", "PAUSED_PLAYBACK", "TRANSITIONING")),
        StateVariable("CurrentPlayMode", allowed=PLAY_MODES),
        StateVariable("CurrentCrossfadeMode", "boolean"),
        StateVariable("A_ARG_TYPE_SeekMode", allowed=("TRACK_NR", "REL_TIME", "TIME_DELTA")),
        StateVariable("LastChange", evented=True),
        StateVariable("A_ARG_TYPE_InstanceID", "ui4"),
        StateVariable("NumberOfTracks", "ui4"),
        StateVariable("CurrentTrack", "ui4"),
        StateVariable("RelativeCounterPosition", "i4"),
        StateVariable("AbsoluteCounterPosition", "i4"),
        StateVariable("A_ARG_TYPE_TrackNumber", "ui4"),
        StateVariable("A_ARG_TYPE_NumTracks", "ui4"),
        StateVariable("A_ARG_TYPE_EnqueueAsNext", "boolean"),
        StateVariable("A_ARG_TYPE_RejoinGroup", "boolean"),
        *_variables(
            "TransportStatus",
            "TransportPlaySpeed",
            "PlaybackStorageMedium",
            "RecordStorageMedium",
            "RecordMediumWriteStatus",
            "CurrentRecordQualityMode",
            "CurrentMediaDuration",
            "CurrentTrackDuration",
            "CurrentTrackMetaData",
            "CurrentTrackURI",
            "AVTransportURI",
            "AVTransportURIMetaData",
            "NextAVTransportURI",
            "NextAVTransportURIMetaData",
            "RelativeTimePosition",
            "AbsoluteTimePosition",
            "CurrentTransportActions",
            "A_ARG_TYPE_SeekTarget",
            "A_ARG_TYPE_URI",
            "A_ARG_TYPE_URIMetaData",
            "A_ARG_TYPE_MemberID",
            "A_ARG_TYPE_GroupID",
        ),
    ),
)

RENDERING_CONTROL = ServiceSpec(
    name="RenderingControl",
    device="MediaRenderer",
    actions=(
        _action("GetVolume", f"{INSTANCE} Channel=A_ARG_TYPE_Channel", "CurrentVolume=Volume"),
        _action("SetVolume", f"{INSTANCE} Channel=A_ARG_TYPE_Channel DesiredVolume=Volume"),
        _action("GetMute", f"{INSTANCE} Channel=A_ARG_TYPE_MuteChannel", "CurrentMute=Mute"),
        _action("SetMute", f"{INSTANCE} Channel=A_ARG_TYPE_MuteChannel DesiredMute=Mute"),
    ),
    variables=(
        StateVariable("LastChange", evented=True),
        StateVariable("A_ARG_TYPE_InstanceID", "ui4"),
        StateVariable("A_ARG_TYPE_Channel", allowed=("Master", "LF", "RF")),
        StateVariable("A_ARG_TYPE_MuteChannel", allowed=("Master", "LF", "RF", "SpeakerOnly")),
        StateVariable("Volume", "ui2"),
        StateVariable("Mute", "boolean"),
    ),
)

DEVICE_PROPERTIES = ServiceSpec(
    name="DeviceProperties",
    device="",
    actions=(
        _action("GetHouseholdID", "", "CurrentHouseholdID=A_ARG_TYPE_HouseholdID"),
        _action(
            "GetZoneAttributes",
            "",
            "CurrentZoneName=ZoneName CurrentIcon=Icon CurrentConfiguration=Configuration "
            "CurrentTargetRoomName=A_ARG_TYPE_TargetRoomName",
        ),
        _action("SetZoneAttributes", "DesiredZoneName=ZoneName DesiredIcon=Icon DesiredConfiguration=Configuration"),
        _action(
            "GetZoneInfo",
            "",
            "SerialNumber=SerialNumber SoftwareVersion=SoftwareVersion DisplaySoftwareVersion=DisplaySoftwareVersion "
            "HardwareVersion=HardwareVersion IPAddress=IPAddress MACAddress=MACAddress CopyrightInfo=CopyrightInfo "
            "ExtraInfo=ExtraInfo HTAudioIn=HTAudioIn Flags=Flags",
        ),
        _action("GetLEDState", "", "CurrentLEDState=LEDState"),
        _action("SetLEDState", "DesiredLEDState=LEDState"),
    ),
    variables=(
        StateVariable("ZoneName", evented=True),
        StateVariable("Icon", evented=True),
        StateVariable("Configuration", evented=True),
        StateVariable("LEDState", allowed=("On", "Off")),
        StateVariable("HTAudioIn", "ui4"),
        StateVariable("Flags", "ui4"),
        *_variables(
            "A_ARG_TYPE_HouseholdID",
            "A_ARG_TYPE_TargetRoomName",
            "SerialNumber",
            "SoftwareVersion",
            "DisplaySoftwareVersion",
            "HardwareVersion",
            "IPAddress",
            "MACAddress",
            "CopyrightInfo",
            "ExtraInfo",
        ),
    ),
)

ZONE_GROUP_TOPOLOGY = ServiceSpec(
    name="ZoneGroupTopology",
    device="",
    actions=(
        _action("GetZoneGroupState", "", "ZoneGroupState=ZoneGroupState"),
        _action(
            "GetZoneGroupAttributes",
            "",
            "CurrentZoneGroupName=ZoneGroupName CurrentZoneGroupID=ZoneGroupID "
            "CurrentZonePlayerUUIDsInGroup=ZonePlayerUUIDsInGroup CurrentMuseHouseholdId=MuseHouseholdId",
        ),
    ),
    variables=_variables(
        "ZoneGroupState",
        "ZoneGroupName",
        "ZoneGroupID",
        "ZonePlayerUUIDsInGroup",
        "MuseHouseholdId",
        "ThirdPartyMediaServersX",
        "AvailableSoftwareUpdate",
        "AlarmRunSequence",
        evented=(
            "ZoneGroupState",
            "ZoneGroupName",
            "ZoneGroupID",
            "ZonePlayerUUIDsInGroup",
            "MuseHouseholdId",
            "ThirdPartyMediaServersX",
            "AvailableSoftwareUpdate",
            "AlarmRunSequence",
        ),
    ),
)

ALARM_CLOCK = ServiceSpec(
    name="AlarmClock",
    device="",
    actions=(
        _action("ListAlarms", "", "CurrentAlarmList=A_ARG_TYPE_AlarmList CurrentAlarmListVersion=AlarmListVersion"),
    ),
    variables=(StateVariable("A_ARG_TYPE_AlarmList"), StateVariable("AlarmListVersion", evented=True)),
)

SERVICES: tuple[ServiceSpec, ...] = (
    AV_TRANSPORT,
    RENDERING_CONTROL,
    DEVICE_PROPERTIES,
    ZONE_GROUP_TOPOLOGY,
    ALARM_CLOCK,
)
SERVICES_BY_NAME = {spec.name: spec for spec in SERVICES}


@dataclass(frozen=True)
class DeviceInfo:
    """What a speaker's device description says about it."""

    uid: str
    ip: str
    room: str
    model_name: str
    model_number: str
    mac: str

    @property
    def serial(self) -> str:
        """Sonos' serial number form: the MAC with dashes, then ``:`` and a letter."""
        return self.mac.replace(":", "-") + ":E"


def _service_xml(spec: ServiceSpec) -> str:
    return (
        f"<service><serviceType>{spec.service_type}</serviceType>"
        f"<serviceId>urn:upnp-org:serviceId:{spec.name}</serviceId>"
        f"<controlURL>{spec.control_url}</controlURL><eventSubURL>{spec.event_url}</eventSubURL>"
        f"<SCPDURL>/xml/{spec.name}1.xml</SCPDURL></service>"
    )


def device_description(info: DeviceInfo) -> str:
    """``/xml/device_description.xml``: the ZonePlayer root device with its MediaRenderer (and services)."""
    root_services = "".join(_service_xml(spec) for spec in SERVICES if spec.device == "")
    renderer_services = "".join(_service_xml(spec) for spec in SERVICES if spec.device == "MediaRenderer")
    room = didl.text(info.room)
    model = didl.text(info.model_name)
    return (
        f'<?xml version="1.0" encoding="utf-8" ?><root xmlns="{UPNP_DEVICE_NS}">'
        "<specVersion><major>1</major><minor>0</minor></specVersion><device>"
        "<deviceType>urn:schemas-upnp-org:device:ZonePlayer:1</deviceType>"
        f"<friendlyName>{info.ip} - {model} - {info.uid}</friendlyName>"
        "<manufacturer>Sonos, Inc.</manufacturer><manufacturerURL>http://www.sonos.com</manufacturerURL>"
        f"<modelNumber>{didl.text(info.model_number)}</modelNumber><modelDescription>Sonos {model}</modelDescription>"
        f"<modelName>{model}</modelName><modelURL>http://www.sonos.com/products/zoneplayers/</modelURL>"
        f"<softwareVersion>{SOFTWARE_VERSION}</softwareVersion><swGen>2</swGen>"
        "<hardwareVersion>1.8.3.7-2.0</hardwareVersion>"
        f"<serialNum>{info.serial}</serialNum><MACAddress>{info.mac}</MACAddress><UDN>uuid:{info.uid}</UDN>"
        "<iconList><icon><id>0</id><mimetype>image/png</mimetype><width>48</width><height>48</height><depth>24</depth>"
        "<url>/img/icon-S18.png</url></icon></iconList>"
        f"<minCompatibleVersion>84.0-00000</minCompatibleVersion><displayVersion>{DISPLAY_VERSION}</displayVersion>"
        f"<extraVersion/><roomName>{room}</roomName><displayName>{model}</displayName><zoneType>25</zoneType>"
        f"<serviceList>{root_services}</serviceList><deviceList><device>"
        "<deviceType>urn:schemas-upnp-org:device:MediaRenderer:1</deviceType>"
        f"<friendlyName>{room} - {model} Media Renderer</friendlyName>"
        f"<manufacturer>Sonos, Inc.</manufacturer><modelName>{model}</modelName><UDN>uuid:{info.uid}_MR</UDN>"
        f"<serviceList>{renderer_services}</serviceList></device></deviceList>"
        "</device></root>"
    )
