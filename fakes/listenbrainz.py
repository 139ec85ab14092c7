"""A fake of ListenBrainz' API (``/1/submit-listens``, ``/1/validate-token``), as its server validates listens.

What it reproduces of the real API (listenbrainz-server's ``webserver/views/api.py`` and ``api_tools.py``, and
brainzutils' rate limiter):

- ``Authorization: Token <user token>``; none: 401 "You need to provide an Authorization header."; unknown:
  401 "Invalid authorization token."; errors are ``{"code": N, "error": "..."}``;
- ``POST /1/submit-listens``: ``{"listen_type": "single" | "import" | "playing_now", "payload": [...]}``, checked
  in the server's order with its messages: the payload's size (at most 1,000 listens, 10,240 bytes each), the
  listen type (``single`` and ``playing_now`` take exactly one), each listen's keys (``listened_at`` and
  ``track_metadata`` only; ``listened_at`` an integer, at least 1033410600 (2002-10-01) and at most an hour
  ahead of the clock, absent for ``playing_now``), ``track_name`` and ``artist_name`` non-empty strings, MBIDs
  in ``additional_info`` valid UUIDs (empty ones dropped), no NUL character; 200 ``{"status": "ok"}``. Accepted
  listens are kept in order (``listens``); ``playing_now`` ones replace the user's ``playing_now``;
- ``GET /1/validate-token`` (the header, or ``?token=``): 200 ``{"code": 200, "message": "Token valid.", "valid":
  true, "user_name"}`` or ``"Token invalid."`` with ``valid: false``; 400 without a token;
- rate limiting as brainzutils does it: fixed windows of 10 seconds (aligned on the clock), 50 requests per
  valid token, 30 per address otherwise (every request counts, refused ones too); every answer carries
  ``X-RateLimit-Limit``, ``-Remaining``, ``-Reset`` (Unix seconds) and ``-Reset-In`` (seconds); past the limit,
  429 with a plain-text message;
- ``faults.down``: 503 ``{"code": 503, "error": ...}``.

One window per token (or for every tokenless client together: the fake has one address).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
import json
import math
import time
from typing import Any, ClassVar
import uuid

from aiohttp import web

from .base import JSON, Clock, FakeService, RateLimit, json_response
from .catalogue import Catalogue, make_token

SUBMIT_PATH = "/1/submit-listens"
VALIDATE_PATH = "/1/validate-token"
DEFAULT_TOKEN = str(uuid.UUID(make_token("listenbrainz-token", "spinstack", 32, "0123456789abcdef")))
DEFAULT_USER = "spinstack-listener"

MAX_LISTEN_SIZE = 10_240
MAX_LISTENS_PER_REQUEST = 1_000
MAX_LISTEN_PAYLOAD_SIZE = MAX_LISTEN_SIZE * MAX_LISTENS_PER_REQUEST
LISTEN_MINIMUM_TS = 1_033_410_600
LISTENED_AT_ALLOWED_SKEW = 3_600
PER_IP_LIMIT = 30  # brainzutils' default per address, against 50 per token
RATE_LIMITED_TEXT = (
    "You have exceeded your rate limit. See the X-RateLimit-* response headers for more information on your current "
    "rate limit.\n"
)
SINGLE_MBID_KEYS = ("release_mbid", "recording_mbid", "release_group_mbid", "track_mbid")
MULTIPLE_MBID_KEYS = ("artist_mbids", "work_mbids")


class BadRequest(Exception):  # noqa: N818 - the server's APIBadRequest
    """A 400 with the server's message."""


def lb_error(status: int, message: str) -> web.Response:
    """An error as ListenBrainz answers it."""
    return json_response({"code": status, "error": message}, status=status)


@dataclass(frozen=True)
class Listen:
    """One listen the fake accepted."""

    user: str
    listen_type: str
    listened_at: int | None
    track_metadata: JSON
    time: float  # on the fake's clock

    @property
    def additional_info(self) -> JSON:
        """The listen's ``additional_info`` (empty when it has none)."""
        info = self.track_metadata.get("additional_info")
        return info if isinstance(info, dict) else {}


@dataclass
class _Window:
    start: float
    count: int = 0


