"""What every metadata plugin shares: the query, the answer, the options it declares, the context it runs in, the
errors it raises and the abstract `Plugin`."""

from __future__ import annotations

from abc import ABC, abstractmethod
import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
import random as _random
import time
from types import MappingProxyType
from typing import Any, ClassVar, Final, Literal

import aiohttp

from . import endpoints
from .limiter import LimiterRegistry

type Clock = Callable[[], float]
type Sleep = Callable[[float], Awaitable[None]]

DAY: Final = 86_400


# -- errors ------------------------------------------------------------------------------------------------------
class PluginError(Exception):
    """A plugin could not answer for this track, and asking again soon will not help (an answer it does not
    understand, a query the service rejects). The worker records a failure with a long backoff."""


class PluginUnavailable(PluginError):  # noqa: N818 - the names the worker and the issue use
    """Temporary: the network is down, the service answers 5xx or malformed JSON, timed out, or is still
    rate-limiting after the retries. The worker tries again later with a backoff (at least `retry_after` seconds
    when the service said so)."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PluginMisconfigured(PluginError):  # noqa: N818
    """The plugin's options are wrong (a missing or refused token, an identity the service refuses). The worker
    stops calling the plugin and raises a repair issue until the options change."""


# -- the query and the answer --------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class TrackQuery:
    """A track as SpinStack knows it (what the speaker reported), and any ids found earlier."""

    artist: str
    title: str
    album: str | None = None
    duration: int | None = None  # seconds
    isrc: str | None = None
    deezer_id: int | None = None
    mbid: str | None = None  # MusicBrainz recording id
    spotify_id: str | None = None
    url: str | None = None  # the track's page on a streaming platform, when known (Odesli reads it)


@dataclass(frozen=True, slots=True)
class Enrichment:
    """What a plugin found for a track. ``found=False`` (every other field empty) is a valid, cacheable answer.

    Genres, tags and styles are lower-case names, most voted first; `artists` every credited artist, in credit
    order, with `artist_mbids` in the same order when MusicBrainz knows them.
    """

    found: bool
    isrc: str | None = None
    deezer_id: int | None = None
    deezer_url: str | None = None
    mbid: str | None = None
    artist_mbids: tuple[str, ...] = ()
    artists: tuple[str, ...] = ()
    genres: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    country: str | None = None  # the main artist's country (ISO 3166-1 alpha-2)
    discogs_release_id: int | None = None
    year: int | None = None
    label: str | None = None
    styles: tuple[str, ...] = ()
    cover_url: str | None = None
    share_link: str | None = None
    source: str | None = None  # the plugin(s) that found it: "isrc", "musicbrainz", "isrc+odesli"

    def merge(self, other: Enrichment) -> Enrichment:
        """This answer completed by `other`: this one's values win, `other` fills what is missing (tuples are
        united, this one's items first); found if either found; the sources of both when both found."""
        if not other.found:
            return self
        if not self.found:
            return other
        values: dict[str, Any] = {}
        for item in fields(self):
            mine, theirs = getattr(self, item.name), getattr(other, item.name)
            if isinstance(mine, tuple):
                values[item.name] = tuple(dict.fromkeys((*mine, *theirs)))
            elif item.name == "source":
                names = [name for text in (mine, theirs) if text for name in text.split("+")]
                values[item.name] = "+".join(dict.fromkeys(names)) or None
            else:
                values[item.name] = theirs if mine is None else mine
        return replace(self, **values)

    def as_dict(self) -> dict[str, Any]:
        """The fields that hold something (tuples as lists), for storing; ``found`` always."""
        found: dict[str, Any] = {"found": self.found}
        for item in fields(self):
            value = getattr(self, item.name)
            if item.name != "found" and value not in (None, ()):
                found[item.name] = list(value) if isinstance(value, tuple) else value
        return found


NOT_FOUND: Final = Enrichment(found=False)


