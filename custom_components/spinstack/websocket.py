"""The Listening Insights panel's websocket commands (frontend/API.md): options, views, and the plays behind a
bar or cell. Input is validated here; errors are translated (Home Assistant sends their message)."""

from __future__ import annotations

import time
from typing import Any

from homeassistant.components.websocket_api import async_register_command
from homeassistant.components.websocket_api.connection import ActiveConnection
from homeassistant.components.websocket_api.decorators import async_response, websocket_command
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.typing import VolDictType
import probatio as vol

from .insights import PERIODS, VIEWS, InsightsError, Request, as_tuple, parse_dates
from .services import insights_error, loaded_entry

_PERIOD_FIELDS: VolDictType = {
    vol.Optional("entry_id"): cv.string,
    vol.Optional("period", default="month"): vol.In(PERIODS),
    vol.Optional("start"): cv.string,
    vol.Optional("end"): cv.string,
    vol.Optional("rooms"): [cv.string],
    vol.Optional("services"): [cv.string],
}


def _request(msg: dict[str, Any], views: tuple[str, ...] = VIEWS) -> Request:
    start, end = parse_dates(msg.get("start"), msg.get("end"))
    return Request(
        period=msg["period"],
        start=start,
        end=end,
        rooms=as_tuple(msg.get("rooms")),
        services=as_tuple(msg.get("services")),
        views=views,
    )


@websocket_command({vol.Required("type"): "spinstack/insights/options", vol.Optional("entry_id"): cv.string})
@async_response
async def ws_options(hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]) -> None:
    """What the pickers offer."""
    entry = loaded_entry(hass, msg.get("entry_id"))
    options = await entry.runtime_data.insights.options()
    connection.send_result(msg["id"], {"entry_id": entry.entry_id, "title": entry.title, **options})


@websocket_command(
    {
        vol.Required("type"): "spinstack/insights",
        **_PERIOD_FIELDS,
        vol.Optional("views"): [vol.In(VIEWS)],
    }
)
@async_response
async def ws_insights(hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]) -> None:
    """The views of a period."""
    entry = loaded_entry(hass, msg.get("entry_id"))
    try:
        request = _request(msg, tuple(dict.fromkeys(msg.get("views") or VIEWS)))
        result = await entry.runtime_data.insights.views(request, time.time())
    except InsightsError as err:
        raise insights_error(err) from err
    connection.send_result(msg["id"], result)


@websocket_command(
    {
        vol.Required("type"): "spinstack/insights/plays",
        **_PERIOD_FIELDS,
        vol.Required("drill"): dict,
        vol.Optional("limit", default=100): vol.All(vol.Coerce(int), vol.Range(min=1, max=500)),
    }
)
@async_response
async def ws_plays(hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]) -> None:
    """The plays behind a bar or a cell."""
    entry = loaded_entry(hass, msg.get("entry_id"))
    try:
        result = await entry.runtime_data.insights.plays(_request(msg), msg["drill"], time.time(), msg["limit"])
    except InsightsError as err:
        raise insights_error(err) from err
    connection.send_result(msg["id"], result)


@callback
def async_setup_websocket(hass: HomeAssistant) -> None:
    """Register the panel's commands (once)."""
    for command in (ws_options, ws_insights, ws_plays):
        async_register_command(hass, command)
