"""Security in Home Assistant: who may read the listening history over the websocket, what diagnostics and the log
give away of the plugins' secrets, and what services answer to input of the wrong type.

Found here: Home Assistant's websocket API refuses every command before an access token is given (there is no
unauthenticated path to SpinStack's commands); SpinStack's commands and its panel are open to every logged-in
user, admins or not (the panel is registered with ``require_admin=False`` and the commands carry no
``require_admin``: the household's listening history is the household's). Diagnostics must redact every secret
option a built-in plugin declares: the committed diagnostics.py printed the Discogs token and the Odesli key as they
are (test_diagnostics_redact_the_plugins_secrets).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
import functools
import json
import logging
from pathlib import Path
import re
import time
from typing import Any

from aiohttp import WSMsgType
from homeassistant.components import frontend
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.setup import async_setup_component
import probatio as vol
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import get_diagnostics_for_config_entry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator, WebSocketGenerator

from custom_components.spinstack.const import (
    CONF_HOSTS,
    CONF_HOUSEHOLD_ID,
    CONF_MIN_TRACK_SECONDS,
    CONF_RADIO_MIN_SECONDS,
    CONF_SPEAKERS,
    CONF_THRESHOLD_CAP_SECONDS,
    CONF_THRESHOLD_PERCENT,
    DOMAIN,
)
from custom_components.spinstack.engine import Play
from custom_components.spinstack.panel import BUNDLE, PANEL_URL_PATH, STATIC_URL
from custom_components.spinstack.plugins import BUILTIN_PLUGINS, base as plugin_base, endpoints
from custom_components.spinstack.plugins.base import RetryPolicy
from custom_components.spinstack.sonos.listener import ListenerState
from fakes.services import FakeServices
from tests.emulator.helpers import wait_for

from .conftest import MakeHousehold

STRINGS = json.loads((Path(__file__).resolve().parents[2] / "custom_components" / DOMAIN / "strings.json").read_text())


def secret_options() -> dict[str, dict[str, Any]]:
    """Every built-in plugin that declares a secret option, on, with a value of its own for each secret."""
    options: dict[str, dict[str, Any]] = {}
    for name, plugin in BUILTIN_PLUGINS.items():
        secrets = {
            spec.name: f"spinstack-{name}-{spec.name}-5c1f9e27a8" for spec in plugin.options if spec.kind == "secret"
        }
        if secrets:
            options[name] = {"enabled": True, **secrets}
    return options


PLUGINS = secret_options()
SECRETS = [value for options in PLUGINS.values() for key, value in options.items() if key != "enabled"]
# Discogs' token (the fakes know it not: 401) and Odesli's key, at least.
assert {"discogs", "odesli"} <= set(PLUGINS)
COMMANDS: list[dict[str, Any]] = [
    {"type": "spinstack/insights/options"},
    {"type": "spinstack/insights", "period": "all", "views": ["summary"]},
    {"type": "spinstack/insights/plays", "period": "all", "drill": {"room": "Kitchen"}},
]


@pytest.fixture(autouse=True)
def config_dir(hass: HomeAssistant, tmp_path: Path) -> Path:
    """Each test's own config folder: SpinStack's SQLite file lives there."""
    hass.config.config_dir = str(tmp_path)
    return tmp_path


@pytest.fixture
async def services(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeServices]:
    """The music services, served locally; the plugins are pointed at them."""
    fakes = FakeServices()
    await fakes.start()
    monkeypatch.setattr(endpoints, "BASE_URLS", fakes.base_urls)
    yield fakes
    await fakes.close()


async def load(hass: HomeAssistant, make_household: MakeHousehold, **options: Any) -> MockConfigEntry:
    household = await make_household("Living Room")
    speaker = household.speakers[0]
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Sonos household",
        unique_id=household.household_id,
        data={CONF_HOUSEHOLD_ID: household.household_id, CONF_HOSTS: {speaker.uid: speaker.ip}},
        options={
            CONF_SPEAKERS: [speaker.uid],
            CONF_MIN_TRACK_SECONDS: 30,
            CONF_THRESHOLD_PERCENT: 50,
            CONF_THRESHOLD_CAP_SECONDS: 240,
            CONF_RADIO_MIN_SECONDS: 30,
            **options,
        },
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    # Subscribed before anything else: unloading while SoCo subscribes makes SoCo's own task fail (it sets the
    # result of a future the cancelled subscription already cancelled: InvalidStateError).
    listeners = entry.runtime_data.coordinator.listeners
    await wait_for(
        lambda: bool(listeners) and all(one.health.state is ListenerState.SUBSCRIBED for one in listeners.values()),
        within=15,
    )
    plays = [
        Play(
            started_at=time.time() - 3600 * (i + 1),
            artist="Daft Punk",
            title="One More Time",
            album="Discovery",
            album_artist=None,
            duration=320.0,
            heard=200.0,
            service="spotify",
            kind="on_demand",
            speaker=speaker.uid,
            room="Kitchen",
        )
        for i in range(3)
    ]
    assert await entry.runtime_data.store.add_plays(plays, origin="import:test") == 3
    return entry


@pytest.fixture
async def entry(hass: HomeAssistant, make_household: MakeHousehold) -> AsyncIterator[MockConfigEntry]:
    """A household of one room, three plays stored, no plugin."""
    made = await load(hass, make_household)
    yield made
    await unload(hass)


async def unload(hass: HomeAssistant) -> None:
    """Stop hearing the speakers before they go (the household fixture stops them after the test)."""
    for loaded in hass.config_entries.async_entries(DOMAIN):
        if loaded.state is ConfigEntryState.LOADED:
            await hass.config_entries.async_unload(loaded.entry_id)
    await hass.async_block_till_done()


# -- the websocket commands ------------------------------------------------------------------------------------------
# aiohttp leaves the heartbeat timer of a websocket that the server closed (after auth_invalid, or a revoked token)
# scheduled: Home Assistant's test plugin would fail the test for it.
SERVER_CLOSED_WEBSOCKETS = pytest.mark.parametrize("expected_lingering_timers", [True])


@SERVER_CLOSED_WEBSOCKETS
@pytest.mark.parametrize("command", COMMANDS, ids=[command["type"] for command in COMMANDS])
async def test_commands_refuse_a_connection_that_has_not_logged_in(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    aiohttp_client: ClientSessionGenerator,
    command: dict[str, Any],
) -> None:
    """Before a valid access token, Home Assistant answers any message with auth_invalid and closes: the command
    is never run. So it is with no token, a wrong one, and a token that was revoked."""
    assert await async_setup_component(hass, "websocket_api", {})
    client = await aiohttp_client(hass.http.app)
    for first in (
        {"id": 1, **command},  # the command itself, as the first message
        {"type": "auth", "access_token": "not-a-token"},
        {"type": "auth"},
    ):
        websocket = await client.ws_connect("/api/websocket")
        assert (await websocket.receive_json())["type"] == "auth_required"
        await websocket.send_json(first)
        refused = await websocket.receive_json()
        assert refused["type"] == "auth_invalid", refused
        closing = await websocket.receive()
        assert closing.type in (WSMsgType.CLOSE, WSMsgType.CLOSED, WSMsgType.CLOSING), closing
        await websocket.close()
    await client.close()
    await hass.async_block_till_done()


async def test_commands_answer_any_logged_in_user_admin_or_not(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
    hass_read_only_access_token: str,
) -> None:
    """Logged in (admin, or a read-only user), each command answers; the panel is in everyone's sidebar."""
    for client in (await hass_ws_client(hass), await hass_ws_client(hass, hass_read_only_access_token)):
        for command in COMMANDS:
            await client.send_json_auto_id(dict(command))
            reply = await client.receive_json()
            assert reply["success"], reply
    panel = hass.data[frontend.DATA_PANELS][PANEL_URL_PATH]
    assert panel.require_admin is False


