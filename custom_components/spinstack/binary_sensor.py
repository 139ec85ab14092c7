"""SpinStack's health: a problem when a speaker cannot be heard by events or plays cannot be written."""

from __future__ import annotations

from typing import Any

from homeassistant.components.binary_sensor import BinarySensorEntity, BinarySensorEntityDescription
from homeassistant.components.binary_sensor.const import BinarySensorDeviceClass
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import SpinStackConfigEntry
from .entity import SpinStackEntity

PARALLEL_UPDATES = 0

HEALTH = BinarySensorEntityDescription(
    key="health",
    translation_key="health",
    device_class=BinarySensorDeviceClass.PROBLEM,
    entity_category=EntityCategory.DIAGNOSTIC,
)


async def async_setup_entry(
    hass: HomeAssistant, entry: SpinStackConfigEntry, async_add_entities: AddConfigEntryEntitiesCallback
) -> None:
    """The household's health sensor."""
    async_add_entities([HealthSensor(entry.runtime_data.coordinator, HEALTH)])


class HealthSensor(SpinStackEntity, BinarySensorEntity):
    """On when SpinStack may be missing plays."""

    @property
    def is_on(self) -> bool:
        return bool(self.coordinator.data.problems)

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        data = self.coordinator.data
        attributes: dict[str, Any] = {
            "problems": data.problems,
            "speakers": {view.room or uid: str(view.health.state) for uid, view in data.speakers.items()},
        }
        if data.writer_error:
            # Only while plays cannot be written: a count that went 0, 1, 0 with every play would fill the recorder.
            attributes["pending_writes"] = data.pending_writes
        return attributes
