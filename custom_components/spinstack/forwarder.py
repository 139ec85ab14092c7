"""Forwarding: new plays to Last.fm and ListenBrainz, through the store's durable outbox.

A live play is put in the outbox of every enabled target in the transaction that stores it (``Store.add_play``'s
``forward_to``). One worker per entry (supervised by the coordinator like the writer) delivers each target's outbox
in order, in batches of the target's size:

* delivered plays leave the outbox;
* plays the target refuses for good (too old, ignored, invalid) become dead letters: kept, shown by the health
  entity and diagnostics, and put back in line by ``spinstack.retry_forwarding``;
* a failure worth retrying (offline, 5xx, rate limits) leaves the batch first in line, tried again with a backoff
  (at most 15 minutes): a day offline, then every play is delivered once, in order;
* refused credentials stop that target (its plays wait) and raise a repair issue until its options change.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
import contextlib
from dataclasses import dataclass
import logging
import random
import time
from typing import Any, Final

from .engine import Play
from .enricher import CONF_PLUGINS, ENABLED
from .forwarding import FORWARDERS, Forwarder, Outgoing
from .plugins import PluginContext, PluginError, PluginMisconfigured, PluginUnavailable, validate_options
from .store import Store, outbox

_LOGGER = logging.getLogger(__name__)

RETRY_FIRST: Final = 5.0
RETRY_MAX: Final = 900.0


def forwarding_options(options: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Each forwarder's options as the entry holds them (with the metadata plugins': ``enabled`` and its own)."""
    saved: Mapping[str, Any] = options.get(CONF_PLUGINS) or {}
    return {name: dict(saved.get(name) or {}) for name in FORWARDERS}


@dataclass(slots=True)
class ForwarderHealth:
    """How a target is doing, for the health entity, a repair issue and diagnostics."""

    enabled: bool = False
    state: str = "disabled"  # disabled, ok, unavailable, misconfigured
    error: str | None = None
    pending: int = 0
    dead: int = 0
    delivered: int = 0
    last_delivery_at: float | None = None


@dataclass(slots=True)
class _Target:
    forwarder: Forwarder
    options: dict[str, Any]
    health: ForwarderHealth
    retry_at: float = 0.0
    backoff: float = RETRY_FIRST


