"""A small in-memory cache with expiry, for what many tracks share within a backfill (an artist's country and
genres, a Discogs release). The worker's own cache of answers per track lives in the play store."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable


class TtlCache[K, V]:
    """At most `size` entries, each forgotten `ttl` seconds (on `clock`) after it was put; least recently used
    first out when full."""

    def __init__(self, *, ttl: float, clock: Callable[[], float], size: int = 2048) -> None:
        self.ttl = ttl
        self.size = size
        self._clock = clock
        self._entries: OrderedDict[K, tuple[float, V]] = OrderedDict()

    def get(self, key: K) -> V | None:
        """The value under `key`, or None when absent or expired."""
        held = self._entries.get(key)
        if held is None:
            return None
        if self._clock() >= held[0]:
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return held[1]

    def put(self, key: K, value: V) -> None:
        """Keep `value` under `key` for `ttl` seconds."""
        self._entries[key] = (self._clock() + self.ttl, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)
