"""GENA eventing of one emulated speaker: subscriptions (SUBSCRIBE, renewal, UNSUBSCRIBE, expiry on the clock) and
NOTIFY delivery, with the faults tests can switch on.

Each subscription has its own delivery queue and worker, so NOTIFYs to one subscriber go out in SEQ order (unless
a fault says otherwise). SEQ starts at 0 with the initial event, sent right after the SUBSCRIBE reply. A NOTIFY
that cannot be delivered (the subscriber is gone, the speaker is offline) is lost, as with a real speaker; its SEQ
is used up all the same.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import contextlib
from dataclasses import dataclass, field
import itertools
import logging

import aiohttp

from .clock import Clock, Timer

_LOGGER = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 86400
SERVER_HEADER = "Linux UPnP/1.0 Sonos/85.0-64200 (ZPS18)"


class GenaError(Exception):
    """A SUBSCRIBE/UNSUBSCRIBE refused with an HTTP status (412 Precondition Failed, 400 Bad Request)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(f"{status} {reason}")
        self.status = status
        self.reason = reason


@dataclass
class Faults:
    """Fault switches of one speaker's eventing; flip them at any time.

    - `drop_notifies`: NOTIFYs are never sent (their SEQ is used up, so the subscriber sees a gap).
    - `notify_delay`: real seconds each NOTIFY waits before it is sent.
    - `duplicate_notifies`: each NOTIFY is sent twice, with the same SEQ.
    - `reorder_notifies`: NOTIFYs are sent in swapped pairs (SEQ 2 before SEQ 1); a NOTIFY with no successor
      within `reorder_window` real seconds goes out alone.
    - `refuse_renewals`: renewals (SUBSCRIBE with SID) get 412 Precondition Failed.
    - `refuse_subscriptions`: new subscriptions (SUBSCRIBE without SID) get 503 Service Unavailable, as from a
      speaker that has all the subscribers it takes (renewals of existing subscriptions are not affected).
    - `malformed_notifies`: NOTIFY bodies are cut in half (not well-formed XML).
    - `oversized_metadata`: when positive, the track metadata in AVTransport NOTIFYs carries that many extra bytes.
    """

    drop_notifies: bool = False
    notify_delay: float = 0.0
    duplicate_notifies: bool = False
    reorder_notifies: bool = False
    reorder_window: float = 0.5
    refuse_renewals: bool = False
    refuse_subscriptions: bool = False
    malformed_notifies: bool = False
    oversized_metadata: int = 0

    def clear(self) -> None:
        """Switch every fault off."""
        for name, value in Faults().__dict__.items():
            setattr(self, name, value)


@dataclass
class Notification:
    """One NOTIFY to send."""

    sid: str
    seq: int
    body: str


@dataclass
class Subscription:
    """One subscriber of one service."""

    sid: str
    service: str
    callbacks: list[str]
    timeout: int
    expires_at: float
    seq: int = 0
    queue: asyncio.Queue[Notification] = field(default_factory=asyncio.Queue)
    worker: asyncio.Task[None] | None = None
    expiry: Timer | None = None
    delivered: list[int] = field(default_factory=list)

    def next_seq(self) -> int:
        """Use up the next SEQ."""
        seq = self.seq
        self.seq += 1
        return seq


BodyBuilder = Callable[[str], str]  # service -> NOTIFY body


