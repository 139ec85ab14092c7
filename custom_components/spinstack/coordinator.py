"""SpinStack's coordinator: speakers' events -> the engine -> the play store -> entities and events.

Push-based: nothing is polled on a schedule. Listeners report observations; the engine decides; the coordinator
wakes the engine when it asks (a threshold or a track's end comes without an event), writes plays through a
supervised writer that never drops one, and tells entities.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
import logging
import sqlite3
import time
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HassJob, HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.debounce import Debouncer
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.event import async_call_later, async_track_time_change
from homeassistant.helpers.storage import Store as JsonStore
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator
from homeassistant.util import dt as dt_util
import soco
from soco import events_asyncio

from .const import (
    CONF_HOSTS,
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
    EVENT_SCROBBLE,
)
from .engine import Engine, Listen, Observation, Play, Rules
from .enricher import Enricher, PluginHealth
from .forwarder import ForwarderHealth, Forwarding
from .importer import HistoryImporter, ImportProgress
from .insights import Insights
from .plugins import PluginContext
from .sonos.listener import Backoff, ListenerHealth, ListenerState, SpeakerListener
from .sonos.topology import GroupMember, read_zone_group_state
from .store import Store

_LOGGER = logging.getLogger(__name__)

# Home Assistant shares SoCo with its core Sonos integration: events come through aiohttp on its loop.
soco.config.EVENTS_MODULE = events_asyncio

STATE_VERSION = 1
STATE_SAVE_DELAY = 5.0
RECENT_OBSERVATIONS = 500
# Household entities follow observations at most this often (each room's now-playing sensor follows every one).
NOTIFY_COOLDOWN = 2.0


def speaker_signal(entry_id: str, uid: str) -> str:
    """The dispatcher signal of one speaker's observations (its now-playing sensor listens)."""
    return f"{DOMAIN}_{entry_id}_speaker_{uid}"


def wall_clock() -> float:
    """The engine's clock: epoch seconds (tests move it with a clock of their own)."""
    return time.time()


def _now() -> float:
    # Looked up at each call, so that a test's replacement of wall_clock takes effect.
    return wall_clock()


def _no_plugin_context() -> PluginContext:
    raise RuntimeError("this coordinator was made without a context for metadata plugins")


def rules_from_options(options: dict[str, Any]) -> Rules:
    """The engine's rules from the entry's options."""
    return Rules(
        min_track_seconds=float(options.get(CONF_MIN_TRACK_SECONDS, DEFAULT_MIN_TRACK_SECONDS)),
        threshold_fraction=float(options.get(CONF_THRESHOLD_PERCENT, DEFAULT_THRESHOLD_PERCENT)) / 100,
        threshold_cap_seconds=float(options.get(CONF_THRESHOLD_CAP_SECONDS, DEFAULT_THRESHOLD_CAP_SECONDS)),
        radio_min_seconds=float(options.get(CONF_RADIO_MIN_SECONDS, DEFAULT_RADIO_MIN_SECONDS)),
    )


@dataclass(frozen=True, slots=True)
class SpeakerView:
    """One speaker as the entities show it."""

    uid: str
    room: str | None
    health: ListenerHealth
    now_playing: Listen | None


@dataclass(frozen=True, slots=True)
class SpinStackData:
    """What the entities read."""

    last_play: dict[str, Any] | None = None
    plays_today: int = 0
    heard_today: float = 0.0
    speakers: dict[str, SpeakerView] = field(default_factory=dict)
    last_event_at: float | None = None
    writer_error: str | None = None
    pending_writes: int = 0
    plugins: dict[str, PluginHealth] = field(default_factory=dict)
    forwarders: dict[str, ForwarderHealth] = field(default_factory=dict)
    importing: ImportProgress = field(default_factory=ImportProgress)

    @property
    def problems(self) -> list[str]:
        """Why SpinStack may be missing plays, if it may."""
        found = [
            f"{view.room or uid}: {view.health.state}"
            for uid, view in self.speakers.items()
            if view.health.state not in (ListenerState.SUBSCRIBED, ListenerState.STARTING)
        ]
        if self.writer_error:
            found.append(f"play store: {self.writer_error}")
        found.extend(
            f"{name} plugin: {health.error}" for name, health in self.plugins.items() if health.state == "misconfigured"
        )
        found.extend(
            f"forwarding to {name}: {health.error}"
            for name, health in self.forwarders.items()
            if health.state == "misconfigured"
        )
        return found


