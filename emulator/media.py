"""What an emulated speaker can play: tracks of on-demand services, radio stations with changing stream metadata.

The URI forms and DIDL-Lite metadata are those real speakers report (service ids as Sonos assigns them: Spotify
``sid=9``, Apple Music ``sid=204``, Deezer ``sid=2``, TuneIn ``sid=254``, ...).
"""

from __future__ import annotations

from dataclasses import dataclass
import re
from urllib.parse import quote

from . import didl

CIFS_PROTOCOLS = {
    "mp3": "x-file-cifs:*:audio/mpeg:*",
    "flac": "x-file-cifs:*:audio/flac:*",
    "m4a": "x-file-cifs:*:audio/mp4:*",
    "ogg": "x-file-cifs:*:application/ogg:*",
    "wav": "x-file-cifs:*:audio/wav:*",
}
AD_MARKER = 'TYPE=SNG|TITLE text="Spot Block End" amgTrackId="1234567"|ARTIST |ALBUM '
TUNEIN_CDUDN = "SA_RINCON65031_"


def sonos_quote(value: str, safe: str = "") -> str:
    """Percent-encode as Sonos does, with lower-case hex digits (``spotify%3atrack%3a...``)."""
    return re.sub(r"%[0-9A-F]{2}", lambda match: match.group(0).lower(), quote(value, safe=safe))


@dataclass(frozen=True)
class Track:
    """One on-demand track (a queue item, or a URI played directly).

    `metadata` replaces the generated DIDL-Lite when given (to replay a payload captured from a real speaker).
    """

    uri: str
    title: str
    artist: str = ""
    album: str = ""
    duration: float = 180.0
    album_artist: str = ""
    album_art: str = ""
    protocol_info: str = "http-get:*:audio/mpeg:*"
    original_track_number: int | None = None
    metadata: str | None = None

    @classmethod
    def spotify(
        cls, track_id: str, title: str, artist: str, album: str = "", duration: float = 210.0, *, sid: int = 9
    ) -> Track:
        """A Spotify track as a queue item: ``x-sonos-spotify:spotify%3atrack%3a<id>?sid=9&flags=8224&sn=1``."""
        uri = f"x-sonos-spotify:spotify%3atrack%3a{track_id}?sid={sid}&flags=8224&sn=1"
        return cls(
            uri=uri,
            title=title,
            artist=artist,
            album=album,
            duration=duration,
            album_art="/getaa?s=1&u=" + sonos_quote(uri),
            protocol_info="sonos.com-spotify:*:audio/x-spotify:*",
        )

    @classmethod
    def apple_music(cls, song_id: str, title: str, artist: str, album: str = "", duration: float = 210.0) -> Track:
        """An Apple Music track: ``x-sonos-http:song%3a<id>.mp4?sid=204&flags=8224&sn=3``."""
        uri = f"x-sonos-http:song%3a{song_id}.mp4?sid=204&flags=8224&sn=3"
        return cls(
            uri=uri,
            title=title,
            artist=artist,
            album=album,
            duration=duration,
            album_art="/getaa?s=1&u=" + sonos_quote(uri),
            protocol_info="sonos.com-http:*:audio/mp4:*",
        )

    @classmethod
    def deezer(cls, track_id: str, title: str, artist: str, album: str = "", duration: float = 210.0) -> Track:
        """A Deezer track: ``x-sonos-http:tr%3a<id>.mp3?sid=2&flags=8224&sn=5``."""
        uri = f"x-sonos-http:tr%3a{track_id}.mp3?sid=2&flags=8224&sn=5"
        return cls(
            uri=uri,
            title=title,
            artist=artist,
            album=album,
            duration=duration,
            album_art="/getaa?s=1&u=" + sonos_quote(uri),
            protocol_info="sonos.com-http:*:audio/mpeg:*",
        )

    @classmethod
    def local(
        cls,
        path: str,
        title: str,
        artist: str = "",
        album: str = "",
        duration: float = 210.0,
        *,
        album_artist: str = "",
        track_number: int | None = None,
        art_version: int = 1,
    ) -> Track:
        """A track of the local library on a share: ``x-file-cifs://nas/music/...`` (`path` without the scheme)."""
        uri = "x-file-cifs://" + quote(path, safe="/")
        extension = path.rsplit(".", 1)[-1].lower()
        return cls(
            uri=uri,
            title=title,
            artist=artist,
            album=album,
            duration=duration,
            album_artist=album_artist,
            album_art=f"/getaa?u={sonos_quote(uri)}&v={art_version}",
            protocol_info=CIFS_PROTOCOLS.get(extension, "x-file-cifs:*:audio/mpeg:*"),
            original_track_number=track_number,
        )

    def didl(self) -> str:
        """The track's DIDL-Lite, as in GetPositionInfo's TrackMetaData and LastChange's CurrentTrackMetaData."""
        if self.metadata is not None:
            return self.metadata
        body = [didl.res(self.uri, self.protocol_info, didl.hms(self.duration)), "<r:streamContent></r:streamContent>"]
        if self.album_art:
            body.append(didl.element("upnp:albumArtURI", self.album_art))
        body.append(didl.element("dc:title", self.title))
        body.append("<upnp:class>object.item.audioItem.musicTrack</upnp:class>")
        if self.artist:
            body.append(didl.element("dc:creator", self.artist))
        if self.album:
            body.append(didl.element("upnp:album", self.album))
        if self.original_track_number is not None:
            body.append(didl.element("upnp:originalTrackNumber", str(self.original_track_number)))
        if self.album_artist:
            body.append(didl.element("r:albumArtist", self.album_artist))
        return didl.didl(didl.item(body))


