"""SpinStack: a self-hosted listening history for Sonos speakers, fed by UPnP events."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryNotReady
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.typing import ConfigType
from homeassistant.loader import async_get_integration

from .const import DB_FILENAME, DOMAIN
from .coordinator import SpinStackConfigEntry, SpinStackCoordinator, SpinStackRuntimeData
from .insights import Insights, Request
from .panel import async_register_panel, async_remove_panel
from .plugins import PluginContext, user_agent_from_manifest
from .services import async_setup_services
from .store import SchemaTooNewError, Store
from .websocket import async_setup_websocket

PLATFORMS: list[Platform] = [Platform.BINARY_SENSOR, Platform.EVENT, Platform.SENSOR]

_LOGGER = logging.getLogger(__name__)

# Insights answers kept in memory per household (a few periods and filters the panel switches between).
INSIGHTS_KEPT = 8
# The panel's first question (prefetch.ts FIRST_QUERY: this month, every view, no filter), answered ahead.
PANEL_FIRST_REQUEST = Request()

__all__ = ["DOMAIN"]

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the services and the panel's websocket commands, whatever the number of entries."""
    async_setup_services(hass)
    async_setup_websocket(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: SpinStackConfigEntry) -> bool:
    """Open the play store and start hearing the household's speakers."""
    try:
        store = await Store.open(hass.config.path(DB_FILENAME), hass.config.time_zone)
    except SchemaTooNewError as err:
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN, translation_key="store_too_new", translation_placeholders={"error": str(err)}
        ) from err
    except OSError as err:
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN, translation_key="store_unavailable", translation_placeholders={"error": str(err)}
        ) from err
    integration = await async_get_integration(hass, DOMAIN)
    session = async_get_clientsession(hass)
    user_agent = user_agent_from_manifest(integration.manifest)
    coordinator = SpinStackCoordinator(
        hass, entry, store, plugin_context=lambda: PluginContext.create(session, user_agent)
    )
    entry.runtime_data = SpinStackRuntimeData(
        coordinator=coordinator, store=store, insights=Insights(store, keep=INSIGHTS_KEPT)
    )
    try:
        await coordinator.async_start()
    except BaseException:
        await coordinator.async_stop()
        await store.close()
        raise
    entry.async_on_unload(entry.add_update_listener(_async_options_updated))
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    await async_register_panel(hass)
    _async_warm_insights(hass, entry)
    entry.async_on_unload(coordinator.async_add_play_handler(lambda _play: _async_warm_insights(hass, entry)))
    return True


@callback
def _async_warm_insights(hass: HomeAssistant, entry: SpinStackConfigEntry) -> None:
    """Answer the panel's first question in the background, at start and after each play, so that the panel opens
    with its answer ready (it would otherwise wait for the views' queries). Plays counted while it is computed make
    one more computation, not one each (Insights.warm)."""
    data = entry.runtime_data
    task = entry.async_create_background_task(hass, _warm_insights(data.insights), "spinstack insights")
    data.warming.add(task)
    task.add_done_callback(data.warming.discard)


async def _warm_insights(insights: Insights) -> None:
    try:
        await insights.warm(PANEL_FIRST_REQUEST, time.time)
    except sqlite3.Error as err:
        # Only an answer computed ahead: the panel asks again and shows the error, if it lasts.
        _LOGGER.debug("Insights not computed ahead: %s", err)


async def _async_options_updated(hass: HomeAssistant, entry: SpinStackConfigEntry) -> None:
    """Options take effect at once, without a reload (a listen in progress is kept)."""
    entry.runtime_data.coordinator.apply_options(dict(entry.options))


async def async_unload_entry(hass: HomeAssistant, entry: SpinStackConfigEntry) -> bool:
    """Stop hearing, save the engine's state, close the store."""
    unloaded = await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
    if unloaded:
        data = entry.runtime_data
        await data.coordinator.async_stop()
        # Home Assistant cancels an entry's background tasks after this returns: a computation ahead would still be
        # reading when the store closes.
        warming = list(data.warming)
        for task in warming:
            task.cancel()
        await asyncio.gather(*warming, return_exceptions=True)
        await data.store.close()
        if not [other for other in hass.config_entries.async_loaded_entries(DOMAIN) if other is not entry]:
            async_remove_panel(hass)
    return unloaded
