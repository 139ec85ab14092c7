"""The metadata plugins at work: which are enabled, and the background worker that feeds them the store's list.

Recording a play never waits for a plugin: the coordinator lists the play's track (store.enrichment) and wakes the
worker, which runs due work a few tracks at a time, stores what the plugins find, and sleeps until the next piece of
work is due. The coordinator supervises it (restarted with backoff when it fails). Changing a plugin's options
reloads that plugin alone; the others go on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
import contextlib
from dataclasses import dataclass, field
import logging
import time
from typing import Any, Final

from .plugins import (
    BUILTIN_PLUGINS,
    Enrichment,
    Plugin,
    PluginContext,
    PluginError,
    PluginMisconfigured,
    PluginUnavailable,
    TrackQuery,
    validate_options,
)
from .store import Store, enrichment

_LOGGER = logging.getLogger(__name__)

CONF_PLUGINS: Final = "plugins"
ENABLED: Final = "enabled"
# Several tracks at once: the shared limiters pace each service, so this only overlaps the waiting.
CONCURRENCY: Final = 8
BATCH: Final = 32
IDLE_SECONDS: Final = 3600
RETRY_FIRST: Final = 60
RETRY_MAX: Final = 6 * 3600
RETRY_OTHER_ERRORS: Final = 86400
# The order work is done in: the ISRC first (MusicBrainz searches by ISRC when one is known).
ORDER: Final = ("isrc", "musicbrainz", "discogs", "odesli")


def plugin_options(options: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Each built-in plugin's options as the entry holds them (``enabled`` and the plugin's own)."""
    saved: Mapping[str, Any] = options.get(CONF_PLUGINS) or {}
    return {name: dict(saved.get(name) or {}) for name in BUILTIN_PLUGINS}


@dataclass(slots=True)
class PluginHealth:
    """How a plugin is doing, for the health entity, a repair issue and diagnostics."""

    enabled: bool = False
    state: str = "disabled"  # disabled, ok, unavailable, misconfigured
    error: str | None = None
    found: int = 0
    not_found: int = 0
    failed: int = 0
    last_success_at: float | None = None


@dataclass(slots=True)
class _Loaded:
    plugin: Plugin
    options: dict[str, Any]
    health: PluginHealth = field(default_factory=PluginHealth)


