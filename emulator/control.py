"""SOAP actions of an emulated speaker: what each one does and answers.

The server has already checked the action exists and that its in-arguments are present; here they are carried
out, raising `UPnPError` where a real speaker answers with a UPnP fault.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import didl
from .description import DISPLAY_VERSION, SOFTWARE_VERSION
from .speaker import (
    ILLEGAL_SEEK_TARGET,
    INVALID_ARGS,
    SEEK_MODE_NOT_SUPPORTED,
    Speaker,
    UPnPError,
)

if TYPE_CHECKING:
    from .household import EmulatedSpeaker

INVALID_INSTANCE_ID = 718
INVALID_ACTION = 401
Values = list[tuple[str, str]]


async def perform(speaker: EmulatedSpeaker, service: str, action: str, args: dict[str, str]) -> Values:
    """Carry out `action` of `service` on `speaker`."""
    if "InstanceID" in args and args["InstanceID"].strip() != "0":
        raise UPnPError(INVALID_INSTANCE_ID, "Invalid InstanceID")
    if service == "AVTransport":
        return await _av_transport(speaker, action, args)
    if service == "RenderingControl":
        return _rendering_control(speaker.state, action, args)
    if service == "DeviceProperties":
        return await _device_properties(speaker, action, args)
    if service == "ZoneGroupTopology":
        if action == "GetZoneGroupState":
            return [("ZoneGroupState", speaker.household.zone_group_state())]
        if action == "GetZoneGroupAttributes":
            return speaker.household.group_attributes(speaker)
    if service == "AlarmClock" and action == "ListAlarms":
        return [("CurrentAlarmList", "<Alarms></Alarms>"), ("CurrentAlarmListVersion", f"{speaker.uid}:1")]
    raise UPnPError(INVALID_ACTION, f"{service} has no action {action}")


def _bool(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "yes")


def _int(value: str) -> int:
    try:
        return int(value.strip())
    except ValueError:
        raise UPnPError(INVALID_ARGS, f"not a number: {value!r}") from None


async def _av_transport(speaker: EmulatedSpeaker, action: str, args: dict[str, str]) -> Values:
    household = speaker.household
    state = speaker.state
    coordinator = state.group_coordinator
    match action:
        case "GetPositionInfo":
            return state.position_info()
        case "GetTransportInfo":
            return state.transport_info()
        case "GetMediaInfo":
            return state.media_info()
        case "GetTransportSettings":
            return state.transport_settings()
        case "GetCurrentTransportActions":
            return [("Actions", state.transport().actions)]
        case "GetCrossfadeMode":
            return [("CrossfadeMode", "0")]
        case "SetCrossfadeMode":
            return []
        case "SetAVTransportURI":
            household.set_transport_uri(speaker, args["CurrentURI"], args["CurrentURIMetaData"])
            return []
        case "AddURIToQueue":
            track = household.track_for(args["EnqueuedURI"], args["EnqueuedURIMetaData"])
            desired = _int(args["DesiredFirstTrackNumberEnqueued"])
            if _bool(args["EnqueueAsNext"]) and desired == 0:
                desired = coordinator.queue_index + 2
            first = coordinator.add_to_queue([track], desired)
            return [
                ("FirstTrackNumberEnqueued", str(first)),
                ("NumTracksAdded", "1"),
                ("NewQueueLength", str(len(coordinator.queue))),
            ]
        case "RemoveAllTracksFromQueue":
            coordinator.clear_queue()
            return []
        case "Play":
            state.play()
            return []
        case "Pause":
            state.pause()
            return []
        case "Stop":
            state.stop()
            return []
        case "Next":
            state.next()
            return []
        case "Previous":
            state.previous()
            return []
        case "Seek":
            _seek(state, args["Unit"], args["Target"])
            return []
        case "SetPlayMode":
            state.set_play_mode(args["NewPlayMode"])
            return []
        case "BecomeCoordinatorOfStandaloneGroup":
            remaining, group_id = household.leave(speaker)
            return [("DelegatedGroupCoordinatorID", remaining), ("NewGroupID", group_id)]
        case "DelegateGroupCoordinationTo":
            new = household.by_uid_or_fault(args["NewCoordinator"])
            household.delegate(speaker, new, rejoin=_bool(args["RejoinGroup"]))
            return []
    raise UPnPError(INVALID_ACTION, f"AVTransport has no action {action}")


def _seek(state: Speaker, unit: str, target: str) -> None:
    if unit == "REL_TIME":
        try:
            seconds = didl.parse_hms(target)
        except ValueError:
            raise UPnPError(ILLEGAL_SEEK_TARGET, "not a time") from None
        state.seek_time(seconds)
    elif unit == "TRACK_NR":
        state.seek_track(_int(target))
    else:
        raise UPnPError(SEEK_MODE_NOT_SUPPORTED, f"seek mode {unit}")


def _rendering_control(state: Speaker, action: str, args: dict[str, str]) -> Values:
    master = args.get("Channel", "Master") == "Master"
    match action:
        case "GetVolume":
            return [("CurrentVolume", str(state.volume if master else 100))]
        case "SetVolume":
            if master:
                state.set_volume(_int(args["DesiredVolume"]))
            return []
        case "GetMute":
            return [("CurrentMute", "1" if master and state.muted else "0")]
        case "SetMute":
            if master:
                state.set_mute(_bool(args["DesiredMute"]))
            return []
    raise UPnPError(INVALID_ACTION, f"RenderingControl has no action {action}")


async def _device_properties(speaker: EmulatedSpeaker, action: str, args: dict[str, str]) -> Values:
    state = speaker.state
    match action:
        case "GetHouseholdID":
            return [("CurrentHouseholdID", speaker.household.household_id)]
        case "GetZoneAttributes":
            return [
                ("CurrentZoneName", state.name),
                ("CurrentIcon", "x-rincon-roomicon:living"),
                ("CurrentConfiguration", "1"),
                ("CurrentTargetRoomName", state.name),
            ]
        case "SetZoneAttributes":
            name = args["DesiredZoneName"].strip()
            if name and name != state.name:
                await speaker.rename(name)
            return []
        case "GetZoneInfo":
            return [
                ("SerialNumber", speaker.mac.replace(":", "-") + ":E"),
                ("SoftwareVersion", SOFTWARE_VERSION),
                ("DisplaySoftwareVersion", DISPLAY_VERSION),
                ("HardwareVersion", "1.8.3.7-2.0"),
                ("IPAddress", speaker.ip),
                ("MACAddress", speaker.mac),
                ("CopyrightInfo", "© 2004-2026 Sonos, Inc. All Rights Reserved."),
                ("ExtraInfo", ""),
                ("HTAudioIn", "0"),
                ("Flags", "0"),
            ]
        case "GetLEDState":
            return [("CurrentLEDState", "On")]
        case "SetLEDState":
            return []
    raise UPnPError(INVALID_ACTION, f"DeviceProperties has no action {action}")
