"""Garbage in: detect raises nothing but HistoryFormatError, and reading a file never raises on what it holds."""

from __future__ import annotations

from collections.abc import Callable
import contextlib
import json
from pathlib import Path
import tempfile
from typing import Any
import zipfile

from hypothesis import example, given, settings, strategies as st

from custom_components.spinstack.history import FORMATS, KNOWN_FORMATS, Entry, HistoryFormatError, detect, read

from .samples import LASTFM_HEADER, T0, csv_text, examples, listen, scrobble_row, spotify_extended, spotify_legacy

SPINSTACK_HEADER = (
    "uts,utc_time,artist,artist_mbid,album,album_mbid,track,track_mbid,album_artist,duration,heard,service,kind,"
    "speaker,room,origin,isrc,started_at,track_uri,counted_at"
)
# A valid start for each format, so that the garbage after it is read as that format.
PREFIXES: dict[str, tuple[str, bytes]] = {
    "lastfm_csv": ("scrobbles.csv", csv_text([LASTFM_HEADER, scrobble_row(T0, "A", "B")]).encode()),
    "lastfm_csv_headerless": ("scrobbles.csv", csv_text([("A", "B", "C", "31 Jan 2021 12:34")]).encode()),
    "lastfm_json": ("scrobbles.json", b'{"recenttracks": {"track": [{"name": "B", "artist": {"#text": "A"}, '),
    "listenbrainz_json": ("listens.json", ("[" + json.dumps(listen(T0, "A", "B")) + ",\n").encode()),
    "listenbrainz_jsonl": ("listens.jsonl", (json.dumps(listen(T0, "A", "B")) + "\n").encode()),
    "spotify_extended": ("endsong_0.json", ("[" + json.dumps(spotify_extended(T0, 1, "A", "B")) + ",\n").encode()),
    "spotify_legacy": (
        "StreamingHistory0.json",
        ("[" + json.dumps(spotify_legacy("2021-01-31 12:34", 1, "A", "B")) + ",\n").encode(),
    ),
    "spinstack_csv": ("export.csv", (SPINSTACK_HEADER + "\r\n").encode()),
}
KEYS = [
    "listened_at",
    "track_metadata",
    "artist_name",
    "track_name",
    "release_name",
    "additional_info",
    "duration_ms",
    "duration",
    "music_service",
    "music_service_name",
    "spotify_id",
    "spinstack_started_at",
    "spinstack_heard",
    "spinstack_duration",
    "spinstack_counted_at",
    "spinstack_service",
    "recenttracks",
    "track",
    "@attr",
    "nowplaying",
    "totalPages",
    "artist",
    "#text",
    "name",
    "album",
    "date",
    "uts",
    "ts",
    "ms_played",
    "master_metadata_track_name",
    "master_metadata_album_artist_name",
    "master_metadata_album_album_name",
    "spotify_track_uri",
    "reason_end",
    "episode_name",
    "endTime",
    "msPlayed",
    "artistName",
    "trackName",
]
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()
    | st.text(max_size=12)
    | st.sampled_from(["1612096440", "2021-01-31T12:34:56Z", "31 Jan 2021 12:34", "true", "trackdone", "", "9" * 400])
    | st.sampled_from([10**400, 1e300, -(10**400), 1612096440, 1612096440000])
)


def _containers(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=5), inner, max_size=6)


json_values = st.recursive(scalars, _containers, max_leaves=25)
lines = st.lists(
    st.one_of(
        st.binary(max_size=60),
        st.text(max_size=60).map(str.encode),
        json_values.map(lambda value: json.dumps(value).encode()),
        st.sampled_from([b"", b"\r", b'"', b",,,,", b"\xef\xbb\xbf", b"[", b"]", b"{", b"}", b"\x00", b"\xff\xfe"]),
        st.sampled_from([b"9" * 400 + b",x,A,,,,B,", b"A,B,C,99999 Jan 2021 12:34", b"1e999,,A,,,,B,"]),
    ),
    max_size=12,
)


def _check(path: Path) -> None:
    """Detection raises only HistoryFormatError; reading as any format raises nothing but HistoryFormatError (and
    reading as the detected format nothing at all)."""
    try:
        fmt = detect(path)
    except HistoryFormatError:
        fmt = None
    if fmt is not None:
        entries: list[Entry] = list(read(path, fmt))
        assert all(entry.line >= 0 for entry in entries)
    for name in FORMATS:
        with contextlib.suppress(HistoryFormatError):
            list(read(path, KNOWN_FORMATS[name]))


def _in_a_file(name: str, data: bytes, check: Callable[[Path], None] = _check) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        check(path)


@settings(max_examples=examples(40))
@given(st.sampled_from(["x.csv", "x.json", "x.jsonl", "x.zip", "endsong_1.json"]), st.binary(max_size=300))
def test_random_bytes(name: str, data: bytes) -> None:
    _in_a_file(name, data)


@settings(max_examples=examples(60))
@given(st.sampled_from(sorted(PREFIXES)), lines)
def test_garbage_after_a_valid_start(fmt: str, garbage: list[bytes]) -> None:
    name, prefix = PREFIXES[fmt]
    data = prefix + b"\n".join(garbage)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        assert detect(path).name == fmt
        list(read(path, KNOWN_FORMATS[fmt]))
        _check(path)


@settings(max_examples=examples(40))
@given(st.lists(json_values, max_size=6))
def test_random_json_entries(values: list[Any]) -> None:
    """Entries of every JSON shape with the formats' keys: as an array, and as JSON lines."""
    array = json.dumps(values).encode()
    for name in ("endsong_0.json", "StreamingHistory0.json", "listens.json", "scrobbles.json"):
        _in_a_file(name, array)
    _in_a_file("listens.jsonl", b"\n".join(json.dumps(value).encode() for value in values))
    _in_a_file(
        "page.json", json.dumps({"recenttracks": {"track": values, "@attr": values[0] if values else {}}}).encode()
    )


def _zip(path: Path, members: dict[str, bytes]) -> bytes:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path.read_bytes()


@settings(max_examples=examples(30))
@given(
    st.sampled_from(
        ["listens/2020/1.jsonl", "Spotify Extended Streaming History/endsong_0.json", "StreamingHistory0.json"]
    ),
    lines,
    st.lists(st.tuples(st.integers(min_value=0), st.integers(min_value=0, max_value=255)), max_size=4),
)
@example("Spotify Extended Streaming History/endsong_0.json", [], [(1036777, 64)])  # a zip version from the future
def test_damaged_archives(member: str, garbage: list[bytes], flips: list[tuple[int, int]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "archive.zip"
        data = bytearray(_zip(path, {"user.json": b"{}", member: b"\n".join(garbage)}))
        for at, value in flips:
            data[at % len(data)] = value
        path.write_bytes(bytes(data))
        _check(path)


def test_deep_nesting_and_long_lines() -> None:
    _in_a_file("deep.json", b"[" * 100_000)
    _in_a_file("deep.jsonl", (json.dumps(listen(T0, "A", "B")) + "\n").encode() + b"[" * 100_000 + b"\n")
    _in_a_file("number.json", b"[" + b"1" * 5000 + b"]")