@SERVER_CLOSED_WEBSOCKETS
async def test_a_revoked_token_ends_the_connection(
    hass: HomeAssistant, entry: MockConfigEntry, hass_ws_client: WebSocketGenerator, hass_access_token: str
) -> None:
    client = await hass_ws_client(hass, hass_access_token)
    await client.send_json_auto_id(dict(COMMANDS[0]))
    assert (await client.receive_json())["success"]
    refresh_token = hass.auth.async_validate_access_token(hass_access_token)
    assert refresh_token is not None
    hass.auth.async_remove_refresh_token(refresh_token)
    closing = await client.receive()
    assert closing.type in (WSMsgType.CLOSE, WSMsgType.CLOSED, WSMsgType.CLOSING)


async def test_the_panel_bundle_is_public_and_holds_no_data(
    hass: HomeAssistant, entry: MockConfigEntry, aiohttp_client: ClientSessionGenerator
) -> None:
    """The bundle is served without login, like Home Assistant's own frontend files: code only, no plays (the data
    comes over the authenticated websocket)."""
    client = await aiohttp_client(hass.http.app)
    response = await client.get(f"{STATIC_URL}/{BUNDLE.name}")
    assert response.status == 200
    body = await response.text()
    assert "One More Time" not in body
    assert "Daft Punk" not in body