class Enricher:
    """The plugins of one entry, and their worker."""

    def __init__(
        self,
        store: Store,
        context: Callable[[], PluginContext],
        *,
        now: Callable[[], float] = time.time,
        on_change: Callable[[], None] = lambda: None,
    ) -> None:
        self.store = store
        self._context_factory = context
        self._context: PluginContext | None = None
        self._now = now
        self._on_change = on_change
        self._plugins: dict[str, _Loaded] = {}
        self._health: dict[str, PluginHealth] = {name: PluginHealth() for name in BUILTIN_PLUGINS}
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()

    # -- plugins -------------------------------------------------------------------------------------------------
    @property
    def context(self) -> PluginContext:
        if self._context is None:
            self._context = self._context_factory()
        return self._context

    @property
    def enabled(self) -> list[str]:
        """The plugins at work (not those waiting for new options), in work order."""
        return [name for name in ORDER if name in self._plugins and self._plugins[name].health.state != "misconfigured"]

    def health(self) -> dict[str, PluginHealth]:
        return dict(self._health)

    def plugin(self, name: str) -> Plugin | None:
        loaded = self._plugins.get(name)
        return None if loaded is None else loaded.plugin

    async def apply(self, options: Mapping[str, Any]) -> None:
        """Set up, reload or unload each plugin whose options changed; the others are left alone."""
        async with self._lock:
            for name, wanted in plugin_options(options).items():
                enabled = bool(wanted.pop(ENABLED, False))
                loaded = self._plugins.get(name)
                if not enabled:
                    if loaded is not None:
                        await loaded.plugin.unload()
                        del self._plugins[name]
                    self._health[name] = PluginHealth()
                    continue
                if loaded is not None and loaded.options == wanted and loaded.health.state != "misconfigured":
                    continue
                await self._load(name, wanted, loaded)
        self.wake()
        self._on_change()

    async def _load(self, name: str, wanted: dict[str, Any], loaded: _Loaded | None) -> None:
        cls = BUILTIN_PLUGINS[name]
        health = PluginHealth(enabled=True, state="ok")
        try:
            if loaded is not None and loaded.health.state != "misconfigured":
                await loaded.plugin.reload(validate_options(cls.options, wanted))
                plugin = loaded.plugin
            else:
                if loaded is not None:
                    await loaded.plugin.unload()
                plugin = cls()
                await plugin.setup(self.context, validate_options(cls.options, wanted))
        except PluginMisconfigured as err:
            _LOGGER.warning("SpinStack's %s plugin needs new options: %s", name, err)
            health = PluginHealth(enabled=True, state="misconfigured", error=str(err))
            plugin = loaded.plugin if loaded is not None else cls()
        self._plugins[name] = _Loaded(plugin, wanted, health)
        self._health[name] = health

    async def async_stop(self) -> None:
        async with self._lock:
            for loaded in self._plugins.values():
                await loaded.plugin.unload()
            self._plugins.clear()

    # -- work ----------------------------------------------------------------------------------------------------
    def wake(self) -> None:
        self._wake.set()

    async def track_played(self, play_id: int) -> None:
        """List the track of a play just stored for every enabled plugin (tracks already listed are skipped)."""
        if self.enabled and await enrichment.enqueue_play(self.store, self.enabled, int(self._now()), play_id):
            self.wake()

    async def backfill(self) -> int:
        """List every stored track for every enabled plugin; returns how many rows were added."""
        added = await enrichment.enqueue(self.store, self.enabled, int(self._now()))
        self.wake()
        return added

    async def cancel(self) -> int:
        """Drop the work not started yet (a backfill in progress); answers already stored stay."""
        return await enrichment.drop_pending(self.store)

    async def progress(self) -> dict[str, dict[str, int]]:
        return await enrichment.counts(self.store)

    async def run(self) -> None:
        """The worker: do what is due, then sleep until the next piece of work is due or a play wakes it."""
        while True:
            self._wake.clear()
            done = await self.run_due()
            if done:
                continue
            upcoming = await enrichment.next_due(self.store, self.enabled)
            delay = IDLE_SECONDS if upcoming is None else max(1.0, min(IDLE_SECONDS, upcoming - self._now()))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), delay)

    async def run_due(self) -> int:
        """One batch of due work; returns how many tracks were handled."""
        plugins = self.enabled
        jobs = await enrichment.due(self.store, plugins, int(self._now()), BATCH)
        if not jobs:
            return 0
        gate = asyncio.Semaphore(CONCURRENCY)

        async def one(job: enrichment.Job) -> None:
            async with gate:
                await self._enrich(job)

        await asyncio.gather(*(one(job) for job in jobs))
        self._on_change()
        return len(jobs)

    async def _enrich(self, job: enrichment.Job) -> None:
        loaded = self._plugins.get(job.plugin)
        if loaded is None:
            return
        query = TrackQuery(
            artist=job.artist,
            title=job.title,
            album=job.album,
            duration=job.duration,
            isrc=job.isrc,
            deezer_id=job.deezer_id,
            mbid=job.mbid,
        )
        health = loaded.health
        now = int(self._now())
        try:
            answer: Enrichment = await loaded.plugin.enrich(query)
        except PluginMisconfigured as err:
            health.state, health.error = "misconfigured", str(err)
            _LOGGER.warning("SpinStack's %s plugin needs new options: %s", job.plugin, err)
            self._on_change()  # the repair issue, at once
            await enrichment.record_failure(self.store, job, now, RETRY_FIRST, str(err))
            return
        except PluginUnavailable as err:
            retry = min(RETRY_MAX, max(RETRY_FIRST * 2**job.attempts, int(err.retry_after or 0)))
            health.state, health.error, health.failed = "unavailable", str(err), health.failed + 1
            await enrichment.record_failure(self.store, job, now, retry, str(err))
            return
        except PluginError as err:
            health.error, health.failed = str(err), health.failed + 1
            await enrichment.record_failure(self.store, job, now, RETRY_OTHER_ERRORS, str(err))
            return
        health.state, health.error, health.last_success_at = "ok", None, self._now()
        if answer.found:
            health.found += 1
            await enrichment.record_found(self.store, job, answer.as_dict(), now, loaded.plugin.keep_for(answer))
        else:
            health.not_found += 1
            await enrichment.record_not_found(self.store, job, now, loaded.plugin.keep_for(answer))
