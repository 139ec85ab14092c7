"""SpinStack's services, registered once in async_setup and validated with probatio (Home Assistant's schemas)."""

from __future__ import annotations

import copy
import os
from pathlib import Path
import time
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, SupportsResponse, callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv
import probatio as vol

from .const import DOMAIN
from .coordinator import SpinStackConfigEntry
from .enricher import plugin_options
from .forwarding import FORWARDERS
from .history import ExportRow, HistoryFormatError, write_csv, write_jsonl
from .importer import DEFAULT_TOLERANCE, ImportBusyError
from .insights import PERIODS, VIEWS, InsightsError, Request
from .plugins import PluginError, PluginMisconfigured, TrackQuery, isrc_lookup

ATTR_CONFIG_ENTRY_ID = "config_entry_id"
ATTR_LIMIT = "limit"
SERVICE_RECENT_PLAYS = "recent_plays"
SERVICE_GET_INSIGHTS = "get_insights"
SERVICE_LOOKUP_ISRC = "lookup_isrc"
SERVICE_ENRICH = "enrich"
SERVICE_IMPORT_HISTORY = "import_history"
SERVICE_EXPORT = "export"
SERVICE_RETRY_FORWARDING = "retry_forwarding"
EXPORT_FORMATS = ("csv", "jsonl")

RECENT_PLAYS_SCHEMA = vol.Schema(
    {
        vol.Optional(ATTR_CONFIG_ENTRY_ID): cv.string,
        vol.Optional(ATTR_LIMIT, default=20): vol.All(vol.Coerce(int), vol.Range(min=1, max=1000)),
    }
)

GET_INSIGHTS_SCHEMA = vol.Schema(
    {
        vol.Optional(ATTR_CONFIG_ENTRY_ID): cv.string,
        vol.Optional("period", default="month"): vol.In(PERIODS),
        vol.Optional("start"): cv.date,
        vol.Optional("end"): cv.date,
        vol.Optional("rooms", default=list): vol.All(cv.ensure_list, [cv.string]),
        vol.Optional("services", default=list): vol.All(cv.ensure_list, [cv.string]),
        vol.Optional("views", default=list(VIEWS)): vol.All(cv.ensure_list, [vol.In(VIEWS)]),
    }
)

LOOKUP_ISRC_SCHEMA = vol.Schema(
    {
        vol.Optional(ATTR_CONFIG_ENTRY_ID): cv.string,
        vol.Required("artist"): vol.All(cv.string, vol.Length(min=1, max=500)),
        vol.Required("title"): vol.All(cv.string, vol.Length(min=1, max=500)),
        vol.Optional("album"): vol.All(cv.string, vol.Length(max=500)),
    }
)
ENRICH_SCHEMA = vol.Schema(
    {
        vol.Optional(ATTR_CONFIG_ENTRY_ID): cv.string,
        vol.Optional("cancel", default=False): cv.boolean,
    }
)
IMPORT_HISTORY_SCHEMA = vol.Schema(
    {
        vol.Optional(ATTR_CONFIG_ENTRY_ID): cv.string,
        vol.Exclusive("path", "source"): vol.All(cv.string, vol.Length(min=1, max=4096)),
        vol.Exclusive("lastfm_user", "source"): vol.All(cv.string, vol.Length(min=1, max=64)),
        vol.Optional("lastfm_api_key"): vol.All(cv.string, vol.Length(min=1, max=64)),
        vol.Optional("tolerance", default=DEFAULT_TOLERANCE): vol.All(vol.Coerce(int), vol.Range(min=0, max=600)),
        vol.Optional("cancel", default=False): cv.boolean,
    }
)
EXPORT_SCHEMA = vol.Schema(
    {
        vol.Optional(ATTR_CONFIG_ENTRY_ID): cv.string,
        vol.Required("path"): vol.All(cv.string, vol.Length(min=1, max=4096)),
        vol.Optional("format", default="csv"): vol.In(EXPORT_FORMATS),
    }
)
RETRY_FORWARDING_SCHEMA = vol.Schema(
    {
        vol.Optional(ATTR_CONFIG_ENTRY_ID): cv.string,
        vol.Optional("target"): vol.In(tuple(FORWARDERS)),
    }
)


