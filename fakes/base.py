"""What every fake service shares: an aiohttp application on 127.0.0.1 (an ephemeral port unless told), a request
log on the service's clock, a sliding-window rate limiter with the real service's published limit, and fault
switches a test flips at run time.

The order in which a request meets them is the same for every service:

1. it is logged (`RecordedRequest`, time from the clock) whatever happens next;
2. ``go_offline()``: the connection is dropped (new connections are refused at the socket);
3. ``faults.timeout``: no answer until the switch is cleared or the service closes (a client's timeout fires);
   ``faults.delay``: an answer that many real seconds late;
4. ``faults.down``: the service's own outage answer (HTTP 503);
5. an injected error (``inject(pattern, ...)``) for the next N requests on matching paths;
6. the service's gate: what the real service checks before its rate limiter (MusicBrainz: the User-Agent);
7. the rate limiter (``rate_limit`` on, the default): only requests it admits count against the window;
8. the service's handler; ``faults.malformed`` then replaces its answer with a 200 carrying invalid JSON.

Times (the log, the rate windows) follow the clock; network behaviour (``delay``) is real time.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping
import contextlib
from dataclasses import dataclass, field
import fnmatch
import json
import logging
import socket
import struct
import time
from types import TracebackType
from typing import Any, ClassVar, Self

from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy

from .catalogue import Catalogue

_LOGGER = logging.getLogger(__name__)

type Clock = Callable[[], float]
type Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
type JSON = dict[str, Any]

JSON_CONTENT_TYPE = "application/json"
# Invalid JSON answered by `faults.malformed`: a body cut short in the middle of an object, as a dropped proxy
# connection or a half-written cache entry leaves it.
HOLD_POLL_SECONDS = 0.02  # how often a held request looks at faults.timeout again
MALFORMED_BODY = '{"data": [{"id": 3135556, "title": "Harder, Better'


class FakeClock:
    """A clock for tests: a callable returning seconds that moves only when told.

    >>> clock = FakeClock()
    >>> clock.advance(1.5)
    >>> clock()
    1767225601.5
    """

    def __init__(self, start: float = 1_767_225_600.0) -> None:
        self._now = start

    def __call__(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        """Move the clock `seconds` forward."""
        if seconds < 0:
            raise ValueError("a clock does not go backwards")
        self._now += seconds

    def set(self, when: float) -> None:
        """Move the clock to `when` (never backwards)."""
        if when < self._now:
            raise ValueError("a clock does not go backwards")
        self._now = when


@dataclass
class RecordedRequest:
    """One request as the fake received it, and what it answered."""

    time: float
    method: str
    path: str
    query: Mapping[str, str]
    headers: CIMultiDictProxy[str]
    status: int | None = None  # None while unanswered (held by faults.timeout, or dropped when offline)
    # pending (held or unanswered), ok, offline, down, injected, forbidden, unauthorized, rate-limited, malformed
    outcome: str = "pending"
    held: bool = False  # whether faults.timeout held it (it is answered if the switch clears in time)

    @property
    def user_agent(self) -> str:
        """The User-Agent header, or an empty string."""
        return self.headers.get("User-Agent", "")

    @property
    def admitted(self) -> bool:
        """Whether the service's handler answered it (not a fault, a gate or the rate limiter)."""
        return self.outcome in {"ok", "malformed"}


def max_in_window(requests: Iterable[RecordedRequest | float], window_seconds: float) -> int:
    """The largest number of `requests` (or times) inside any half-open window ``[t, t + window_seconds)``.

    Two requests exactly one second apart are never in the same 1-second window, which is how the real services
    count too: a client pacing at exactly one request a second never exceeds "one per second".
    """
    if window_seconds <= 0:
        raise ValueError("the window must be positive")
    times = sorted(item.time if isinstance(item, RecordedRequest) else item for item in requests)
    best = 0
    start = 0
    for end, moment in enumerate(times):
        while moment - times[start] >= window_seconds:
            start += 1
        best = max(best, end - start + 1)
    return best


@dataclass(frozen=True)
class RateLimit:
    """At most `requests` in any sliding window of `per` seconds."""

    requests: int
    per: float


