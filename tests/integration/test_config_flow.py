"""SpinStack's config, options and reconfigure flows, against emulated Sonos households over real HTTP."""

from __future__ import annotations

from dataclasses import replace
import json
from pathlib import Path
import re
from typing import Any
from unittest.mock import AsyncMock

import homeassistant
from homeassistant.config_entries import SOURCE_SSDP, SOURCE_USER, ConfigFlowResult
from homeassistant.const import CONF_ENTITY_ID, CONF_HOST
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.service_info.ssdp import SsdpServiceInfo
import probatio
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.spinstack import config_flow
from custom_components.spinstack.const import (
    CONF_HOSTS,
    CONF_HOUSEHOLD_ID,
    CONF_MIN_TRACK_SECONDS,
    CONF_RADIO_MIN_SECONDS,
    CONF_SPEAKERS,
    CONF_THRESHOLD_CAP_SECONDS,
    CONF_THRESHOLD_PERCENT,
    DOMAIN,
    SONOS_DOMAIN,
    SONOS_ST,
)
from emulator import Household

from .conftest import OTHER_FIRST_IP, UNREACHABLE_HOST, MakeHousehold

pytestmark = pytest.mark.usefixtures("mock_setup_entry")

DEFAULT_RULES = {
    CONF_MIN_TRACK_SECONDS: 30,
    CONF_THRESHOLD_PERCENT: 50,
    CONF_THRESHOLD_CAP_SECONDS: 240,
    CONF_RADIO_MIN_SECONDS: 30,
}
INTEGRATION = Path(__file__).resolve().parents[2] / "custom_components" / "spinstack"


def uids(household: Household) -> dict[str, str]:
    """The household's uids by room."""
    return {speaker.name: speaker.uid for speaker in household.speakers}


def hosts(household: Household) -> dict[str, str]:
    """The household's addresses by uid."""
    return {speaker.uid: speaker.ip for speaker in household.speakers}


def field(result: ConfigFlowResult, name: str) -> tuple[Any, Any]:
    """The (marker, selector) of a form's field."""
    schema = result["data_schema"]
    assert schema is not None
    for marker, selector in schema.schema.items():
        if str(marker) == name:
            return marker, selector
    raise AssertionError(f"no field {name}")


def choices(result: ConfigFlowResult, name: str = CONF_SPEAKERS) -> dict[str, str]:
    """A select field's options: label by value."""
    _, selector = field(result, name)
    return {option["value"]: option["label"] for option in selector.config["options"]}


def default(result: ConfigFlowResult, name: str) -> Any:
    """A field's default value."""
    marker, _ = field(result, name)
    return marker.default()


def suggested(result: ConfigFlowResult, name: str) -> Any:
    """A field's suggested value."""
    marker, _ = field(result, name)
    return (marker.description or {}).get("suggested_value")


def ssdp_info(ip: str, uid: str, household_id: str | None = None, manufacturer: str = "Sonos, Inc.") -> SsdpServiceInfo:
    """What Home Assistant's SSDP integration reports of a ZonePlayer."""
    headers = {"X-RINCON-HOUSEHOLD": household_id} if household_id else {}
    return SsdpServiceInfo(
        ssdp_usn=f"uuid:{uid}::{SONOS_ST}",
        ssdp_st=SONOS_ST,
        ssdp_location=f"http://{ip}:1400/xml/device_description.xml",
        ssdp_udn=f"uuid:{uid}",
        ssdp_headers=headers,
        upnp={
            "deviceType": SONOS_ST,
            "friendlyName": f"{ip} - Sonos One",
            "manufacturer": manufacturer,
            "modelName": "Sonos One",
            "UDN": f"uuid:{uid}",
        },
    )


def household_entry(household: Household, *, host_map: dict[str, str] | None = None, **options: Any) -> MockConfigEntry:
    """A SpinStack entry of `household`."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Sonos: Bedroom, Kitchen +1",
        unique_id=household.household_id,
        data={
            CONF_HOUSEHOLD_ID: household.household_id,
            CONF_HOSTS: hosts(household) if host_map is None else host_map,
        },
        options={CONF_SPEAKERS: list(uids(household).values()), **DEFAULT_RULES, **options},
    )


async def start_manual(hass: HomeAssistant) -> ConfigFlowResult:
    """A user flow without Sonos media players: the address form."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "manual"
    return result


