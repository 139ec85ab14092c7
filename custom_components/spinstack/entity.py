"""SpinStack's base entities: one for the household, one for each speaker."""

from __future__ import annotations

from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import DOMAIN, NAME
from .coordinator import SpinStackCoordinator


class SpinStackEntity(CoordinatorEntity[SpinStackCoordinator]):
    """An entity of the household's listening history (the SpinStack service device)."""

    _attr_has_entity_name = True

    def __init__(self, coordinator: SpinStackCoordinator, description: EntityDescription) -> None:
        super().__init__(coordinator)
        self.entity_description = description
        unique = coordinator.config_entry.unique_id or coordinator.config_entry.entry_id
        self._attr_unique_id = f"{unique}_{description.key}"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, unique)},
            name=NAME,
            manufacturer=NAME,
            model="Listening history",
            entry_type=DeviceEntryType.SERVICE,
        )


class SpinStackSpeakerEntity(CoordinatorEntity[SpinStackCoordinator]):
    """An entity of one speaker (a room), on a device of its own linked to the household."""

    _attr_has_entity_name = True

    def __init__(self, coordinator: SpinStackCoordinator, description: EntityDescription, uid: str) -> None:
        super().__init__(coordinator)
        self.entity_description = description
        self.uid = uid
        self._attr_unique_id = f"{uid}_{description.key}"
        member = coordinator.topology.get(uid)
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, uid)},
            name=member.room if member else uid,
            manufacturer=NAME,
            model="Sonos speaker history",
        )

    @property
    def available(self) -> bool:
        return super().available and self.uid in self.coordinator.data.speakers