class Forwarding:
    """The forwarders of one entry, and their worker."""

    def __init__(
        self,
        store: Store,
        context: Callable[[], PluginContext],
        *,
        now: Callable[[], float] = time.monotonic,
        on_change: Callable[[], None] = lambda: None,
    ) -> None:
        self.store = store
        self._context = context
        self._now = now
        self._on_change = on_change
        self._targets: dict[str, _Target] = {}
        self._health: dict[str, ForwarderHealth] = {name: ForwarderHealth() for name in FORWARDERS}
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()

    @property
    def targets(self) -> tuple[str, ...]:
        """Where new plays go (a misconfigured target too: its plays wait for new options)."""
        return tuple(self._targets)

    def health(self) -> dict[str, ForwarderHealth]:
        """Each forwarder's health."""
        return dict(self._health)

    def wake(self, *, retry_now: bool = False) -> None:
        """New plays in the outbox (delivered now unless a target is waiting out a failure), or, with
        ``retry_now``, try every target now."""
        if retry_now:
            for target in self._targets.values():
                target.retry_at = 0.0
                target.backoff = RETRY_FIRST
        self._wake.set()

    async def apply(self, options: Mapping[str, Any]) -> None:
        """Start, restart or stop each forwarder whose options changed; the others are left alone."""
        async with self._lock:
            for name, wanted in forwarding_options(options).items():
                enabled = bool(wanted.pop(ENABLED, False))
                current = self._targets.get(name)
                if not enabled:
                    self._targets.pop(name, None)
                    self._health[name] = ForwarderHealth()
                    continue
                if current is not None and current.options == wanted and current.health.state != "misconfigured":
                    continue
                health = ForwarderHealth(enabled=True, state="ok")
                cls = FORWARDERS[name]
                try:
                    forwarder = cls(self._context(), validate_options(cls.option_specs, wanted))
                except PluginMisconfigured as err:
                    health = ForwarderHealth(enabled=True, state="misconfigured", error=str(err))
                    forwarder = None
                if forwarder is None:
                    self._targets.pop(name, None)
                    self._health[name] = health
                    continue
                self._targets[name] = _Target(forwarder, wanted, health)
                self._health[name] = health
        await self.refresh_counts()
        self.wake(retry_now=True)
        self._on_change()

    async def refresh_counts(self) -> None:
        """Pending plays and dead letters per target, from the outbox."""
        counts = await outbox.counts(self.store)
        for name, health in self._health.items():
            health.pending = counts.get(name, {}).get("pending", 0)
            health.dead = counts.get(name, {}).get("dead", 0)

    async def retry(self, target: str | None = None) -> int:
        """Dead letters back in line (of one target or all); returns how many."""
        moved = await outbox.retry(self.store, target)
        await self.refresh_counts()
        self.wake(retry_now=True)
        self._on_change()
        return moved

    async def now_playing(self, play: Play) -> None:
        """Tell the targets that want it what is playing (best effort: never stored, never retried)."""
        for name, target in list(self._targets.items()):
            if target.health.state == "misconfigured":
                continue
            try:
                await target.forwarder.now_playing(play)
            except PluginError as err:
                _LOGGER.debug("Now-playing update to %s failed: %s", name, err)

    # -- the worker ----------------------------------------------------------------------------------------------
    async def run(self) -> None:
        """Deliver every target's outbox, for good (the coordinator restarts it if it fails)."""
        while True:
            self._wake.clear()
            wait = await self.run_due()
            if wait is None:
                await self._wake.wait()
            else:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), wait)

    async def run_due(self) -> float | None:
        """Deliver what can be delivered now; returns the seconds until a target wants another try (None: nothing
        waits but new plays)."""
        waits: list[float] = []
        if self._targets:
            # New plays since the last look (the backlog entity counts them, delivered or not).
            await self.refresh_counts()
            self._on_change()
        for name, target in list(self._targets.items()):
            if target.health.state == "misconfigured":
                continue
            delay = target.retry_at - self._now()
            if delay > 0:
                waits.append(delay)
                continue
            if await self._deliver(name, target):
                waits.append(max(0.0, target.retry_at - self._now()))
        return min(waits) if waits else None

    async def _deliver(self, name: str, target: _Target) -> bool:
        """Send the target's outbox until it is empty or a batch fails; True when it must be tried again later."""
        forwarder = target.forwarder
        while name in self._targets and self._targets[name] is target:
            items = await outbox.pending(self.store, name, forwarder.max_batch)
            if not items:
                break
            batch = [
                Outgoing(
                    outbox_id=item.outbox_id,
                    play=item.record.play,
                    isrc=item.record.isrc,
                    track_mbid=item.record.track_mbid,
                    artist_mbid=item.record.artist_mbid,
                    release_mbid=item.record.album_mbid,
                )
                for item in items
            ]
            try:
                result = await forwarder.submit(batch)
            except PluginMisconfigured as err:
                _LOGGER.warning("Forwarding to %s stopped until its options change: %s", name, err)
                target.health = self._health[name] = ForwarderHealth(
                    enabled=True, state="misconfigured", error=str(err)
                )
                self._on_change()
                await self.refresh_counts()
                return False
            except PluginError as err:
                retry_after = err.retry_after if isinstance(err, PluginUnavailable) else None
                await outbox.attempted(self.store, [item.outbox_id for item in batch], str(err))
                self._later(name, target, str(err), retry_after)
                return True
            if result.delivered:
                await outbox.delivered(self.store, result.delivered)
                target.health.delivered += len(result.delivered)
                target.health.last_delivery_at = time.time()
            if result.dead:
                for outbox_id, reason in result.dead:
                    _LOGGER.warning("%s refused play %s for good: %s (kept as a dead letter)", name, outbox_id, reason)
                await outbox.dead(self.store, result.dead)
            if result.retry:
                await outbox.attempted(self.store, result.retry, "asked to retry later")
                self._later(name, target, "asked to retry later", result.retry_after)
                return True
            target.backoff = RETRY_FIRST
            if target.health.state != "ok":
                _LOGGER.info("Forwarding to %s works again", name)
            target.health.state, target.health.error = "ok", None
            await self.refresh_counts()
            self._on_change()
        return False

    def _later(self, name: str, target: _Target, error: str, retry_after: float | None) -> None:
        delay = max(retry_after or 0.0, target.backoff * (0.5 + random.random() / 2))  # noqa: S311 - jitter
        target.backoff = min(RETRY_MAX, target.backoff * 2)
        target.retry_at = self._now() + delay
        if target.health.state != "unavailable":
            _LOGGER.warning("Cannot forward plays to %s now (%s); they wait in the outbox", name, error)
        target.health.state, target.health.error = "unavailable", error
        self._on_change()