# -- manual ------------------------------------------------------------------------------------------------------------
async def test_user_without_sonos_players_goes_to_manual_and_creates_one_entry(
    hass: HomeAssistant, household: Household, mock_setup_entry: AsyncMock
) -> None:
    room = uids(household)
    result = await start_manual(hass)
    assert result["errors"] == {}

    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_HOST: "127.0.20.3"})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "speakers"
    assert result["description_placeholders"] == {"count": "3"}
    # Every visible speaker, by room, all chosen by default.
    assert choices(result) == {
        room["Bedroom"]: "Bedroom",
        room["Kitchen"]: "Kitchen",
        room["Living Room"]: "Living Room",
    }
    assert default(result, CONF_SPEAKERS) == [room["Bedroom"], room["Kitchen"], room["Living Room"]]

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_SPEAKERS: [room["Living Room"], room["Kitchen"]]}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Sonos: Bedroom, Kitchen +1"
    assert result["data"] == {CONF_HOUSEHOLD_ID: household.household_id, CONF_HOSTS: hosts(household)}
    assert result["options"] == {CONF_SPEAKERS: [room["Kitchen"], room["Living Room"]], **DEFAULT_RULES}
    entry = result["result"]
    assert entry.unique_id == household.household_id
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1
    assert len(mock_setup_entry.mock_calls) == 1


async def test_manual_same_household_aborts(hass: HomeAssistant, household: Household) -> None:
    household_entry(household).add_to_hass(hass)
    result = await start_manual(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_HOST: "127.0.20.4"})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_manual_unreachable_shows_cannot_connect_then_recovers(
    hass: HomeAssistant, make_household: MakeHousehold
) -> None:
    household = await make_household("Office", "Den")
    result = await start_manual(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_HOST: UNREACHABLE_HOST})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cannot_connect"}
    assert suggested(result, CONF_HOST) == UNREACHABLE_HOST

    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_HOST: " 127.0.20.2 "})
    assert result["step_id"] == "speakers"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Sonos: Den, Office"
    assert result["options"][CONF_SPEAKERS] == [uids(household)["Den"], uids(household)["Office"]]


async def test_manual_offline_speaker_cannot_connect(hass: HomeAssistant, household: Household) -> None:
    await household.speakers[1].go_offline()
    result = await start_manual(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_HOST: "127.0.20.3"})
    assert result["errors"] == {"base": "cannot_connect"}
    # The rest of the household answers; the offline room is not offered.
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_HOST: "127.0.20.2"})
    assert set(choices(result).values()) == {"Living Room", "Bedroom"}


async def test_manual_unexpected_error_shows_unknown_then_recovers(
    hass: HomeAssistant, household: Household, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    real = config_flow._read_household

    def broken(host: str) -> config_flow.HouseholdInfo:
        raise KeyError("CurrentHouseholdID")

    monkeypatch.setattr(config_flow, "_read_household", broken)
    result = await start_manual(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_HOST: "127.0.20.2"})
    assert result["errors"] == {"base": "unknown"}
    assert "Unexpected error reading the Sonos household at 127.0.20.2" in caplog.text

    monkeypatch.setattr(config_flow, "_read_household", real)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_HOST: "127.0.20.2"})
    assert result["step_id"] == "speakers"


async def test_manual_household_without_visible_speakers(
    hass: HomeAssistant, household: Household, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = config_flow._read_household

    def without_speakers(host: str) -> config_flow.HouseholdInfo:
        # A household of a bridge (or of satellites) only: nothing SpinStack can listen to.
        return replace(real(host), members={})

    monkeypatch.setattr(config_flow, "_read_household", without_speakers)
    result = await start_manual(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_HOST: "127.0.20.2"})
    assert result["errors"] == {"base": "no_speakers"}