@dataclass(frozen=True)
class StreamSong:
    """One stretch of a station's stream metadata (``r:streamContent``) and how long (clock seconds) it lasts."""

    content: str
    seconds: float

    @classmethod
    def artist_title(cls, artist: str, title: str, seconds: float = 200.0) -> StreamSong:
        """The ``Artist - Title`` form most stations use."""
        return cls(f"{artist} - {title}", seconds)

    @classmethod
    def tagged(cls, title: str, artist: str, album: str = "", seconds: float = 200.0) -> StreamSong:
        """The ``TYPE=SNG|TITLE ...|ARTIST ...|ALBUM ...`` form (iHeart, Apple Music radio, SiriusXM)."""
        return cls(f"TYPE=SNG|TITLE {title}|ARTIST {artist}|ALBUM {album}", seconds)

    @classmethod
    def ad_break(cls, seconds: float = 60.0, content: str = AD_MARKER) -> StreamSong:
        """An ad break: ``TYPE=SNG|TITLE text="Spot Block End" ...``, which is not a song."""
        return cls(content, seconds)

    @classmethod
    def talk(cls, content: str = "", seconds: float = 60.0) -> StreamSong:
        """Stretch without a song: empty metadata, a show's name, a ``ZPSTR_*`` state, ..."""
        return cls(content, seconds)


def _stream_protocol(uri: str) -> str:
    scheme = uri.split(":", 1)[0]
    return {
        "hls-radio": "sonos.com-hls-radio:*:audio/mpegurl:*",
        "aac": "aac:*:application/octet-stream:*",
        "x-rincon-mp3radio": "x-rincon-mp3radio:*:*:*",
        "x-sonosapi-stream": "x-rincon-mp3radio:*:*:*",
        "x-sonosapi-hls": "sonos.com-hls:*:application/x-mpegURL:*",
        "x-sonosapi-radio": "sonos.com-http:*:audio/mpeg:*",
    }.get(scheme, "http-get:*:audio/mpeg:*")