class SlidingWindow:
    """A sliding-window counter: a request is admitted while fewer than `limit.requests` admitted requests lie in
    the last `limit.per` seconds (``(now - per, now]``). Refused requests do not count."""

    def __init__(self, limit: RateLimit) -> None:
        self.limit = limit
        self._times: deque[float] = deque()

    def _prune(self, now: float) -> None:
        while self._times and now - self._times[0] >= self.limit.per:
            self._times.popleft()

    def used(self, now: float) -> int:
        """How many admitted requests lie in the window ending `now`."""
        self._prune(now)
        return len(self._times)

    def admit(self, now: float, limit: int | None = None) -> bool:
        """Count a request at `now` if the window has room (under `limit` when given, else the window's own)."""
        self._prune(now)
        if len(self._times) >= (self.limit.requests if limit is None else limit):
            return False
        self._times.append(now)
        return True

    def retry_after(self, now: float) -> float:
        """Seconds until the window has room again (0 when it has room now)."""
        self._prune(now)
        if len(self._times) < self.limit.requests:
            return 0.0
        return max(0.0, self._times[0] + self.limit.per - now)

    def reset(self) -> None:
        """Forget every counted request."""
        self._times.clear()


@dataclass
class Faults:
    """Fault switches of one fake service, flipped by tests at run time."""

    down: bool = False  # every request gets the service's outage answer (HTTP 503)
    timeout: bool = False  # requests get no answer at all while set (a client's timeout fires)
    delay: float = 0.0  # real seconds to wait before answering (longer than a client's timeout: a timeout)
    malformed: bool = False  # every answer becomes a 200 with an invalid JSON body

    def clear(self) -> None:
        """Every switch off."""
        self.down = self.timeout = self.malformed = False
        self.delay = 0.0


@dataclass
class Injection:
    """An error answered instead of the real one, for the next `remaining` requests (None: until cleared) whose
    path matches `pattern` (shell-style, ``fnmatch``: ``"/track/*"``, ``"/ws/2/recording*"``, ``"*"``)."""

    pattern: str
    status: int
    body: str
    content_type: str
    headers: Mapping[str, str] = field(default_factory=dict)
    remaining: int | None = 1
    charset: str | None = "utf-8"

    def matches(self, path: str) -> bool:
        """Whether this injection applies to a request for `path` now."""
        return (self.remaining is None or self.remaining > 0) and fnmatch.fnmatchcase(path, self.pattern)


def json_response(
    data: Any, *, status: int = 200, headers: Mapping[str, str] | None = None, charset: str | None = "utf-8"
) -> web.Response:
    """A JSON answer, with the compact separators real services use."""
    return web.Response(
        status=status,
        text=json.dumps(data, ensure_ascii=False, separators=(",", ":")),
        content_type=JSON_CONTENT_TYPE,
        charset=charset,
        headers=headers,
    )