async def test_speakers_step_needs_one_speaker(hass: HomeAssistant, household: Household) -> None:
    result = await start_manual(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_HOST: "127.0.20.2"})
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_SPEAKERS: []})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "no_speakers"}
    with pytest.raises(probatio.Invalid):
        await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_SPEAKERS: ["RINCON_NOT_HERE"]})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_SPEAKERS: [uids(household)["Bedroom"]]}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["options"][CONF_SPEAKERS] == [uids(household)["Bedroom"]]


# -- Sonos media players ---------------------------------------------------------------------------------------------
def add_sonos_player(
    hass: HomeAssistant, sonos_entry: MockConfigEntry, uid: str, room: str, configuration_url: str | None
) -> str:
    """A media player of core Sonos (unique id: the speaker's uid), with its device; returns the entity id."""
    device_id = None
    if configuration_url != "no device":
        device = dr.async_get(hass).async_get_or_create(
            config_entry_id=sonos_entry.entry_id,
            identifiers={(SONOS_DOMAIN, uid)},
            manufacturer="Sonos",
            name=room,
            configuration_url=configuration_url,
        )
        device_id = device.id
    entity = er.async_get(hass).async_get_or_create(
        "media_player",
        SONOS_DOMAIN,
        uid,
        config_entry=sonos_entry,
        device_id=device_id,
        suggested_object_id=room.lower().replace(" ", "_"),
        original_name=None,
    )
    return entity.entity_id


async def test_user_resolves_sonos_media_players(
    hass: HomeAssistant, household: Household, mock_setup_entry: AsyncMock
) -> None:
    room = uids(household)
    sonos_entry = MockConfigEntry(domain=SONOS_DOMAIN)
    sonos_entry.add_to_hass(hass)
    # The kitchen's device still has an address the speaker no longer answers on; the living room's is right.
    kitchen = add_sonos_player(hass, sonos_entry, room["Kitchen"], "Kitchen", f"http://{UNREACHABLE_HOST}:1400/x")
    living = add_sonos_player(hass, sonos_entry, room["Living Room"], "Living Room", "http://127.0.20.2:1400/support")
    bedroom = add_sonos_player(hass, sonos_entry, room["Bedroom"], "Bedroom", None)
    satellite = add_sonos_player(hass, sonos_entry, "RINCON_SATELLITE01400", "Sub", "no device")
    disabled = er.async_get(hass).async_get_or_create(
        "media_player",
        SONOS_DOMAIN,
        "RINCON_DISABLED01400",
        config_entry=sonos_entry,
        disabled_by=er.RegistryEntryDisabler.USER,
    )
    er.async_get(hass).async_get_or_create("media_player", "cast", "not-sonos", suggested_object_id="tv")

    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["entities", "manual"]

    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"next_step_id": "entities"})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "entities"
    offered = default(result, CONF_ENTITY_ID)
    assert set(offered) == {kitchen, living, bedroom, satellite}
    assert disabled.entity_id not in offered

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_ENTITY_ID: [kitchen, living, satellite]}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "speakers"
    # The chosen players are the speakers chosen by default (a satellite is no room of its own).
    assert default(result, CONF_SPEAKERS) == [room["Kitchen"], room["Living Room"]]
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == household.household_id
    assert result["data"][CONF_HOSTS] == hosts(household)
    assert result["options"][CONF_SPEAKERS] == [room["Kitchen"], room["Living Room"]]
    assert len(mock_setup_entry.mock_calls) == 1


async def test_user_sonos_players_unreachable_or_none_chosen(hass: HomeAssistant, household: Household) -> None:
    room = uids(household)
    sonos_entry = MockConfigEntry(domain=SONOS_DOMAIN)
    sonos_entry.add_to_hass(hass)
    kitchen = add_sonos_player(hass, sonos_entry, room["Kitchen"], "Kitchen", f"http://{UNREACHABLE_HOST}:1400/x")
    bedroom = add_sonos_player(hass, sonos_entry, room["Bedroom"], "Bedroom", None)

    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"next_step_id": "entities"})
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_ENTITY_ID: []})
    assert result["errors"] == {"base": "no_speakers"}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_ENTITY_ID: [kitchen, bedroom]})
    assert result["errors"] == {"base": "cannot_connect"}

    # The other way in still works from the menu.
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"next_step_id": "manual"})
    assert result["step_id"] == "manual"


