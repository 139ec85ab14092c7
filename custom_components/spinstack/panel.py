"""The Listening Insights sidebar panel: the committed bundle (built from frontend/) served as a static path, and a
custom panel, shown while a SpinStack household is loaded."""

from __future__ import annotations

import hashlib
from pathlib import Path

from homeassistant.components import frontend, panel_custom
from homeassistant.components.http.server import StaticPathConfig
from homeassistant.core import HomeAssistant

from .const import DOMAIN

PANEL_URL_PATH = "spinstack"
PANEL_ELEMENT = "spinstack-panel"
STATIC_URL = "/spinstack_panel"
BUNDLE = Path(__file__).parent / "frontend" / "spinstack-panel.js"
_DATA_STATIC = f"{DOMAIN}_panel_static"


def _bundle_version() -> str:
    """A hash of the bundle, so browsers fetch a new one after an update (blocking: run in the executor)."""
    return hashlib.sha256(BUNDLE.read_bytes()).hexdigest()[:12]


async def async_register_panel(hass: HomeAssistant) -> None:
    """Serve the bundle and add the panel to the sidebar (the static path once per run of Home Assistant)."""
    version = hass.data.get(_DATA_STATIC)
    if version is None:
        version = await hass.async_add_executor_job(_bundle_version)
        await hass.http.async_register_static_paths([StaticPathConfig(STATIC_URL, str(BUNDLE.parent), True)])
        hass.data[_DATA_STATIC] = version
    if PANEL_URL_PATH in hass.data.get(frontend.DATA_PANELS, {}):
        return
    await panel_custom.async_register_panel(
        hass,
        frontend_url_path=PANEL_URL_PATH,
        webcomponent_name=PANEL_ELEMENT,
        sidebar_title="Listening Insights",
        sidebar_icon="mdi:chart-box-outline",
        module_url=f"{STATIC_URL}/{BUNDLE.name}?v={version}",
        require_admin=False,
    )


def async_remove_panel(hass: HomeAssistant) -> None:
    """Take the panel out of the sidebar (the last household was unloaded)."""
    frontend.async_remove_panel(hass, PANEL_URL_PATH, warn_if_unknown=False)