class FakeListenBrainz(FakeService):
    """ListenBrainz' API: ``base_url`` is the root of ``/1/...``. `tokens` maps each user token to its user name;
    `wall` is the clock ``listened_at`` is checked against (Unix seconds: ``time.time`` unless given)."""

    name: ClassVar[str] = "listenbrainz"
    default_limit: ClassVar[RateLimit] = RateLimit(50, 10.0)  # per token, per fixed 10-second window

    def __init__(
        self,
        catalogue: Catalogue | None = None,
        *,
        clock: Clock | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        rate_limit: bool = True,
        limit: RateLimit | None = None,
        tokens: Mapping[str, str] | None = None,
        wall: Clock | None = None,
    ) -> None:
        super().__init__(catalogue, clock=clock, host=host, port=port, rate_limit=rate_limit, limit=limit)
        self.wall: Clock = wall if wall is not None else time.time
        self.tokens: dict[str, str] = dict(tokens if tokens is not None else {DEFAULT_TOKEN: DEFAULT_USER})
        self.listens: list[Listen] = []
        self.playing_now: dict[str, JSON] = {}
        self._windows: dict[str, _Window] = {}

    def _add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_post(SUBMIT_PATH, self._submit)
        router.add_get(VALIDATE_PATH, self._validate)
        router.add_route("*", "/{tail:.*}", self._not_found)

    def reset(self) -> None:
        """Back to fresh: no faults, no listens, empty log and rate windows."""
        super().reset()
        self._windows.clear()
        self.listens.clear()
        self.playing_now.clear()

    # -- what the real service answers on its own ---------------------------------------------------------------
    def error_response(self, status: int, request: web.Request | None = None) -> web.Response:
        del request
        return lb_error(status, web.Response(status=status).reason or "Error")

    def _token(self, request: web.Request) -> str | None:
        header = request.headers.get("Authorization", "")
        if header.lower().startswith("token "):
            return header.split(" ", 1)[1].strip()
        return None

    def _limit_for(self, request: web.Request) -> tuple[str, int]:
        token = self._token(request)
        full = self.window.limit.requests
        if token is not None and token in self.tokens:
            return f"token:{token}", full
        return "address", max(1, round(full * PER_IP_LIMIT / self.default_limit.requests))

    async def _admit(self, request: web.Request) -> web.StreamResponse | None:
        if not self.rate_limit:
            return None
        now = self.clock()
        per = self.window.limit.per
        key, limit = self._limit_for(request)
        start = math.floor(now / per) * per
        window = self._windows.get(key)
        if window is None or window.start != start:
            window = self._windows[key] = _Window(start)
        window.count += 1  # brainzutils counts first, then compares: refused requests count too
        reset = start + per
        request["ratelimit"] = (limit, max(limit - window.count, 0), reset, reset - now)
        if window.count > limit:
            return web.Response(status=429, text=RATE_LIMITED_TEXT, content_type="text/plain")
        return None

    def decorate(self, request: web.Request, response: web.StreamResponse) -> None:
        counted = request.get("ratelimit")
        if counted is None:
            return
        limit, remaining, reset, reset_in = counted
        response.headers["X-RateLimit-Remaining"] = str(remaining)
        response.headers["X-RateLimit-Limit"] = str(limit)
        response.headers["X-RateLimit-Reset"] = str(math.ceil(reset))
        response.headers["X-RateLimit-Reset-In"] = str(max(1, math.ceil(reset_in)))

    # -- handlers -------------------------------------------------------------------------------------------------
    async def _not_found(self, request: web.Request) -> web.Response:
        del request
        return lb_error(404, "Not found")

    async def _validate(self, request: web.Request) -> web.Response:
        token = self._token(request) or request.query.get("token", "")
        if not token:
            return lb_error(400, "You need to provide an Authorization token.")
        user = self.tokens.get(token)
        if user is None:
            return json_response({"code": 200, "message": "Token invalid.", "valid": False})
        return json_response({"code": 200, "message": "Token valid.", "valid": True, "user_name": user})

    async def _submit(self, request: web.Request) -> web.Response:
        header = request.headers.get("Authorization")
        if not header:
            return lb_error(401, "You need to provide an Authorization header.")
        parts = header.split(" ")
        if len(parts) < 2:
            return lb_error(401, "Provided Authorization header is invalid.")
        user = self.tokens.get(parts[1])
        if user is None:
            return lb_error(401, "Invalid authorization token.")
        raw = await request.read()
        try:
            listen_type, payload = _read_document(raw)
            validated = [validate_listen(listen, listen_type, self.wall()) for listen in payload]
        except BadRequest as err:
            return lb_error(400, str(err))
        for listen in validated:
            metadata = listen["track_metadata"]
            if listen_type == "playing_now":
                self.playing_now[user] = metadata
            self.listens.append(Listen(user, listen_type, listen.get("listened_at"), metadata, self.clock()))
        return json_response({"status": "ok"})

    def accepted(self, listen_type: str | None = None) -> list[Listen]:
        """The listens accepted so far (of `listen_type` only, when given), in order."""
        return [listen for listen in self.listens if listen_type is None or listen.listen_type == listen_type]


