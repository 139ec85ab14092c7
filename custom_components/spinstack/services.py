"""SpinStack's services, registered once in async_setup and validated with voluptuous."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, SupportsResponse, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv
import probatio as vol

from .const import DOMAIN
from .coordinator import SpinStackConfigEntry

ATTR_CONFIG_ENTRY_ID = "config_entry_id"
ATTR_LIMIT = "limit"
SERVICE_RECENT_PLAYS = "recent_plays"

RECENT_PLAYS_SCHEMA = vol.Schema(
    {
        vol.Optional(ATTR_CONFIG_ENTRY_ID): cv.string,
        vol.Optional(ATTR_LIMIT, default=20): vol.All(vol.Coerce(int), vol.Range(min=1, max=1000)),
    }
)


def _entry(hass: HomeAssistant, call: ServiceCall) -> SpinStackConfigEntry:
    """The loaded entry a call is for: the one named, or the only one."""
    entry_id = call.data.get(ATTR_CONFIG_ENTRY_ID)
    entries: list[SpinStackConfigEntry] = hass.config_entries.async_loaded_entries(DOMAIN)
    if entry_id is not None:
        entry = hass.config_entries.async_get_entry(entry_id)
        if entry is None or entry.domain != DOMAIN:
            raise ServiceValidationError(
                translation_domain=DOMAIN, translation_key="entry_not_found", translation_placeholders={"id": entry_id}
            )
        if entry.state is not ConfigEntryState.LOADED:
            raise ServiceValidationError(
                translation_domain=DOMAIN, translation_key="entry_not_loaded", translation_placeholders={"id": entry_id}
            )
        return entry
    if len(entries) != 1:
        raise ServiceValidationError(translation_domain=DOMAIN, translation_key="entry_ambiguous")
    return entries[0]


async def _recent_plays(call: ServiceCall) -> ServiceResponse:
    entry = _entry(call.hass, call)
    rows = await entry.runtime_data.store.query("plays_between", start=0, end=2**40, limit=call.data[ATTR_LIMIT])
    plays: list[Any] = [
        {key: row[key] for key in ("started_at", "artist", "title", "album", "service", "kind", "room", "heard")}
        for row in rows
    ]
    return {"plays": plays}


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register SpinStack's services (once, whatever the number of entries)."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_RECENT_PLAYS,
        _recent_plays,
        schema=RECENT_PLAYS_SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )
