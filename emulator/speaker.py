"""One emulated speaker's state machine: what it plays, transport state, position, play mode, volume, group.

The speaker knows nothing of HTTP. Its methods change state (raising `UPnPError` where a real speaker answers with a
UPnP fault) and report which services changed through `on_change`, which the household turns into GENA events.
Time comes from a `Clock`: a playing track ends on a clock timer, then the queue advances (an AVTransport event),
repeats itself (REPEAT_ONE: no event, like a real speaker) or stops at the end of the queue (an event).

A group follower mirrors its coordinator's transport state and reports ``x-rincon:<coordinator>`` as its transport
and track URI, with empty track metadata.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
import enum
import random

from . import didl
from .clock import Clock, Timer
from .media import Station, Track, container_didl, line_in_track_didl, line_in_transport_didl, tv_track_didl

AV_TRANSPORT = "AVTransport"
RENDERING_CONTROL = "RenderingControl"
ZONE_GROUP_TOPOLOGY = "ZoneGroupTopology"
NOT_IMPLEMENTED = "NOT_IMPLEMENTED"
MAX_COUNT = "2147483647"


class TransportState(enum.StrEnum):
    """The AVTransport states a Sonos speaker reports."""

    PLAYING = "PLAYING"
    PAUSED_PLAYBACK = "PAUSED_PLAYBACK"
    STOPPED = "STOPPED"
    TRANSITIONING = "TRANSITIONING"


class PlayMode(enum.StrEnum):
    """Sonos play modes (SetPlayMode's NewPlayMode)."""

    NORMAL = "NORMAL"
    REPEAT_ALL = "REPEAT_ALL"
    REPEAT_ONE = "REPEAT_ONE"
    SHUFFLE_NOREPEAT = "SHUFFLE_NOREPEAT"
    SHUFFLE = "SHUFFLE"
    SHUFFLE_REPEAT_ONE = "SHUFFLE_REPEAT_ONE"


class Source(enum.StrEnum):
    """What the speaker's transport is set to."""

    NONE = "none"
    QUEUE = "queue"
    TRACK = "track"
    RADIO = "radio"
    LINE_IN = "line_in"
    TV = "tv"


class UPnPError(Exception):
    """A UPnP fault a real speaker would answer with (sent as a SOAP fault, HTTP 500)."""

    def __init__(self, code: int, description: str = "") -> None:
        super().__init__(f"UPnP error {code}: {description}" if description else f"UPnP error {code}")
        self.code = code
        self.description = description


TRANSITION_NOT_AVAILABLE = 701
ILLEGAL_SEEK_TARGET = 711
SEEK_MODE_NOT_SUPPORTED = 710
PLAY_MODE_NOT_SUPPORTED = 712
ILLEGAL_MIME_TYPE = 714
INVALID_ARGS = 402


@dataclass(frozen=True)
class Transport:
    """What AVTransport reports at one moment (the speaker's own view, or its coordinator's for a follower)."""

    state: TransportState
    uri: str
    uri_metadata: str
    enqueued_uri: str
    enqueued_metadata: str
    number_of_tracks: int
    track_number: int
    track_uri: str
    track_metadata: str
    track_duration: str
    position: str
    next_uri: str
    next_metadata: str
    actions: str
    valid_play_modes: str
    play_mode: PlayMode


ChangeListener = Callable[["Speaker", str], None]


class Speaker:
    """An emulated Sonos speaker's state."""

    def __init__(
        self,
        clock: Clock,
        *,
        uid: str,
        name: str,
        ip: str,
        model_name: str = "Sonos One",
        model_number: str = "S18",
        boot_seq: int = 1,
        seed: int = 0,
    ) -> None:
        self.clock = clock
        self.uid = uid
        self.name = name
        self.ip = ip
        self.model_name = model_name
        self.model_number = model_number
        self.boot_seq = boot_seq
        self.on_change: ChangeListener | None = None
        self.coordinator: Speaker | None = None  # None: the speaker coordinates its own group
        self.volume = 20
        self.muted = False
        self.play_mode = PlayMode.NORMAL
        self.queue: list[Track] = []
        self.queue_index = 0
        self.source = Source.NONE
        self.direct_track: Track | None = None
        self.station: Station | None = None
        self.input_uri = ""  # line-in or TV stream URI
        self.transport_uri = ""
        self.transport_metadata = ""
        self.enqueued_uri = ""
        self.enqueued_metadata = ""
        self.state = TransportState.STOPPED
        self._position = 0.0  # seconds into the current track (or stream) when last anchored
        self._anchor: float | None = None  # clock time the position was anchored at, while playing
        self._tuned_at = 0.0  # clock time a station was tuned in (its stream metadata runs from there)
        self._end_timer: Timer | None = None
        self._stream_timer: Timer | None = None
        self._batch: list[str] | None = None
        self._random = random.Random(seed)  # noqa: S311 (a shuffle order, not a secret)
        self.repeats = 0  # how many times a track restarted by itself (REPEAT_ONE)

    def __repr__(self) -> str:
        return f"<Speaker {self.name!r} {self.uid} at {self.ip}>"

    # -- notifications ---------------------------------------------------------------------------------------------
    def changed(self, service: str) -> None:
        """Report that `service`'s evented state changed (collected while a `batch` is open)."""
        if self._batch is not None:
            if service not in self._batch:
                self._batch.append(service)
            return
        if self.on_change is not None:
            self.on_change(self, service)

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Collect the changes made inside into one event per service, sent when the block ends."""
        if self._batch is not None:
            yield
            return
        self._batch = []
        try:
            yield
        finally:
            services, self._batch = self._batch, None
            for service in services:
                self.changed(service)

    # -- group ------------------------------------------------------------------------------------------------------
    @property
    def is_coordinator(self) -> bool:
        """Whether the speaker coordinates its group (a speaker alone is its own coordinator)."""
        return self.coordinator is None

    @property
    def group_coordinator(self) -> Speaker:
        """The speaker coordinating this speaker's group."""
        return self if self.coordinator is None else self.coordinator

    # -- position ----------------------------------------------------------------------------------------------------
    @property
    def position(self) -> float:
        """Seconds into the current track (stream time for radio)."""
        if self._anchor is None:
            return self._position
        return self._position + max(0.0, self.clock.now() - self._anchor)

    @property
    def current_track(self) -> Track | None:
        """The on-demand track loaded, if any."""
        if self.source is Source.QUEUE and 0 <= self.queue_index < len(self.queue):
            return self.queue[self.queue_index]
        if self.source is Source.TRACK:
            return self.direct_track
        return None

    @property
    def stream_content(self) -> str:
        """The station's stream metadata of the moment ("" when not on radio)."""
        if self.station is None or self.source is not Source.RADIO:
            return ""
        return self.station.content_at(self.clock.now() - self._tuned_at)[0]

    def _set_position(self, seconds: float) -> None:
        self._position = seconds
        self._anchor = self.clock.now() if self.state is TransportState.PLAYING else None
        self._reschedule()

    def _freeze(self) -> None:
        self._position = self.position
        self._anchor = None

    # -- timers ------------------------------------------------------------------------------------------------------
    def _cancel_timers(self) -> None:
        for timer in (self._end_timer, self._stream_timer):
            if timer is not None:
                timer.cancel()
        self._end_timer = self._stream_timer = None

    def _reschedule(self) -> None:
        self._cancel_timers()
        if self.state is not TransportState.PLAYING or self.coordinator is not None:
            return
        track = self.current_track
        if track is not None and track.duration > 0:
            remaining = max(0.0, track.duration - self.position)
            self._end_timer = self.clock.call_later(remaining, self._track_ended)
        if self.source is Source.RADIO and self.station is not None:
            _, until_change = self.station.content_at(self.clock.now() - self._tuned_at)
            if until_change is not None:
                self._stream_timer = self.clock.call_later(until_change, self._stream_changed)

    def _track_ended(self) -> None:
        self._end_timer = None
        if self.play_mode in (PlayMode.REPEAT_ONE, PlayMode.SHUFFLE_REPEAT_ONE):
            # A real speaker sends no event when a track repeats: the position simply falls back to 0.
            self.repeats += 1
            self._set_position(0.0)
            return
        if self.source is Source.QUEUE:
            following = self._following_index()
            if following is not None:
                self.queue_index = following
                self._set_position(0.0)
                self.changed(AV_TRANSPORT)
                return
            self.queue_index = 0
        self.state = TransportState.STOPPED
        self._set_position(0.0)
        self.changed(AV_TRANSPORT)

    def _stream_changed(self) -> None:
        self._stream_timer = None
        self._reschedule()
        self.changed(AV_TRANSPORT)

    def _following_index(self) -> int | None:
        """The queue index after the current one by the play mode, or None at the end of the queue."""
        if not self.queue:
            return None
        if self.play_mode in (PlayMode.SHUFFLE, PlayMode.SHUFFLE_NOREPEAT, PlayMode.SHUFFLE_REPEAT_ONE):
            if len(self.queue) == 1:
                return 0 if self.play_mode is PlayMode.SHUFFLE else None
            choices = [index for index in range(len(self.queue)) if index != self.queue_index]
            return self._random.choice(choices)
        if self.queue_index + 1 < len(self.queue):
            return self.queue_index + 1
        return 0 if self.play_mode is PlayMode.REPEAT_ALL else None

    # -- loading -----------------------------------------------------------------------------------------------------
    def _load(self, source: Source) -> None:
        self._cancel_timers()
        self.source = source
        self.state = TransportState.STOPPED
        self._position = 0.0
        self._anchor = None

    def queue_uri(self) -> str:
        """The speaker's own queue URI: ``x-rincon-queue:RINCON_...#0``."""
        return f"x-rincon-queue:{self.uid}#0"

    def set_queue(self, tracks: list[Track]) -> None:
        """Replace the queue's content (without changing the transport)."""
        self.queue = list(tracks)
        self.queue_index = 0 if self.queue_index >= len(self.queue) else self.queue_index
        if self.source is Source.QUEUE:
            self.changed(AV_TRANSPORT)

    def add_to_queue(self, tracks: list[Track], position: int = 0) -> int:
        """Add tracks at 1-based `position` (0: at the end); returns the first new track's number."""
        at = len(self.queue) if position <= 0 or position > len(self.queue) else position - 1
        was_empty = not self.queue
        self.queue[at:at] = tracks
        if self.source is Source.QUEUE and not was_empty and at <= self.queue_index:
            self.queue_index += len(tracks)  # the current track stays current
        self.changed(AV_TRANSPORT)
        return at + 1

    def clear_queue(self) -> None:
        """Empty the queue (stopping playback from it)."""
        self.queue = []
        self.queue_index = 0
        if self.source is Source.QUEUE:
            self._load(Source.QUEUE)
        self.changed(AV_TRANSPORT)

    def load_queue(self, *, enqueued_uri: str = "", enqueued_metadata: str = "") -> None:
        """Set the transport to the speaker's queue (``x-rincon-queue:...#0``)."""
        with self.batch():
            self._load(Source.QUEUE)
            self.transport_uri = self.queue_uri()
            self.transport_metadata = ""
            self.enqueued_uri = enqueued_uri or self.transport_uri
            self.enqueued_metadata = enqueued_metadata
            self.direct_track = None
            self.station = None
            self.changed(AV_TRANSPORT)

    def load_track(self, track: Track, metadata: str | None = None) -> None:
        """Set the transport to one track played directly (not through the queue)."""
        with self.batch():
            self._load(Source.TRACK)
            self.direct_track = track
            self.station = None
            self.transport_uri = track.uri
            self.transport_metadata = track.didl() if metadata is None else metadata
            self.enqueued_uri = track.uri
            self.enqueued_metadata = self.transport_metadata
            self.changed(AV_TRANSPORT)

    def load_station(self, station: Station, metadata: str | None = None) -> None:
        """Tune in to a radio station."""
        with self.batch():
            self._load(Source.RADIO)
            self.station = station
            self.direct_track = None
            self._tuned_at = self.clock.now()
            self.transport_uri = station.uri
            self.transport_metadata = station.station_didl() if metadata is None else metadata
            self.enqueued_uri = station.uri
            self.enqueued_metadata = self.transport_metadata
            self.changed(AV_TRANSPORT)

    def load_line_in(self, source_uid: str | None = None) -> None:
        """Play a line-in (``x-rincon-stream:RINCON_...``), this speaker's own by default. Starts at once."""
        self._load_input(Source.LINE_IN, f"x-rincon-stream:{source_uid or self.uid}")

    def load_tv(self) -> None:
        """Play the soundbar's TV input (``x-sonos-htastream:RINCON_...:spdif``). Starts at once."""
        self._load_input(Source.TV, f"x-sonos-htastream:{self.uid}:spdif")

    def _load_input(self, source: Source, uri: str) -> None:
        with self.batch():
            self._load(source)
            self.direct_track = None
            self.station = None
            self.input_uri = uri
            self.transport_uri = uri
            self.transport_metadata = line_in_transport_didl(uri) if source is Source.LINE_IN else ""
            self.enqueued_uri = ""
            self.enqueued_metadata = ""
            self.state = TransportState.PLAYING
            self._set_position(0.0)
            self.changed(AV_TRANSPORT)

    # -- transport actions -------------------------------------------------------------------------------------------
    def _require_coordinator(self) -> None:
        if self.coordinator is not None:
            raise UPnPError(TRANSITION_NOT_AVAILABLE, "the speaker is a group member")

    def play(self) -> None:
        """Play (AVTransport Play)."""
        self._require_coordinator()
        if self.source is Source.NONE or (self.source is Source.QUEUE and not self.queue):
            raise UPnPError(TRANSITION_NOT_AVAILABLE, "nothing to play")
        if self.state is TransportState.PLAYING:
            return
        self.state = TransportState.PLAYING
        self._anchor = self.clock.now()
        self._reschedule()
        self.changed(AV_TRANSPORT)

    def pause(self) -> None:
        """Pause (AVTransport Pause); line-in and TV cannot pause, a stopped speaker neither."""
        self._require_coordinator()
        if self.source in (Source.LINE_IN, Source.TV, Source.NONE) or self.state is TransportState.STOPPED:
            raise UPnPError(TRANSITION_NOT_AVAILABLE, "pause is not available")
        if self.state is TransportState.PAUSED_PLAYBACK:
            return
        self._freeze()
        self.state = TransportState.PAUSED_PLAYBACK
        self._reschedule()
        self.changed(AV_TRANSPORT)

    def stop(self) -> None:
        """Stop (AVTransport Stop): the position goes back to the track's start."""
        self._require_coordinator()
        if self.state is TransportState.STOPPED and self._position == 0.0:
            return
        self.state = TransportState.STOPPED
        self._set_position(0.0)
        self.changed(AV_TRANSPORT)

    def seek_time(self, seconds: float) -> None:
        """Seek to `seconds` in the current track (REL_TIME)."""
        self._require_coordinator()
        track = self.current_track
        if track is None:
            raise UPnPError(TRANSITION_NOT_AVAILABLE, "cannot seek in this source")
        if seconds < 0 or seconds > track.duration:
            raise UPnPError(ILLEGAL_SEEK_TARGET, "beyond the track's end")
        self._set_position(seconds)
        self.changed(AV_TRANSPORT)

    def seek_track(self, number: int) -> None:
        """Go to queue track `number` (1-based, TRACK_NR)."""
        self._require_coordinator()
        if self.source is not Source.QUEUE:
            raise UPnPError(TRANSITION_NOT_AVAILABLE, "not playing from the queue")
        if not 1 <= number <= len(self.queue):
            raise UPnPError(ILLEGAL_SEEK_TARGET, "no such track")
        self.queue_index = number - 1
        self._set_position(0.0)
        self.changed(AV_TRANSPORT)

    def next(self) -> None:
        """Next track in the queue."""
        self._require_coordinator()
        if self.source is not Source.QUEUE:
            raise UPnPError(TRANSITION_NOT_AVAILABLE, "next is not available")
        following = self._following_index()
        if following is None:
            raise UPnPError(ILLEGAL_SEEK_TARGET, "end of the queue")
        self.queue_index = following
        self._set_position(0.0)
        self.changed(AV_TRANSPORT)

    def previous(self) -> None:
        """Previous track in the queue (the first track restarts)."""
        self._require_coordinator()
        if self.source is not Source.QUEUE:
            raise UPnPError(TRANSITION_NOT_AVAILABLE, "previous is not available")
        if self.queue_index > 0:
            self.queue_index -= 1
        elif self.play_mode is PlayMode.REPEAT_ALL and self.queue:
            self.queue_index = len(self.queue) - 1
        self._set_position(0.0)
        self.changed(AV_TRANSPORT)

    def set_play_mode(self, mode: str) -> None:
        """SetPlayMode."""
        self._require_coordinator()
        try:
            self.play_mode = PlayMode(mode.upper())
        except ValueError:
            raise UPnPError(PLAY_MODE_NOT_SUPPORTED, f"unknown play mode {mode}") from None
        self.changed(AV_TRANSPORT)

    def set_volume(self, volume: int) -> None:
        """SetVolume (Master)."""
        self.volume = min(100, max(0, volume))
        self.changed(RENDERING_CONTROL)

    def set_mute(self, muted: bool) -> None:
        """SetMute (Master)."""
        self.muted = muted
        self.changed(RENDERING_CONTROL)

    # -- group transitions (driven by the household) ----------------------------------------------------------------
    def follow(self, coordinator: Speaker) -> None:
        """Become a member of `coordinator`'s group: playback of its own stops."""
        self._cancel_timers()
        self._freeze()
        self.state = TransportState.STOPPED
        self.coordinator = coordinator
        self.transport_uri = f"x-rincon:{coordinator.uid}"
        self.transport_metadata = ""
        self.enqueued_uri = ""
        self.enqueued_metadata = ""

    def stand_alone(self) -> None:
        """Leave the group: a standalone speaker, stopped, set to its own queue."""
        self.coordinator = None
        self.source = Source.QUEUE
        self.direct_track = None
        self.station = None
        self.state = TransportState.STOPPED
        self.transport_uri = self.queue_uri()
        self.transport_metadata = ""
        self.enqueued_uri = self.transport_uri
        self.enqueued_metadata = ""
        self._position = 0.0
        self._anchor = None
        self._cancel_timers()

    def take_over_from(self, old: Speaker) -> None:
        """Continue `old`'s playback as the new coordinator (the same track, position and state)."""
        self.coordinator = None
        self.queue = list(old.queue)
        self.queue_index = old.queue_index
        self.source = old.source
        self.direct_track = old.direct_track
        self.station = old.station
        self.input_uri = old.input_uri
        self._tuned_at = old._tuned_at
        self.play_mode = old.play_mode
        self.state = old.state
        self._position = old.position
        self._anchor = self.clock.now() if self.state is TransportState.PLAYING else None
        if old.source is Source.QUEUE:
            self.transport_uri = self.queue_uri()
            self.transport_metadata = ""
            self.enqueued_uri = self.transport_uri if old.enqueued_uri == old.queue_uri() else old.enqueued_uri
        else:
            self.transport_uri = old.transport_uri
            self.transport_metadata = old.transport_metadata
            self.enqueued_uri = old.enqueued_uri
        self.enqueued_metadata = old.enqueued_metadata
        self._reschedule()

    def reboot(self) -> None:
        """A reboot: playback stops (the queue stays) and the boot sequence moves on."""
        self._cancel_timers()
        self.boot_seq += 1
        was_member = self.coordinator is not None
        self.coordinator = None
        self.state = TransportState.STOPPED
        self._position = 0.0
        self._anchor = None
        if was_member or self.source not in (Source.QUEUE, Source.NONE):
            self.stand_alone()

    def shutdown(self) -> None:
        """Cancel every timer (the household is going away)."""
        self._cancel_timers()

    # -- what the speaker reports ------------------------------------------------------------------------------------
    def transport(self) -> Transport:
        """AVTransport's view of the moment."""
        if self.coordinator is not None:
            return self._follower_transport(self.coordinator)
        track_uri = track_metadata = next_uri = next_metadata = ""
        duration = position = "0:00:00"
        number_of_tracks, track_number = 0, 0
        actions = "Set"
        play_modes = ""
        track = self.current_track
        if self.source is Source.QUEUE:
            number_of_tracks = len(self.queue)
            play_modes = "SHUFFLE,REPEAT,REPEATONE,CROSSFADE"
            if track is not None:
                track_number = self.queue_index + 1
                actions = "Set, Stop, Pause, Play, X_DLNA_SeekTime, Next, X_DLNA_SeekTrackNr, Previous"
                following = self._following_index()
                if following is not None and self.play_mode not in (PlayMode.SHUFFLE, PlayMode.SHUFFLE_NOREPEAT):
                    next_uri = self.queue[following].uri
                    next_metadata = self.queue[following].didl()
        elif self.source is Source.TRACK:
            number_of_tracks = track_number = 1
            actions = "Set, Stop, Pause, Play, X_DLNA_SeekTime"
        elif self.source is Source.RADIO and self.station is not None:
            number_of_tracks = track_number = 1
            actions = "Set, Stop, Pause, Play"
            track_uri = self.station.track_uri
            track_metadata = self.station.track_didl(self.stream_content)
            position = didl.hms(self.position)
        elif self.source in (Source.LINE_IN, Source.TV):
            number_of_tracks = track_number = 1
            actions = "Set, Stop, Play"
            track_uri = self.input_uri
            track_metadata = (
                line_in_track_didl(self.input_uri) if self.source is Source.LINE_IN else tv_track_didl(self.input_uri)
            )
            duration = position = NOT_IMPLEMENTED
        if track is not None:
            track_uri = track.uri
            track_metadata = track.didl()
            duration = didl.hms(track.duration)
            position = didl.hms(self.position)
        return Transport(
            state=self.state,
            uri=self.transport_uri,
            uri_metadata=self.transport_metadata,
            enqueued_uri=self.enqueued_uri,
            enqueued_metadata=self.enqueued_metadata,
            number_of_tracks=number_of_tracks,
            track_number=track_number,
            track_uri=track_uri,
            track_metadata=track_metadata,
            track_duration=duration,
            position=position,
            next_uri=next_uri,
            next_metadata=next_metadata,
            actions=actions,
            valid_play_modes=play_modes,
            play_mode=self.play_mode,
        )

    def _follower_transport(self, coordinator: Speaker) -> Transport:
        uri = f"x-rincon:{coordinator.uid}"
        return Transport(
            state=coordinator.state,
            uri=uri,
            uri_metadata="",
            enqueued_uri="",
            enqueued_metadata="",
            number_of_tracks=1,
            track_number=1,
            track_uri=uri,
            track_metadata="",
            track_duration=NOT_IMPLEMENTED,
            position=NOT_IMPLEMENTED,
            next_uri="",
            next_metadata="",
            actions="Set",
            valid_play_modes="",
            play_mode=coordinator.play_mode,
        )

    def av_transport_variables(self, *, pad_metadata: int = 0) -> list[tuple[str, str]]:
        """The AVTransport LastChange variables, in the order real speakers send them."""
        transport = self.transport()
        track_metadata = transport.track_metadata
        if pad_metadata > 0:
            track_metadata = _pad_didl(track_metadata or didl.didl(didl.item([])), pad_metadata)
        event_duration = "" if transport.track_duration == NOT_IMPLEMENTED else transport.track_duration
        if self.source in (Source.LINE_IN, Source.TV) and self.coordinator is None:
            event_duration = ""
        return [
            ("TransportState", transport.state),
            ("CurrentPlayMode", transport.play_mode),
            ("CurrentCrossfadeMode", "0"),
            ("NumberOfTracks", str(transport.number_of_tracks)),
            ("CurrentTrack", str(transport.track_number)),
            ("CurrentSection", "0"),
            ("CurrentTrackURI", transport.track_uri),
            ("CurrentTrackDuration", event_duration),
            ("CurrentTrackMetaData", track_metadata),
            ("r:NextTrackURI", transport.next_uri),
            ("r:NextTrackMetaData", transport.next_metadata),
            ("r:EnqueuedTransportURI", transport.enqueued_uri),
            ("r:EnqueuedTransportURIMetaData", transport.enqueued_metadata),
            ("PlaybackStorageMedium", "NETWORK" if transport.uri else "NONE"),
            ("AVTransportURI", transport.uri),
            ("AVTransportURIMetaData", transport.uri_metadata),
            ("NextAVTransportURI", ""),
            ("NextAVTransportURIMetaData", ""),
            ("CurrentTransportActions", transport.actions),
            ("r:CurrentValidPlayModes", transport.valid_play_modes),
            ("r:DirectControlClientID", ""),
            ("r:DirectControlIsSuspended", "0"),
            ("r:DirectControlAccountID", ""),
            ("TransportStatus", "OK"),
            ("r:SleepTimerGeneration", "0"),
            ("r:AlarmRunning", "0"),
            ("r:SnoozeRunning", "0"),
            ("r:RestartPending", "0"),
            ("TransportPlaySpeed", NOT_IMPLEMENTED),
            ("CurrentMediaDuration", NOT_IMPLEMENTED),
            ("RecordStorageMedium", NOT_IMPLEMENTED),
            ("PossiblePlaybackStorageMedia", "NONE, NETWORK"),
            ("PossibleRecordStorageMedia", NOT_IMPLEMENTED),
            ("RecordMediumWriteStatus", NOT_IMPLEMENTED),
            ("CurrentRecordQualityMode", NOT_IMPLEMENTED),
            ("PossibleRecordQualityModes", NOT_IMPLEMENTED),
        ]

    def rendering_control_variables(self) -> list[tuple[str, str]]:
        """The RenderingControl LastChange variables."""
        return [
            ("Volume@Master", str(self.volume)),
            ("Volume@LF", "100"),
            ("Volume@RF", "100"),
            ("Mute@Master", "1" if self.muted else "0"),
            ("Mute@LF", "0"),
            ("Mute@RF", "0"),
            ("Mute@SpeakerOnly", "0"),
            ("Bass", "0"),
            ("Treble", "0"),
            ("Loudness@Master", "1"),
            ("OutputFixed", "0"),
            ("HeadphoneConnected", "0"),
            ("SpeakerSize", "3"),
            ("SubGain", "0"),
            ("SubCrossover", "0"),
            ("SubPolarity", "0"),
            ("SubEnabled", "1"),
            ("SonarEnabled", "0"),
            ("SonarCalibrationAvailable", "0"),
            ("PresetNameList", "FactoryDefaults"),
        ]

    def position_info(self) -> list[tuple[str, str]]:
        """GetPositionInfo's answer."""
        transport = self.transport()
        if self.coordinator is None and self.source is Source.NONE:
            return [
                ("Track", "0"),
                ("TrackDuration", "0:00:00"),
                ("TrackMetaData", ""),
                ("TrackURI", ""),
                ("RelTime", "0:00:00"),
                ("AbsTime", NOT_IMPLEMENTED),
                ("RelCount", MAX_COUNT),
                ("AbsCount", MAX_COUNT),
            ]
        return [
            ("Track", str(transport.track_number)),
            ("TrackDuration", transport.track_duration),
            ("TrackMetaData", transport.track_metadata),
            ("TrackURI", transport.track_uri),
            ("RelTime", transport.position),
            ("AbsTime", NOT_IMPLEMENTED),
            ("RelCount", MAX_COUNT),
            ("AbsCount", MAX_COUNT),
        ]

    def media_info(self) -> list[tuple[str, str]]:
        """GetMediaInfo's answer."""
        transport = self.transport()
        return [
            ("NrTracks", str(transport.number_of_tracks)),
            ("MediaDuration", NOT_IMPLEMENTED),
            ("CurrentURI", transport.uri),
            ("CurrentURIMetaData", transport.uri_metadata),
            ("NextURI", ""),
            ("NextURIMetaData", ""),
            ("PlayMedium", "NETWORK" if transport.uri else "NONE"),
            ("RecordMedium", NOT_IMPLEMENTED),
            ("WriteStatus", NOT_IMPLEMENTED),
        ]

    def transport_info(self) -> list[tuple[str, str]]:
        """GetTransportInfo's answer."""
        return [
            ("CurrentTransportState", self.group_coordinator.state),
            ("CurrentTransportStatus", "OK"),
            ("CurrentSpeed", "1"),
        ]

    def transport_settings(self) -> list[tuple[str, str]]:
        """GetTransportSettings' answer."""
        return [("PlayMode", self.group_coordinator.play_mode), ("RecQualityMode", NOT_IMPLEMENTED)]


def _pad_didl(metadata: str, size: int) -> str:
    """`metadata` with an oversized ``r:description`` in its item (the oversized-metadata fault)."""
    padding = didl.element("r:description", "x" * size)
    for closing in ("</item>", "</container>"):
        at = metadata.rfind(closing)
        if at >= 0:
            return metadata[:at] + padding + metadata[at:]
    return metadata + padding


def enqueued_container(uri: str, title: str) -> tuple[str, str]:
    """(EnqueuedTransportURI, EnqueuedTransportURIMetaData) for a playlist or album put in the queue."""
    return uri, container_didl(title)
