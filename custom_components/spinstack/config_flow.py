"""Config flow of SpinStack: one config entry per Sonos household.

A household is found from the Sonos media players Home Assistant already has, from a speaker's address entered by
hand, or from SSDP discovery of a ZonePlayer. Whichever speaker answers first tells the household id (the entry's
unique id) and, through its ZoneGroupState, the room and address of every visible speaker of the household.
SoCo's calls are blocking: they run in Home Assistant's executor.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
import logging
import socket
from typing import Any, override
from urllib.parse import urlsplit

from homeassistant.config_entries import ConfigEntry, ConfigFlow, ConfigFlowResult, OptionsFlow
from homeassistant.const import CONF_ENTITY_ID, CONF_HOST, UnitOfTime
from homeassistant.core import callback
from homeassistant.data_entry_flow import section
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.selector import (
    BooleanSelector,
    EntitySelector,
    EntitySelectorConfig,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
from homeassistant.helpers.service_info.ssdp import (
    ATTR_UPNP_DEVICE_TYPE,
    ATTR_UPNP_MANUFACTURER,
    ATTR_UPNP_UDN,
    SsdpServiceInfo,
)
import probatio
import requests
import soco
from soco.exceptions import SoCoException

from .const import (
    CONF_HOSTS,
    CONF_HOUSEHOLD_ID,
    CONF_MIN_TRACK_SECONDS,
    CONF_RADIO_MIN_SECONDS,
    CONF_SPEAKERS,
    CONF_THRESHOLD_CAP_SECONDS,
    CONF_THRESHOLD_PERCENT,
    DEFAULT_MIN_TRACK_SECONDS,
    DEFAULT_RADIO_MIN_SECONDS,
    DEFAULT_THRESHOLD_CAP_SECONDS,
    DEFAULT_THRESHOLD_PERCENT,
    DOMAIN,
    SONOS_DOMAIN,
    SONOS_ST,
)
from .enricher import CONF_PLUGINS, ENABLED
from .forwarding import FORWARDERS
from .plugins import BUILTIN_PLUGINS, OptionSpec
from .sonos import GroupMember, read_zone_group_state

_LOGGER = logging.getLogger(__name__)

# Seconds each SOAP request of the flow may take: a speaker on the network answers in milliseconds.
REQUEST_TIMEOUT = 5.0
# At most this many known addresses are tried when the options flow reads the rooms again.
OPTIONS_HOST_ATTEMPTS = 3
MEDIA_PLAYER_DOMAIN = "media_player"
RINCON_UDN_PREFIX = "uuid:RINCON_"
# The SSDP header in which a speaker announces its household id.
HOUSEHOLD_HEADER = "X-RINCON-HOUSEHOLD"
STEP_ENTITIES = "entities"
STEP_MANUAL = "manual"
# Failures that mean "the speaker could not be reached or did not answer as a Sonos speaker does".
CONNECTION_ERRORS = (requests.exceptions.RequestException, OSError, SoCoException)

DEFAULT_OPTIONS: dict[str, int] = {
    CONF_MIN_TRACK_SECONDS: DEFAULT_MIN_TRACK_SECONDS,
    CONF_THRESHOLD_PERCENT: DEFAULT_THRESHOLD_PERCENT,
    CONF_THRESHOLD_CAP_SECONDS: DEFAULT_THRESHOLD_CAP_SECONDS,
    CONF_RADIO_MIN_SECONDS: DEFAULT_RADIO_MIN_SECONDS,
}
# The counting rules the options flow edits: (minimum, maximum, unit, mode) of each.
NUMBER_FIELDS: dict[str, tuple[int, int, str, NumberSelectorMode]] = {
    CONF_MIN_TRACK_SECONDS: (0, 600, UnitOfTime.SECONDS, NumberSelectorMode.BOX),
    CONF_THRESHOLD_PERCENT: (1, 100, "%", NumberSelectorMode.SLIDER),
    CONF_THRESHOLD_CAP_SECONDS: (1, 3600, UnitOfTime.SECONDS, NumberSelectorMode.BOX),
    CONF_RADIO_MIN_SECONDS: (0, 600, UnitOfTime.SECONDS, NumberSelectorMode.BOX),
}


class CannotConnectError(Exception):
    """The speaker did not answer."""


class NoSpeakersError(Exception):
    """The speaker answered, but its household lists no visible speaker with an address."""


@dataclass(frozen=True, slots=True)
class HouseholdInfo:
    """What one reachable speaker tells of its household."""

    household_id: str
    members: dict[str, GroupMember]

    @property
    def hosts(self) -> dict[str, str]:
        """The address of every visible speaker, by uid."""
        return {uid: member.host for uid, member in self.members.items() if member.host}

    @property
    def rooms(self) -> dict[str, str]:
        """The room name of every visible speaker, by uid, sorted by room."""
        return dict(sorted(((uid, member.room) for uid, member in self.members.items()), key=lambda item: item[1]))


def _read_household(host: str) -> HouseholdInfo:
    """Ask the speaker at `host` for its household id and ZoneGroupState (blocking)."""
    device = soco.SoCo(socket.gethostbyname(host.strip()))
    household_id: str = device.deviceProperties.GetHouseholdID(timeout=REQUEST_TIMEOUT)["CurrentHouseholdID"]
    return HouseholdInfo(household_id, read_zone_group_state(device, REQUEST_TIMEOUT))


def _rooms_title(rooms: Iterable[str]) -> str:
    """A short entry title naming the household's rooms."""
    names = sorted(rooms)
    shown = ", ".join(names[:2])
    return f"Sonos: {shown} +{len(names) - 2}" if len(names) > 2 else f"Sonos: {shown}"