def _entry(hass: HomeAssistant, call: ServiceCall) -> SpinStackConfigEntry:
    """The loaded entry a call is for: the one named, or the only one."""
    return loaded_entry(hass, call.data.get(ATTR_CONFIG_ENTRY_ID))


def loaded_entry(hass: HomeAssistant, entry_id: str | None) -> SpinStackConfigEntry:
    """The loaded entry named, or the only one (services and websocket commands)."""
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


def insights_error(err: InsightsError) -> ServiceValidationError:
    """An insights error as Home Assistant shows it: translated."""
    return ServiceValidationError(
        translation_domain=DOMAIN, translation_key=err.key, translation_placeholders=err.placeholders
    )


async def _get_insights(call: ServiceCall) -> ServiceResponse:
    entry = _entry(call.hass, call)
    data = call.data
    try:
        request = Request(
            period=data["period"],
            start=data.get("start"),
            end=data.get("end"),
            rooms=tuple(data["rooms"]),
            services=tuple(data["services"]),
            views=tuple(dict.fromkeys(data["views"])),
        )
        # A copy: the answer may be one the household keeps for the panel, and a caller may change what it gets.
        return copy.deepcopy(await entry.runtime_data.insights.views(request, time.time()))
    except InsightsError as err:
        raise insights_error(err) from err


async def _lookup_isrc(call: ServiceCall) -> ServiceResponse:
    """Deezer, then MusicBrainz; with the share-link plugin on, the track's song.link page too."""
    entry = _entry(call.hass, call)
    enricher = entry.runtime_data.coordinator.enricher
    options = plugin_options(entry.options)
    odesli = options["odesli"]
    query = TrackQuery(artist=call.data["artist"], title=call.data["title"], album=call.data.get("album"))
    try:
        result = await isrc_lookup(
            enricher.context,
            query,
            musicbrainz_fallback=options["isrc"].get("musicbrainz_fallback", True) is not False,
            share_links=bool(odesli.get("enabled")),
            odesli_key=odesli.get("api_key") or None,
        )
    except PluginMisconfigured as err:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="lookup_misconfigured",
            translation_placeholders={"error": str(err)},
        ) from err
    except PluginError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="lookup_unavailable",
            translation_placeholders={"error": str(err)},
        ) from err
    return {
        "isrc": result.isrc,
        "source": result.source,
        "deezer_id": result.deezer_id,
        "share_link": result.share_link,
    }


async def _enrich(call: ServiceCall) -> ServiceResponse:
    """Backfill: list every stored track for the enabled plugins (or, with cancel, drop what is not started)."""
    entry = _entry(call.hass, call)
    enricher = entry.runtime_data.coordinator.enricher
    if call.data["cancel"]:
        dropped = await enricher.cancel()
        return {"cancelled": dropped, "progress": _progress(await enricher.progress())}
    if not enricher.enabled:
        raise ServiceValidationError(translation_domain=DOMAIN, translation_key="no_plugins_enabled")
    queued = await enricher.backfill()
    return {"queued": queued, "progress": _progress(await enricher.progress())}


def _progress(counts: dict[str, dict[str, int]]) -> dict[str, Any]:
    return {plugin: dict(states) for plugin, states in counts.items()}


def allowed_path(hass: HomeAssistant, given: str) -> Path:
    """A path under Home Assistant's config folder (relative paths are taken from there) that Home Assistant allows
    (``allowlist_external_dirs``, and no way out of it through ``..`` or links): else a translated error."""
    path = Path(given)
    if not path.is_absolute():
        path = Path(hass.config.path(given))
    resolved = Path(os.path.realpath(path))
    if not hass.config.is_allowed_path(str(resolved)):
        raise ServiceValidationError(
            translation_domain=DOMAIN, translation_key="path_not_allowed", translation_placeholders={"path": given}
        )
    return resolved


