"""What both forwarders share: a play waiting in the outbox (`Outgoing`), what became of a batch (`Result`), and
the abstract `Forwarder`, whose `submit` sends a batch in order, in requests of at most `max_batch` plays, and
finds the plays a service refuses for good by splitting a refused request in halves."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
import logging
import re
from typing import ClassVar, Final

from ..engine import Play
from ..plugins import Options, OptionSpec, PluginContext, PluginError, PluginMisconfigured, PluginUnavailable

_LOGGER = logging.getLogger(__name__)

CLIENT_NAME: Final = "SpinStack"
MEDIA_PLAYER: Final = "Sonos"
_VERSION = re.compile(r"SpinStack/([^\s(]+)")


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One play waiting in the outbox, with the ids SpinStack knows for it. Delivery follows `outbox_id`."""

    outbox_id: int
    play: Play
    isrc: str | None = None
    track_mbid: str | None = None  # the MusicBrainz recording
    artist_mbid: str | None = None
    release_mbid: str | None = None


@dataclass(frozen=True, slots=True)
class Result:
    """What happened to a batch: each outbox id is in exactly one of `delivered` (the service has it), `dead`
    (with the reason: the service will never take it) and `retry` (not sent, or refused for now: try again later,
    at least `retry_after` seconds later when the service said so)."""

    delivered: tuple[int, ...]
    dead: tuple[tuple[int, str], ...]
    retry: tuple[int, ...]
    retry_after: float | None = None


class Rejected(PluginError):  # noqa: N818 - like PluginUnavailable: a verdict
    """The service refused a request because of the plays in it (Last.fm's errors 6 and 7, ListenBrainz' HTTP 400):
    `submit` splits the batch to find the play(s) at fault."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(slots=True)
class Sent:
    """What one request did with its plays (a forwarder's `_send`): `stop` when the plays after them must wait too
    (Last.fm's daily scrobble limit)."""

    delivered: list[int] = field(default_factory=list)
    dead: list[tuple[int, str]] = field(default_factory=list)
    retry: list[int] = field(default_factory=list)
    retry_after: float | None = None
    stop: bool = False


@dataclass(slots=True)
class _Tally:
    delivered: list[int] = field(default_factory=list)
    dead: list[tuple[int, str]] = field(default_factory=list)
    retry: list[int] = field(default_factory=list)
    retry_after: float | None = None
    stopped: bool = False
    error: PluginError | None = None

    def wait(self, seconds: float | None) -> None:
        if seconds is not None:
            self.retry_after = max(self.retry_after or 0.0, seconds)

    def add(self, sent: Sent) -> None:
        self.delivered.extend(sent.delivered)
        self.dead.extend(sent.dead)
        self.retry.extend(sent.retry)
        self.wait(sent.retry_after)
        self.stopped = self.stopped or sent.stop

    def stop(self, items: Sequence[Outgoing], error: PluginError) -> None:
        self.retry.extend(item.outbox_id for item in items)
        self.stopped = True
        self.error = error
        if isinstance(error, PluginUnavailable):
            self.wait(error.retry_after)

    def result(self) -> Result:
        error = self.error
        if error is not None and not self.delivered:
            # Nothing went through: the whole batch waits, and the worker hears why.
            if isinstance(error, PluginMisconfigured | PluginUnavailable):
                raise error
            raise PluginUnavailable(str(error), retry_after=self.retry_after) from error
        return Result(tuple(self.delivered), tuple(self.dead), tuple(self.retry), self.retry_after)


class Forwarder(ABC):
    """Sends SpinStack's plays to a listening-history service.

    ``Forwarder(context, options)`` (options validated against `option_specs`; `PluginMisconfigured` when a
    required one is missing), then ``await check()`` once (credentials), ``await submit(batch)`` for the outbox,
    ``await now_playing(play)`` when a track starts (a no-op unless the options ask for it).
    """

    name: ClassVar[str]
    max_batch: ClassVar[int]
    option_specs: ClassVar[tuple[OptionSpec, ...]]

    def __init__(self, context: PluginContext, options: Options) -> None:
        self.context = context
        self.options = options

    def _required(self, option: str) -> str:
        value = self.options.text(option)
        if value is None:
            raise PluginMisconfigured(f"the option {option!r} is required")
        return value

    @abstractmethod
    async def check(self) -> None:
        """Validate the credentials: `PluginMisconfigured` when the service refuses them, `PluginUnavailable`
        when it cannot be asked now."""

    async def now_playing(self, play: Play) -> None:
        """Tell the service what is playing now (best effort: one attempt, failures only logged); a no-op unless
        the ``now_playing`` option is set. A refused credential still raises `PluginMisconfigured`."""
        if not self.options.flag("now_playing"):
            return
        try:
            await self._now_playing(play)
        except PluginMisconfigured:
            raise
        except PluginError as err:
            _LOGGER.debug("%s: now playing not sent: %s", self.name, err)

    @abstractmethod
    async def _now_playing(self, play: Play) -> None:
        """Send a now-playing notice (one attempt)."""

    async def submit(self, batch: Sequence[Outgoing]) -> Result:
        """Send `batch` in outbox order, at most `max_batch` plays a request. Raises `PluginMisconfigured` (the
        credentials are refused) or `PluginUnavailable` (network, 5xx, rate-limited after the retries) when
        nothing was delivered; once something was, the rest comes back in `Result.retry` instead."""
        tally = _Tally()
        sendable: list[Outgoing] = []
        for item in sorted(batch, key=lambda outgoing: outgoing.outbox_id):
            reason = unsendable(item.play)
            if reason is None:
                sendable.append(item)
            else:
                tally.dead.append((item.outbox_id, reason))
        for chunk in chunks(sendable, self.max_batch):
            await self._deliver(chunk, tally)
        return tally.result()

    async def _deliver(self, chunk: Sequence[Outgoing], tally: _Tally) -> None:
        if tally.stopped:
            tally.retry.extend(item.outbox_id for item in chunk)
            return
        try:
            sent = await self._send(chunk)
        except Rejected as err:
            if len(chunk) == 1:
                tally.dead.append((chunk[0].outbox_id, err.reason))
                return
            middle = len(chunk) // 2
            await self._deliver(chunk[:middle], tally)
            await self._deliver(chunk[middle:], tally)
            return
        except PluginError as err:
            tally.stop(chunk, err)
            return
        tally.add(sent)

    @abstractmethod
    async def _send(self, chunk: Sequence[Outgoing]) -> Sent:
        """One request with `chunk` (at most `max_batch` plays): what became of each, or `Rejected` when the
        service refused the request for its plays, or another `PluginError`."""


def unsendable(play: Play) -> str | None:
    """Why no service would take `play` (None: it can be sent)."""
    if not play.artist.strip():
        return "the play has no artist"
    if not play.title.strip():
        return "the play has no title"
    return None


def chunks[T](items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """`items` in consecutive slices of at most `size`."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def client_version(user_agent: str) -> str | None:
    """SpinStack's version, from its User-Agent (``SpinStack/<version> ( <contact> )``)."""
    found = _VERSION.search(user_agent)
    return found.group(1) if found else None
