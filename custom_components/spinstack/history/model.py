"""The history package's plain data: what a reader yields, the formats it knows, what a writer takes."""

from __future__ import annotations

from dataclasses import dataclass

from ..engine import Play


@dataclass(frozen=True, slots=True)
class Imported:
    """One play read from a file.

    ``line`` is the 1-based line of the entry in its file (for a JSON array: the 1-based index of the entry);
    ``file`` is the file's name (inside an archive: ``"archive.zip:listens/2020/1.jsonl"``).
    """

    play: Play
    origin: str
    line: int
    file: str


@dataclass(frozen=True, slots=True)
class Skipped:
    """A valid entry that is not a play: a Last.fm now-playing entry, a listen below the counting rule, a podcast.

    ``reason`` is a short key: ``now_playing``, ``below_threshold``, ``not_music``.
    """

    reason: str
    line: int
    file: str


@dataclass(frozen=True, slots=True)
class Rejected:
    """A broken entry: reported with its file and line and skipped; the rest of the file is read on."""

    file: str
    line: int
    reason: str


type Entry = Imported | Skipped | Rejected


class HistoryFormatError(Exception):
    """The file as a whole cannot be read: not a format SpinStack knows, not a ZIP archive, empty, gone."""


@dataclass(frozen=True, slots=True)
class Format:
    """A history file's format: its name (one of ``FORMATS``), the origin of its plays, a label for people."""

    name: str
    origin: str
    label: str


@dataclass(frozen=True, slots=True)
class ExportRow:
    """One play to export, with what identifies it beyond its names when the store knows it."""

    play: Play
    origin: str
    isrc: str | None = None
    track_mbid: str | None = None
    artist_mbid: str | None = None
    album_mbid: str | None = None


LASTFM_CSV = Format("lastfm_csv", "lastfm", "Last.fm CSV export")
LASTFM_CSV_HEADERLESS = Format(
    "lastfm_csv_headerless", "lastfm", "Last.fm CSV export without a header (artist, album, track, date)"
)
LASTFM_JSON = Format("lastfm_json", "lastfm", "Last.fm scrobbles (getRecentTracks JSON)")
LISTENBRAINZ_ZIP = Format("listenbrainz_zip", "listenbrainz", "ListenBrainz export (ZIP archive)")
LISTENBRAINZ_JSON = Format("listenbrainz_json", "listenbrainz", "ListenBrainz listens (JSON array)")
LISTENBRAINZ_JSONL = Format(
    "listenbrainz_jsonl", "listenbrainz", "ListenBrainz listens (JSON lines; also SpinStack's JSON lines export)"
)
SPOTIFY_EXTENDED = Format("spotify_extended", "spotify", "Spotify extended streaming history")
SPOTIFY_LEGACY = Format("spotify_legacy", "spotify", "Spotify streaming history (account data)")
SPINSTACK_CSV = Format("spinstack_csv", "spinstack", "SpinStack CSV export")

KNOWN_FORMATS: dict[str, Format] = {
    fmt.name: fmt
    for fmt in (
        LASTFM_CSV,
        LASTFM_CSV_HEADERLESS,
        LASTFM_JSON,
        LISTENBRAINZ_ZIP,
        LISTENBRAINZ_JSON,
        LISTENBRAINZ_JSONL,
        SPOTIFY_EXTENDED,
        SPOTIFY_LEGACY,
        SPINSTACK_CSV,
    )
}
FORMATS: tuple[str, ...] = tuple(KNOWN_FORMATS)
