"""SpinStack's sensors: the last track, plays and listening time today, the last event, and each room's track."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import PERCENTAGE, EntityCategory, UnitOfTime
from homeassistant.core import HomeAssistant
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from .coordinator import SpinStackConfigEntry, SpinStackCoordinator, SpinStackData, speaker_signal
from .entity import SpinStackEntity, SpinStackSpeakerEntity

# Coordinator-based: no polling, and entity updates are not limited.
PARALLEL_UPDATES = 0

EN_DASH = "\u2013"


def track_label(artist: str | None, title: str | None) -> str | None:
    """'Artist', an en dash, 'Title': as the last-track sensor shows it."""
    if not title:
        return None
    return f"{artist} {EN_DASH} {title}" if artist else title


@dataclass(frozen=True, kw_only=True)
class SpinStackSensorDescription(SensorEntityDescription):
    """A household sensor: its value and attributes from the coordinator's data."""

    value: Callable[[SpinStackData], Any]
    attributes: Callable[[SpinStackData], dict[str, Any] | None] = lambda _: None


def _last_track_attributes(data: SpinStackData) -> dict[str, Any] | None:
    play = data.last_play
    if not play:
        return None
    return {
        "artist": play["artist"],
        "title": play["title"],
        "album": play["album"],
        "service": play["service"],
        "room": play["room"] or None,
        "started_at": dt_util.utc_from_timestamp(play["started_at"]).isoformat(),
        "isrc": play["isrc"],
    }


def _timestamp(value: float | None) -> datetime | None:
    return dt_util.utc_from_timestamp(value) if value else None


def _import_attributes(data: SpinStackData) -> dict[str, Any]:
    progress = data.importing.as_dict()
    progress.pop("percent")
    for key in ("started_at", "finished_at"):
        progress[key] = _timestamp(progress[key])
    return progress


def _forwarding_attributes(data: SpinStackData) -> dict[str, Any]:
    return {
        name: {
            "state": health.state,
            "pending": health.pending,
            "dead_letters": health.dead,
            "delivered": health.delivered,
            "error": health.error,
        }
        for name, health in data.forwarders.items()
        if health.enabled or health.pending or health.dead
    }


SENSORS: tuple[SpinStackSensorDescription, ...] = (
    SpinStackSensorDescription(
        key="last_track",
        translation_key="last_track",
        value=lambda data: track_label(
            data.last_play["artist"] if data.last_play else None, data.last_play["title"] if data.last_play else None
        ),
        attributes=_last_track_attributes,
    ),
    SpinStackSensorDescription(
        key="plays_today",
        translation_key="plays_today",
        state_class=SensorStateClass.TOTAL_INCREASING,
        value=lambda data: data.plays_today,
    ),
    SpinStackSensorDescription(
        key="listening_time_today",
        translation_key="listening_time_today",
        device_class=SensorDeviceClass.DURATION,
        native_unit_of_measurement=UnitOfTime.SECONDS,
        suggested_unit_of_measurement=UnitOfTime.MINUTES,
        state_class=SensorStateClass.TOTAL_INCREASING,
        value=lambda data: data.heard_today,
    ),
    SpinStackSensorDescription(
        key="last_event",
        translation_key="last_event",
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_category=EntityCategory.DIAGNOSTIC,
        value=lambda data: _timestamp(data.last_event_at),
    ),
    SpinStackSensorDescription(
        key="import_progress",
        translation_key="import_progress",
        native_unit_of_measurement=PERCENTAGE,
        value=lambda data: data.importing.percent,
        attributes=_import_attributes,
    ),
    SpinStackSensorDescription(
        key="forwarding_backlog",
        translation_key="forwarding_backlog",
        entity_category=EntityCategory.DIAGNOSTIC,
        state_class=SensorStateClass.MEASUREMENT,
        value=lambda data: sum(health.pending + health.dead for health in data.forwarders.values()),
        attributes=_forwarding_attributes,
    ),
)

NOW_PLAYING = SensorEntityDescription(key="now_playing", translation_key="now_playing")


async def async_setup_entry(
    hass: HomeAssistant, entry: SpinStackConfigEntry, async_add_entities: AddConfigEntryEntitiesCallback
) -> None:
    """Household sensors, and a now-playing sensor for each speaker (added as speakers are chosen)."""
    coordinator = entry.runtime_data.coordinator
    async_add_entities(SpinStackSensor(coordinator, description) for description in SENSORS)
    known: set[str] = set()

    def add_speakers() -> None:
        new = [uid for uid in coordinator.listeners if uid not in known]
        known.update(new)
        if new:
            async_add_entities(NowPlayingSensor(coordinator, NOW_PLAYING, uid) for uid in new)

    add_speakers()
    entry.async_on_unload(coordinator.async_add_listener(add_speakers))


class SpinStackSensor(SpinStackEntity, SensorEntity):
    """A household sensor."""

    entity_description: SpinStackSensorDescription

    @property
    def native_value(self) -> Any:
        return self.entity_description.value(self.coordinator.data)

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        return self.entity_description.attributes(self.coordinator.data)


class NowPlayingSensor(SpinStackSpeakerEntity, SensorEntity):
    """What a room is playing now, as SpinStack hears it."""

    def __init__(self, coordinator: SpinStackCoordinator, description: SensorEntityDescription, uid: str) -> None:
        super().__init__(coordinator, description, uid)

    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        signal = speaker_signal(self.coordinator.config_entry.entry_id, self.uid)
        self.async_on_remove(async_dispatcher_connect(self.hass, signal, self.async_write_ha_state))

    @property
    def native_value(self) -> str | None:
        view = self.coordinator.data.speakers.get(self.uid)
        if view is None or view.now_playing is None:
            return None
        return track_label(view.now_playing.artist, view.now_playing.title)

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        view = self.coordinator.data.speakers.get(self.uid)
        if view is None or view.now_playing is None:
            return None
        listen = view.now_playing
        return {
            "artist": listen.artist,
            "title": listen.title,
            "album": listen.album,
            "service": listen.service,
            "kind": listen.kind,
            "heard": round(listen.heard),
            "counted": listen.counted,
        }