async def test_user_sonos_players_of_a_configured_household_abort(hass: HomeAssistant, household: Household) -> None:
    household_entry(household).add_to_hass(hass)
    sonos_entry = MockConfigEntry(domain=SONOS_DOMAIN)
    sonos_entry.add_to_hass(hass)
    living = add_sonos_player(
        hass, sonos_entry, uids(household)["Living Room"], "Living Room", "http://127.0.20.2:1400/"
    )
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"next_step_id": "entities"})
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_ENTITY_ID: [living]})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


# -- SSDP --------------------------------------------------------------------------------------------------------------
async def test_ssdp_discovery_confirm_creates_entry(
    hass: HomeAssistant, household: Household, mock_setup_entry: AsyncMock
) -> None:
    kitchen = household.speakers[1]
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_SSDP}, data=ssdp_info(kitchen.ip, kitchen.uid)
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "discovery_confirm"
    assert result["description_placeholders"] == {"host": "127.0.20.3", "rooms": "Bedroom, Kitchen, Living Room"}
    progress = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert progress[0]["context"]["title_placeholders"] == {"name": "Kitchen"}
    assert progress[0]["context"]["unique_id"] == household.household_id

    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["step_id"] == "speakers"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == household.household_id
    assert result["data"] == {CONF_HOUSEHOLD_ID: household.household_id, CONF_HOSTS: hosts(household)}
    assert result["options"][CONF_SPEAKERS] == list(uids(household).values())[::-1]
    assert len(mock_setup_entry.mock_calls) == 1


async def test_ssdp_of_a_speaker_missing_from_its_topology(hass: HomeAssistant, household: Household) -> None:
    # A satellite (or a speaker announcing itself before the topology lists it): named by its address.
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_SSDP}, data=ssdp_info("127.0.20.2", "RINCON_SATELLITE01400")
    )
    assert result["step_id"] == "discovery_confirm"
    progress = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert progress[0]["context"]["title_placeholders"] == {"name": "127.0.20.2"}


async def test_ssdp_configured_household_updates_hosts(hass: HomeAssistant, household: Household) -> None:
    living, kitchen, _ = household.speakers
    entry = household_entry(household, host_map={living.uid: "10.0.0.20", "RINCON_AWAY01400": "10.0.0.30"})
    entry.add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_SSDP}, data=ssdp_info(kitchen.ip, kitchen.uid, household.household_id)
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert entry.data[CONF_HOSTS] == {"RINCON_AWAY01400": "10.0.0.30", **hosts(household)}


async def test_ssdp_known_speaker_moved_updates_its_host_without_a_request(
    hass: HomeAssistant, household: Household
) -> None:
    living, kitchen, bedroom = household.speakers
    entry = household_entry(household, host_map={living.uid: living.ip, kitchen.uid: "10.0.0.21"})
    entry.add_to_hass(hass)
    # The kitchen went silent: only the announcement tells where it is now.
    await kitchen.go_offline(refuse=False)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_SSDP}, data=ssdp_info(kitchen.ip, kitchen.uid, household.household_id)
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert entry.data[CONF_HOSTS] == {living.uid: living.ip, kitchen.uid: kitchen.ip}
    assert bedroom.uid not in entry.data[CONF_HOSTS]


