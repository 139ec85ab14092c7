"""The Listening Insights sidebar panel: the committed bundle (built from frontend/) served as a static path, and a
custom panel, shown while a SpinStack household is loaded.

With the panel comes its preloader, a module of a few hundred bytes Home Assistant imports on every page beside its
own entry points (an "extra module"): on the panel's own address it imports the bundle and sends the panel's first
websocket requests while Home Assistant's frontend is still booting; elsewhere it does nothing. Both files are
served with long-lived cache headers; their address carries a hash of both (``?v=``), so an update is fetched anew."""

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
PRELOADER = BUNDLE.with_name("spinstack-preload.js")
_DATA_STATIC = f"{DOMAIN}_panel_static"


def _bundle_version() -> str:
    """A hash of the bundle and its preloader, so browsers fetch new ones after an update (blocking: run in the
    executor). The preloader imports the bundle with its own query string: both carry the same version."""
    digest = hashlib.sha256()
    for path in (BUNDLE, PRELOADER):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def _preloader_url(version: str) -> str:
    return f"{STATIC_URL}/{PRELOADER.name}?v={version}"


async def async_register_panel(hass: HomeAssistant) -> None:
    """Serve the bundle and add the panel to the sidebar (the static path once per run of Home Assistant)."""
    version: str | None = hass.data.get(_DATA_STATIC)
    if version is None:
        version = await hass.async_add_executor_job(_bundle_version)
        await hass.http.async_register_static_paths([StaticPathConfig(STATIC_URL, str(BUNDLE.parent), True)])
        hass.data[_DATA_STATIC] = version
    if PANEL_URL_PATH in hass.data.get(frontend.DATA_PANELS, {}):
        return
    # The preloader's address must be the panel's module_url with the other file name: it imports the bundle there.
    frontend.add_extra_js_url(hass, _preloader_url(version))
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
    """Take the panel out of the sidebar, and its preloader off Home Assistant's pages (the last household was
    unloaded)."""
    frontend.async_remove_panel(hass, PANEL_URL_PATH, warn_if_unknown=False)
    version: str | None = hass.data.get(_DATA_STATIC)
    if version is not None:
        frontend.remove_extra_js_url(hass, _preloader_url(version))
