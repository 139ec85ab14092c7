"""An event entity for every counted play, for automations built in the UI."""

from __future__ import annotations

from typing import Any

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import SpinStackConfigEntry
from .entity import SpinStackEntity

PARALLEL_UPDATES = 0
EVENT_TYPE = "scrobble"

SCROBBLE = EventEntityDescription(key="scrobble", translation_key="scrobble", event_types=[EVENT_TYPE])


async def async_setup_entry(
    hass: HomeAssistant, entry: SpinStackConfigEntry, async_add_entities: AddConfigEntryEntitiesCallback
) -> None:
    """The household's scrobble event."""
    async_add_entities([ScrobbleEvent(entry.runtime_data.coordinator, SCROBBLE)])


class ScrobbleEvent(SpinStackEntity, EventEntity):
    """Fires with the whole play each time one is counted and stored."""

    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        self.async_on_remove(self.coordinator.async_add_play_handler(self._on_play))

    @callback
    def _on_play(self, play: dict[str, Any]) -> None:
        self._trigger_event(EVENT_TYPE, play)
        self.async_write_ha_state()
