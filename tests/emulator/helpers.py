"""Helpers of the emulator tests: SoCo speakers ready for events, and event collection."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import soco
from soco.events_base import Event


async def connect(ip: str) -> soco.SoCo:
    """A SoCo speaker whose uid and household id are known already (SoCo would fetch them with blocking calls
    inside `subscribe`, which must not run on the loop the emulator runs on)."""
    device = soco.SoCo(ip)
    await asyncio.to_thread(lambda: (device.household_id, device.uid))
    return device


async def call(function: Any, *args: Any, **kwargs: Any) -> Any:
    """Run one of SoCo's blocking calls in a thread."""
    return await asyncio.to_thread(function, *args, **kwargs)


class Events:
    """The events of one SoCo subscription, in the order they arrived."""

    def __init__(self, subscription: Any) -> None:
        self.subscription = subscription
        self.queue: asyncio.Queue[Event] = asyncio.Queue()
        subscription.callback = self.queue.put_nowait

    async def next(self, within: float = 3.0) -> Event:
        """The next event (fails after `within` real seconds)."""
        return await asyncio.wait_for(self.queue.get(), within)

    async def none(self, wait: float = 0.3) -> None:
        """Check that no event arrives within `wait` real seconds."""
        await asyncio.sleep(wait)
        assert self.queue.empty(), [event.variables.get("transport_state") for event in self.queue._queue]  # type: ignore[attr-defined]

    async def drain(self) -> list[Event]:
        """Every event received so far."""
        out: list[Event] = []
        while not self.queue.empty():
            out.append(self.queue.get_nowait())
        return out


async def subscribe(service: Any, **kwargs: Any) -> Events:
    """Subscribe to a SoCo service's events."""
    subscription = await service.subscribe(**kwargs)
    return Events(subscription)


async def wait_for(predicate: Callable[[], bool], within: float = 5.0) -> None:
    """Wait (real time) until the system under test reaches a state."""
    async with asyncio.timeout(within):
        while not predicate():  # noqa: ASYNC110 - polling state owned by the code under test
            await asyncio.sleep(0.02)
