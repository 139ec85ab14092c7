"""Diagnostics: everything needed to understand a report, replayable, with secrets and addresses redacted."""

from __future__ import annotations

import dataclasses
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.core import HomeAssistant

from .const import CONF_HOSTS, CONF_HOUSEHOLD_ID
from .coordinator import SpinStackConfigEntry
from .store import outbox

# Addresses and ids, and every secret a plugin or forwarder option or an import may hold.
TO_REDACT = {
    CONF_HOSTS,
    CONF_HOUSEHOLD_ID,
    "unique_id",
    "host",
    "token",
    "api_key",
    "api_secret",
    "session_key",
    "user_token",
    "password",
    "lastfm_api_key",
}
DEAD_LETTERS_SHOWN = 20


async def async_get_config_entry_diagnostics(hass: HomeAssistant, entry: SpinStackConfigEntry) -> dict[str, Any]:
    """The entry, the listeners' health, the store, the engine's state and the recent observations (as lines of
    the replay format: `python -m custom_components.spinstack.engine replay`)."""
    coordinator = entry.runtime_data.coordinator
    info = await entry.runtime_data.store.info()
    return {
        "entry": async_redact_data({"data": dict(entry.data), "options": dict(entry.options)}, TO_REDACT),
        "listeners": {
            uid: {"room": listener.state.room, **dataclasses.asdict(listener.health)}
            for uid, listener in coordinator.listeners.items()
        },
        "store": {**dataclasses.asdict(info), "path": "<config>/" + info.path.rsplit("/", 1)[-1]},
        "writer": {"error": coordinator.data.writer_error, "pending": coordinator.data.pending_writes},
        "rules": coordinator.engine.rules.to_json(),
        "engine": coordinator.engine.snapshot(),
        "observations": [observation.to_json() for observation in coordinator.recent_observations],
        "plugins": {name: dataclasses.asdict(health) for name, health in coordinator.enricher.health().items()},
        "forwarding": {
            name: {
                **dataclasses.asdict(health),
                "dead_letters": [
                    {
                        "outbox_id": item.outbox_id,
                        "started_at": item.record.play.started_at,
                        "artist": item.record.play.artist,
                        "title": item.record.play.title,
                        "attempts": item.attempts,
                        "error": item.error,
                    }
                    for item in await outbox.dead_letters(entry.runtime_data.store, name, DEAD_LETTERS_SHOWN)
                ],
            }
            for name, health in coordinator.forwarding.health().items()
        },
        "import": async_redact_data(coordinator.importer.progress.as_dict(), TO_REDACT),
    }
