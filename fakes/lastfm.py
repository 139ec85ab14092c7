"""A fake of Last.fm's 2.0 API (``/2.0/``): scrobbling, now playing, the mobile session exchange, a user's info and
recent tracks.

What it reproduces of the real API:

- one root, ``/2.0/``, for every method (``method=track.scrobble``), parameters in the query (GET) or a url-encoded
  form (POST), ``format=json`` for JSON (without it the fake answers an XML error: it speaks JSON only); method
  names are case-insensitive, parameter names are not;
- ``api_key`` checked first (error 10 "Invalid API key", HTTP 403; error 26 for a suspended key); ``api_sig``
  (MD5 of the parameters but ``format``/``callback``, sorted by name, as ``name`` + ``value``, then the shared
  secret) checked for the write methods and for any call carrying ``sk`` or ``api_sig`` (error 13, HTTP 403);
  ``sk`` checked against the sessions (error 9 "Invalid session key", HTTP 403); the write methods need POST;
- ``track.scrobble``: up to 50 scrobbles in array notation (``artist[i]``, ``track[i]``, ``timestamp[i]``,
  ``album[i]``, ``albumArtist[i]``, ``duration[i]``, ``mbid[i]``, ``chosenByUser[i]``; plain names for one),
  error 6 "Invalid parameters" (HTTP 400) for a missing or malformed one (or a title in ``invalid_tracks``);
  every scrobble answered with ``ignoredMessage`` {code, #text}: 0 accepted, 1 artist ignored
  (``ignored_artists``), 2 track ignored (``ignored_tracks``), 3 timestamp over 14 days old, 4 timestamp in the
  future (over an hour ahead), 5 daily scrobble limit exceeded (``daily_limit_exceeded``); ``@attr`` {accepted,
  ignored}; one scrobble's answer is an object, several a list; accepted scrobbles are kept, in order
  (``scrobbles``), and join the user's history;
- ``track.updateNowPlaying``: the user's now-playing track, shown first on page 1 of ``user.getRecentTracks``
  (with ``@attr`` {nowplaying: "true"} and no date) until its duration (or 5 minutes) has passed;
- ``auth.getMobileSession`` (POST, signed): ``username`` (any case) and ``password`` -> ``{"session": {"name",
  "key", "subscriber"}}``, error 4 "Authentication Failed" (HTTP 403) otherwise;
- ``user.getInfo`` (of ``user``, or of the session's user when signed with ``sk``);
- ``user.getRecentTracks``: ``user``, ``limit`` (50 by default, at most 200), ``page``, ``from`` and ``to`` (Unix
  seconds, both inclusive here), newest first; ``{"recenttracks": {"track": [...], "@attr": {"user", "page",
  "perPage", "totalPages", "total"}}}`` with every number a string, each track ``{"artist": {"mbid", "#text"},
  "streamable", "image", "mbid", "album": {"mbid", "#text"}, "name", "url", "date": {"uts", "#text"}}``; error 6
  "User not found" (HTTP 404), error 17 "Login: User required to be logged in" (HTTP 403) for a user hiding
  their listening (``private_users``);
- errors are ``{"error": N, "message": "..."}`` with the HTTP status Last.fm uses; over the rate limit (5
  requests a second averaged over 5 minutes: 1,500 in any 300 s) error 29 "Rate Limit Exceeded" with HTTP 429;
  ``faults.down`` answers error 11 "Service Offline" with HTTP 503.

``seed(n)`` loads n scrobbles into a user's history, generated deterministically from the catalogue, for the
history import's tests and benchmarks. ``calls`` logs every call's parameters (query and form) in order.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
import hashlib
import math
import re
import time
from typing import ClassVar
from urllib.parse import quote_plus

from aiohttp import web

from .base import JSON, Clock, FakeService, RateLimit, RecordedRequest, json_response
from .catalogue import Catalogue, make_token

API_PATH = "/2.0/"
HEX = "0123456789abcdef"
DEFAULT_API_KEY = make_token("lastfm-api-key", "spinstack", 32, HEX)
DEFAULT_SECRET = make_token("lastfm-secret", "spinstack", 32, HEX)
DEFAULT_USER = "spinstack-listener"
DEFAULT_PASSWORD = "correct horse battery staple"  # noqa: S105 - the fake's test user

MAX_SCROBBLES = 50
MAX_RECENT_LIMIT = 200
DEFAULT_RECENT_LIMIT = 50
TOO_OLD = 14 * 86_400  # Last.fm ignores scrobbles older than two weeks
TOO_NEW = 3_600  # the fake's tolerance for a timestamp ahead of its clock
NOW_PLAYING_DEFAULT = 300  # seconds a now-playing track is shown when its duration is not given
WRITE_METHODS = frozenset({"track.scrobble", "track.updatenowplaying", "auth.getmobilesession"})
SESSION_METHODS = frozenset({"track.scrobble", "track.updatenowplaying"})
UNSIGNED = frozenset({"format", "callback", "api_sig"})
IMAGE_SIZES = (("small", "34s"), ("medium", "64s"), ("large", "174s"), ("extralarge", "300x300"))

# The messages of Last.fm's error codes (https://www.last.fm/api/errorcodes) and the HTTP status each comes with.
MESSAGES: Mapping[int, str] = {
    2: "Invalid service - This service does not exist",
    3: "Invalid Method - No method with that name in this package",
    4: "Authentication Failed - You do not have permissions to access the service",
    5: "Invalid format - This service doesn't exist in that format",
    6: "Invalid parameters - Your request is missing a required parameter",
    7: "Invalid resource specified",
    8: "Operation failed - Most likely the backend service failed. Please try again.",
    9: "Invalid session key - Please re-authenticate",
    10: "Invalid API key - You must be granted a valid key by last.fm",
    11: "Service Offline - This service is temporarily offline. Try again later.",
    13: "Invalid method signature supplied",
    16: "There was a temporary error processing your request. Please try again",
    17: "Login: User required to be logged in",
    26: "Suspended API key - Access for your account has been suspended, please contact Last.fm",
    29: "Rate Limit Exceeded - Your IP has made too many requests in a short period",
}
STATUSES: Mapping[int, int] = {4: 403, 8: 500, 9: 403, 10: 403, 11: 503, 13: 403, 16: 503, 17: 403, 26: 403, 29: 429}
IGNORED: Mapping[int, str] = {
    1: "Artist was ignored",
    2: "Track was ignored",
    3: "Timestamp was too old",
    4: "Timestamp was too new",
    5: "Daily scrobble limit exceeded",
}
_INDEXED = re.compile(r"^([A-Za-z]+)\[(\d+)\]$")
_SCROBBLE_FIELDS = frozenset(
    {"artist", "track", "timestamp", "album", "albumArtist", "duration", "mbid", "trackNumber", "chosenByUser"}
)


def lastfm_error(code: int, message: str | None = None, *, status: int | None = None) -> web.Response:
    """An error as Last.fm answers it."""
    return json_response(
        {"error": code, "message": message or MESSAGES.get(code, "Error")}, status=status or STATUSES.get(code, 400)
    )


def signature(params: Mapping[str, str], secret: str) -> str:
    """The ``api_sig`` Last.fm expects for `params` (every parameter but format, callback and api_sig)."""
    text = "".join(name + params[name] for name in sorted(params) if name not in UNSIGNED)
    return hashlib.md5((text + secret).encode(), usedforsecurity=False).hexdigest()


def session_key_for(user: str) -> str:
    """The session key the fake gives `user` (32 hex characters, the same on every run)."""
    return make_token("lastfm-session", user.casefold(), 32, HEX)


DEFAULT_SESSION_KEY = session_key_for(DEFAULT_USER)


@dataclass(frozen=True)
class Scrobble:
    """One scrobble the fake holds (accepted, or seeded)."""

    user: str
    artist: str
    track: str
    timestamp: int
    album: str = ""
    album_artist: str = ""
    duration: int | None = None
    mbid: str = ""
    artist_mbid: str = ""
    album_mbid: str = ""
    chosen_by_user: bool = True


@dataclass(frozen=True)
class Call:
    """One API call as the fake read it: when, GET or POST, and every parameter (query and form)."""

    time: float
    http_method: str
    params: Mapping[str, str]

    @property
    def method(self) -> str:
        """The API method, lower-case (``track.scrobble``)."""
        return self.params.get("method", "").lower()


@dataclass
class _History:
    times: list[int] = field(default_factory=list)
    scrobbles: list[Scrobble] = field(default_factory=list)

    def add(self, scrobble: Scrobble) -> None:
        position = bisect.bisect_right(self.times, scrobble.timestamp)
        self.times.insert(position, scrobble.timestamp)
        self.scrobbles.insert(position, scrobble)


class _Refused(Exception):  # noqa: N818 - control flow: an error answer
    def __init__(self, response: web.Response) -> None:
        super().__init__(response.status)
        self.response = response


class FakeLastfm(FakeService):
    """Last.fm's 2.0 API: ``base_url`` + ``/2.0/``. `api_keys` maps each API key to its shared secret; `users` each
    user name to its password; `wall` is the clock of timestamps (Unix seconds: ``time.time`` unless given)."""

    name: ClassVar[str] = "lastfm"
    # API terms, section 4.4: "no more than 5 requests per originating IP address per second, averaged over a 5
    # minute period".
    default_limit: ClassVar[RateLimit] = RateLimit(1_500, 300.0)

    def __init__(
        self,
        catalogue: Catalogue | None = None,
        *,
        clock: Clock | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        rate_limit: bool = True,
        limit: RateLimit | None = None,
        api_keys: Mapping[str, str] | None = None,
        users: Mapping[str, str] | None = None,
        wall: Clock | None = None,
    ) -> None:
        super().__init__(catalogue, clock=clock, host=host, port=port, rate_limit=rate_limit, limit=limit)
        self.wall: Clock = wall if wall is not None else time.time
        self.api_keys: dict[str, str] = dict(api_keys if api_keys is not None else {DEFAULT_API_KEY: DEFAULT_SECRET})
        self.suspended_keys: set[str] = set()
        self.users: dict[str, str] = dict(users if users is not None else {DEFAULT_USER: DEFAULT_PASSWORD})
        self.sessions: dict[str, str] = {session_key_for(user): user for user in self.users}
        self.private_users: set[str] = set()
        self.ignored_artists: set[str] = set()
        self.ignored_tracks: set[str] = set()
        self.invalid_tracks: set[str] = set()
        self.daily_limit_exceeded = False
        self.scrobbles: list[Scrobble] = []
        self.now_playing: dict[str, tuple[Scrobble, float]] = {}
        self.calls: list[Call] = []
        self._histories: dict[str, _History] = {}

    def _add_routes(self, router: web.UrlDispatcher) -> None:
        for path in (API_PATH, API_PATH.rstrip("/")):
            router.add_get(path, self._api)
            router.add_post(path, self._api)
        router.add_route("*", "/{tail:.*}", self._not_found)

    # -- what the real service answers on its own ---------------------------------------------------------------
    def error_response(self, status: int, request: web.Request | None = None) -> web.Response:
        del request
        code = {400: 6, 403: 10, 404: 6, 429: 29, 500: 8, 503: 11}.get(status, 16)
        return lastfm_error(code, status=status)

    def rate_limited_response(self) -> web.StreamResponse:
        return lastfm_error(29)

    async def _gate(self, request: web.Request, record: RecordedRequest) -> web.StreamResponse | None:
        if request.path.rstrip("/") != API_PATH.rstrip("/"):
            return None
        params = await self._params(request)
        key = params.get("api_key", "")
        if key not in self.api_keys:
            record.outcome = "unauthorized"
            return lastfm_error(10)
        if key in self.suspended_keys:
            record.outcome = "forbidden"
            return lastfm_error(26)
        return None

    # -- the user's side --------------------------------------------------------------------------------------------
    def user(self, name: str) -> str | None:
        """The user's name as registered (user names are case-insensitive), or None."""
        folded = name.casefold()
        return next((user for user in self.users if user.casefold() == folded), None)

    def add_user(self, name: str, password: str = DEFAULT_PASSWORD) -> str:
        """Register a user (with a session key, `session_key_for(name)`); returns the session key."""
        self.users[name] = password
        key = session_key_for(name)
        self.sessions[key] = name
        return key

    def history(self, user: str = DEFAULT_USER) -> list[Scrobble]:
        """`user`'s scrobbles, oldest first."""
        held = self._histories.get(user)
        return list(held.scrobbles) if held is not None else []

    def set_now_playing(self, scrobble: Scrobble, seconds: float = NOW_PLAYING_DEFAULT) -> None:
        """Show `scrobble` as its user's now-playing track for `seconds`."""
        self.now_playing[scrobble.user] = (scrobble, self.wall() + seconds)

    def seed(self, count: int, *, user: str = DEFAULT_USER, newest: int | None = None, spacing: int = 211) -> None:
        """Load `count` scrobbles into `user`'s history: the catalogue's tracks in turn, the newest at `newest`
        (an hour before the wall clock unless given), each `spacing` seconds before the next."""
        if self.user(user) is None:
            self.add_user(user)
        top = int(self.wall()) - 3_600 if newest is None else newest
        tracks = self.catalogue.tracks
        history = self._histories.setdefault(user, _History())
        seeded = []
        for index in range(count - 1, -1, -1):
            track = tracks[index % len(tracks)]
            seeded.append(
                Scrobble(
                    user=user,
                    artist=track.artist_credit,
                    track=track.title,
                    timestamp=top - index * spacing,
                    album=track.album.title,
                    duration=track.duration,
                    mbid=track.mbid or "",
                    artist_mbid=track.main_artist.mbid or "",
                    album_mbid=track.album.mbid or "",
                )
            )
        if not history.times or (seeded and seeded[0].timestamp >= history.times[-1]):
            history.times.extend(scrobble.timestamp for scrobble in seeded)
            history.scrobbles.extend(seeded)
        else:
            for scrobble in seeded:
                history.add(scrobble)

    def reset(self) -> None:
        """Back to fresh, the accepted scrobbles, the calls and the now-playing tracks forgotten (seeded
        histories stay)."""
        super().reset()
        self.calls.clear()
        self.scrobbles.clear()
        self.now_playing.clear()
        self.daily_limit_exceeded = False

    # -- handlers -------------------------------------------------------------------------------------------------
    @staticmethod
    async def _params(request: web.Request) -> dict[str, str]:
        params = {key: request.query[key] for key in request.query}
        if request.method == "POST":
            form = await request.post()
            params.update({key: value for key, value in form.items() if isinstance(value, str)})
        return params

    async def _not_found(self, request: web.Request) -> web.Response:
        del request
        page = "<html><body><h1>Page not found</h1></body></html>"
        return web.Response(status=404, text=page, content_type="text/html")

    async def _api(self, request: web.Request) -> web.Response:
        params = await self._params(request)
        self.calls.append(Call(self.clock(), request.method, params))
        if params.get("format", "").lower() != "json":
            return web.Response(
                status=400,
                text='<?xml version="1.0" encoding="UTF-8"?>\n<lfm status="failed">\n'
                '<error code="5">This fake answers format=json only</error>\n</lfm>\n',
                content_type="text/xml",
            )
        method = params.get("method", "").lower()
        handlers = {
            "track.scrobble": self._scrobble,
            "track.updatenowplaying": self._update_now_playing,
            "auth.getmobilesession": self._mobile_session,
            "user.getinfo": self._user_info,
            "user.getrecenttracks": self._recent_tracks,
        }
        handler = handlers.get(method)
        if handler is None:
            return lastfm_error(3)
        try:
            self._authenticate(request, method, params)
            return handler(params)
        except _Refused as refused:
            return refused.response

    def _authenticate(self, request: web.Request, method: str, params: Mapping[str, str]) -> None:
        if method in WRITE_METHODS and request.method != "POST":
            raise _Refused(lastfm_error(4, "You must use POST in order to use this method."))
        if method in WRITE_METHODS or "sk" in params or "api_sig" in params:
            secret = self.api_keys[params["api_key"]]
            if params.get("api_sig", "").lower() != signature(params, secret):
                raise _Refused(lastfm_error(13))
        if (method in SESSION_METHODS or "sk" in params) and params.get("sk", "") not in self.sessions:
            raise _Refused(lastfm_error(9))

    def _session_user(self, params: Mapping[str, str]) -> str:
        return self.sessions[params["sk"]]

    # -- track.scrobble ---------------------------------------------------------------------------------------------
    def _scrobble(self, params: Mapping[str, str]) -> web.Response:
        user = self._session_user(params)
        batch = _scrobble_fields(params)
        if not batch or len(batch) > MAX_SCROBBLES:
            return lastfm_error(6)
        scrobbles: list[Scrobble] = []
        for fields in batch:
            artist, track, timestamp = fields.get("artist", ""), fields.get("track", ""), fields.get("timestamp", "")
            if not artist.strip() or not track.strip() or not timestamp.isdigit():
                return lastfm_error(6)
            if track in self.invalid_tracks:
                return lastfm_error(6, "Invalid parameters - Invalid track")
            duration = fields.get("duration", "")
            scrobbles.append(
                Scrobble(
                    user=user,
                    artist=artist,
                    track=track,
                    timestamp=int(timestamp),
                    album=fields.get("album", ""),
                    album_artist=fields.get("albumArtist", ""),
                    duration=int(duration) if duration.isdigit() else None,
                    mbid=fields.get("mbid", ""),
                    chosen_by_user=fields.get("chosenByUser", "1") != "0",
                )
            )
        entries: list[JSON] = []
        accepted = 0
        for scrobble in scrobbles:
            code = self._ignored(scrobble)
            if code == 0:
                accepted += 1
                self.scrobbles.append(scrobble)
                self._histories.setdefault(user, _History()).add(scrobble)
            entries.append({**_echo(scrobble, code), "timestamp": str(scrobble.timestamp)})
        listed: JSON | list[JSON] = entries[0] if len(entries) == 1 else entries
        return json_response(
            {"scrobbles": {"scrobble": listed, "@attr": {"accepted": accepted, "ignored": len(entries) - accepted}}}
        )

    def _ignored(self, scrobble: Scrobble) -> int:
        now = self.wall()
        if scrobble.artist.casefold() in {artist.casefold() for artist in self.ignored_artists}:
            return 1
        if scrobble.track.casefold() in {track.casefold() for track in self.ignored_tracks}:
            return 2
        if scrobble.timestamp < now - TOO_OLD:
            return 3
        if scrobble.timestamp > now + TOO_NEW:
            return 4
        if self.daily_limit_exceeded:
            return 5
        return 0

    def _update_now_playing(self, params: Mapping[str, str]) -> web.Response:
        user = self._session_user(params)
        artist, track = params.get("artist", ""), params.get("track", "")
        if not artist.strip() or not track.strip():
            return lastfm_error(6)
        duration = params.get("duration", "")
        scrobble = Scrobble(
            user=user,
            artist=artist,
            track=track,
            timestamp=int(self.wall()),
            album=params.get("album", ""),
            album_artist=params.get("albumArtist", ""),
            duration=int(duration) if duration.isdigit() else None,
            mbid=params.get("mbid", ""),
        )
        code = 1 if artist.casefold() in {name.casefold() for name in self.ignored_artists} else 0
        if code == 0:
            self.set_now_playing(scrobble, scrobble.duration or NOW_PLAYING_DEFAULT)
        return json_response({"nowplaying": _echo(scrobble, code)})

    # -- auth and users ---------------------------------------------------------------------------------------------
    def _mobile_session(self, params: Mapping[str, str]) -> web.Response:
        if "username" not in params or "password" not in params:
            return lastfm_error(6)
        user = self.user(params["username"])
        if user is None or self.users[user] != params["password"]:
            return lastfm_error(4)
        key = session_key_for(user)
        self.sessions[key] = user
        return json_response({"session": {"subscriber": 0, "name": user, "key": key}})

    def _user_info(self, params: Mapping[str, str]) -> web.Response:
        user = self._session_user(params) if "sk" in params else self.user(params.get("user", ""))
        if user is None:
            return lastfm_error(6, "User not found", status=404)
        return json_response(
            {
                "user": {
                    "name": user,
                    "realname": "",
                    "url": f"https://www.last.fm/user/{quote_plus(user)}",
                    "country": "None",
                    "playcount": str(len(self.history(user))),
                    "subscriber": "0",
                    "type": "user",
                    "registered": {"unixtime": "1136073600", "#text": 1136073600},
                }
            }
        )

    def _recent_tracks(self, params: Mapping[str, str]) -> web.Response:
        user = self.user(params.get("user", ""))
        if user is None:
            return lastfm_error(6, "User not found", status=404)
        if user in self.private_users:
            return lastfm_error(17)
        try:
            limit = int(params.get("limit", DEFAULT_RECENT_LIMIT))
            page = int(params.get("page", 1))
            low = int(params.get("from", 0))
            high = int(params["to"]) if "to" in params else None
        except ValueError:
            return lastfm_error(6)
        limit = DEFAULT_RECENT_LIMIT if limit < 1 else min(limit, MAX_RECENT_LIMIT)
        page = max(1, page)
        held = self._histories.get(user, _History())
        start = bisect.bisect_left(held.times, low)
        end = len(held.times) if high is None else bisect.bisect_right(held.times, high)
        total = max(0, end - start)
        first = (page - 1) * limit
        newest_first = range(end - 1 - first, max(end - 1 - first - limit, end - 1 - total), -1)
        tracks = [self._track_json(held.scrobbles[position]) for position in newest_first]
        playing = self.now_playing.get(user)
        if page == 1 and playing is not None and playing[1] > self.wall():
            tracks.insert(0, {"@attr": {"nowplaying": "true"}, **self._track_json(playing[0], dated=False)})
        attributes = {
            "user": user,
            "totalPages": str(math.ceil(total / limit)),
            "page": str(page),
            "perPage": str(limit),
            "total": str(total),
        }
        return json_response({"recenttracks": {"track": tracks, "@attr": attributes}})

    def _track_json(self, scrobble: Scrobble, *, dated: bool = True) -> JSON:
        picture = make_token("lastfm-cover", f"{scrobble.artist}\x1f{scrobble.album}", 32, HEX)
        body: JSON = {
            "artist": {"mbid": scrobble.artist_mbid, "#text": scrobble.artist},
            "streamable": "0",
            "image": [
                {"size": size, "#text": f"{self.base_url}/images/i/u/{folder}/{picture}.jpg"}
                for size, folder in IMAGE_SIZES
            ],
            "mbid": scrobble.mbid,
            "album": {"mbid": scrobble.album_mbid, "#text": scrobble.album},
            "name": scrobble.track,
            "url": f"https://www.last.fm/music/{quote_plus(scrobble.artist)}/_/{quote_plus(scrobble.track)}",
        }
        if dated:
            when = datetime.fromtimestamp(scrobble.timestamp, UTC)
            body["date"] = {"uts": str(scrobble.timestamp), "#text": when.strftime("%d %b %Y, %H:%M")}
        return body