class FakeService:
    """The aiohttp application and site of one fake service, with its log, rate limiter and faults.

    `catalogue` is the music it knows (`Catalogue.default()` unless given), `clock` a callable returning seconds
    (``time.monotonic`` unless given) for the log and the rate windows, `rate_limit` whether the real published
    limit is enforced (a switch: ``service.rate_limit = False`` at any time).
    """

    name: ClassVar[str] = "service"
    default_limit: ClassVar[RateLimit] = RateLimit(1_000_000, 1.0)

    def __init__(
        self,
        catalogue: Catalogue | None = None,
        *,
        clock: Clock | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        rate_limit: bool = True,
        limit: RateLimit | None = None,
    ) -> None:
        self.catalogue = catalogue if catalogue is not None else Catalogue.default()
        self.clock: Clock = clock if clock is not None else time.monotonic
        self.host = host
        self.port = port
        self.rate_limit = rate_limit
        self._rate_limit_at_start = rate_limit
        self.window = SlidingWindow(limit or self.default_limit)
        self.faults = Faults()
        self.injections: list[Injection] = []
        self.requests: list[RecordedRequest] = []
        self.offline = False
        self._awake = asyncio.Event()
        self._awake.set()
        self.app = web.Application(middlewares=[self._middleware])
        self.app.router.add_get("/images/{tail:.*}", self._image)
        self._add_routes(self.app.router)
        self._runner: web.AppRunner | None = None
        self._site: web.SockSite | None = None

    # -- what a service defines ---------------------------------------------------------------------------------
    def _add_routes(self, router: web.UrlDispatcher) -> None:
        raise NotImplementedError

    def error_response(self, status: int, request: web.Request | None = None) -> web.Response:
        """The service's own answer for an HTTP error `status` (its outage page, its JSON error shape)."""
        del request
        return json_response({"message": web.Response(status=status).reason}, status=status)

    async def _gate(self, request: web.Request, record: RecordedRequest) -> web.StreamResponse | None:
        """What the service checks before its rate limiter; an answer refuses the request."""
        del request, record
        return None

    async def _admit(self, request: web.Request) -> web.StreamResponse | None:
        """Count the request against the window; an answer (the service's own "too many requests") refuses it."""
        del request
        if not self.rate_limit or self.window.admit(self.clock()):
            return None
        return self.rate_limited_response()

    def rate_limited_response(self) -> web.StreamResponse:
        """The service's answer to a request over its limit."""
        return self.error_response(429)

    def decorate(self, request: web.Request, response: web.StreamResponse) -> None:
        """Add what the service adds to every answer (Discogs: its rate-limit headers)."""
        del request, response

    # -- lifecycle ----------------------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``: where the service answers (the root of its API paths)."""
        if self.port == 0:
            raise RuntimeError(f"the fake {self.name} has not been started")
        return f"http://{self.host}:{self.port}"

    @property
    def listening(self) -> bool:
        """Whether the service accepts connections."""
        return self._site is not None

    async def start(self) -> None:
        """Start serving (on an ephemeral port the first time, unless a port was given)."""
        if self._runner is None:
            self._runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=0.5)
            await self._runner.setup()
        await self._listen()

    async def _listen(self) -> None:
        if self._site is not None or self._runner is None:
            return
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.host, self.port))
            sock.listen(128)
            sock.setblocking(False)
        except OSError:
            sock.close()
            raise
        self.port = sock.getsockname()[1]
        site = web.SockSite(self._runner, sock)
        await site.start()
        self._site = site

    async def go_offline(self) -> None:
        """Refuse new connections, and drop requests arriving on connections already open."""
        self.offline = True
        if self._site is not None:
            site, self._site = self._site, None
            await site.stop()

    async def come_online(self) -> None:
        """Accept connections again, on the same port."""
        self.offline = False
        await self._listen()

    async def close(self) -> None:
        """Stop serving altogether (requests held by `faults.timeout` are released first)."""
        self.faults.timeout = False
        self._awake.set()
        await self.go_offline()
        self.offline = False
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    # -- switches -------------------------------------------------------------------------------------------------
    def release(self) -> None:
        """Clear `faults.timeout` and answer the held requests at once."""
        self.faults.timeout = False
        self._awake.set()

    def inject(
        self,
        pattern: str = "*",
        *,
        status: int = 503,
        json_body: Any = None,
        text: str | None = None,
        content_type: str = JSON_CONTENT_TYPE,
        headers: Mapping[str, str] | None = None,
        count: int | None = 1,
    ) -> Injection:
        """Answer the next `count` requests (None: every one until `clear_injections`) on paths matching `pattern`
        with `status` and `json_body` (or `text`); without a body, with the service's own error for `status`."""
        charset: str | None = "utf-8"
        if json_body is not None:
            body, content_type = json.dumps(json_body, separators=(",", ":")), JSON_CONTENT_TYPE
        elif text is not None:
            body = text
        else:
            default = self.error_response(status)
            body, content_type, charset = default.text or "", default.content_type, default.charset
            headers = {
                **{key: value for key, value in default.headers.items() if key != "Content-Type"},
                **(headers or {}),
            }
        injection = Injection(pattern, status, body, content_type, dict(headers or {}), count, charset)
        self.injections.append(injection)
        return injection

    def clear_injections(self) -> None:
        """Forget every injected error."""
        self.injections.clear()

    def reset(self) -> None:
        """Back to a fresh service: no faults, no injections, an empty log and rate window, the limit switch as it
        was made."""
        self.faults.clear()
        self._awake.set()
        self.injections.clear()
        self.requests.clear()
        self.window.reset()
        self.rate_limit = self._rate_limit_at_start

    # -- the request log ------------------------------------------------------------------------------------------
    def requests_to(self, pattern: str) -> list[RecordedRequest]:
        """The logged requests whose path matches `pattern` (shell-style)."""
        return [record for record in self.requests if fnmatch.fnmatchcase(record.path, pattern)]

    def clear_requests(self) -> None:
        """Empty the request log."""
        self.requests.clear()

    # -- middleware ---------------------------------------------------------------------------------------------
    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        record = RecordedRequest(
            time=self.clock(),
            method=request.method,
            path=request.path,
            query={key: request.query[key] for key in request.query},
            headers=CIMultiDictProxy(CIMultiDict(request.headers)),
        )
        self.requests.append(record)
        self._drop_if_offline(request, record)
        response = await self._answer(request, handler, record)
        self._drop_if_offline(request, record)  # it may have gone offline while the request was held
        self.decorate(request, response)
        record.status = response.status
        _LOGGER.debug(
            "%s: %s %s -> %s (%s)", self.name, request.method, request.path_qs, response.status, record.outcome
        )
        return response

    def _drop_if_offline(self, request: web.Request, record: RecordedRequest) -> None:
        if self.offline:
            record.outcome = "offline"
            if request.transport is not None:
                request.transport.close()
            raise web.HTTPServiceUnavailable  # never reaches the client: the connection is gone

    async def _answer(self, request: web.Request, handler: Handler, record: RecordedRequest) -> web.StreamResponse:
        if self.faults.timeout:
            record.held = True
            while self.faults.timeout:  # the switch is a plain attribute: look at it again and again
                self._awake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._awake.wait(), HOLD_POLL_SECONDS)
        if self.faults.delay > 0:
            await asyncio.sleep(self.faults.delay)
        if request.path.startswith("/images/"):
            record.outcome = "ok"
            return await handler(request)
        if self.faults.down:
            record.outcome = "down"
            return self.error_response(503, request)
        for injection in self.injections:
            if injection.matches(request.path):
                if injection.remaining is not None:
                    injection.remaining -= 1
                record.outcome = "injected"
                return web.Response(
                    status=injection.status,
                    text=injection.body,
                    content_type=injection.content_type,
                    charset=injection.charset,
                    headers=injection.headers,
                )
        refusal = await self._gate(request, record)
        if refusal is not None:
            return refusal
        refusal = await self._admit(request)
        if refusal is not None:
            record.outcome = "rate-limited"
            return refusal
        try:
            response = await handler(request)
        except web.HTTPException as error:
            if error.status < 400:
                raise
            response = self.error_response(error.status, request)
        if record.outcome == "pending":
            record.outcome = "ok"
        if self.faults.malformed:
            record.outcome = "malformed"
            return web.Response(status=200, text=MALFORMED_BODY, content_type=JSON_CONTENT_TYPE, charset="utf-8")
        return response

    # -- images ---------------------------------------------------------------------------------------------------
    async def _image(self, request: web.Request) -> web.Response:
        """Cover and artist pictures: any path under ``/images/`` answers a tiny grey JPEG."""
        del request
        return web.Response(body=TINY_JPEG, content_type="image/jpeg", headers={"Cache-Control": "public"})


def _tiny_jpeg() -> bytes:
    """A valid baseline JPEG of one 8x8 grey block: one quantisation table, one Huffman code per table (DC
    difference 0, end of block), and two bits of entropy-coded data."""

    def segment(marker: int, payload: bytes) -> bytes:
        return struct.pack(">HH", marker, len(payload) + 2) + payload

    one_code = bytes([1] + [0] * 15) + b"\x00"  # a single code of length 1, for symbol 0
    return b"".join(
        (
            b"\xff\xd8",
            segment(0xFFE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"),
            segment(0xFFDB, b"\x00" + b"\x01" * 64),
            segment(0xFFC0, b"\x08\x00\x08\x00\x08\x01\x01\x11\x00"),
            segment(0xFFC4, b"\x00" + one_code),
            segment(0xFFC4, b"\x10" + one_code),
            segment(0xFFDA, b"\x01\x01\x00\x00\x3f\x00"),
            b"\x3f",  # DC: code 0 (no difference); AC: code 0 (end of block); padded with ones
            b"\xff\xd9",
        )
    )


TINY_JPEG = _tiny_jpeg()