@dataclass(frozen=True)
class Station:
    """A radio station: the URI a controller sets (`uri`), the stream the speaker reports as its track
    (`stream_uri`, the same by default) and a program of stream metadata that changes on the clock.

    Radio reports TrackDuration 0:00:00 and the song in ``r:streamContent``. With `repeat_program` the program
    starts again after its last entry; without it the last entry stays.
    """

    uri: str
    name: str
    program: tuple[StreamSong, ...] = ()
    stream_uri: str = ""
    protocol_info: str = ""
    track_title: str | None = None
    repeat_program: bool = True
    cdudn: str = TUNEIN_CDUDN

    @classmethod
    def tunein(
        cls, station_id: str, name: str, program: tuple[StreamSong, ...] = (), *, stream_uri: str = ""
    ) -> Station:
        """A TuneIn station: ``x-sonosapi-stream:<id>?sid=254&flags=8224&sn=0``."""
        return cls(
            uri=f"x-sonosapi-stream:{station_id}?sid=254&flags=8224&sn=0",
            name=name,
            program=program,
            stream_uri=stream_uri,
        )

    @property
    def track_uri(self) -> str:
        """The URI reported as the current track."""
        return self.stream_uri or self.uri

    def title_of_track(self) -> str:
        """The track's ``dc:title``: what real speakers put there, the stream URL's last path segment."""
        if self.track_title is not None:
            return self.track_title
        uri = self.track_uri
        if "://" in uri:
            return uri.rsplit("/", 1)[-1]
        return uri

    def track_didl(self, stream_content: str) -> str:
        """The current track's DIDL-Lite with the stream metadata of the moment."""
        protocol = self.protocol_info or _stream_protocol(self.track_uri)
        body = [
            didl.res(self.track_uri, protocol),
            didl.element("r:streamContent", stream_content),
            didl.element("dc:title", self.title_of_track()),
            "<upnp:class>object.item</upnp:class>",
        ]
        return didl.didl(didl.item(body))

    def station_didl(self) -> str:
        """The station's own DIDL-Lite (AVTransportURIMetaData, GetMediaInfo's CurrentURIMetaData)."""
        body = [
            didl.element("dc:title", self.name),
            "<upnp:class>object.item.audioItem.audioBroadcast</upnp:class>",
            f'<desc id="cdudn" nameSpace="{didl.RINCON_NS}">{didl.text(self.cdudn)}</desc>',
        ]
        return didl.didl(didl.item(body))

    def content_at(self, elapsed: float) -> tuple[str, float | None]:
        """The stream metadata `elapsed` seconds after tuning in, and the seconds until it next changes."""
        if not self.program:
            return "", None
        total = sum(song.seconds for song in self.program)
        if total <= 0:
            return self.program[0].content, None
        if elapsed >= total:
            if not self.repeat_program:
                return self.program[-1].content, None
            elapsed %= total
        start = 0.0
        for song in self.program:
            end = start + song.seconds
            if elapsed < end:
                return song.content, end - elapsed
            start = end
        return self.program[-1].content, None


def container_didl(title: str, upnp_class: str = "object.container.playlistContainer") -> str:
    """A container's DIDL-Lite (a playlist or album enqueued from a service: EnqueuedTransportURIMetaData)."""
    body = [didl.element("dc:title", title), f"<upnp:class>{didl.text(upnp_class)}</upnp:class>"]
    return didl.didl(didl.item(body, item_id="-1", parent_id="-1", restricted="true"))


def line_in_track_didl(uri: str) -> str:
    """CurrentTrackMetaData while playing a line-in (as real speakers send it)."""
    body = [
        didl.res(uri, "x-rincon-stream:*:*:*"),
        "<r:audioInputIcon>AudioComponent</r:audioInputIcon>",
        "<dc:title>Audio Component</dc:title>",
        "<upnp:class>object.item</upnp:class>",
        "<r:episodeNumber>0</r:episodeNumber>",
    ]
    return didl.didl(didl.item(body))


def line_in_transport_didl(uri: str) -> str:
    """AVTransportURIMetaData of a line-in, exactly as real speakers send it (its ``<res>`` is not even valid
    XML: ``<res x-rincon-stream>``; SoCo's recovering parser copes)."""
    body = [
        "<dc:title>loadLineIn</dc:title>",
        "<upnp:class>object.item.audioItem.linein</upnp:class>",
        f"<res x-rincon-stream>{didl.text(uri)}</res>",
    ]
    return didl.didl(didl.item(body, item_id="playback", parent_id="0", restricted="false"))


def tv_track_didl(uri: str) -> str:
    """CurrentTrackMetaData while a soundbar plays its TV input."""
    body = [
        didl.res(uri, "x-sonos-htastream:*:*:*"),
        "<dc:title>TV</dc:title>",
        "<upnp:class>object.item.audioItem</upnp:class>",
    ]
    return didl.didl(didl.item(body))