@dataclass(slots=True)
class SpinStackRuntimeData:
    """What a loaded entry holds."""

    coordinator: SpinStackCoordinator
    store: Store
    # The panel's and the service's insights, keeping recent answers (see Insights).
    insights: Insights
    # Answers being computed ahead (__init__._async_warm_insights): cancelled before the store closes.
    warming: set[asyncio.Task[None]] = field(default_factory=set)


type SpinStackConfigEntry = ConfigEntry[SpinStackRuntimeData]


class SpinStackCoordinator(DataUpdateCoordinator[SpinStackData]):
    """Runs the engine for one Sonos household."""

    config_entry: SpinStackConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: SpinStackConfigEntry,
        store: Store,
        *,
        now: Callable[[], float] | None = None,
        plugin_context: Callable[[], PluginContext] | None = None,
    ) -> None:
        super().__init__(hass, _LOGGER, config_entry=entry, name=DOMAIN, update_interval=None, always_update=True)
        self.store = store
        self.now: Callable[[], float] = now if now is not None else _now
        self.engine = Engine(rules_from_options(dict(entry.options)))
        self.listeners: dict[str, SpeakerListener] = {}
        self.recent_observations: deque[Observation] = deque(maxlen=RECENT_OBSERVATIONS)
        self.topology: dict[str, GroupMember] = {}
        self._state_store: JsonStore[dict[str, Any]] = JsonStore(
            hass, STATE_VERSION, f"{DOMAIN}.{entry.entry_id}.state", private=True
        )
        self._writes: asyncio.Queue[Play] = asyncio.Queue()
        self._unwritten: list[Play] = []
        self._writer_error: str | None = None
        self._write_lock = asyncio.Lock()
        self._wake_unsub: CALLBACK_TYPE | None = None
        self._midnight_unsub: CALLBACK_TYPE | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._play_handlers: list[Callable[[dict[str, Any]], None]] = []
        self._stopping = False
        self._notify_debouncer: Debouncer[None] = Debouncer(
            hass, _LOGGER, cooldown=NOTIFY_COOLDOWN, immediate=True, function=self.async_update_listeners
        )
        # Metadata plugins: their own worker, fed after each play is stored (never before).
        self.enricher = Enricher(store, plugin_context or _no_plugin_context, on_change=self._on_plugins)
        # Forwarding to Last.fm and ListenBrainz: its own worker, fed by the outbox the writer fills.
        self.forwarding = Forwarding(store, lambda: self.enricher.context, on_change=self._on_forwarding)
        self.importer = HistoryImporter(
            hass,
            store,
            entry_id=entry.entry_id,
            rules=lambda: self.engine.rules,
            plugin_context=lambda: self.enricher.context,
            spawn=self._spawn,
            on_change=self._on_import,
        )

    # -- life cycle ----------------------------------------------------------------------------------------------
    async def async_start(self) -> None:
        """Restore the engine's state, start the writer and the listeners."""
        saved = await self._state_store.async_load() or {}
        self.engine = Engine.restore(saved.get("engine"), rules_from_options(dict(self.config_entry.options)))
        for item in saved.get("unwritten", []):
            try:
                self._queue_write(Play(**item))
            except TypeError:
                _LOGGER.warning("Dropping an unreadable saved play: %s", item)
        self._spawn(self._supervise(self._writer, "writer"), "writer")
        await self.enricher.apply(dict(self.config_entry.options))
        self._spawn(self._supervise(self.enricher.run, "metadata worker"), "enricher")
        await self.forwarding.apply(dict(self.config_entry.options))
        self._spawn(self._supervise(self.forwarding.run, "forwarding worker"), "forwarding")
        await self._read_topology()
        self._midnight_unsub = async_track_time_change(self.hass, self._at_midnight, hour=0, minute=0, second=0)
        self._sync_listeners()
        self.data = await self._async_update_data()
        self._schedule_wake()
        await self.importer.resume()

    async def async_stop(self) -> None:
        """Stop listening; keep the engine's state and any play not yet written for the next start."""
        self._stopping = True
        self._notify_debouncer.async_cancel()
        if self._wake_unsub:
            self._wake_unsub()
            self._wake_unsub = None
        if self._midnight_unsub:
            self._midnight_unsub()
            self._midnight_unsub = None
        await asyncio.gather(*(listener.async_stop() for listener in self.listeners.values()))
        self.listeners.clear()
        await self.importer.async_stop()
        # Give queued plays a last chance to reach the file.
        for _ in range(len(self._unwritten)):
            if not await self._write_next():
                break
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.enricher.async_stop()
        self._notify_debouncer.async_cancel()
        await self._save_state()

    def apply_options(self, options: dict[str, Any]) -> None:
        """New rules and speakers, at once, without a reload and without losing a listen in progress."""
        self.engine.set_rules(rules_from_options(options))
        self._sync_listeners()
        self._schedule_wake()
        # Only the plugins whose options changed are reloaded; plays keep being recorded meanwhile.
        self._spawn(self.enricher.apply(options), "plugin options")
        self._spawn(self.forwarding.apply(options), "forwarding options")
        self.async_update_listeners()

    # -- listeners -----------------------------------------------------------------------------------------------
    def _sync_listeners(self) -> None:
        wanted = set(self.config_entry.options.get(CONF_SPEAKERS, []))
        hosts: dict[str, str] = dict(self.config_entry.data.get(CONF_HOSTS, {}))
        for uid in list(self.listeners):
            if uid not in wanted:
                listener = self.listeners.pop(uid)
                self._spawn(listener.async_stop(), f"stop {uid}")
        for uid in sorted(wanted - set(self.listeners)):
            host = hosts.get(uid)
            if host is None:
                _LOGGER.warning("No known address for speaker %s; it will be heard once it is found", uid)
                continue
            listener = SpeakerListener(
                soco.SoCo(host),
                uid=uid,
                room=self.topology[uid].room if uid in self.topology else None,
                on_observation=self._on_observation,
                on_topology=self._on_topology,
                now=self.now,
                run_blocking=self._run_blocking,
                on_health=self._on_health,
            )
            self.listeners[uid] = listener
            listener.start()

    @callback
    def _on_health(self) -> None:
        """A listener's state changed: raise or clear the repair issue, refresh the health sensor."""
        for uid, listener in self.listeners.items():
            issue_id = f"events_stopped_{uid}"
            if listener.health.state in (ListenerState.POLLING, ListenerState.OFFLINE):
                self._raise_issue(
                    issue_id,
                    "events_stopped",
                    {
                        "room": listener.state.room or uid,
                        "state": str(listener.health.state),
                        "error": listener.health.last_error or "",
                    },
                )
            elif listener.health.state is ListenerState.SUBSCRIBED:
                ir.async_delete_issue(self.hass, DOMAIN, issue_id)
        if self.data is not None:
            self.async_set_updated_data(self._with_speakers(self.data))

    @callback
    def _on_plugins(self) -> None:
        """A plugin's health changed: raise or clear its repair issue, refresh the health sensor."""
        for name, health in self.enricher.health().items():
            issue_id = f"plugin_misconfigured_{name}"
            if health.state == "misconfigured":
                self._raise_issue(issue_id, "plugin_misconfigured", {"plugin": name, "error": health.error or ""})
            else:
                ir.async_delete_issue(self.hass, DOMAIN, issue_id)
        if self.data is not None:
            self.async_set_updated_data(self._with_speakers(self.data))

    @callback
    def _on_forwarding(self) -> None:
        """A forwarder's health changed: raise or clear its repair issue, refresh the health sensor."""
        for name, health in self.forwarding.health().items():
            issue_id = f"forwarder_misconfigured_{name}"
            if health.state == "misconfigured":
                self._raise_issue(issue_id, "forwarder_misconfigured", {"target": name, "error": health.error or ""})
            else:
                ir.async_delete_issue(self.hass, DOMAIN, issue_id)
        if self.data is not None:
            self.async_set_updated_data(self._with_speakers(self.data))

    @callback
    def _on_import(self) -> None:
        """An import moved on: refresh its entity."""
        if self.data is not None:
            self.async_set_updated_data(self._with_speakers(self.data))

    def _raise_issue(self, issue_id: str, translation_key: str, placeholders: dict[str, str]) -> None:
        """A repair issue of SpinStack's: a warning that clears itself once the cause is gone (nothing to fix)."""
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            issue_id,
            is_fixable=False,
            is_persistent=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=translation_key,
            translation_placeholders=placeholders,
        )

    async def _run_blocking[T](self, func: Callable[[], T]) -> T:
        return await self.hass.async_add_executor_job(func)

    async def _read_topology(self) -> None:
        """Rooms and groups before the first event: the ZoneGroupState of the first speaker that answers."""
        hosts: dict[str, str] = dict(self.config_entry.data.get(CONF_HOSTS, {}))
        for host in hosts.values():
            try:
                members = await self.hass.async_add_executor_job(read_zone_group_state, soco.SoCo(host))
            except Exception as err:  # noqa: BLE001 - any speaker that does not answer: try the next
                _LOGGER.debug("Could not read the household's topology from %s: %s", host, err)
                continue
            if members:
                self.topology = members
                return

    @callback
    def _on_topology(self, members: dict[str, GroupMember]) -> None:
        self.topology = members
        for listener in self.listeners.values():
            listener.apply_topology(members)
        hosts = {uid: member.host for uid, member in members.items() if member.host}
        known = dict(self.config_entry.data.get(CONF_HOSTS, {}))
        if any(known.get(uid) != host for uid, host in hosts.items()):
            self.hass.config_entries.async_update_entry(
                self.config_entry, data={**self.config_entry.data, CONF_HOSTS: {**known, **hosts}}
            )

    # -- the engine ----------------------------------------------------------------------------------------------
    @callback
    def _on_observation(self, observation: Observation) -> None:
        self.recent_observations.append(observation)
        before = self.engine.now_playing(observation.speaker) if self.forwarding.targets else None
        try:
            plays = self.engine.observe(observation)
        except Exception:
            _LOGGER.exception("The engine failed on an observation of %s; it is skipped", observation.speaker)
            return
        if self.forwarding.targets:
            self._announce(observation, before)
        self._counted(plays)
        self._schedule_wake()
        self._state_store.async_delay_save(self._state_data, STATE_SAVE_DELAY)
        if self.data is not None:
            # The room's own sensor now; the household's entities (one event each, many per second with many
            # groups) at most every NOTIFY_COOLDOWN seconds.
            self.data = self._with_speakers(self.data)
            async_dispatcher_send(self.hass, speaker_signal(self.config_entry.entry_id, observation.speaker))
            if not self._stopping:
                self._notify_debouncer.async_schedule_call()

    def _announce(self, observation: Observation, before: Listen | None) -> None:
        """A new listen started on a speaker: tell the forwarders that send now-playing updates (best effort)."""
        listen = self.engine.now_playing(observation.speaker)
        if listen is None or listen.started_at is None or listen.kind not in ("on_demand", "radio"):
            return
        if before is not None and before.identity == listen.identity and before.started_at == listen.started_at:
            return
        play = Play(
            started_at=listen.started_at,
            artist=listen.artist,
            title=listen.title,
            album=listen.album,
            album_artist=listen.album_artist,
            duration=listen.duration,
            heard=listen.heard,
            service=listen.service,
            kind=listen.kind,
            speaker=observation.speaker,
            room=observation.room,
            track_uri=listen.track_uri,
        )
        self._spawn(self.forwarding.now_playing(play), "now playing")

    def _counted(self, plays: list[Play]) -> None:
        for play in plays:
            _LOGGER.debug("Counted %s - %s in %s", play.artist, play.title, play.room or play.speaker)
            self._queue_write(play)

    def _schedule_wake(self) -> None:
        if self._wake_unsub:
            self._wake_unsub()
            self._wake_unsub = None
        wake = self.engine.next_wakeup()
        if wake is None or self._stopping:
            return
        self._wake_unsub = async_call_later(
            self.hass, max(0.0, wake - self.now()), HassJob(self._on_wake, cancel_on_shutdown=True)
        )

    @callback
    def _on_wake(self, _now: Any) -> None:
        self._wake_unsub = None
        self._spawn(self._wake(), "wake")

    async def _wake(self) -> None:
        """A threshold or a track's end is due: read the playing speakers' positions, then let the engine count."""
        # Only the speakers with something due: with many groups, each wake-up is one group's threshold.
        due = [self.listeners[uid] for uid in self.engine.due(self.now()) if uid in self.listeners]
        read = await asyncio.gather(*(self._refresh(listener) for listener in due))
        unreadable = {listener.uid for listener, ok in zip(due, read, strict=True) if not ok}
        self._counted(self.engine.advance(self.now(), unreadable))
        self._schedule_wake()
        self._state_store.async_delay_save(self._state_data, STATE_SAVE_DELAY)

    async def _refresh(self, listener: SpeakerListener) -> bool:
        """Read a speaker at a wake-up; False when it could not be read."""
        try:
            await listener.refresh()
        except Exception as err:  # noqa: BLE001 - the engine counts on wall time when the speaker cannot be read
            _LOGGER.debug("Could not read %s at a wake-up: %s", listener.uid, err)
            return False
        return True

    # -- writing -------------------------------------------------------------------------------------------------
    def _queue_write(self, play: Play) -> None:
        self._unwritten.append(play)
        self._writes.put_nowait(play)

    async def _writer(self) -> None:
        """Write plays in order; a failure (disk full, database locked) is retried with backoff, never dropped."""
        while True:
            await self._writes.get()
            backoff = Backoff(first=1.0, maximum=60.0)
            while not await self._write_next():  # noqa: ASYNC110 - a retry with backoff, not a wait
                await asyncio.sleep(backoff.next())

    async def _write_next(self) -> bool:
        """Write the oldest unwritten play; False when the store refused it (kept for the next try).

        The writer and a stop's last chance both call this, one at a time (the lock): while one writes, nothing but
        appends touches the list, so the play written is still the first when it is taken off."""
        async with self._write_lock:
            if not self._unwritten:
                return True
            play = self._unwritten[0]
            try:
                row_id = await self.store.add_play(play, forward_to=self.forwarding.targets)
            except (sqlite3.Error, OSError) as err:
                if self._writer_error is None:
                    _LOGGER.exception("Cannot write a play to %s; it is kept and retried", self.store.path)
                self._writer_error = f"{type(err).__name__}: {err}"
                self._state_store.async_delay_save(self._state_data, STATE_SAVE_DELAY)
                if self.data is not None:
                    # Health says so now, not with the next observation (none may come while nothing plays).
                    self.async_set_updated_data(self._with_speakers(self.data))
                return False
            self._unwritten.pop(0)
        if self._writer_error is not None:
            _LOGGER.info("Plays are written again to %s", self.store.path)
            self._writer_error = None
        if row_id is not None:
            if self.forwarding.targets:
                self.forwarding.wake()
            data = {**play.to_json(), "id": row_id, **await self._known_metadata(row_id)}
            self.hass.bus.async_fire(EVENT_SCROBBLE, data)
            for handler in list(self._play_handlers):
                handler(data)
            try:
                await self.enricher.track_played(row_id)
            except sqlite3.Error, OSError:
                # The play is stored; its track is listed again by the next play of it or a backfill.
                _LOGGER.warning("Cannot list the track of play %s for the metadata plugins", row_id, exc_info=True)
        await self.async_refresh()
        return True

    async def _known_metadata(self, row_id: int) -> dict[str, Any]:
        """What the metadata plugins already found for the play's track (an earlier play of it), for the event."""
        try:
            rows = await self.store.query("play_metadata", id=row_id)
        except sqlite3.Error:
            return {}
        if not rows:
            return {}
        known = {key: value for key, value in rows[0].items() if value is not None and key != "genres"}
        if rows[0]["genres"]:
            known["genres"] = sorted(rows[0]["genres"].split("|"))
        return known

    @callback
    def async_add_play_handler(self, handler: Callable[[dict[str, Any]], None]) -> CALLBACK_TYPE:
        """Call ``handler`` with every play once it is stored (the event entity)."""
        self._play_handlers.append(handler)

        @callback
        def remove() -> None:
            self._play_handlers.remove(handler)

        return remove

    # -- state and data ------------------------------------------------------------------------------------------
    def _state_data(self) -> dict[str, Any]:
        return {"engine": self.engine.snapshot(), "unwritten": [play.to_json() for play in self._unwritten]}

    async def _save_state(self) -> None:
        await self._state_store.async_save(self._state_data())

    @callback
    def _at_midnight(self, _now: Any) -> None:
        self._spawn(self.async_refresh(), "midnight")

    async def _async_update_data(self) -> SpinStackData:
        today = dt_util.start_of_local_day().timestamp()
        span = {"start": today, "end": today + 86400}
        count = await self.store.query("plays_count", **span)
        heard = await self.store.query("heard_between", **span)
        last = await self.store.query("last_play")
        return self._with_speakers(
            SpinStackData(
                last_play=last[0] if last else None,
                plays_today=int(count[0]["plays"]),
                heard_today=float(heard[0]["heard"]),
            )
        )

    def _with_speakers(self, data: SpinStackData) -> SpinStackData:
        speakers = {
            uid: SpeakerView(uid, listener.state.room, listener.health, self.engine.now_playing(uid))
            for uid, listener in self.listeners.items()
        }
        last_event = max((v.health.last_event_at or 0.0 for v in speakers.values()), default=0.0) or None
        return SpinStackData(
            last_play=data.last_play,
            plays_today=data.plays_today,
            heard_today=data.heard_today,
            speakers=speakers,
            last_event_at=last_event,
            writer_error=self._writer_error,
            pending_writes=len(self._unwritten),
            plugins=self.enricher.health(),
            forwarders=self.forwarding.health(),
            importing=self.importer.progress,
        )

    async def _supervise(self, run: Callable[[], Any], name: str) -> None:
        """Run a background loop for good: when it fails, log why and start it again after a backoff."""
        backoff = Backoff(first=1.0, maximum=300.0)
        while True:
            try:
                await run()
            except asyncio.CancelledError:
                raise
            except Exception:
                delay = backoff.next()
                _LOGGER.exception("SpinStack's %s failed; restarting it in %.0f s", name, delay)
                await asyncio.sleep(delay)

    def _spawn(self, coroutine: Any, name: str) -> asyncio.Task[Any]:
        task = self.config_entry.async_create_background_task(
            self.hass, coroutine, name=f"{DOMAIN} {name}", eager_start=True
        )
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (err := task.exception()) is not None:
            _LOGGER.error("SpinStack task %s failed", task.get_name(), exc_info=err)
