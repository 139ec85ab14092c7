"""JSON over HTTP for the plugins: every request through the service's rate limiter, retried with exponential
backoff and jitter on 429, 500/502/503/504, timeouts and connection errors (honouring Retry-After), and each
service's way of saying "not found" or "slow down" turned into one vocabulary:

* the answer's JSON (a dict or list) when there is one;
* `NotFound`: the service does not know the thing (HTTP 404; Deezer's error 800 "no data" in an HTTP 200);
* `PluginUnavailable`: still failing after the retries, malformed JSON, or a Retry-After too long to wait for;
* `PluginMisconfigured`: HTTP 401 or 403 (a refused token, an identity the service refuses);
* `PluginError`: any other answer (HTTP 400, Deezer's parameter errors): asking again will not help.

Deezer answers its errors with HTTP 200 and ``{"error": {"type", "message", "code"}}``: code 4 (quota exceeded)
is handled like a 429 and code 700 (service busy) like a 503.

`request_json` is the same for any method (POST with a form or a JSON body too), for the forwarders: a service's
`AnswerCheck` reads each answer first (Last.fm's ``{"error": N}`` in any status, ListenBrainz' 400 and 429) and
may raise `TryAgain` (retried like a 503, or like a 429 when ``throttled``), `PluginMisconfigured` or a
`PluginError`; the final `PluginUnavailable` carries the wait the service asked for (or the check suggested).
A service's ``X-RateLimit-Remaining: 0`` with ``X-RateLimit-Reset-In`` (ListenBrainz) pauses its limiter.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
import json
import logging
from typing import Any, Final

import aiohttp

from .base import PluginContext, PluginError, PluginMisconfigured, PluginUnavailable
from .limiter import RateLimiter

_LOGGER = logging.getLogger(__name__)

RETRY_STATUSES: Final = frozenset({429, 500, 502, 503, 504})
DEEZER_QUOTA: Final = 4
DEEZER_BUSY: Final = 700
DEEZER_NO_DATA: Final = 800

type Params = Mapping[str, str | int]
type Form = Mapping[str, str]


class NotFound(Exception):  # noqa: N818 - an answer, not a failure
    """The service does not know what was asked for."""


class _Retry(Exception):  # noqa: N818 - control flow inside get_json
    def __init__(
        self, reason: str, retry_after: float | None = None, *, throttled: bool = False, hint: float | None = None
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.throttled = throttled  # the service said "too many requests": slow every request down
        self.hint = hint  # `request_json`: how long to wait when this is the last failure (when no retry_after)


class TryAgain(_Retry):
    """What an `AnswerCheck` raises for an answer worth asking again: retried like a 503 (like a 429 when
    `throttled`: the service's limiter pauses too), waiting at least `retry_after` seconds when given; `hint` is
    the wait suggested to the caller when the retries run out and the service said none."""


@dataclass(frozen=True, slots=True)
class Answer:
    """One HTTP answer as an `AnswerCheck` sees it: `data` is the body's JSON, or None when it is not JSON."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    data: Any


type AnswerCheck = Callable[[Answer], None]


async def get_json(
    context: PluginContext,
    service: str,
    path: str,
    *,
    params: Params | None = None,
    headers: Mapping[str, str] | None = None,
    not_found: Collection[int] = (404,),
) -> Any:
    """GET ``{base_url}{path}`` of `service` and return its JSON (see the module's docstring for the errors);
    the statuses in `not_found` raise `NotFound`."""
    return await _request(context, service, "GET", path, params=params, headers=headers, not_found=not_found)


async def request_json(
    context: PluginContext,
    service: str,
    method: str,
    path: str,
    *,
    params: Params | None = None,
    form: Form | None = None,
    json_body: Any = None,
    headers: Mapping[str, str] | None = None,
    not_found: Collection[int] = (404,),
    check: AnswerCheck | None = None,
    attempts: int | None = None,
) -> Any:
    """`method` ``{base_url}{path}`` of `service` (with `form` url-encoded or `json_body` as JSON) and return its
    JSON, like `get_json`; `check` reads every answer first (see the module's docstring); `attempts` overrides
    the retry policy's (1: never retried, for best-effort calls). When the retries run out, the
    `PluginUnavailable` carries the last wait the service asked for (or its check's `hint`)."""
    return await _request(
        context,
        service,
        method,
        path,
        params=params,
        form=form,
        json_body=json_body,
        headers=headers,
        not_found=not_found,
        check=check,
        attempts=attempts,
        carry_wait=True,
    )


async def _request(
    context: PluginContext,
    service: str,
    method: str,
    path: str,
    *,
    params: Params | None = None,
    form: Form | None = None,
    json_body: Any = None,
    headers: Mapping[str, str] | None = None,
    not_found: Collection[int] = (404,),
    check: AnswerCheck | None = None,
    attempts: int | None = None,
    carry_wait: bool = False,
) -> Any:
    url = context.base_url(service) + path
    limiter = context.limiters[service]
    policy = context.retry
    tries = policy.attempts if attempts is None else max(1, attempts)
    sent_headers = {"User-Agent": context.user_agent, "Accept": "application/json", **(headers or {})}
    request = _Request(method, url, params, form, json_body, sent_headers, not_found, check)
    last: _Retry | None = None
    for attempt in range(1, tries + 1):
        try:
            return await _attempt(context, limiter, service, request)
        except _Retry as retry:
            last = retry
            delay = min(policy.cap, policy.base * policy.factor ** (attempt - 1)) * (0.5 + 0.5 * context.random())
            if retry.retry_after is not None:
                if retry.retry_after > policy.cap:
                    raise PluginUnavailable(
                        f"{service}: {retry.reason}; asked to wait {retry.retry_after:.0f} s",
                        retry_after=retry.retry_after,
                    ) from None
                delay = max(delay, retry.retry_after)
            if retry.throttled:
                limiter.defer(delay)
            if attempt == tries:
                break
            _LOGGER.debug("%s: %s; attempt %d again in %.1f s", service, retry.reason, attempt + 1, delay)
            await context.sleep(delay)
    reason = last.reason if last is not None else "no attempt"
    wait = None
    if carry_wait and last is not None:
        wait = last.retry_after if last.retry_after is not None else last.hint
    raise PluginUnavailable(f"{service}: {reason} (after {tries} attempts)", retry_after=wait)


@dataclass(frozen=True, slots=True)
class _Request:
    method: str
    url: str
    params: Params | None
    form: Form | None
    json_body: Any
    headers: Mapping[str, str]
    not_found: Collection[int]
    check: AnswerCheck | None


async def _attempt(context: PluginContext, limiter: RateLimiter, service: str, request: _Request) -> Any:
    timeout = aiohttp.ClientTimeout(total=context.retry.timeout)
    not_found = request.not_found
    async with limiter.slot():
        try:
            async with context.session.request(
                request.method,
                request.url,
                params=request.params,
                data=request.form,
                json=request.json_body,
                headers=request.headers,
                timeout=timeout,
                allow_redirects=False,
            ) as response:
                status = response.status
                answer_headers = response.headers
                body = await response.read()
                _observe(limiter, answer_headers)
        except TimeoutError:
            raise _Retry(f"no answer within {context.retry.timeout:g} s") from None
        except aiohttp.ClientError as error:
            raise _Retry(f"connection failed ({type(error).__name__}: {error})") from None
    if request.check is not None:
        request.check(Answer(status, answer_headers, body, _json_or_none(body)))
    if status in RETRY_STATUSES:
        retry_after = _retry_after(answer_headers)
        throttled = status == 429 or retry_after is not None
        raise _Retry(f"HTTP {status}{_message(body)}", retry_after, throttled=throttled)
    if status in not_found:
        raise NotFound
    if status in {401, 403}:
        raise PluginMisconfigured(f"{service} refused the request (HTTP {status}{_message(body)})")
    if status != 200:
        raise PluginError(f"{service} answered HTTP {status}{_message(body)}")
    try:
        data = json.loads(body)
    except ValueError as error:  # JSONDecodeError and UnicodeDecodeError
        excerpt = body[:60].decode(errors="replace")
        raise PluginUnavailable(
            f"{service} answered malformed JSON (HTTP 200, {len(body)} bytes: {error}; starts {excerpt!r})"
        ) from None
    if service == "deezer":
        _deezer_error(data)
    return data


def _json_or_none(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None


def asked_wait(headers: Mapping[str, str]) -> float | None:
    """The seconds a service asked us to wait: its Retry-After, else its ``X-RateLimit-Reset-In`` (ListenBrainz);
    None when it said neither."""
    wait = _retry_after(headers)
    if wait is None:
        reset_in = _float(headers.get("X-RateLimit-Reset-In"))
        wait = None if reset_in is None else max(0.0, reset_in)
    return wait


def json_list(value: Any) -> list[Any]:
    """`value` when it is a JSON array, else an empty list."""
    return value if isinstance(value, list) else []


def json_dict(value: Any) -> dict[str, Any]:
    """`value` when it is a JSON object, else an empty dict."""
    return value if isinstance(value, dict) else {}


def _deezer_error(data: Any) -> None:
    """Deezer's errors come inside HTTP 200 answers."""
    if not isinstance(data, dict) or not isinstance(data.get("error"), dict):
        return
    error: dict[str, Any] = data["error"]
    code, message = error.get("code"), error.get("message", "")
    if code == DEEZER_NO_DATA:
        raise NotFound
    if code == DEEZER_QUOTA:
        raise _Retry(f"Deezer quota exceeded ({message})", throttled=True)
    if code == DEEZER_BUSY:
        raise _Retry(f"Deezer busy ({message})")
    raise PluginError(f"deezer answered error {code} {error.get('type', '')}: {message}")


def _observe(limiter: RateLimiter, headers: Mapping[str, str]) -> None:
    """Follow a service's own count of our requests (Discogs' X-Discogs-Ratelimit headers; ListenBrainz'
    X-RateLimit-Remaining at 0: nobody goes until X-RateLimit-Reset-In has passed)."""
    limit, remaining = headers.get("X-Discogs-Ratelimit"), headers.get("X-Discogs-Ratelimit-Remaining")
    if limit is not None or remaining is not None:
        limiter.observe(limit=_int(limit), remaining=_int(remaining))
    if _int(headers.get("X-RateLimit-Remaining")) == 0:
        reset_in = _float(headers.get("X-RateLimit-Reset-In"))
        if reset_in is not None and reset_in > 0:
            limiter.defer(reset_in)


def _retry_after(headers: Mapping[str, str]) -> float | None:
    """Retry-After in seconds (a number of seconds or an HTTP date), None when absent or unreadable."""
    value = headers.get("Retry-After")
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except TypeError, ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _message(body: bytes) -> str:
    """The service's error message, when its body says one (``{"error": ...}`` or ``{"message": ...}``)."""
    try:
        data = json.loads(body)
    except ValueError:
        return ""
    if isinstance(data, dict):
        for key in ("error", "message", "code"):
            if isinstance(data.get(key), str):
                return f": {data[key]}"
    return ""


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
