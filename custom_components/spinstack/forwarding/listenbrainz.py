"""Submitting listens to ListenBrainz (``POST /1/submit-listens`` with ``Authorization: Token <user token>``,
https://listenbrainz.readthedocs.io/en/latest/users/api/core.html and .../users/json.html).

One listen goes as ``listen_type: single``, several as ``import`` (at most 100 a request here; the server takes
up to ``MAX_LISTENS_PER_REQUEST`` = 1000). Each carries ``listened_at`` (the start, UTC seconds) and
``track_metadata`` with ``artist_name``, ``track_name``, ``release_name`` and ``additional_info``: the ids known
(``recording_mbid``, ``artist_mbids``, ``release_mbid``, ``isrc``), ``duration_ms``, the streaming service's
canonical domain (``music_service``), ``media_player`` "Sonos" and ``submission_client`` "SpinStack" with its
version.

Answers: 200 accepted; 401 the token is refused (`PluginMisconfigured`); 400 a listen is invalid (the batch is
split to find it; the server's message is the dead letter's reason); 429 past the rate limit (retried after
``X-RateLimit-Reset-In`` seconds, which becomes ``retry_after`` when it lasts); 5xx and timeouts retried, then
`PluginUnavailable`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Final
import uuid

from ..engine import Play
from ..plugins import Options, OptionSpec, PluginContext, PluginMisconfigured
from ..plugins.endpoints import LISTENBRAINZ
from ..plugins.http import Answer, TryAgain, asked_wait, json_dict, request_json
from .base import CLIENT_NAME, MEDIA_PLAYER, Forwarder, Outgoing, Rejected, Sent, client_version

SUBMIT_PATH: Final = "/1/submit-listens"
VALIDATE_PATH: Final = "/1/validate-token"
MAX_BATCH: Final = 100

# SpinStack's service slugs (engine.sources) -> the canonical domain ListenBrainz asks for in ``music_service``
# (its JSON documentation lists spotify.com, music.youtube.com, deezer.com, tidal.com, music.apple.com,
# soundcloud.com; "determine a canonical domain from the domain of the service" for the others).
MUSIC_SERVICES: Final[Mapping[str, str]] = {
    "spotify": "spotify.com",
    "apple_music": "music.apple.com",
    "deezer": "deezer.com",
    "tidal": "tidal.com",
    "soundcloud": "soundcloud.com",
    "youtube_music": "music.youtube.com",
    "amazon_music": "music.amazon.com",
    "qobuz": "qobuz.com",
    "mixcloud": "mixcloud.com",
    "napster": "napster.com",
    "pandora": "pandora.com",
    "tunein": "tunein.com",
    "iheartradio": "iheart.com",
}


class ListenBrainzRejected(Rejected):
    """ListenBrainz answered HTTP 400 (its message says why)."""


def check_answer(answer: Answer) -> None:
    """ListenBrainz' 400 (a listen refused) and 429 (wait ``X-RateLimit-Reset-In`` seconds)."""
    if answer.status == 400:
        message = json_dict(answer.data).get("error")
        if not isinstance(message, str):
            message = answer.body[:200].decode(errors="replace")
        raise ListenBrainzRejected(f"ListenBrainz refused it: {message}")
    if answer.status == 429:
        raise TryAgain("HTTP 429: ListenBrainz rate limit exceeded", asked_wait(answer.headers), throttled=True)


class ListenBrainzForwarder(Forwarder):
    """Submits listens to a ListenBrainz account, with the user's token."""

    name: ClassVar[str] = "listenbrainz"
    max_batch: ClassVar[int] = MAX_BATCH
    option_specs: ClassVar[tuple[OptionSpec, ...]] = (
        OptionSpec("user_token", "secret", required=True),
        OptionSpec("now_playing", "bool", default=False),
    )

    def __init__(self, context: PluginContext, options: Options) -> None:
        super().__init__(context, options)
        self._headers = {"Authorization": f"Token {self._required('user_token')}"}
        self._version = client_version(context.user_agent)

    async def check(self) -> None:
        """``GET /1/validate-token``: `PluginMisconfigured` unless ListenBrainz knows the token."""
        try:
            data = await request_json(
                self.context, LISTENBRAINZ, "GET", VALIDATE_PATH, headers=self._headers, check=check_answer
            )
        except ListenBrainzRejected as err:
            raise PluginMisconfigured(f"ListenBrainz refused the token check: {err.reason}") from err
        if json_dict(data).get("valid") is not True:
            raise PluginMisconfigured("ListenBrainz does not know this user token")

    async def _now_playing(self, play: Play) -> None:
        body = {"listen_type": "playing_now", "payload": [{"track_metadata": self._metadata(Outgoing(0, play))}]}
        await self._post(body, attempts=1)

    async def _send(self, chunk: Sequence[Outgoing]) -> Sent:
        body = {
            "listen_type": "single" if len(chunk) == 1 else "import",
            "payload": [self.listen(item) for item in chunk],
        }
        await self._post(body)
        return Sent(delivered=[item.outbox_id for item in chunk])

    async def _post(self, body: dict[str, Any], attempts: int | None = None) -> None:
        await request_json(
            self.context,
            LISTENBRAINZ,
            "POST",
            SUBMIT_PATH,
            json_body=body,
            headers=self._headers,
            check=check_answer,
            attempts=attempts,
        )

    def listen(self, item: Outgoing) -> dict[str, Any]:
        """One listen of the payload."""
        return {"listened_at": int(item.play.started_at), "track_metadata": self._metadata(item)}

    def _metadata(self, item: Outgoing) -> dict[str, Any]:
        play = item.play
        info: dict[str, Any] = {}
        if play.duration > 0:
            info["duration_ms"] = round(play.duration * 1000)
        if item.isrc:
            info["isrc"] = item.isrc
        if recording := _mbid(item.track_mbid):
            info["recording_mbid"] = recording
        if artists := _mbids(item.artist_mbid):
            info["artist_mbids"] = artists
        if release := _mbid(item.release_mbid):
            info["release_mbid"] = release
        if service := MUSIC_SERVICES.get(play.service):
            info["music_service"] = service
        info["media_player"] = MEDIA_PLAYER
        info["submission_client"] = CLIENT_NAME
        if self._version:
            info["submission_client_version"] = self._version
        metadata: dict[str, Any] = {"artist_name": play.artist, "track_name": play.title}
        if play.album:
            metadata["release_name"] = play.album
        metadata["additional_info"] = info
        return metadata


def _mbid(value: str | None) -> str | None:
    """`value` when it is an MBID (ListenBrainz refuses the whole request for a malformed one)."""
    if not value:
        return None
    try:
        return str(uuid.UUID(value.strip()))
    except ValueError:
        return None


def _mbids(value: str | None) -> list[str]:
    if not value:
        return []
    found = (_mbid(part) for part in value.replace(";", ",").split(","))
    return [mbid for mbid in found if mbid]
