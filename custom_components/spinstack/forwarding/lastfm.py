"""Scrobbling to Last.fm (``track.scrobble``, https://www.last.fm/api/show/track.scrobble and
https://www.last.fm/api/scrobbling): up to 50 plays a signed form POST, each with its index (``artist[i]``,
``track[i]``, ``timestamp[i]`` in UTC seconds, ``album[i]``, ``albumArtist[i]``, ``duration[i]``, ``mbid[i]``).

Last.fm answers every scrobble with an ``ignoredMessage`` code: 0 accepted; 1 artist ignored, 2 track ignored,
3 timestamp too old (over 14 days), 4 timestamp too new: dead letters; 5 daily scrobble limit exceeded: tried again
later (an hour later, and the rest of the batch with it). A single scrobble's answer is an object, several a list.
"""

from __future__ import annotations

from collections.abc import Sequence
import logging
from typing import Any, ClassVar, Final

from ..engine import Play
from ..plugins import Options, OptionSpec, PluginContext, PluginError, PluginMisconfigured, PluginUnavailable
from ..plugins.http import json_dict
from .base import Forwarder, Outgoing, Rejected, Sent
from .lastfm_api import LastfmError, call

_LOGGER = logging.getLogger(__name__)

MAX_BATCH: Final = 50  # track.scrobble: "up to a maximum of 50 scrobbles per batch"
ACCEPTED: Final = "0"
DEAD_CODES: Final = {
    "1": "artist ignored",
    "2": "track ignored",
    "3": "timestamp too old",
    "4": "timestamp too new",
}
DAILY_LIMIT: Final = "5"
# Last.fm does not say when its daily limit lets go again: look again in an hour.
DAILY_LIMIT_PAUSE: Final = 3600.0


class LastfmForwarder(Forwarder):
    """Scrobbles to a Last.fm account: an API account's key and shared secret, and the user's session key."""

    name: ClassVar[str] = "lastfm"
    max_batch: ClassVar[int] = MAX_BATCH
    option_specs: ClassVar[tuple[OptionSpec, ...]] = (
        OptionSpec("api_key", "secret", required=True),
        OptionSpec("api_secret", "secret", required=True),
        OptionSpec("session_key", "secret", required=True),
        OptionSpec("now_playing", "bool", default=False),
    )

    def __init__(self, context: PluginContext, options: Options) -> None:
        super().__init__(context, options)
        self._api_key = self._required("api_key")
        self._secret = self._required("api_secret")
        self._session = self._required("session_key")

    def _signed(self, method: str, params: dict[str, str]) -> dict[str, str]:
        return {"method": method, **params, "api_key": self._api_key, "sk": self._session}

    async def check(self) -> None:
        """A cheap signed call with the session key (``user.getInfo`` of the session's user): Last.fm checks the
        key, the secret and the session."""
        try:
            await call(self.context, self._signed("user.getInfo", {}), secret=self._secret)
        except Rejected as err:
            raise PluginMisconfigured(f"Last.fm refused the credentials check: {err.reason}") from err
        except LastfmError as err:
            raise PluginUnavailable(str(err)) from err

    async def _now_playing(self, play: Play) -> None:
        params = {"artist": play.artist, "track": play.title}
        if play.album:
            params["album"] = play.album
        if play.album_artist and play.album_artist != play.artist:
            params["albumArtist"] = play.album_artist
        if round(play.duration) > 0:
            params["duration"] = str(round(play.duration))
        # "Now Playing requests that fail should not be retried" (Scrobbling 2.0 documentation).
        await call(
            self.context, self._signed("track.updateNowPlaying", params), secret=self._secret, post=True, attempts=1
        )

    async def _send(self, chunk: Sequence[Outgoing]) -> Sent:
        params: dict[str, str] = {}
        for index, item in enumerate(chunk):
            params.update(scrobble_params(index, item))
        data = await call(self.context, self._signed("track.scrobble", params), secret=self._secret, post=True)
        return read_scrobbles(data, chunk)


def scrobble_params(index: int, item: Outgoing) -> dict[str, str]:
    """The ``name[index]`` parameters of one scrobble."""
    play = item.play
    params = {
        f"artist[{index}]": play.artist,
        f"track[{index}]": play.title,
        f"timestamp[{index}]": str(int(play.started_at)),
    }
    if play.album:
        params[f"album[{index}]"] = play.album
    if play.album_artist and play.album_artist != play.artist:
        params[f"albumArtist[{index}]"] = play.album_artist
    if round(play.duration) > 0:
        params[f"duration[{index}]"] = str(round(play.duration))
    if item.track_mbid:
        params[f"mbid[{index}]"] = item.track_mbid
    if play.kind == "radio":
        params[f"chosenByUser[{index}]"] = "0"
    return params


def read_scrobbles(data: dict[str, Any], chunk: Sequence[Outgoing]) -> Sent:
    """What Last.fm did with each play of `chunk`, from its answer to ``track.scrobble``."""
    scrobbles = data.get("scrobbles")
    if not isinstance(scrobbles, dict):
        raise PluginError("Last.fm's answer to track.scrobble holds no scrobbles")
    listed = scrobbles.get("scrobble")
    entries = [listed] if isinstance(listed, dict) else listed if isinstance(listed, list) else []
    sent = Sent()
    if len(entries) != len(chunk):
        # Nothing to pair the answers with: Last.fm has the scrobbles it accepted, and would ignore the others again.
        _LOGGER.warning(
            "Last.fm answered %d scrobbles for %d sent (%s); counting them delivered",
            len(entries),
            len(chunk),
            scrobbles.get("@attr"),
        )
        sent.delivered.extend(item.outbox_id for item in chunk)
        return sent
    for item, entry in zip(chunk, entries, strict=True):
        ignored = json_dict(json_dict(entry).get("ignoredMessage"))
        code = str(ignored.get("code", ACCEPTED))
        text = ignored.get("#text") or ""
        if code == ACCEPTED:
            sent.delivered.append(item.outbox_id)
        elif code == DAILY_LIMIT:
            sent.retry.append(item.outbox_id)
            sent.retry_after = DAILY_LIMIT_PAUSE
            sent.stop = True
        else:
            meaning = DEAD_CODES.get(code, "ignored")
            detail = f": {text}" if text else ""
            sent.dead.append((item.outbox_id, f"Last.fm ignored it ({meaning}, code {code}{detail})"))
    return sent