def _speakers_selector(rooms: Mapping[str, str]) -> SelectSelector:
    """A multiple choice of speakers, labelled by room, valued by uid."""
    return SelectSelector(
        SelectSelectorConfig(
            options=[SelectOptionDict(value=uid, label=room) for uid, room in rooms.items()],
            multiple=True,
            mode=SelectSelectorMode.LIST,
        )
    )


def _ssdp_speaker(info: SsdpServiceInfo) -> tuple[str, str] | None:
    """The (uid, host) of a discovered Sonos ZonePlayer, or None when the discovery is not one."""
    udn = str(info.upnp.get(ATTR_UPNP_UDN) or info.ssdp_udn or "")
    manufacturer = str(info.upnp.get(ATTR_UPNP_MANUFACTURER) or "Sonos")
    types = {info.ssdp_st, info.ssdp_nt, info.upnp.get(ATTR_UPNP_DEVICE_TYPE)}
    host = urlsplit(info.ssdp_location).hostname if info.ssdp_location else None
    if SONOS_ST not in types or not udn.startswith(RINCON_UDN_PREFIX) or "sonos" not in manufacturer.lower():
        return None
    if not host:
        return None
    return udn.removeprefix("uuid:").split("::", 1)[0], host


class SpinStackConfigFlow(ConfigFlow, domain=DOMAIN):
    """Set SpinStack up for one Sonos household."""

    VERSION = 1
    MINOR_VERSION = 1

    def __init__(self) -> None:
        """Nothing is known of the household yet."""
        self._household: HouseholdInfo | None = None
        self._preselected: list[str] = []
        self._discovered_host = ""

    @staticmethod
    @callback
    @override
    def async_get_options_flow(config_entry: ConfigEntry) -> SpinStackOptionsFlow:
        """The options flow (speakers and counting rules)."""
        return SpinStackOptionsFlow()

    # -- reaching a household ----------------------------------------------------------------------------------------
    async def _async_read_household(self, host: str) -> HouseholdInfo:
        """Read the household of the speaker at `host`: raises CannotConnectError or NoSpeakersError."""
        try:
            household = await self.hass.async_add_executor_job(_read_household, host)
        except CONNECTION_ERRORS as err:
            _LOGGER.debug("Sonos speaker at %s did not answer: %r", host, err)
            raise CannotConnectError from err
        if not household.hosts:
            raise NoSpeakersError
        return household

    async def _async_try_hosts(self, hosts: Iterable[str]) -> tuple[HouseholdInfo | None, dict[str, str]]:
        """The household of the first of `hosts` that answers, or the errors of the last one."""
        errors = {"base": "cannot_connect"}
        for host in hosts:
            try:
                return await self._async_read_household(host), {}
            except CannotConnectError:
                errors = {"base": "cannot_connect"}
            except NoSpeakersError:
                errors = {"base": "no_speakers"}
            except Exception:
                _LOGGER.exception("Unexpected error reading the Sonos household at %s", host)
                errors = {"base": "unknown"}
        return None, errors

    async def _async_found(self, household: HouseholdInfo, preselected: Iterable[str] = ()) -> ConfigFlowResult:
        """A user-started flow reached `household`: one entry per household, then the choice of speakers."""
        await self.async_set_unique_id(household.household_id, raise_on_progress=False)
        self._abort_if_unique_id_configured()
        self._household = household
        self._preselected = [uid for uid in preselected if uid in household.members]
        return await self.async_step_speakers()

    # -- user ----------------------------------------------------------------------------------------------------------
    @callback
    def _sonos_media_players(self) -> dict[str, er.RegistryEntry]:
        """The enabled media players of Home Assistant's Sonos integration, by entity id."""
        registry = er.async_get(self.hass)
        return {
            entry.entity_id: entry
            for entry in registry.entities.values()
            if entry.platform == SONOS_DOMAIN and entry.domain == MEDIA_PLAYER_DOMAIN and not entry.disabled
        }

    @callback
    def _player_hosts(self, players: Iterable[er.RegistryEntry]) -> list[str]:
        """The addresses of the players' speakers, from the `configuration_url` (http://HOST:1400/...) of their
        devices, without repeats."""
        devices = dr.async_get(self.hass)
        hosts: list[str] = []
        for player in players:
            device = devices.async_get(player.device_id) if player.device_id else None
            url = device.configuration_url if isinstance(device, dr.DeviceEntry) else None
            host = urlsplit(url).hostname if url else None
            if host and host not in hosts:
                hosts.append(host)
        return hosts

    @override
    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Start from the Sonos media players Home Assistant has, or from a speaker's address."""
        if not self._sonos_media_players():
            return await self.async_step_manual()
        return self.async_show_menu(step_id="user", menu_options=[STEP_ENTITIES, STEP_MANUAL])

    async def async_step_entities(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Resolve the chosen Sonos media players to their speakers and household."""
        players = self._sonos_media_players()
        errors: dict[str, str] = {}
        if user_input is not None:
            chosen = [players[entity_id] for entity_id in user_input[CONF_ENTITY_ID] if entity_id in players]
            if not chosen:
                errors["base"] = "no_speakers"
            else:
                household, errors = await self._async_try_hosts(self._player_hosts(chosen))
                if household is not None:
                    return await self._async_found(household, [entry.unique_id for entry in chosen])
        return self.async_show_form(
            step_id=STEP_ENTITIES,
            data_schema=probatio.Schema(
                {
                    probatio.Required(CONF_ENTITY_ID, default=list(players)): EntitySelector(
                        EntitySelectorConfig(domain=MEDIA_PLAYER_DOMAIN, include_entities=list(players), multiple=True)
                    ),
                }
            ),
            errors=errors,
        )

    async def async_step_manual(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Reach the household through the address of one of its speakers."""
        errors: dict[str, str] = {}
        if user_input is not None:
            household, errors = await self._async_try_hosts([user_input[CONF_HOST]])
            if household is not None:
                return await self._async_found(household)
        return self.async_show_form(
            step_id=STEP_MANUAL,
            data_schema=self.add_suggested_values_to_schema(
                probatio.Schema({probatio.Required(CONF_HOST): TextSelector(TextSelectorConfig(autocomplete="off"))}),
                user_input,
            ),
            errors=errors,
        )

    # -- discovery -----------------------------------------------------------------------------------------------------
    @override
    async def async_step_ssdp(self, discovery_info: SsdpServiceInfo) -> ConfigFlowResult:
        """A Sonos ZonePlayer announced itself."""
        speaker = _ssdp_speaker(discovery_info)
        if speaker is None:
            return self.async_abort(reason="not_sonos")
        uid, host = speaker
        # Speakers announce their household: a known speaker of a configured household needs no request.
        household_id = discovery_info.ssdp_headers.get(HOUSEHOLD_HEADER)
        if household_id and (entry := await self.async_set_unique_id(household_id)) is not None:
            known: dict[str, str] = entry.data.get(CONF_HOSTS, {})
            if uid in known:
                self._abort_if_unique_id_configured(updates={CONF_HOSTS: {**known, uid: host}}, reload_on_update=False)
        household, errors = await self._async_try_hosts([host])
        if household is None:
            return self.async_abort(reason=errors["base"])
        entry = await self.async_set_unique_id(household.household_id)
        if entry is not None:
            # The household is set up already: remember where its speakers are now.
            hosts = {**entry.data.get(CONF_HOSTS, {}), **household.hosts}
            self._abort_if_unique_id_configured(updates={CONF_HOSTS: hosts}, reload_on_update=False)
        self._household = household
        self._discovered_host = host
        room = household.members[uid].room if uid in household.members else host
        self.context["title_placeholders"] = {"name": room}
        return await self.async_step_discovery_confirm()

    async def async_step_discovery_confirm(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask before setting up a discovered household."""
        assert self._household is not None
        if user_input is not None:
            return await self.async_step_speakers()
        return self.async_show_form(
            step_id="discovery_confirm",
            description_placeholders={
                "host": self._discovered_host,
                "rooms": ", ".join(self._household.rooms.values()),
            },
        )

    # -- speakers ------------------------------------------------------------------------------------------------------
    async def async_step_speakers(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Choose the speakers SpinStack listens to, and create the entry."""
        household = self._household
        assert household is not None
        errors: dict[str, str] = {}
        if user_input is not None:
            speakers = [uid for uid in household.rooms if uid in user_input[CONF_SPEAKERS]]
            if speakers:
                return self.async_create_entry(
                    title=_rooms_title(household.rooms.values()),
                    data={CONF_HOUSEHOLD_ID: household.household_id, CONF_HOSTS: household.hosts},
                    options={CONF_SPEAKERS: speakers, **DEFAULT_OPTIONS},
                )
            errors["base"] = "no_speakers"
        default = self._preselected or list(household.rooms)
        return self.async_show_form(
            step_id="speakers",
            data_schema=probatio.Schema(
                {probatio.Required(CONF_SPEAKERS, default=default): _speakers_selector(household.rooms)}
            ),
            description_placeholders={"count": str(len(household.rooms))},
            errors=errors,
        )

    # -- reconfigure ---------------------------------------------------------------------------------------------------
    async def async_step_reconfigure(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Reach the household through another speaker's address."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            household, errors = await self._async_try_hosts([user_input[CONF_HOST]])
            if household is not None:
                await self.async_set_unique_id(household.household_id, raise_on_progress=False)
                self._abort_if_unique_id_mismatch(reason="wrong_household")
                # No reload: the integration's update listener applies the new addresses.
                return self.async_update_and_abort(entry, data_updates={CONF_HOSTS: household.hosts})
        known = list(entry.data.get(CONF_HOSTS, {}).values())
        suggested = user_input or ({CONF_HOST: known[0]} if known else None)
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                probatio.Schema({probatio.Required(CONF_HOST): TextSelector(TextSelectorConfig(autocomplete="off"))}),
                suggested,
            ),
            description_placeholders={"title": entry.title},
            errors=errors,
        )


class SpinStackOptionsFlow(OptionsFlow):
    """Change the speakers SpinStack listens to and its counting rules; applied without a reload."""

    async def _async_rooms(self) -> dict[str, str]:
        """Every speaker the entry knows or has chosen, labelled by its room where a speaker tells it."""
        entry = self.config_entry
        known: dict[str, str] = entry.data.get(CONF_HOSTS, {})
        uids = [*known, *(uid for uid in entry.options.get(CONF_SPEAKERS, []) if uid not in known)]
        rooms = dict.fromkeys(uids, "")
        for host in list(known.values())[:OPTIONS_HOST_ATTEMPTS]:
            try:
                household = await self.hass.async_add_executor_job(_read_household, host)
            except CONNECTION_ERRORS as err:
                _LOGGER.debug("Sonos speaker at %s did not answer: %r", host, err)
                continue
            if household.household_id == entry.data.get(CONF_HOUSEHOLD_ID):
                rooms.update(household.rooms)
                break
        labelled = {uid: room or uid for uid, room in rooms.items()}
        return dict(sorted(labelled.items(), key=lambda item: item[1]))

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """The options form."""
        errors: dict[str, str] = {}
        if user_input is not None:
            if user_input[CONF_SPEAKERS]:
                options: dict[str, Any] = {CONF_SPEAKERS: list(user_input[CONF_SPEAKERS])}
                options.update({key: round(user_input[key]) for key in NUMBER_FIELDS})
                options[CONF_PLUGINS] = {name: dict(user_input.get(name) or {}) for name in _PLUGIN_OPTIONS}
                return self.async_create_entry(data=options)
            errors["base"] = "no_speakers"
        rooms = await self._async_rooms()
        current = {**DEFAULT_OPTIONS, CONF_SPEAKERS: list(rooms), **self.config_entry.options}
        schema: dict[probatio.Marker, Any] = {probatio.Required(CONF_SPEAKERS): _speakers_selector(rooms)}
        for key, (minimum, maximum, unit, mode) in NUMBER_FIELDS.items():
            schema[probatio.Required(key)] = NumberSelector(
                NumberSelectorConfig(min=minimum, max=maximum, step=1, unit_of_measurement=unit, mode=mode)
            )
        # Each metadata plugin and forwarder in a section of its own: on or off, and the options it declares.
        saved_plugins: dict[str, Any] = current.get(CONF_PLUGINS) or {}
        for name, specs in _PLUGIN_OPTIONS.items():
            fields: dict[probatio.Marker, Any] = {probatio.Optional(ENABLED, default=False): BooleanSelector()}
            for spec in specs:
                fields[probatio.Optional(spec.name)] = _option_selector(spec)
            schema[probatio.Optional(name)] = section(probatio.Schema(fields), {"collapsed": True})
            current = {**current, name: dict(saved_plugins.get(name) or {})}
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(probatio.Schema(schema), user_input or current),
            errors=errors,
        )


# The options of every metadata plugin, then of every forwarder, by name (one section each).
_PLUGIN_OPTIONS: dict[str, tuple[OptionSpec, ...]] = {
    **{name: tuple(plugin.options) for name, plugin in BUILTIN_PLUGINS.items()},
    **{name: tuple(forwarder.option_specs) for name, forwarder in FORWARDERS.items()},
}


def _option_selector(spec: OptionSpec) -> Any:
    """The form field of a plugin's option, by its kind."""
    if spec.kind == "bool":
        return BooleanSelector()
    if spec.kind == "int":
        return NumberSelector(NumberSelectorConfig(min=0, step=1, mode=NumberSelectorMode.BOX))
    if spec.kind == "secret":
        return TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
    return TextSelector()