async def test_invalid_command_input_is_refused_cleanly(
    hass: HomeAssistant, entry: MockConfigEntry, hass_ws_client: WebSocketGenerator
) -> None:
    client = await hass_ws_client(hass)
    for command, code in (
        ({"type": "spinstack/insights/plays", "drill": {"room": "Kitchen"}, "limit": "abc"}, "invalid_format"),
        ({"type": "spinstack/insights/plays", "drill": {"room": "Kitchen"}, "limit": -1}, "invalid_format"),
        ({"type": "spinstack/insights/plays", "drill": "Kitchen"}, "invalid_format"),
        ({"type": "spinstack/insights", "period": 42}, "invalid_format"),
        ({"type": "spinstack/insights", "views": ["summary; DROP TABLE plays"]}, "invalid_format"),
        ({"type": "spinstack/insights/plays", "drill": {"room'; DROP TABLE plays; --": 1}}, "unknown_drill"),
        ({"type": "spinstack/insights/plays", "drill": {"artist_id": "1 OR 1=1"}}, "invalid_drill_value"),
        ({"type": "spinstack/insights", "period": "custom", "start": "2026-02-30"}, "invalid_date"),
    ):
        await client.send_json_auto_id(command)
        reply = await client.receive_json()
        assert not reply["success"], reply
        error = reply["error"]
        if code == "invalid_format":
            assert error["code"] == code, reply
        else:
            # SpinStack's own refusals, translated (a ServiceValidationError goes out as home_assistant_error).
            assert (error["code"], error["translation_domain"], error["translation_key"]) == (
                "home_assistant_error",
                DOMAIN,
                code,
            )
        assert "Traceback" not in error["message"]
    # And the plays are all there.
    await client.send_json_auto_id({"type": "spinstack/insights", "period": "all", "views": ["summary"]})
    assert (await client.receive_json())["result"]["summary"]["plays"] == 3


# -- secrets: diagnostics and the log -------------------------------------------------------------------------------
async def test_diagnostics_redact_the_plugins_secrets(
    hass: HomeAssistant,
    make_household: MakeHousehold,
    services: FakeServices,
    hass_client: ClientSessionGenerator,
) -> None:
    entry = await load(hass, make_household, plugins=PLUGINS)
    try:
        diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    finally:
        await unload(hass)
    text = json.dumps(diagnostics)
    for secret in SECRETS:
        assert secret not in text
    shown: Any = diagnostics["entry"]
    for name, options in PLUGINS.items():
        for key in options:
            if key != "enabled":
                assert shown["options"]["plugins"][name][key] == "**REDACTED**", (name, key)


async def test_diagnostics_redact_addresses_and_the_household(
    hass: HomeAssistant, entry: MockConfigEntry, hass_client: ClientSessionGenerator
) -> None:
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    text = json.dumps(diagnostics)
    assert "**REDACTED**" in text
    household = entry.data[CONF_HOUSEHOLD_ID]
    assert household not in text
    for host in entry.data[CONF_HOSTS].values():
        assert host not in text


