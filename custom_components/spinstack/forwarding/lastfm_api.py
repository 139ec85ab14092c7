"""The Last.fm 2.0 API client the scrobbler and the history import share: signed calls, Last.fm's error codes in one
vocabulary, the session-key exchange (`lastfm_mobile_session`) and the recent-tracks reader
(`recent_tracks_pages`).

Last.fm answers ``{"error": N, "message": "..."}``, with an HTTP 4xx/5xx status or sometimes a 200
(https://www.last.fm/api/errorcodes, https://lastfm-docs.github.io/api-docs/codes/):

* 8 operation failed, 11 service offline, 16 temporary error: retried, then `PluginUnavailable`;
* 29 rate limit exceeded: retried with the limiter paused, then `PluginUnavailable` with ``retry_after``;
* 4 authentication failed, 9 invalid session key, 10 invalid API key, 13 invalid method signature, 14 token not
  authorised, 15 token expired, 26 suspended API key: `PluginMisconfigured`;
* 6 invalid parameters, 7 invalid resource: `LastfmRejected` (the scrobbler splits the batch to find the play at
  fault); for the reader, 6 is "User not found": `PluginMisconfigured`;
* 17 login required (the user hides their listening), for the reader: `PluginMisconfigured`;
* any other code: `LastfmError` (a `PluginError`).

A call is signed (https://www.last.fm/api/authspec, section 8): ``api_sig`` is the MD5 (hex) of every parameter
but ``format`` and ``callback``, sorted by name (ASCII order, so ``artist[10]`` before ``artist[1]``),
concatenated as ``name`` + ``value``, followed by the shared secret, all in UTF-8.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
import hashlib
from typing import Any, Final

from ..plugins import PluginContext, PluginError, PluginMisconfigured
from ..plugins.endpoints import LASTFM
from ..plugins.http import Answer, TryAgain, asked_wait, json_dict, request_json
from .base import Rejected

API_PATH: Final = "/2.0/"
RECENT_TRACKS_PAGE: Final = 200  # user.getRecentTracks' documented maximum ``limit``
UNSIGNED: Final = frozenset({"format", "callback"})

TEMPORARY: Final = frozenset({8, 11, 16})
RATE_LIMITED: Final = 29
CREDENTIALS: Final = frozenset({4, 9, 10, 13, 14, 15, 26})
REFUSED_CONTENT: Final = frozenset({6, 7})
LOGIN_REQUIRED: Final = 17
# When Last.fm still says "rate limit exceeded" after the retries and gives no Retry-After: wait this long.
RATE_LIMIT_PAUSE: Final = 60.0


class LastfmError(PluginError):
    """An error Last.fm answered (``code``: its error number)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"Last.fm error {code}: {message}")
        self.code = code
        self.message = message


class LastfmRejected(Rejected):
    """Last.fm refused the request for its content (errors 6 and 7)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"Last.fm refused it (error {code}: {message})")
        self.code = code


def api_signature(params: Mapping[str, str], secret: str) -> str:
    """Last.fm's ``api_sig`` for `params` (see the module's docstring)."""
    text = "".join(name + params[name] for name in sorted(params) if name not in UNSIGNED)
    return hashlib.md5((text + secret).encode(), usedforsecurity=False).hexdigest()


def error_of(data: Any) -> tuple[int, str] | None:
    """Last.fm's ``(code, message)`` in an answer, or None when the answer is not an error."""
    if not isinstance(data, dict) or "error" not in data:
        return None
    try:
        code = int(data["error"])
    except TypeError, ValueError:
        return None
    message = data.get("message")
    return code, message if isinstance(message, str) else ""


def check_answer(answer: Answer) -> None:
    """Last.fm's error codes, for the scrobbler (see the module's docstring)."""
    found = error_of(answer.data)
    if found is None:
        return
    code, message = found
    if code == RATE_LIMITED:
        raise TryAgain(
            f"Last.fm error 29: {message}", asked_wait(answer.headers), throttled=True, hint=RATE_LIMIT_PAUSE
        )
    if code in TEMPORARY:
        raise TryAgain(f"Last.fm error {code}: {message}", asked_wait(answer.headers))
    if code in CREDENTIALS:
        raise PluginMisconfigured(f"Last.fm refused the credentials (error {code}: {message})")
    if code in REFUSED_CONTENT:
        raise LastfmRejected(code, message)
    raise LastfmError(code, message)