def _read_document(raw: bytes) -> tuple[str, list[Any]]:
    if len(raw) > MAX_LISTEN_PAYLOAD_SIZE:
        raise BadRequest(f"Payload too large. Payload cannot exceed {MAX_LISTEN_PAYLOAD_SIZE} bytes")
    try:
        data = json.loads(raw.decode("utf-8"))
    except ValueError as err:
        raise BadRequest(f"Cannot parse JSON document: {err}") from None
    if not isinstance(data, dict):
        raise BadRequest("Invalid JSON document submitted. Top level of JSON document should be a json object.")
    if "payload" not in data:
        raise BadRequest("Invalid JSON document submitted.")
    payload = data["payload"]
    if not isinstance(payload, list):
        raise BadRequest("The payload in the JSON document should be a list of listens.")
    if not payload:
        raise BadRequest("JSON document does not contain any listens")
    if len(payload) > MAX_LISTENS_PER_REQUEST:
        raise BadRequest(f"Too many listens. You may not submit more than {MAX_LISTENS_PER_REQUEST} listens at once.")
    if len(raw) > len(payload) * MAX_LISTEN_SIZE:
        raise BadRequest(f"JSON document is too large. Each listens may not be larger than {MAX_LISTEN_SIZE} bytes.")
    if "listen_type" not in data:
        raise BadRequest("Invalid JSON document submitted.")
    listen_type = data["listen_type"]
    if listen_type not in ("playing_now", "single", "import"):
        raise BadRequest("JSON document requires a valid listen_type key.")
    if listen_type in ("single", "playing_now") and len(payload) > 1:
        raise BadRequest(
            "JSON document contains more than listen for a single/playing_now. It should contain only one."
        )
    return listen_type, payload


def validate_listen(listen: Any, listen_type: str, now: float) -> JSON:
    """One listen checked as the server does (the same messages); returns it with empty MBIDs dropped."""
    if not isinstance(listen, dict):
        raise BadRequest("Listen is empty and cannot be validated.")
    if listen_type in ("single", "import"):
        if "listened_at" not in listen:
            raise BadRequest("JSON document must contain the key listened_at at the top level.")
        try:
            listen["listened_at"] = int(listen["listened_at"])
        except TypeError, ValueError:
            raise BadRequest("JSON document must contain an int value for listened_at.") from None
        if "track_metadata" in listen and len(listen) > 2:
            raise BadRequest("JSON document may only contain listened_at and track_metadata top level keys")
        if listen["listened_at"] < LISTEN_MINIMUM_TS:
            raise BadRequest(
                "Value for key listened_at is too low. listened_at timestamp should be greater than "
                f"{LISTEN_MINIMUM_TS} (2002-10-01 00:00:00 UTC)."
            )
        if listen["listened_at"] > int(now) + LISTENED_AT_ALLOWED_SKEW:
            raise BadRequest("Value for key listened_at is too high.")
    else:
        if "listened_at" in listen:
            raise BadRequest("JSON document must not contain listened_at while submitting playing_now.")
        if "track_metadata" in listen and len(listen) > 1:
            raise BadRequest(
                "JSON document may only contain track_metadata as top level key when submitting playing_now."
            )
    metadata = listen.get("track_metadata")
    if not isinstance(metadata, dict):
        raise BadRequest("JSON document does not contain required track_metadata.track_name.")
    for key in ("track_name", "artist_name"):
        if key not in metadata:
            raise BadRequest(f"JSON document does not contain required track_metadata.{key}.")
        if not isinstance(metadata[key], str):
            raise BadRequest(f"track_metadata.{key} must be a single string.")
        metadata[key] = metadata[key].strip()
        if not metadata[key]:
            raise BadRequest(f"required field track_metadata.{key} is empty.")
    info = metadata.get("additional_info")
    if isinstance(info, dict):
        for key in SINGLE_MBID_KEYS:
            if key in info:
                if not info[key]:
                    del info[key]
                elif not _is_uuid(info[key]):
                    raise BadRequest(f"{key} MBID format invalid.")
        for key in MULTIPLE_MBID_KEYS:
            if key in info:
                mbids = [mbid for mbid in info[key] or [] if mbid]
                if not mbids:
                    del info[key]
                    continue
                if not all(_is_uuid(mbid) for mbid in mbids):
                    raise BadRequest(f"{key} MBID format invalid.")
                info[key] = mbids
    _no_nul(listen)
    return listen


def _is_uuid(value: Any) -> bool:
    try:
        uuid.UUID(value)
    except AttributeError, TypeError, ValueError:
        return False
    return True


def _no_nul(value: Any) -> None:
    if isinstance(value, dict):
        for item in value.values():
            _no_nul(item)
    elif isinstance(value, list):
        for item in value:
            _no_nul(item)
    elif isinstance(value, str) and "\x00" in value:
        raise BadRequest(f"{value} contains a unicode null")
