"""The insights as Home Assistant serves them: the get_insights service, the panel's websocket commands, and the
panel itself (its bundle served, its sidebar entry while a household is loaded)."""

from __future__ import annotations

from pathlib import Path
import re
import time
from typing import Any

from homeassistant.components import frontend
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator, WebSocketGenerator

from custom_components.spinstack import PANEL_FIRST_REQUEST
from custom_components.spinstack.const import DOMAIN
from custom_components.spinstack.engine import Play
from custom_components.spinstack.insights import Insights, Request
from custom_components.spinstack.panel import BUNDLE, PANEL_URL_PATH
from emulator import Household

from .conftest import answer_kept, make_entry, setup_entry


def _plays(now: float) -> list[Play]:
    rooms = ("Living Room", "Kitchen")
    return [
        Play(
            started_at=now - 3600 * (i + 1),
            artist=f"Artist {i % 3}",
            title=f"Song {i % 5}",
            album=f"Album {i % 2}",
            album_artist=None,
            duration=200.0,
            heard=120.0,
            service="spotify" if i % 4 else "tunein",
            kind="on_demand" if i % 4 else "radio",
            speaker=f"RINCON_{i % 2}",
            room=rooms[i % 2],
        )
        for i in range(12)
    ]


async def _seeded(hass: HomeAssistant, household: Household) -> Any:
    entry = make_entry(household, "Living Room")
    await setup_entry(hass, entry)
    store = entry.runtime_data.store
    assert await store.add_plays(_plays(time.time()), origin="import:test") == 12
    return entry


async def test_get_insights_service(hass: HomeAssistant, household: Household) -> None:
    await _seeded(hass, household)
    response: Any = await hass.services.async_call(
        DOMAIN, "get_insights", {"period": "all", "rooms": ["Kitchen"]}, blocking=True, return_response=True
    )
    assert response is not None
    assert response["summary"] == {"plays": 6, "heard": 720, "active_days": response["summary"]["active_days"]}
    assert {row["room"] for row in response["breakdown"]["rooms"]} == {"Kitchen"}
    only: Any = await hass.services.async_call(
        DOMAIN, "get_insights", {"period": "all", "views": ["summary"]}, blocking=True, return_response=True
    )
    assert only is not None
    assert set(only) == {"period", "filters", "summary"}
    assert only["summary"]["plays"] == 12

    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN,
            "get_insights",
            {"period": "custom", "start": "2026-02-01", "end": "2026-01-01"},
            blocking=True,
            return_response=True,
        )
    assert err.value.translation_key == "period_reversed"
    assert "after its end" in str(err.value)
    with pytest.raises(Exception, match="period"):
        await hass.services.async_call(
            DOMAIN, "get_insights", {"period": "decade"}, blocking=True, return_response=True
        )


async def test_the_panels_first_answer_is_ready_and_never_stale(
    hass: HomeAssistant, household: Household, hass_ws_client: WebSocketGenerator
) -> None:
    """Computed ahead when the household is loaded; plays written since (an import here) are in the next answer."""
    entry = make_entry(household, "Living Room")
    await setup_entry(hass, entry)
    await answer_kept(entry)
    insights = entry.runtime_data.insights

    store = entry.runtime_data.store
    assert await store.add_plays(_plays(time.time()), origin="import:test") == 12
    assert not await insights.is_kept(PANEL_FIRST_REQUEST, time.time())
    client = await hass_ws_client(hass)
    await client.send_json_auto_id({"type": "spinstack/insights", "period": "month"})
    answer = await client.receive_json()
    assert answer["success"], answer
    fresh = await Insights(store).views(PANEL_FIRST_REQUEST, time.time())
    assert answer["result"]["summary"] == fresh["summary"]
    assert answer["result"]["summary"]["plays"] > 0

    # What the service returns is the caller's own: changing it changes no later answer.
    response: Any = await hass.services.async_call(DOMAIN, "get_insights", {}, blocking=True, return_response=True)
    response["summary"]["plays"] = -1
    again: Any = await hass.services.async_call(DOMAIN, "get_insights", {}, blocking=True, return_response=True)
    assert again["summary"] == fresh["summary"]


async def test_panel_websocket_commands(
    hass: HomeAssistant, household: Household, hass_ws_client: WebSocketGenerator
) -> None:
    entry = await _seeded(hass, household)
    client = await hass_ws_client(hass)

    await client.send_json_auto_id({"type": "spinstack/insights/options"})
    options = await client.receive_json()
    assert options["success"], options
    assert options["result"]["entry_id"] == entry.entry_id
    assert options["result"]["rooms"] == ["Kitchen", "Living Room"]
    assert options["result"]["services"] == ["spotify", "tunein"]

    await client.send_json_auto_id({"type": "spinstack/insights", "period": "all", "services": ["tunein"]})
    insights = await client.receive_json()
    assert insights["success"], insights
    assert insights["result"]["summary"]["plays"] == 3
    assert [s["service"] for s in insights["result"]["breakdown"]["services"]] == ["tunein"]

    await client.send_json_auto_id(
        {"type": "spinstack/insights/plays", "period": "all", "drill": {"room": "Kitchen"}, "limit": 2}
    )
    plays = await client.receive_json()
    assert plays["success"], plays
    assert len(plays["result"]["plays"]) == 2
    assert plays["result"]["truncated"] is True

    await client.send_json_auto_id({"type": "spinstack/insights/plays", "period": "all", "drill": {"colour": "red"}})
    error = await client.receive_json()
    assert not error["success"]
    assert error["error"]["translation_key"] == "unknown_drill"
    assert "colour" in error["error"]["message"]

    await client.send_json_auto_id({"type": "spinstack/insights", "period": "fortnight"})
    invalid = await client.receive_json()
    assert not invalid["success"]
    assert invalid["error"]["code"] == "invalid_format"

    await client.send_json_auto_id({"type": "spinstack/insights/options", "entry_id": "nope"})
    missing = await client.receive_json()
    assert missing["error"]["translation_key"] == "entry_not_found"


async def test_panel_is_served_while_a_household_is_loaded(
    hass: HomeAssistant, household: Household, hass_client: ClientSessionGenerator
) -> None:
    entry = await _seeded(hass, household)
    panels = hass.data[frontend.DATA_PANELS]
    assert PANEL_URL_PATH in panels
    panel = panels[PANEL_URL_PATH]
    custom = panel.config["_panel_custom"]  # type: ignore[index]
    assert custom["name"] == "spinstack-panel"
    module_url = custom["module_url"]
    client = await hass_client()
    response = await client.get(module_url)
    assert response.status == 200
    assert await response.read() == BUNDLE.read_bytes()

    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert PANEL_URL_PATH not in hass.data[frontend.DATA_PANELS]
    # Loaded again: back in the sidebar (the static path is registered once per run).
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert PANEL_URL_PATH in hass.data[frontend.DATA_PANELS]


def test_the_answer_kept_ready_is_the_panels_first_question() -> None:
    """prefetch.ts asks FIRST_QUERY first (every view, no filter): the request Home Assistant answers ahead."""
    source = (Path(__file__).parents[2] / "frontend" / "src" / "prefetch.ts").read_text()
    match = re.search(r"FIRST_QUERY: InsightsQuery = \{ period: \"(\w+)\" \};", source)
    assert match is not None
    assert Request(period=match.group(1)) == PANEL_FIRST_REQUEST