async def call(
    context: PluginContext,
    params: Mapping[str, str],
    *,
    secret: str | None = None,
    post: bool = False,
    attempts: int | None = None,
) -> dict[str, Any]:
    """One call of the 2.0 API with `params` (``method``, ``api_key``, ...), JSON, signed with `secret` when
    given; a write method is a form POST. Errors: see `check_answer`."""
    sent = {**params, "format": "json"}
    if secret is not None:
        sent["api_sig"] = api_signature(sent, secret)
    if post:
        data = await request_json(context, LASTFM, "POST", API_PATH, form=sent, check=check_answer, attempts=attempts)
    else:
        data = await request_json(context, LASTFM, "GET", API_PATH, params=sent, check=check_answer, attempts=attempts)
    return json_dict(data)


async def lastfm_mobile_session(
    context: PluginContext, api_key: str, api_secret: str, username: str, password: str
) -> str:
    """Trade a Last.fm user name and password for a session key (``auth.getMobileSession``, a signed POST over
    HTTPS), for the options flow to keep only the key. `PluginMisconfigured` when Last.fm refuses the name, the
    password, the API key or the secret; `PluginUnavailable` when it cannot be asked now."""
    params = {"method": "auth.getMobileSession", "username": username, "password": password, "api_key": api_key}
    try:
        data = await call(context, params, secret=api_secret, post=True)
    except LastfmRejected as err:
        raise PluginMisconfigured(f"Last.fm refused the log-in: {err}") from err
    key = json_dict(data.get("session")).get("key")
    if not isinstance(key, str) or not key:
        raise PluginError("Last.fm's answer to auth.getMobileSession holds no session key")
    return key


def _check_reader(user: str) -> Any:
    def check(answer: Answer) -> None:
        found = error_of(answer.data)
        if found is not None:
            code, message = found
            if code in REFUSED_CONTENT:
                raise PluginMisconfigured(f"Last.fm cannot read the scrobbles of {user!r}: {message} (error {code})")
            if code == LOGIN_REQUIRED:
                raise PluginMisconfigured(
                    f"Last.fm user {user!r} hides their recent listening (error 17: {message}); "
                    "it must be public for the import"
                )
        check_answer(answer)

    return check


async def recent_tracks_pages(
    context: PluginContext, api_key: str, user: str, *, to: int, start_page: int = 1
) -> AsyncIterator[tuple[int, int, Any]]:
    """``(page, total pages, raw JSON)`` of `user`'s scrobbles up to `to` (Unix seconds, fixed by the caller so
    pages do not shift while new scrobbles arrive), 200 a page, newest first, pages ascending from `start_page`
    (``user.getRecentTracks``, ``extended=0``). Page 1 may open with the track playing now (no date). A user with
    no scrobbles yields one page with 0 total pages.

    Requests go through the shared ``lastfm`` limiter (one every 250 ms at most), retried by the http layer; error
    29 pauses the limiter. `PluginMisconfigured`: an unknown user or one hiding their listening (6, 17), or a
    refused API key (10, 26); `PluginUnavailable`: still failing after the retries (its ``retry_after`` set when
    Last.fm asked to slow down)."""
    check = _check_reader(user)
    page = max(1, start_page)
    while True:
        params = {
            "method": "user.getRecentTracks",
            "user": user,
            "api_key": api_key,
            "limit": str(RECENT_TRACKS_PAGE),
            "page": str(page),
            "to": str(to),
            "extended": "0",
            "format": "json",
        }
        data = await request_json(context, LASTFM, "GET", API_PATH, params=params, check=check)
        total = _total_pages(data)
        yield page, total, data
        if page >= total:
            return
        page += 1


def _total_pages(data: Any) -> int:
    attributes = json_dict(json_dict(json_dict(data).get("recenttracks")).get("@attr"))
    try:
        return max(0, int(attributes.get("totalPages", 0)))
    except TypeError, ValueError:
        return 0
