"""Hearing one speaker: SoCo UPnP event subscriptions on the running event loop, with renewals, resubscription
after a refusal, a reboot or an outage (with backoff), and polling only while events are unavailable.

SoCo's own calls (SOAP requests) are blocking: they run through ``run_blocking`` (Home Assistant's executor in
the integration, ``asyncio.to_thread`` elsewhere). Subscriptions use ``soco.events_asyncio`` on the loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
import contextlib
from dataclasses import dataclass
from enum import StrEnum
import logging
import random
from typing import Any, Protocol, TypeVar

from ..engine import Observation
from .state import SpeakerState
from .topology import GroupMember, parse_zone_group_state

_LOGGER = logging.getLogger(__name__)

T = TypeVar("T")
# Subscriptions are asked for this long; SoCo renews them at 85 % of what the speaker grants.
SUBSCRIPTION_SECONDS = 1800
BACKOFF_FIRST = 2.0
BACKOFF_MAX = 300.0
POLL_SECONDS = 10.0


class RunBlocking(Protocol):
    """Runs a blocking callable off the event loop."""

    def __call__(self, func: Callable[[], T]) -> Awaitable[T]: ...


class ListenerState(StrEnum):
    """How SpinStack is hearing a speaker."""

    STARTING = "starting"
    SUBSCRIBED = "subscribed"
    POLLING = "polling"
    OFFLINE = "offline"
    STOPPED = "stopped"


@dataclass(slots=True)
class ListenerHealth:
    """What diagnostics, the health sensor and repairs show of a listener."""

    state: ListenerState = ListenerState.STARTING
    last_event_at: float | None = None
    events: int = 0
    subscriptions: int = 0
    failures: int = 0
    last_error: str | None = None


class Backoff:
    """Exponential backoff with jitter: 2 s, 4 s, 8 s, ... up to 5 minutes."""

    def __init__(self, first: float = BACKOFF_FIRST, maximum: float = BACKOFF_MAX) -> None:
        self._first, self._max, self._next = first, maximum, first

    def next(self) -> float:
        """The next delay."""
        delay = self._next
        self._next = min(self._next * 2, self._max)
        return delay * random.uniform(0.8, 1.2)  # noqa: S311 - jitter, not security

    def reset(self) -> None:
        """After a success."""
        self._next = self._first


class SpeakerListener:
    """Subscribes to one speaker's AVTransport and ZoneGroupTopology and turns its events into observations."""

    def __init__(
        self,
        device: Any,
        *,
        uid: str,
        room: str | None,
        on_observation: Callable[[Observation], None],
        on_topology: Callable[[dict[str, GroupMember]], None],
        now: Callable[[], float],
        run_blocking: RunBlocking,
        poll_seconds: float = POLL_SECONDS,
        subscription_seconds: int = SUBSCRIPTION_SECONDS,
        on_health: Callable[[], None] | None = None,
    ) -> None:
        self.device = device
        self.uid = uid
        self.state = SpeakerState(uid, room=room)
        self.health = ListenerHealth()
        self._on_observation = on_observation
        self._on_topology = on_topology
        self._now = now
        self._run_blocking = run_blocking
        self._poll_seconds = poll_seconds
        self._subscription_seconds = subscription_seconds
        self._on_health = on_health
        self._subscriptions: list[Any] = []
        self._lost = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._last_seq: dict[str, int] = {}
        self._boot_seq: int | None = None
        self._refreshing = False
        self._refresh_again = False
        self._refresh_task: asyncio.Task[None] | None = None

    # -- life cycle ----------------------------------------------------------------------------------------------
    def start(self) -> asyncio.Task[None]:
        """Start hearing the speaker; the returned task runs until :meth:`async_stop`."""
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(
                self._run_for_good(), name=f"spinstack listener {self.uid}"
            )
        return self._task

    async def _run_for_good(self) -> None:
        """The supervisor itself is supervised: should it ever fail, log why and start it again after a backoff."""
        backoff = Backoff(first=5.0, maximum=BACKOFF_MAX)
        while True:
            try:
                await self._supervise()
            except asyncio.CancelledError:
                raise
            except Exception as err:
                self.health.failures += 1
                self.health.last_error = f"listener failed: {type(err).__name__}: {err}"
                self._set_state(ListenerState.OFFLINE)
                delay = backoff.next()
                _LOGGER.exception("The listener of %s failed; restarting it in %.0f s", self.uid, delay)
                await self._unsubscribe()
                await asyncio.sleep(delay)

    async def async_stop(self) -> None:
        """Stop: cancel the supervisor and unsubscribe (best effort, the speaker may be gone)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._refresh_task is not None and not self._refresh_task.done():
            # A read in flight runs in a worker thread: let it end rather than leave it behind.
            self._refresh_again = False
            await asyncio.wait([self._refresh_task], timeout=15)
        await self._unsubscribe()
        self._set_state(ListenerState.STOPPED)

    async def _supervise(self) -> None:
        backoff = Backoff()
        while True:
            try:
                await self._subscribe()
            except asyncio.CancelledError:
                raise
            except Exception as err:  # noqa: BLE001 - any failure to subscribe means: poll, then try again
                self.health.failures += 1
                self.health.last_error = f"{type(err).__name__}: {err}"
                _LOGGER.warning("Cannot subscribe to %s (%s); polling until the next attempt", self.uid, err)
            else:
                backoff.reset()
                self._set_state(ListenerState.SUBSCRIBED)
                await self.refresh()
                await self._lost.wait()
                _LOGGER.info("Events from %s stopped (%s); resubscribing", self.uid, self.health.last_error)
            await self._unsubscribe()
            await self._poll_until(self._now_monotonic() + backoff.next())

    async def _subscribe(self) -> None:
        self._lost.clear()
        self._last_seq.clear()
        device = self.device
        # SoCo reads these with blocking calls inside subscribe(); read them here, off the loop, first.
        await self._run_blocking(lambda: (device.uid, device.household_id))
        for service, callback in (
            (self.device.avTransport, self._on_av_event),
            (self.device.zoneGroupTopology, self._on_topology_event),
        ):
            subscription = await service.subscribe(requested_timeout=self._subscription_seconds, auto_renew=True)
            subscription.callback = callback
            subscription.auto_renew_fail = self._on_renew_failed
            self._subscriptions.append(subscription)
        self.health.subscriptions += 1

    async def _unsubscribe(self) -> None:
        subscriptions, self._subscriptions = self._subscriptions, []
        for subscription in subscriptions:
            try:
                await subscription.unsubscribe()
            except Exception as err:  # noqa: BLE001 - the speaker may be gone; its subscription dies with it
                _LOGGER.debug("Unsubscribing from %s: %s", self.uid, err)

    def _set_state(self, state: ListenerState) -> None:
        if state is not self.health.state:
            self.health.state = state
            if self._on_health is not None:
                self._on_health()

    def _on_renew_failed(self, err: Exception) -> None:
        self.health.failures += 1
        self.health.last_error = f"renewal failed: {err}"
        self._lost.set()

    def _now_monotonic(self) -> float:
        return asyncio.get_running_loop().time()

    async def _poll_until(self, deadline: float) -> None:
        """Poll the speaker's state until ``deadline`` (loop time): the only time SpinStack polls."""
        while (left := deadline - self._now_monotonic()) > 0:
            try:
                await self.refresh()
            except asyncio.CancelledError:
                raise
            except Exception as err:  # noqa: BLE001 - unreachable: wait and try again
                self._set_state(ListenerState.OFFLINE)
                self.health.last_error = f"{type(err).__name__}: {err}"
            else:
                self._set_state(ListenerState.POLLING)
            await asyncio.sleep(min(left, self._poll_seconds))

    # -- events --------------------------------------------------------------------------------------------------
    def _seen(self, event: Any) -> bool:
        """True for a NOTIFY already handled (a duplicate or an older SEQ)."""
        try:
            seq = int(event.seq)
        except TypeError, ValueError:
            return False
        service = str(getattr(event, "service", ""))
        last = self._last_seq.get(service)
        if last is not None and seq <= last and seq != 0:
            return True
        self._last_seq[service] = seq
        return False

    def _on_av_event(self, event: Any) -> None:
        self.health.events += 1
        self.health.last_event_at = self._now()
        if self._seen(event):
            return
        try:
            self.state.apply_avtransport(dict(event.variables))
        except Exception:
            _LOGGER.exception("Ignoring an AVTransport event from %s that could not be read", self.uid)
            return
        self._on_observation(self.state.observation(self._now()))
        # Events carry no position; read it now so that repeats and restarts are seen.
        self._request_refresh()

    def _on_topology_event(self, event: Any) -> None:
        self.health.events += 1
        self.health.last_event_at = self._now()
        if self._seen(event):
            return
        text = event.variables.get("zone_group_state")
        if isinstance(text, str):
            members = parse_zone_group_state(text)
            if members:
                self.apply_topology(members)
                self._on_topology(members)

    def apply_topology(self, members: dict[str, GroupMember]) -> None:
        """Take this speaker's room and coordinator from a ZoneGroupState; a new boot sequence means it rebooted
        and forgot its subscriptions: subscribe again at once rather than at the next (failing) renewal."""
        member = members.get(self.uid)
        if member is None:
            return
        self.state.room = member.room
        self.state.coordinator = member.coordinator
        if member.boot_seq is not None:
            if self._boot_seq is not None and member.boot_seq != self._boot_seq and self._subscriptions:
                self.health.last_error = f"rebooted (boot sequence {self._boot_seq} -> {member.boot_seq})"
                self._lost.set()
            self._boot_seq = member.boot_seq

    # -- reads ---------------------------------------------------------------------------------------------------
    def _request_refresh(self) -> None:
        """Read the position after an event: one read at a time, and one more if events came during it (a burst
        of events costs two reads, and an older read never lands after a newer one)."""
        if self._refreshing:
            self._refresh_again = True
            return
        self._refreshing = True
        self._refresh_task = asyncio.get_running_loop().create_task(
            self._refresh_loop(), name=f"spinstack position {self.uid}"
        )

    async def _refresh_loop(self) -> None:
        try:
            while True:
                self._refresh_again = False
                try:
                    await self.refresh()
                except Exception as err:  # noqa: BLE001 - a failed read is retried by the next event or poll
                    _LOGGER.debug("Reading the position of %s failed: %s", self.uid, err)
                if not self._refresh_again:
                    return
        finally:
            self._refreshing = False

    async def refresh(self) -> Observation:
        """Read the speaker's transport state and position (two SOAP calls) and report an observation."""
        device = self.device

        def read() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
            transport = device.avTransport.GetTransportInfo([("InstanceID", 0)])
            position = device.avTransport.GetPositionInfo([("InstanceID", 0)])
            media = device.avTransport.GetMediaInfo([("InstanceID", 0)])
            return transport, position, media

        transport, position_info, media = await self._run_blocking(read)
        self.state.apply_avtransport(
            {
                "transport_state": transport.get("CurrentTransportState"),
                "av_transport_uri": media.get("CurrentURI"),
            }
        )
        position = self.state.apply_position_info(position_info)
        observation = self.state.observation(self._now(), position)
        self._on_observation(observation)
        return observation