async def _import_history(call: ServiceCall) -> ServiceResponse:
    """Start (or resume, or with cancel stop) a history import; returns its progress at once."""
    entry = _entry(call.hass, call)
    importer = entry.runtime_data.coordinator.importer
    data = call.data
    if data["cancel"]:
        return {"import": (await importer.cancel()).as_dict()}
    try:
        if "path" in data:
            path = allowed_path(call.hass, data["path"])
            if not await call.hass.async_add_executor_job(path.is_file):
                raise ServiceValidationError(
                    translation_domain=DOMAIN,
                    translation_key="import_file_missing",
                    translation_placeholders={"path": data["path"]},
                )
            progress = await importer.start_file(path, data["tolerance"])
        elif "lastfm_user" in data and data.get("lastfm_api_key"):
            progress = await importer.start_lastfm(data["lastfm_user"], data["lastfm_api_key"], data["tolerance"])
        else:
            raise ServiceValidationError(translation_domain=DOMAIN, translation_key="import_source_missing")
    except ImportBusyError as err:
        raise ServiceValidationError(
            translation_domain=DOMAIN, translation_key="import_running", translation_placeholders={"source": str(err)}
        ) from err
    except HistoryFormatError as err:
        raise ServiceValidationError(
            translation_domain=DOMAIN, translation_key="import_format", translation_placeholders={"error": str(err)}
        ) from err
    return {"import": progress.as_dict()}


def _export_file(store: Any, path: Path, fmt: str) -> int:
    """Write every play to ``path`` (blocking: a worker thread), through a temporary file renamed at the end."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    rows = (
        ExportRow(
            play=record.play,
            origin=record.origin,
            isrc=record.isrc,
            track_mbid=record.track_mbid,
            artist_mbid=record.artist_mbid,
            album_mbid=record.album_mbid,
        )
        for record in store.read_plays()
    )
    try:
        with partial.open("w", encoding="utf-8", newline="") as out:
            written = write_csv(rows, out) if fmt == "csv" else write_jsonl(rows, out)
        partial.replace(path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return written


async def _export(call: ServiceCall) -> ServiceResponse:
    """Every play to a CSV (Last.fm's columns first, then SpinStack's) or ListenBrainz JSON lines file."""
    entry = _entry(call.hass, call)
    path = allowed_path(call.hass, call.data["path"])
    try:
        written = await call.hass.async_add_executor_job(
            _export_file, entry.runtime_data.store, path, call.data["format"]
        )
    except OSError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="export_failed",
            translation_placeholders={"path": call.data["path"], "error": str(err)},
        ) from err
    return {"path": str(path), "format": call.data["format"], "plays": written}


async def _retry_forwarding(call: ServiceCall) -> ServiceResponse:
    """Dead letters back in line, and every target tried now."""
    entry = _entry(call.hass, call)
    moved = await entry.runtime_data.coordinator.forwarding.retry(call.data.get("target"))
    return {"retried": moved}


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
    hass.services.async_register(
        DOMAIN,
        SERVICE_GET_INSIGHTS,
        _get_insights,
        schema=GET_INSIGHTS_SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_LOOKUP_ISRC,
        _lookup_isrc,
        schema=LOOKUP_ISRC_SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )
    hass.services.async_register(
        DOMAIN, SERVICE_ENRICH, _enrich, schema=ENRICH_SCHEMA, supports_response=SupportsResponse.OPTIONAL
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_IMPORT_HISTORY,
        _import_history,
        schema=IMPORT_HISTORY_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
    hass.services.async_register(
        DOMAIN, SERVICE_EXPORT, _export, schema=EXPORT_SCHEMA, supports_response=SupportsResponse.OPTIONAL
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_RETRY_FORWARDING,
        _retry_forwarding,
        schema=RETRY_FORWARDING_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
