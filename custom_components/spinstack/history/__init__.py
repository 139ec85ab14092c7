"""Listening histories: reading other services' exports (Last.fm, ListenBrainz, Spotify) and SpinStack's own, and
writing SpinStack's exports.

Pure and blocking: the standard library and the engine only; the caller runs these in a worker thread. Readers
stream (memory does not grow with a CSV or JSON lines file's size; JSON arrays are read entry by entry, a Spotify
import keeps only each track's longest playbacks) and yield their entries in the file's order, the same sequence
every time, so that an import can resume by skipping the plays it already stored. A broken entry never stops a
file: it is a ``Rejected`` with its file and line.

``read`` takes one file (CSV, JSON, JSON lines, or a ZIP archive: ListenBrainz' export, Spotify's
``my_spotify_data.zip``) or a folder (an unpacked Spotify history or ListenBrainz export). ``detect`` tells the
format from the content: first bytes, CSV header, first JSON entry, archive member names.

Every play read from a Last.fm or ListenBrainz file is ``on_demand``, on no speaker (``""``) in no room, with the
file's duration as its heard time (0.0 for both when the file has none); names are trimmed and at most
``MAX_NAME`` characters; timestamps must be after 1970 and at most a day after the moment the file is read.
Spotify's histories list playbacks, not plays: SpinStack's counting rule decides (see ``history.spotify``).
"""

from .fields import MAX_NAME
from .lastfm import parse_recent_tracks_page
from .model import (
    FORMATS,
    KNOWN_FORMATS,
    Entry,
    ExportRow,
    Format,
    HistoryFormatError,
    Imported,
    Rejected,
    Skipped,
)
from .reading import detect, read
from .spinstack import write_csv, write_jsonl

__all__ = [
    "FORMATS",
    "KNOWN_FORMATS",
    "MAX_NAME",
    "Entry",
    "ExportRow",
    "Format",
    "HistoryFormatError",
    "Imported",
    "Rejected",
    "Skipped",
    "detect",
    "parse_recent_tracks_page",
    "read",
    "write_csv",
    "write_jsonl",
]