# -- options -------------------------------------------------------------------------------------------------------
type OptionKind = Literal["bool", "str", "secret", "int"]
_KIND_TYPES: Final[Mapping[str, type]] = {"bool": bool, "str": str, "secret": str, "int": int}


@dataclass(frozen=True, slots=True)
class OptionSpec:
    """One option a plugin declares; the options flow shows it (a ``secret`` as a password field)."""

    name: str
    kind: OptionKind
    default: bool | str | int | None = None
    required: bool = False


class Options(Mapping[str, Any]):
    """A plugin's validated options (read-only), with typed accessors."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self._values = MappingProxyType(dict(values))

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __iter__(self) -> Any:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"Options({sorted(self._values)})"  # never the values: a secret stays out of logs

    def flag(self, name: str) -> bool:
        """A ``bool`` option."""
        return bool(self._values.get(name))

    def text(self, name: str) -> str | None:
        """A ``str`` or ``secret`` option (None when empty)."""
        value = self._values.get(name)
        return value if isinstance(value, str) and value else None

    def number(self, name: str) -> int | None:
        """An ``int`` option."""
        value = self._values.get(name)
        return value if isinstance(value, int) and not isinstance(value, bool) else None


def validate_options(specs: Iterable[OptionSpec], given: Mapping[str, Any]) -> Options:
    """`given` checked against `specs`, defaults filled in, unknown keys dropped. A required option missing or
    empty, or a value of the wrong kind: `PluginMisconfigured` naming the option (never its value)."""
    values: dict[str, Any] = {}
    for spec in specs:
        value = given.get(spec.name, spec.default)
        if isinstance(value, str) and spec.kind in {"str", "secret"}:
            value = value.strip()
        if value is None or value == "":
            if spec.required:
                raise PluginMisconfigured(f"the option {spec.name!r} is required")
            values[spec.name] = spec.default
            continue
        wanted = _KIND_TYPES[spec.kind]
        if not isinstance(value, wanted) or (wanted is int and isinstance(value, bool)):
            raise PluginMisconfigured(f"the option {spec.name!r} must be a {spec.kind}")
        values[spec.name] = value
    return Options(values)


# -- the context -----------------------------------------------------------------------------------------------------
def make_user_agent(version: str, contact: str) -> str:
    """``SpinStack/<version> ( <contact> )``, the form MusicBrainz asks for."""
    return f"SpinStack/{version} ( {contact} )"


def user_agent_from_manifest(manifest: Mapping[str, Any]) -> str:
    """The User-Agent from the integration's manifest (its ``version`` and ``documentation`` URL). Pass the
    manifest already loaded (Home Assistant's ``Integration.manifest``): no file is read here."""
    return make_user_agent(str(manifest["version"]), str(manifest["documentation"]))


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How a request is retried on 429, 503 (and 500, 502, 504), timeouts and connection errors.

    Attempt n (from 1) waits ``min(cap, base * factor ** (n - 1))``, scaled by a jitter in [0.5, 1), or the
    server's Retry-After when longer; a Retry-After over `cap` is not waited for: the request fails at once
    (`PluginUnavailable` with ``retry_after``), for the worker to reschedule.
    """

    attempts: int = 4
    base: float = 1.0
    factor: float = 2.0
    cap: float = 60.0
    timeout: float = 15.0  # seconds, each request (connect, send, read)


@dataclass(frozen=True, slots=True)
class PluginContext:
    """What plugins run with; one per config entry, shared by all its plugins.

    `limiters` must be shared by every plugin of the entry (one window per service); `clock` and `sleep` drive the
    limiter and the retries (a test injects a controlled pair); `random` returns a float in [0, 1) for jitter.
    """

    session: aiohttp.ClientSession
    user_agent: str
    limiters: LimiterRegistry
    base_urls: Mapping[str, str] = field(default_factory=lambda: endpoints.BASE_URLS)
    clock: Clock = time.monotonic
    sleep: Sleep = asyncio.sleep
    random: Callable[[], float] = _random.random
    retry: RetryPolicy = RetryPolicy()

    @classmethod
    def create(
        cls,
        session: aiohttp.ClientSession,
        user_agent: str,
        *,
        base_urls: Mapping[str, str] | None = None,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        rng: Callable[[], float] = _random.random,
        retry: RetryPolicy | None = None,
    ) -> PluginContext:
        """A context with a fresh limiter registry on `clock` and `sleep`."""
        return cls(
            session=session,
            user_agent=user_agent,
            limiters=LimiterRegistry(clock=clock, sleep=sleep),
            base_urls={**endpoints.BASE_URLS, **(base_urls or {})},
            clock=clock,
            sleep=sleep,
            random=rng,
            retry=retry or RetryPolicy(),
        )

    def base_url(self, service: str) -> str:
        """The root of `service`'s API, without a trailing slash."""
        return self.base_urls[service].rstrip("/")


# -- the plugin ------------------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Running:
    context: PluginContext
    options: Options


class Plugin(ABC):
    """A metadata plugin. Subclasses set `name`, `title`, `options` (and `services`, the services it calls) and
    implement `_enrich`.

    Life cycle: ``await setup(context, options)``, then any number of ``await enrich(query)`` (concurrently if
    wished), ``await reload(options)`` at any time, ``await unload()``. Each `enrich` call runs with the options
    it started with: a reload meanwhile applies to the calls that start after it.
    """

    name: ClassVar[str]
    title: ClassVar[str]
    options: ClassVar[tuple[OptionSpec, ...]] = ()
    services: ClassVar[tuple[str, ...]] = ()
    keep_found: ClassVar[int] = 180 * DAY  # how long the worker may keep an answer before asking again
    keep_not_found: ClassVar[int] = 14 * DAY

    def __init__(self) -> None:
        self._running: _Running | None = None
        self._in_flight = 0

    @property
    def loaded(self) -> bool:
        """Whether the plugin is set up (and not unloaded)."""
        return self._running is not None

    @property
    def in_flight(self) -> int:
        """How many `enrich` calls are running."""
        return self._in_flight

    def keep_for(self, answer: Enrichment) -> int:
        """Seconds the worker may cache `answer` (found or not) before asking again."""
        return self.keep_found if answer.found else self.keep_not_found

    async def setup(self, context: PluginContext, options: Mapping[str, Any]) -> None:
        """Start with `options` (validated against `options`: `PluginMisconfigured` when wrong)."""
        self._running = _Running(context, validate_options(type(self).options, options))

    async def reload(self, options: Mapping[str, Any]) -> None:
        """Take new options; calls already running finish with the old ones. Wrong options raise
        `PluginMisconfigured` and leave the old ones in place."""
        if self._running is None:
            raise PluginUnavailable(f"{self.name} is not set up")
        self._running = replace(self._running, options=validate_options(type(self).options, options))

    async def unload(self) -> None:
        """Stop taking calls (later ones raise `PluginUnavailable`). Calls already running are not interrupted:
        cancel their tasks first to stop them."""
        self._running = None

    async def enrich(self, query: TrackQuery) -> Enrichment:
        """What the plugin finds for `query`: an `Enrichment` (``found=False`` when the service does not know the
        track). Raises `PluginUnavailable` (try later), `PluginMisconfigured` (fix the options) or `PluginError`
        (this track cannot be answered)."""
        running = self._running
        if running is None:
            raise PluginUnavailable(f"{self.name} is not set up")
        self._in_flight += 1
        try:
            answer = await self._enrich(running.context, running.options, query)
        finally:
            self._in_flight -= 1
        if answer.found and answer.source is None:
            answer = replace(answer, source=self.name)
        return answer

    @abstractmethod
    async def _enrich(self, context: PluginContext, options: Options, query: TrackQuery) -> Enrichment:
        """Enrich `query` with `options` (a snapshot: never read ``self`` for settings)."""
