"""The decision engine: observations of speakers in, counted plays out.

Pure and synchronous: no I/O, no clock of its own. The caller feeds observations in time order, asks
:meth:`Engine.next_wakeup` when it must call :meth:`Engine.advance` (no event arrives when a threshold is crossed),
and may save :meth:`Engine.snapshot` and :meth:`Engine.restore` it so that a restart mid-track yields one play.
"""

from __future__ import annotations

from collections.abc import Collection
import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal

from .model import Observation, Play, SourceKind, TransportState
from .rules import Rules
from .songs import song_of
from .sources import identify_source

# Positions are reported in whole seconds.
POSITION_SLACK = 1.5
# A position at or below this is the start of the track (chosen again, repeat, "previous").
RESTART_SLACK = 5.0
# A track whose position would have passed its end within this margin has ended.
END_SLACK = 3.0
# At most this many silent repeat-one loops are counted between two observations.
MAX_SILENT_LOOPS = 100
_EPS = 1e-6
SNAPSHOT_VERSION = 1

Rule = Literal["track", "stream"]


@dataclass(slots=True)
class Listen:
    """One listen in progress: a track from its start, or a song on a stream."""

    identity: str
    rule: Rule
    service: str
    kind: str
    artist: str
    title: str
    album: str | None
    album_artist: str | None
    duration: float
    track_uri: str | None
    started_at: float | None = None
    heard: float = 0.0
    counted: bool = False


@dataclass(slots=True)
class _Tracker:
    """What the engine knows of one speaker."""

    speaker: str
    room: str | None = None
    playing: bool = False
    last_t: float | None = None
    last_pos: float | None = None
    listen: Listen | None = None
    recent: Listen | None = None
    recent_at: float | None = None
    following: str | None = None
    # Restored from a snapshot: what happened between the snapshot and the next observation is unknown, so only
    # a position that moved on is credited.
    resumed: bool = False


@dataclass(slots=True)
class _Outcome:
    plays: list[Play] = field(default_factory=list)


def _coordinator_of(obs: Observation) -> str:
    uri = obs.track_uri or ""
    if uri.lower().startswith("x-rincon:"):
        return uri.split(":", 1)[1].split("?", 1)[0] or obs.speaker
    return obs.coordinator or obs.speaker