class Gena:
    """Subscriptions to one speaker's services, and NOTIFY delivery."""

    def __init__(self, clock: Clock, uid: str, body: BodyBuilder, faults: Faults | None = None) -> None:
        self.clock = clock
        self.uid = uid
        self.body = body
        self.faults = faults or Faults()
        self.online = True
        self.initial_notify_delay = 0.05
        self.subscriptions: dict[str, Subscription] = {}
        self._ids = itertools.count(1)
        self._session: aiohttp.ClientSession | None = None
        self._expired_workers: set[asyncio.Task[None]] = set()

    # -- lifecycle ---------------------------------------------------------------------------------------------------
    async def start(self) -> None:
        """Open the HTTP client NOTIFYs go out through."""
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5))

    async def close(self) -> None:
        """Forget every subscription and close the HTTP client."""
        await self.forget_all()
        for worker in list(self._expired_workers):
            with contextlib.suppress(asyncio.CancelledError):
                await worker
        self._expired_workers.clear()
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def forget_all(self) -> None:
        """Drop every subscription (a reboot): their renewals will get 412."""
        subscriptions = list(self.subscriptions.values())
        self.subscriptions.clear()
        for subscription in subscriptions:
            await self._retire(subscription)

    async def _retire(self, subscription: Subscription) -> None:
        if subscription.expiry is not None:
            subscription.expiry.cancel()
        if subscription.worker is not None:
            subscription.worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await subscription.worker

    # -- SUBSCRIBE / UNSUBSCRIBE -------------------------------------------------------------------------------------
    def subscribe(self, service: str, callback: str | None, nt: str | None, timeout: str | None) -> Subscription:
        """A new subscription; its initial event is queued at once (sent after a short real delay)."""
        if not callback or nt != "upnp:event":
            raise GenaError(412, "Precondition Failed")
        if self.faults.refuse_subscriptions:
            raise GenaError(503, "Service Unavailable")
        callbacks = [part.strip(" <") for part in callback.split(">") if part.strip(" <")]
        if not callbacks or not all(url.startswith("http://") for url in callbacks):
            raise GenaError(412, "Precondition Failed")
        seconds = parse_timeout(timeout)
        sid = f"uuid:{self.uid}_sub{next(self._ids):010d}"
        subscription = Subscription(sid, service, callbacks, seconds, self.clock.now() + seconds)
        self.subscriptions[sid] = subscription
        self._schedule_expiry(subscription)
        subscription.worker = asyncio.get_running_loop().create_task(self._deliver(subscription), name=f"gena {sid}")
        self._queue(subscription, self.body(service))
        return subscription

    def renew(self, service: str, sid: str, timeout: str | None, *, has_callback_or_nt: bool = False) -> Subscription:
        """Renew a subscription (SUBSCRIBE with SID)."""
        if has_callback_or_nt:
            raise GenaError(400, "Bad Request")
        subscription = self.subscriptions.get(sid)
        if subscription is None or subscription.service != service or self.faults.refuse_renewals:
            raise GenaError(412, "Precondition Failed")
        subscription.timeout = parse_timeout(timeout)
        subscription.expires_at = self.clock.now() + subscription.timeout
        self._schedule_expiry(subscription)
        return subscription

    async def unsubscribe(self, service: str, sid: str) -> None:
        """End a subscription (UNSUBSCRIBE)."""
        subscription = self.subscriptions.get(sid)
        if subscription is None or subscription.service != service:
            raise GenaError(412, "Precondition Failed")
        del self.subscriptions[sid]
        await self._retire(subscription)

    def _schedule_expiry(self, subscription: Subscription) -> None:
        if subscription.expiry is not None:
            subscription.expiry.cancel()

        def expire() -> None:
            if self.subscriptions.get(subscription.sid) is subscription:
                _LOGGER.debug("subscription %s expired", subscription.sid)
                del self.subscriptions[subscription.sid]
                if subscription.worker is not None:
                    subscription.worker.cancel()
                    self._expired_workers.add(subscription.worker)
                    subscription.worker.add_done_callback(self._expired_workers.discard)

        subscription.expiry = self.clock.call_at(subscription.expires_at, expire)

    # -- events ------------------------------------------------------------------------------------------------------
    def notify(self, service: str) -> None:
        """Send `service`'s current state to each of its subscribers."""
        targets = [sub for sub in self.subscriptions.values() if sub.service == service]
        if not targets:
            return
        body = self.body(service)
        for subscription in targets:
            self._queue(subscription, body)

    def _queue(self, subscription: Subscription, body: str) -> None:
        seq = subscription.next_seq()
        if self.faults.malformed_notifies:
            body = body[: len(body) // 2]
        subscription.queue.put_nowait(Notification(subscription.sid, seq, body))

    async def drain(self) -> None:
        """Wait until every queued NOTIFY has been sent (or given up)."""
        for subscription in list(self.subscriptions.values()):
            await subscription.queue.join()

    async def _deliver(self, subscription: Subscription) -> None:
        queue = subscription.queue
        first = True
        while True:
            message = await queue.get()
            try:
                if first:
                    first = False
                    await asyncio.sleep(self.initial_notify_delay)
                if self.faults.reorder_notifies:
                    try:
                        later = await asyncio.wait_for(queue.get(), self.faults.reorder_window)
                    except TimeoutError:
                        await self._send(subscription, message)
                    else:
                        try:
                            await self._send(subscription, later)
                            await self._send(subscription, message)
                        finally:
                            queue.task_done()
                else:
                    await self._send(subscription, message)
            finally:
                queue.task_done()

    async def _send(self, subscription: Subscription, message: Notification) -> None:
        faults = self.faults
        if faults.notify_delay > 0:
            await asyncio.sleep(faults.notify_delay)
        if faults.drop_notifies or not self.online or self._session is None:
            return
        copies = 2 if faults.duplicate_notifies else 1
        headers = {
            "CONTENT-TYPE": 'text/xml; charset="utf-8"',
            "NT": "upnp:event",
            "NTS": "upnp:propchange",
            "SID": message.sid,
            "SEQ": str(message.seq),
            "SERVER": SERVER_HEADER,
        }
        for _ in range(copies):
            for url in subscription.callbacks:
                try:
                    async with self._session.request(
                        "NOTIFY", url, data=message.body.encode("utf-8"), headers=headers
                    ) as response:
                        await response.read()
                        if response.status < 300:
                            subscription.delivered.append(message.seq)
                            break
                        _LOGGER.debug("NOTIFY %s SEQ %s answered %s", message.sid, message.seq, response.status)
                        break
                except (aiohttp.ClientError, TimeoutError, OSError, ValueError) as error:
                    _LOGGER.debug("NOTIFY %s SEQ %s to %s failed: %r", message.sid, message.seq, url, error)


def parse_timeout(header: str | None) -> int:
    """A TIMEOUT header (``Second-3600``, ``infinite``) as seconds; Sonos grants what is asked, 86400 by default."""
    if not header:
        return DEFAULT_TIMEOUT
    value = header.strip().lower()
    if value.startswith("second-") and value[7:].isdigit():
        return max(1, int(value[7:]))
    return DEFAULT_TIMEOUT