def _scrobble_fields(params: Mapping[str, str]) -> list[dict[str, str]]:
    """The scrobbles of a ``track.scrobble`` call, by index (array notation, or plain names for one)."""
    indexed: dict[int, dict[str, str]] = {}
    for name, value in params.items():
        matched = _INDEXED.match(name)
        if matched and matched.group(1) in _SCROBBLE_FIELDS:
            indexed.setdefault(int(matched.group(2)), {})[matched.group(1)] = value
    if not indexed:
        single = {name: params[name] for name in _SCROBBLE_FIELDS if name in params}
        return [single] if single else []
    return [indexed[index] for index in sorted(indexed)]


def _echo(scrobble: Scrobble, code: int) -> JSON:
    """How Last.fm repeats a scrobble (or a now-playing track) in its answer, with its ignoredMessage."""

    def corrected(text: str) -> JSON:
        return {"corrected": "0", "#text": text}

    return {
        "artist": corrected(scrobble.artist),
        "album": corrected(scrobble.album),
        "track": corrected(scrobble.track),
        "albumArtist": corrected(scrobble.album_artist),
        "ignoredMessage": {"code": str(code), "#text": IGNORED.get(code, "")},
    }


def scrobbles_of(calls: Iterable[Call]) -> list[int]:
    """How many scrobbles each ``track.scrobble`` call in `calls` carried, in order."""
    return [len(_scrobble_fields(call.params)) for call in calls if call.method == "track.scrobble"]