class Engine:
    """Decides when a play counts, speaker by speaker."""

    def __init__(self, rules: Rules | None = None) -> None:
        self._rules = rules or Rules()
        self._trackers: dict[str, _Tracker] = {}

    @property
    def rules(self) -> Rules:
        """The rules in force."""
        return self._rules

    def set_rules(self, rules: Rules) -> None:
        """Apply new rules at once; listens in progress keep the time already heard."""
        self._rules = rules

    # -- input ---------------------------------------------------------------------------------------------------
    def observe(self, obs: Observation) -> list[Play]:
        """Take one observation; return the plays it completes."""
        out = _Outcome()
        tracker = self._trackers.get(obs.speaker)
        if tracker is None:
            tracker = self._trackers[obs.speaker] = _Tracker(obs.speaker)
        if obs.room:
            tracker.room = obs.room
        t = obs.t if tracker.last_t is None else max(obs.t, tracker.last_t)
        source = identify_source(obs.track_uri or "", obs.enqueued_uri)
        coordinator = _coordinator_of(obs)

        if source.kind is SourceKind.GROUP_FOLLOWER or coordinator != obs.speaker:
            # Only a group's coordinator produces plays.
            self._end(tracker, t, out)
            tracker.following = coordinator
            tracker.playing = False
            tracker.last_t, tracker.last_pos, tracker.resumed = t, None, False
            return out.plays

        playing = obs.state is TransportState.PLAYING
        song = song_of(obs, source.kind)
        identity: str | None = None
        rule: Rule = "track" if obs.duration > 0 else "stream"
        if song is not None:
            identity = "\x1f".join((rule, obs.track_uri or "", song.artist.casefold(), song.title.casefold()))

        current = tracker.listen
        if current is not None and current.identity == identity and not self._expired(tracker, t):
            self._continue(tracker, obs, t, out)
        else:
            self._end(tracker, t, out)
            if song is not None and identity is not None:
                listen = self._handover(tracker, identity, t)
                if listen is None:
                    listen = Listen(
                        identity=identity,
                        rule=rule,
                        service=source.service,
                        kind=str(source.kind),
                        artist=song.artist,
                        title=song.title,
                        album=song.album,
                        album_artist=obs.album_artist or None,
                        duration=obs.duration,
                        track_uri=obs.track_uri,
                    )
                tracker.listen = listen

        listen = tracker.listen
        if listen is not None and listen.started_at is None and playing:
            offset = min(obs.position or 0.0, listen.duration) if listen.rule == "track" else 0.0
            listen.started_at = t - offset
        tracker.playing = playing
        tracker.last_t = t
        tracker.last_pos = obs.position if listen is not None and listen.rule == "track" else None
        tracker.resumed = False
        tracker.following = None
        if listen is not None:
            self._check(tracker, listen, t, out)
        return out.plays

    def next_wakeup(self) -> float | None:
        """When :meth:`advance` must next be called, or None.

        Two moments matter and neither brings an event: a track reaching its threshold, and a track reaching its
        end with no event after it (it began again: repeat-one). A live caller should read the speaker's position
        at such a moment, feed it as an observation, then call :meth:`advance`.
        """
        times = [
            wake
            for tracker in self._trackers.values()
            for wake in (self._threshold_at(tracker), self._end_at(tracker))
            if wake is not None
        ]
        return min(times) if times else None

    def due(self, now: float) -> list[str]:
        """The speakers with a threshold or a track's end at ``now`` or before: those a caller should read before
        :meth:`advance` (the others have nothing due)."""
        return [
            speaker
            for speaker, tracker in self._trackers.items()
            if any(
                wake is not None and wake <= now + _EPS for wake in (self._threshold_at(tracker), self._end_at(tracker))
            )
        ]

    def advance(self, now: float, unreadable: Collection[str] = ()) -> list[Play]:
        """Let time pass without an observation up to ``now``: count the tracks whose threshold has been reached,
        and begin again the tracks that reached their end with no event since (a silent repeat).

        ``unreadable`` names the speakers a caller could not read (off the network): a track of theirs that reached
        its end is over there, not begun again, since nothing shows that it was (counting a silent repeat at each
        end would count tracks nobody may have heard); the next observation starts what plays then."""
        out = _Outcome()
        for tracker in self._trackers.values():
            for _ in range(MAX_SILENT_LOOPS + 2):
                listen = tracker.listen
                if listen is None or tracker.last_t is None:
                    break
                end_at = self._end_at(tracker)
                if end_at is not None and end_at <= now + _EPS and tracker.speaker in unreadable:
                    # Credited up to the track's end (played on, unless an event had said otherwise), then over.
                    self._end(tracker, end_at - END_SLACK, out)
                    tracker.playing = False
                    tracker.last_t, tracker.last_pos = end_at - END_SLACK, None
                    break
                if end_at is not None and end_at <= now + _EPS and tracker.last_pos is not None:
                    # Played to its end and began again without a word from the speaker.
                    ended = tracker.last_t + max(0.0, listen.duration - tracker.last_pos)
                    listen.heard += ended - tracker.last_t
                    self._check(tracker, listen, ended, out)
                    tracker.recent, tracker.recent_at = listen, ended
                    tracker.listen = dataclasses.replace(listen, started_at=ended, heard=0.0, counted=False)
                    tracker.last_t, tracker.last_pos = ended, 0.0
                    continue
                threshold_at = self._threshold_at(tracker)
                if threshold_at is None or threshold_at > now + _EPS:
                    break
                until = now
                if tracker.last_pos is not None:
                    until = min(now, tracker.last_t + max(0.0, listen.duration - tracker.last_pos))
                credit = max(0.0, until - tracker.last_t)
                listen.heard += credit
                if tracker.last_pos is not None:
                    tracker.last_pos = min(tracker.last_pos + credit, listen.duration)
                tracker.last_t = until
                self._check(tracker, listen, until, out)
                if not listen.counted:
                    break
        return out.plays

    def stop_all(self, now: float) -> list[Play]:
        """Every speaker stops now (the end of a replay, the integration unloading for good)."""
        out = _Outcome()
        for tracker in self._trackers.values():
            self._end(tracker, max(now, tracker.last_t or now), out)
            tracker.playing = False
        return out.plays

    def speakers(self) -> list[str]:
        """The speakers the engine has heard of."""
        return list(self._trackers)

    def now_playing(self, speaker: str) -> Listen | None:
        """The listen in progress on a speaker (a copy), if any."""
        tracker = self._trackers.get(speaker)
        if tracker is None or tracker.listen is None:
            return None
        return dataclasses.replace(tracker.listen)

    # -- persistence ---------------------------------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        """The engine's state as plain JSON-able data."""
        return {
            "version": SNAPSHOT_VERSION,
            "trackers": [
                {
                    "speaker": tr.speaker,
                    "room": tr.room,
                    "playing": tr.playing,
                    "last_t": tr.last_t,
                    "last_pos": tr.last_pos,
                    "listen": dataclasses.asdict(tr.listen) if tr.listen else None,
                    "recent": dataclasses.asdict(tr.recent) if tr.recent else None,
                    "recent_at": tr.recent_at,
                    "following": tr.following,
                }
                for tr in self._trackers.values()
            ],
        }

    @classmethod
    def restore(cls, data: dict[str, Any] | None, rules: Rules | None = None) -> Engine:
        """An engine continuing from a snapshot; a snapshot it cannot read gives a fresh engine."""
        engine = cls(rules)
        if not data or data.get("version") != SNAPSHOT_VERSION:
            return engine
        for item in data.get("trackers", []):
            try:
                tracker = _Tracker(
                    speaker=str(item["speaker"]),
                    room=item.get("room"),
                    playing=bool(item.get("playing")),
                    last_t=item.get("last_t"),
                    last_pos=item.get("last_pos"),
                    listen=Listen(**item["listen"]) if item.get("listen") else None,
                    recent=Listen(**item["recent"]) if item.get("recent") else None,
                    recent_at=item.get("recent_at"),
                    following=item.get("following"),
                    resumed=True,
                )
            except KeyError, TypeError:
                continue
            engine._trackers[tracker.speaker] = tracker
        return engine

    # -- internals -----------------------------------------------------------------------------------------------
    def _threshold_at(self, tracker: _Tracker) -> float | None:
        """When the track in progress reaches its threshold, if it keeps playing."""
        listen = tracker.listen
        if (
            listen is None
            or listen.rule != "track"
            or listen.counted
            or listen.started_at is None
            or not tracker.playing
            or tracker.resumed
            or tracker.last_t is None
            or not self._rules.qualifies(listen.duration)
        ):
            return None
        needed = max(0.0, self._rules.threshold(listen.duration) - listen.heard)
        if tracker.last_pos is not None and needed > listen.duration - tracker.last_pos:
            # The track ends first (it was sought near its end): no threshold to wait for, only its end.
            return None
        return tracker.last_t + needed

    def _end_at(self, tracker: _Tracker) -> float | None:
        """When the track in progress is past its end with no event: it must have begun again."""
        listen = tracker.listen
        if (
            listen is None
            or listen.rule != "track"
            or listen.duration <= 0
            or listen.started_at is None
            or not tracker.playing
            or tracker.resumed
            or tracker.last_t is None
            or tracker.last_pos is None
        ):
            return None
        return tracker.last_t + max(0.0, listen.duration - tracker.last_pos) + END_SLACK

    def _expired(self, tracker: _Tracker, t: float) -> bool:
        """A paused or stopped listen left for longer than the resume window is over."""
        return (
            not tracker.playing
            and tracker.last_t is not None
            and t - tracker.last_t > self._rules.resume_window_seconds
        )

    def _credit_until(self, tracker: _Tracker, listen: Listen, t: float) -> None:
        """Credit the time since the last observation, under the state it reported, up to ``t``."""
        if not tracker.playing or tracker.resumed or tracker.last_t is None:
            return
        credit = max(0.0, t - tracker.last_t)
        if listen.rule == "track" and tracker.last_pos is not None and listen.duration > 0:
            # A track cannot be heard past its end.
            credit = min(credit, max(0.0, listen.duration - tracker.last_pos))
        listen.heard += credit

    def _continue(self, tracker: _Tracker, obs: Observation, t: float, out: _Outcome) -> None:
        listen = tracker.listen
        assert listen is not None
        dt = 0.0 if tracker.last_t is None else max(0.0, t - tracker.last_t)
        if listen.rule == "stream":
            if tracker.playing and not tracker.resumed:
                listen.heard += dt
            return
        pos, last = obs.position, tracker.last_pos
        # After a restore, whether it played in the gap is unknown: no silent repeats are inferred from it.
        was_playing = tracker.playing and not tracker.resumed
        if pos is not None and last is not None:
            # Where the track would be had it played on since the last observation.
            expected = last + (dt if was_playing else 0.0)
            fell_back = pos + POSITION_SLACK < last
            passed_end = was_playing and dt > 0 and listen.duration > 0 and expected >= listen.duration
            # A repeat: the track reached its end and began again (the speaker may not say so).
            wrapped = passed_end and (fell_back or pos + listen.duration <= expected + END_SLACK)
            # Chosen again (or "previous") after it counted.
            restarted = fell_back and listen.counted and pos <= RESTART_SLACK
            if wrapped or restarted:
                self._start_again(tracker, listen, obs, pos, last, dt, wrapped, t, out)
                return
        if tracker.resumed:
            # Restored from a snapshot: of the gap, only what the position shows was played is heard, and only if
            # the speaker was playing when the snapshot was taken.
            if tracker.playing and pos is not None and last is not None:
                listen.heard += min(dt, max(0.0, pos - last))
            return
        if tracker.playing:
            if obs.state is TransportState.PAUSED_PLAYBACK and pos is not None and last is not None:
                # Found paused by a read, before or without an event of it (a NOTIFY lost): when it paused is
                # unknown, and only the time its position shows it played is heard. (A stop resets the position:
                # see SpeakerListener.refresh for a stop found with no event.)
                listen.heard += min(dt, max(0.0, pos - last))
                return
            # Heard time is PLAYING wall time: a seek forward adds nothing, a seek back replays real listening.
            listen.heard += dt

    def _start_again(
        self,
        tracker: _Tracker,
        listen: Listen,
        obs: Observation,
        pos: float,
        last: float,
        dt: float,
        wrapped: bool,
        t: float,
        out: _Outcome,
    ) -> None:
        """The same track began again: finish the listen in progress and start a new one."""
        was_playing = tracker.playing and not tracker.resumed
        assert tracker.last_t is not None
        if wrapped:
            # It played to its end (then, silently, from the top: repeat-one).
            wrap_at = tracker.last_t + min(dt, max(0.0, listen.duration - last))
            listen.heard += wrap_at - tracker.last_t
            self._check(tracker, listen, t, out)
            # No event came since, so it kept playing: whole loops since the end are listens of their own, and the
            # listen in progress began at the last loop's end (the position may say otherwise only because this
            # observation reports a seek).
            loops = min(int((t - wrap_at + _EPS) // listen.duration), MAX_SILENT_LOOPS)
            current_start = wrap_at + loops * listen.duration
            for index in range(loops):
                loop = dataclasses.replace(
                    listen, started_at=wrap_at + index * listen.duration, heard=listen.duration, counted=False
                )
                self._check(tracker, loop, t, out)
            fresh = dataclasses.replace(
                listen, started_at=current_start, heard=max(0.0, t - current_start), counted=False
            )
        else:
            # Chosen again after it counted: the listen in progress ends where the track began again.
            playing_now = obs.state is TransportState.PLAYING
            into_new = min(pos, dt) if was_playing and playing_now else 0.0
            if was_playing:
                listen.heard += max(0.0, dt - into_new)
            self._check(tracker, listen, t, out)
            fresh = dataclasses.replace(
                listen, started_at=(t - pos) if playing_now else None, heard=into_new, counted=False
            )
        tracker.recent, tracker.recent_at = listen, t
        tracker.listen = fresh

    def _end(self, tracker: _Tracker, t: float, out: _Outcome) -> None:
        """The listen in progress is over (another track, a stop, a group change)."""
        listen = tracker.listen
        if listen is None:
            return
        self._credit_until(tracker, listen, t)
        self._check(tracker, listen, t, out, ended=True)
        tracker.recent, tracker.recent_at = listen, t
        tracker.listen = None

    def _check(self, tracker: _Tracker, listen: Listen, t: float, out: _Outcome, ended: bool = False) -> None:
        if listen.counted or listen.started_at is None:
            return
        rules = self._rules
        if listen.rule == "track":
            if not rules.qualifies(listen.duration) or listen.heard + _EPS < rules.threshold(listen.duration):
                return
        # A song on a stream counts when it changes or the stream stops (or pauses).
        elif not (ended or not tracker.playing) or listen.heard + _EPS < rules.radio_min_seconds:
            return
        listen.counted = True
        out.plays.append(
            Play(
                started_at=listen.started_at,
                artist=listen.artist,
                title=listen.title,
                album=listen.album,
                album_artist=listen.album_artist,
                duration=listen.duration,
                heard=round(listen.heard, 3),
                service=listen.service,
                kind=listen.kind,
                speaker=tracker.speaker,
                room=tracker.room,
                track_uri=listen.track_uri,
                counted_at=t,
            )
        )

    def _handover(self, tracker: _Tracker, identity: str, t: float) -> Listen | None:
        """A room that was following a coordinator and now plays the same track continues that listen."""
        if tracker.following is None:
            return None
        source = self._trackers.get(tracker.following)
        if source is None:
            return None
        current = source.listen
        if current is not None and current.identity == identity:
            self._credit_until(source, current, t)
            source.last_t = max(t, source.last_t or t)
            source.listen = None
            return current
        recent = source.recent
        if (
            recent is not None
            and recent.identity == identity
            and source.recent_at is not None
            and t - source.recent_at <= self._rules.handover_window_seconds
        ):
            source.recent = None
            return recent
        return None
