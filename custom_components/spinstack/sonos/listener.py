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

import soco

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
    # The local port SoCo's event listener takes this speaker's NOTIFYs on (SoCo takes the next free port when the
    # one it is configured with, soco.config.EVENT_LISTENER_PORT, is taken by another program).
    event_port: int | None = None


class StaleReadError(Exception):
    """A read of the speaker overtaken by an event: its result is not reported."""


class EventsUnavailableError(Exception):
    """SoCo's event listener is not running (it found no free port): a subscription would carry no events."""


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


def _event_listener(subscription: Any) -> Any:
    """SoCo's event listener: the subscription's, or that of the events module SoCo is configured with."""
    if subscription is not None and (found := getattr(subscription, "event_listener", None)) is not None:
        return found
    return getattr(soco.config.EVENTS_MODULE, "event_listener", None)


def _requested_port(subscription: Any) -> int | None:
    port = getattr(_event_listener(subscription), "requested_port_number", None)
    return port if isinstance(port, int) else None


def _events_unavailable(subscription: Any) -> str | None:
    """Why no NOTIFY can arrive, if SoCo's event listener is not running; None when it runs."""
    listener = _event_listener(subscription)
    if listener is None or getattr(listener, "is_running", True):
        return None
    first = _requested_port(subscription)
    ports = f"ports {first}-{first + 99}" if first is not None else "its ports"
    return (
        f"SoCo's event listener is not running ({ports} taken by other programs, or no local address reaches the"
        " speaker): no events can arrive"
    )


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
        # The transport state the last AVTransport event of the current subscription reported.
        self._evented_state: str | None = None
        # When the last observation this listener reported was made.
        self._reported_at: float | None = None
        # AVTransport events applied: a read during which one arrived is older than the state it reported.
        self._av_events = 0
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
                try:
                    await self._read()
                except Exception as err:  # noqa: BLE001 - unreadable right after subscribing: a network failure
                    # marks the subscription lost (see _read); anything else waits for the next event or wake-up.
                    _LOGGER.debug("Reading %s after subscribing failed: %s", self.uid, err)
                await self._lost.wait()
                _LOGGER.info("Events from %s stopped (%s); resubscribing", self.uid, self.health.last_error)
            await self._unsubscribe()
            await self._poll_until(self._now_monotonic() + backoff.next())

    async def _subscribe(self) -> None:
        self._lost.clear()
        self._last_seq.clear()
        # A new subscription is the speaker's as it is now: the boot sequence its first topology event carries is
        # the one to compare later ones with (a reboot before it, the reason of this subscription maybe, is past).
        self._boot_seq = None
        self._evented_state = None
        device = self.device
        # SoCo reads these with blocking calls inside subscribe(); read them here, off the loop, first.
        await self._run_blocking(lambda: (device.uid, device.household_id))
        for service, callback in (
            (self.device.avTransport, self._on_av_event),
            (self.device.zoneGroupTopology, self._on_topology_event),
        ):
            subscription = await self._subscribe_to(service)
            subscription.callback = callback
            subscription.auto_renew_fail = self._on_renew_failed
            self._subscriptions.append(subscription)
        self.health.subscriptions += 1

    async def _subscribe_to(self, service: Any) -> Any:
        """One subscription, with events that can arrive: SoCo's event listener must be running (it tries ports from
        soco.config.EVENT_LISTENER_PORT on, and goes on without one when every port it tries is taken)."""
        try:
            subscription = await service.subscribe(requested_timeout=self._subscription_seconds, auto_renew=True)
        except Exception as err:
            if (reason := _events_unavailable(None)) is not None:
                raise EventsUnavailableError(reason) from err
            raise
        if (reason := _events_unavailable(subscription)) is not None:
            # Should SoCo subscribe all the same (with the callback address of an earlier run of its listener), the
            # NOTIFYs would go nowhere while this listener looked subscribed.
            with contextlib.suppress(Exception):
                await subscription.unsubscribe()
            raise EventsUnavailableError(reason)
        address: tuple[Any, ...] = tuple(getattr(getattr(subscription, "event_listener", None), "address", ()) or ())
        if len(address) == 2 and address[1] != self.health.event_port:
            self.health.event_port = int(address[1])
            wanted = _requested_port(subscription)
            if wanted is not None and self.health.event_port != wanted:
                # Worth knowing where a firewall lets only SoCo's usual port through.
                _LOGGER.info(
                    "Events from %s arrive on port %s: port %s, SoCo's first choice, is taken by another program",
                    self.uid,
                    self.health.event_port,
                    wanted,
                )
        return subscription

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
                await self._read()
            except asyncio.CancelledError:
                raise
            except StaleReadError:
                self._set_state(ListenerState.POLLING)  # it answered; an event said more
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
        self._evented_state = self.state.variables.get("transport_state")
        self._av_events += 1
        self._report(self.state.observation(self._now()))
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
                    await self._read()
                except Exception as err:  # noqa: BLE001 - a failed read is retried by the next event or poll
                    _LOGGER.debug("Reading the position of %s failed: %s", self.uid, err)
                if not self._refresh_again:
                    return
        finally:
            self._refreshing = False

    async def refresh(self) -> Observation:
        """Read the speaker's transport state and position and report an observation: the read of a wake-up (a
        threshold or a track's end is due and no event says what happened).

        While subscribed, a transport state other than the one the last event reported means events were missed:
        the subscription may be dead without a word (a speaker that rebooted forgets its subscribers, and nothing
        says so until the renewal, up to 25 minutes later, unless another room's topology event tells) or a NOTIFY
        was lost. The subscription is then renewed at once, and health counts the failure.
        """
        try:
            observation, transport_state = await self._read(wake_up=True)
        except StaleReadError:
            # It answered, and an event told what changed meanwhile (its own read follows).
            return self.state.observation(self._now())
        evented = self._evented_state
        if (
            self.health.state is ListenerState.SUBSCRIBED
            and evented is not None
            and transport_state is not None
            and transport_state != evented
            and "TRANSITIONING" not in (transport_state, evented)
        ):
            self.health.failures += 1
            self.health.last_error = f"events missed: the speaker is {transport_state}, its last event said {evented}"
            self._lost.set()
        return observation

    async def _read(self, *, wake_up: bool = False) -> tuple[Observation, str | None]:
        """Read the speaker's transport state and position (three SOAP calls) and report an observation; returns it
        and the transport state read.

        A wake-up read that finds the speaker stopped while its last event said it played (the stop's NOTIFY lost,
        or a reboot nobody reported) cannot tell when it stopped, and a stop resets the position: the observation
        is reported at the time of the last one, so that no time is counted as heard that nothing shows was."""
        device = self.device

        now_of = self._now

        def read() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], float]:
            transport = device.avTransport.GetTransportInfo([("InstanceID", 0)])
            position = device.avTransport.GetPositionInfo([("InstanceID", 0)])
            # The position's time: taken as it arrives, not after the next call and the way back to the event loop
            # (a busy machine, a slow speaker), which would date the track's start that much later.
            read_at = now_of()
            media = device.avTransport.GetMediaInfo([("InstanceID", 0)])
            return transport, position, media, read_at

        generation = self.health.subscriptions
        events_before = self._av_events
        try:
            transport, position_info, media, read_at = await self._run_blocking(read)
        except OSError as err:
            # The speaker does not answer (off the network, powered off, rebooting): its subscription cannot be
            # trusted (NOTIFYs sent meanwhile are lost, a reboot forgets it) and health must say so. Only for the
            # subscription this read began under: a read that began before a resubscription says nothing of it.
            if self.health.state is ListenerState.SUBSCRIBED and generation == self.health.subscriptions:
                self.health.failures += 1
                self.health.last_error = f"unreachable: {type(err).__name__}: {err}"
                self._lost.set()
            raise
        if self._av_events != events_before:
            # An event came while the speaker was being read: the read may show the state before it (a play
            # started, a track changed), and reporting it now would put an old state after a newer one. The event's
            # own read follows (_request_refresh).
            raise StaleReadError(f"an event from {self.uid} arrived during the read")
        self.state.apply_avtransport(
            {
                "transport_state": transport.get("CurrentTransportState"),
                "av_transport_uri": media.get("CurrentURI"),
            }
        )
        position = self.state.apply_position_info(position_info)
        state = transport.get("CurrentTransportState")
        now = read_at
        if (
            wake_up
            and state == "STOPPED"
            and self._evented_state == "PLAYING"
            and self.health.state is ListenerState.SUBSCRIBED
            and self._reported_at is not None
        ):
            now = min(now, self._reported_at)
        observation = self.state.observation(now, position)
        self._report(observation)
        return observation, state if isinstance(state, str) else None

    def _report(self, observation: Observation) -> None:
        self._reported_at = observation.t
        self._on_observation(observation)