@pytest.mark.parametrize(
    "info",
    [
        ssdp_info("127.0.20.2", "RINCON_000E5800000201400", manufacturer="Acme Audio"),
        ssdp_info("127.0.20.2", "ACME_0001"),
        replace(ssdp_info("127.0.20.2", "RINCON_000E5800000201400"), ssdp_location=None),
        replace(
            ssdp_info("127.0.20.2", "RINCON_000E5800000201400"),
            ssdp_st="urn:schemas-upnp-org:device:MediaRenderer:1",
            upnp={"deviceType": "urn:schemas-upnp-org:device:MediaRenderer:1", "UDN": "uuid:RINCON_1"},
        ),
    ],
    ids=["manufacturer", "udn", "location", "device_type"],
)
async def test_ssdp_not_sonos_aborts(hass: HomeAssistant, info: SsdpServiceInfo) -> None:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_SSDP}, data=info)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "not_sonos"


async def test_ssdp_unreachable_aborts(hass: HomeAssistant, emulated_network: None) -> None:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_SSDP}, data=ssdp_info(UNREACHABLE_HOST, "RINCON_000E5800000901400")
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "cannot_connect"


# -- options -----------------------------------------------------------------------------------------------------------
async def test_options_flow_saves_speakers_and_rules(hass: HomeAssistant, household: Household) -> None:
    room = uids(household)
    entry = household_entry(household)
    entry.add_to_hass(hass)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "init"
    assert choices(result) == {
        room["Bedroom"]: "Bedroom",
        room["Kitchen"]: "Kitchen",
        room["Living Room"]: "Living Room",
    }
    assert suggested(result, CONF_SPEAKERS) == list(room.values())
    assert suggested(result, CONF_THRESHOLD_PERCENT) == 50
    _, percent = field(result, CONF_THRESHOLD_PERCENT)
    assert (percent.config["min"], percent.config["max"], percent.config["unit_of_measurement"]) == (1, 100, "%")

    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            CONF_SPEAKERS: [room["Bedroom"]],
            CONF_MIN_TRACK_SECONDS: 45,
            CONF_THRESHOLD_PERCENT: 75.0,
            CONF_THRESHOLD_CAP_SECONDS: 300,
            CONF_RADIO_MIN_SECONDS: 20,
            "discogs": {"enabled": True, "token": "secret-token"},
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    expected = {
        CONF_SPEAKERS: [room["Bedroom"]],
        CONF_MIN_TRACK_SECONDS: 45,
        CONF_THRESHOLD_PERCENT: 75,
        CONF_THRESHOLD_CAP_SECONDS: 300,
        CONF_RADIO_MIN_SECONDS: 20,
        # Every plugin's section; the ones not sent are off.
        "plugins": {
            "isrc": {},
            "musicbrainz": {},
            "discogs": {"enabled": True, "token": "secret-token"},
            "odesli": {},
            "lastfm": {},
            "listenbrainz": {},
        },
    }
    assert result["data"] == expected
    assert entry.options == expected
    assert all(type(entry.options[key]) is int for key in DEFAULT_RULES)
    # The form shows each plugin's section with the options the plugin declares.
    again = await hass.config_entries.options.async_init(entry.entry_id)
    schema = again["data_schema"]
    assert schema is not None
    sections = {str(key): value for key, value in schema.schema.items()}
    assert set(sections) >= {"isrc", "musicbrainz", "discogs", "odesli"}
    discogs_fields = {str(key) for key in sections["discogs"].schema.schema}
    assert discogs_fields == {"enabled", "token"}


async def test_options_flow_rejects_out_of_range_and_no_speakers(hass: HomeAssistant, household: Household) -> None:
    entry = household_entry(household)
    entry.add_to_hass(hass)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    rules = {**DEFAULT_RULES, CONF_THRESHOLD_PERCENT: 0}
    with pytest.raises(probatio.Invalid):
        await hass.config_entries.options.async_configure(
            result["flow_id"], {CONF_SPEAKERS: [uids(household)["Kitchen"]], **rules}
        )
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_SPEAKERS: [], **DEFAULT_RULES, CONF_MIN_TRACK_SECONDS: 10}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "no_speakers"}
    assert suggested(result, CONF_MIN_TRACK_SECONDS) == 10
    assert entry.options[CONF_MIN_TRACK_SECONDS] == 30