async def test_plugin_failures_never_log_a_secret(
    hass: HomeAssistant,
    make_household: MakeHousehold,
    services: FakeServices,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Discogs refuses the token (401); then the services are gone (connection refused); then they answer 500: the
    log at every level, the errors the services raise and the health the entities show never carry a secret."""
    monkeypatch.setattr(plugin_base, "RetryPolicy", functools.partial(RetryPolicy, attempts=2, base=0.01, cap=0.05))
    caplog.set_level(logging.DEBUG)
    entry = await load(hass, make_household, plugins=PLUGINS)
    enricher = entry.runtime_data.coordinator.enricher
    errors: list[str] = []

    async def lookup() -> None:
        with pytest.raises(HomeAssistantError) as err:
            await hass.services.async_call(
                DOMAIN, "lookup_isrc", {"artist": "Air", "title": "Sexy Boy"}, blocking=True, return_response=True
            )
        errors.append(f"{err.value!r} {err.value}")

    try:
        await hass.services.async_call(DOMAIN, "enrich", {}, blocking=True, return_response=True)
        await wait_for(lambda: enricher.health()["discogs"].state == "misconfigured", within=20)
        assert "SpinStack's discogs plugin needs new options" in caplog.text
        for service in services:
            await service.go_offline()
        await lookup()
        for service in services:
            await service.come_online()
            service.inject("*", status=500, count=None)
        await lookup()
        health = repr(enricher.health())
    finally:
        await unload(hass)
    # The fakes log the requests they get, query strings and all (Odesli's key is one): that is the services' side.
    ours = "\n".join(
        f"{record.name} {record.getMessage()} {record.exc_text or ''}"
        for record in caplog.records
        if not record.name.startswith(("aiohttp.access", "fakes."))
    )
    assert "discogs refused the request (HTTP 401" in ours
    assert len(errors) == 2
    for secret in SECRETS:
        assert secret not in ours
        assert secret not in health
        assert not [error for error in errors if secret in error]


# -- services: input of the wrong type ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("service", "data", "field"),
    [
        ("recent_plays", {"limit": "abc"}, "limit"),
        ("recent_plays", {"limit": -1}, "limit"),
        ("recent_plays", {"limit": 0}, "limit"),
        ("recent_plays", {"limit": 1001}, "limit"),
        ("recent_plays", {"limit": [20]}, "limit"),
        ("recent_plays", {"limit": "20; DROP TABLE plays"}, "limit"),
        ("recent_plays", {"unknown": 1}, "unknown"),
        ("get_insights", {"period": 42}, "period"),
        ("get_insights", {"period": "decade"}, "period"),
        ("get_insights", {"period": "custom", "start": "yesterday"}, "start"),
        ("get_insights", {"views": ["summary", "nope"]}, "views"),
        ("get_insights", {"rooms": [{"a": 1}]}, "rooms"),
        ("lookup_isrc", {"artist": "", "title": "One More Time"}, "artist"),
        ("lookup_isrc", {"artist": "x" * 501, "title": "One More Time"}, "artist"),
        ("lookup_isrc", {"title": "One More Time"}, "artist"),
        ("enrich", {"cancel": "maybe"}, "cancel"),
    ],
)
async def test_services_refuse_input_of_the_wrong_type(
    hass: HomeAssistant, entry: MockConfigEntry, service: str, data: dict[str, Any], field: str
) -> None:
    """Refused by the service's schema (Home Assistant raises vol.Invalid, naming the field) before SpinStack runs."""
    with pytest.raises(vol.Invalid) as err:
        await hass.services.async_call(DOMAIN, service, data, blocking=True, return_response=True)
    assert re.search(rf"\b{field}\b", str(err.value)), str(err.value)
    assert not isinstance(err.value, ServiceValidationError)


@pytest.mark.parametrize(
    ("service", "data", "key"),
    [
        ("recent_plays", {"config_entry_id": "not-an-entry"}, "entry_not_found"),
        ("recent_plays", {"config_entry_id": 42}, "entry_not_found"),
        ("get_insights", {"period": "custom"}, "custom_period_incomplete"),
        ("get_insights", {"period": "custom", "start": "2026-02-01", "end": "2026-01-01"}, "period_reversed"),
        ("enrich", {}, "no_plugins_enabled"),
    ],
)
async def test_services_refuse_wrong_values_with_a_translated_error(
    hass: HomeAssistant, entry: MockConfigEntry, service: str, data: dict[str, Any], key: str
) -> None:
    """Well-typed input SpinStack cannot use: ServiceValidationError with SpinStack's translation key, whose
    message strings.json holds (and Home Assistant shows)."""
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(DOMAIN, service, data, blocking=True, return_response=True)
    assert err.value.translation_domain == DOMAIN
    assert err.value.translation_key == key
    assert STRINGS["exceptions"][key]["message"]
    assert str(err.value)
    assert str(err.value) != key