async def test_options_flow_household_unreachable_falls_back_to_uids(
    hass: HomeAssistant, make_household: MakeHousehold
) -> None:
    # The entry's speakers are gone from the network; another household answers at one of its old addresses.
    other = await make_household("Garage", household_id="Sonos_SomeoneElsesHousehold")
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id="Sonos_OurHousehold",
        data={
            CONF_HOUSEHOLD_ID: "Sonos_OurHousehold",
            CONF_HOSTS: {"RINCON_B01400": UNREACHABLE_HOST, "RINCON_A01400": other.speakers[0].ip},
        },
        options={CONF_SPEAKERS: ["RINCON_C01400"], **DEFAULT_RULES},
    )
    entry.add_to_hass(hass)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert choices(result) == {uid: uid for uid in ("RINCON_A01400", "RINCON_B01400", "RINCON_C01400")}
    assert suggested(result, CONF_SPEAKERS) == ["RINCON_C01400"]


async def test_options_flow_of_an_entry_without_options(hass: HomeAssistant, household: Household) -> None:
    entry = household_entry(household)
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(entry, options={})
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert suggested(result, CONF_SPEAKERS) == [uids(household)[name] for name in ("Bedroom", "Kitchen", "Living Room")]
    assert suggested(result, CONF_RADIO_MIN_SECONDS) == 30


# -- reconfigure -------------------------------------------------------------------------------------------------------
async def test_reconfigure_changes_the_hosts(hass: HomeAssistant, household: Household) -> None:
    entry = household_entry(household, host_map={household.speakers[0].uid: UNREACHABLE_HOST})
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    assert suggested(result, CONF_HOST) == UNREACHABLE_HOST

    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_HOST: UNREACHABLE_HOST})
    assert result["errors"] == {"base": "cannot_connect"}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_HOST: "127.0.20.4"})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data == {CONF_HOUSEHOLD_ID: household.household_id, CONF_HOSTS: hosts(household)}
    assert entry.options[CONF_SPEAKERS] == list(uids(household).values())


async def test_reconfigure_to_another_household_aborts(
    hass: HomeAssistant, household: Household, make_household: MakeHousehold
) -> None:
    await make_household("Garage", household_id="Sonos_SomeoneElsesHousehold", first_ip=OTHER_FIRST_IP)
    entry = household_entry(household, host_map={})
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    assert suggested(result, CONF_HOST) is None
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_HOST: OTHER_FIRST_IP})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_household"
    assert entry.data[CONF_HOSTS] == {}


# -- translations ------------------------------------------------------------------------------------------------------
def _resolve(value: Any, strings: dict[str, Any], common: dict[str, Any]) -> Any:
    """strings.json with its `[%key:...%]` references replaced by their text, as Home Assistant's build does."""
    if isinstance(value, dict):
        return {key: _resolve(item, strings, common) for key, item in value.items()}

    def lookup(match: re.Match[str]) -> str:
        parts = match.group(1).split("::")
        node: Any = strings if parts[0] == "component" else common
        for part in parts[2:] if parts[0] == "component" else parts:
            node = node[part]
        return str(_resolve(node, strings, common))

    return re.sub(r"\[%key:([^%]+)%\]", lookup, value)


def test_translations_match_strings() -> None:
    strings = json.loads((INTEGRATION / "strings.json").read_text())
    english = json.loads((INTEGRATION / "translations" / "en.json").read_text())
    common = json.loads((Path(homeassistant.__file__).parent / "strings.json").read_text())
    for section in ("config", "options"):
        assert english[section] == _resolve(strings[section], strings, common), section
    steps = strings["config"]["step"]
    assert set(steps) == {"user", "entities", "manual", "discovery_confirm", "speakers", "reconfigure"}
    for name, step in [*steps.items(), ("init", strings["options"]["step"]["init"])]:
        assert step.get("title"), name
        assert set(step.get("data", {})) == set(step.get("data_description", {})), name
    assert {"cannot_connect", "unknown", "no_speakers"} <= set(strings["config"]["error"])
    assert {"already_configured", "not_sonos", "reconfigure_successful", "wrong_household", "cannot_connect"} <= set(
        strings["config"]["abort"]
    )
