"""SpinStack's exports: what they look like to other tools, and that reading one back gives the same plays."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
import tempfile

from hypothesis import given, settings, strategies as st

from custom_components.spinstack.engine import Play, SourceKind
from custom_components.spinstack.history import (
    ExportRow,
    Format,
    Imported,
    Rejected,
    detect,
    read,
    write_csv,
    write_jsonl,
)

from .samples import LASTFM_HEADER, T0, examples, imported, rejected

PLAY = Play(
    started_at=T0 + 0.25,
    artist="Daft Punk",
    title='One More Time, "Radio Edit"',
    album="Discovery",
    album_artist="Daft Punk",
    duration=320.5,
    heard=301.25,
    service="spotify",
    kind="on_demand",
    speaker="RINCON_000E58A0123401400",
    room="Living Room",
    track_uri="x-sonos-spotify:spotify%3atrack%3a0DiWol3AO6WpXZgp0goxAV?sid=9&flags=8224&sn=7",
    counted_at=T0 + 160.5,
)
ROW = ExportRow(
    PLAY,
    "sonos",
    isrc="GBDUW0000053",
    track_mbid="7a0b9f4e-1c2d-4e5f-8a9b-0c1d2e3f4a5b",
    artist_mbid="056e4f3e-d505-4dad-8ec1-d04f521cbb56",
    album_mbid="48117b82-8b5b-4c8f-a3a4-7f5f3d8cc6fa",
)


def test_the_csv_export_reads_as_a_lastfm_export(tmp_path: Path) -> None:
    out = io.StringIO(newline="")
    assert write_csv([ROW, ExportRow(PLAY, "lastfm")], out) == 2
    rows = list(csv.reader(io.StringIO(out.getvalue(), newline="")))
    assert tuple(rows[0][:8]) == LASTFM_HEADER
    assert rows[0][8:] == [
        "album_artist",
        "duration",
        "heard",
        "service",
        "kind",
        "speaker",
        "room",
        "origin",
        "isrc",
        "started_at",
        "track_uri",
        "counted_at",
    ]
    assert rows[1][:8] == [
        str(T0),
        "31 Jan 2021, 12:34",
        "Daft Punk",
        "056e4f3e-d505-4dad-8ec1-d04f521cbb56",
        "Discovery",
        "48117b82-8b5b-4c8f-a3a4-7f5f3d8cc6fa",
        'One More Time, "Radio Edit"',
        "7a0b9f4e-1c2d-4e5f-8a9b-0c1d2e3f4a5b",
    ]
    path = tmp_path / "spinstack.csv"
    path.write_text(out.getvalue(), encoding="utf-8", newline="")
    assert detect(path) == Format("spinstack_csv", "spinstack", "SpinStack CSV export")
    assert [(entry.play, entry.origin) for entry in imported(list(read(path)))] == [(PLAY, "sonos"), (PLAY, "lastfm")]
    # Another tool reading it as Last.fm's: the scrobble, to the second.
    lastfm = Format("lastfm_csv", "lastfm", "")
    assert [entry.play.started_at for entry in imported(list(read(path, lastfm)))] == [T0, T0]


def test_the_jsonl_export_is_listenbrainz_listens(tmp_path: Path) -> None:
    out = io.StringIO()
    assert write_jsonl([ROW], out) == 1
    [line] = out.getvalue().splitlines()
    listen = json.loads(line)
    assert listen["listened_at"] == T0
    assert listen["track_metadata"]["artist_name"] == "Daft Punk"
    assert listen["track_metadata"]["track_name"] == 'One More Time, "Radio Edit"'
    assert listen["track_metadata"]["release_name"] == "Discovery"
    info = listen["track_metadata"]["additional_info"]
    assert {key: value for key, value in info.items() if not key.startswith("spinstack_")} == {
        "duration_ms": 320_500,
        "music_service": "spotify.com",
        "media_player": "Sonos",
        "submission_client": "SpinStack",
        "isrc": "GBDUW0000053",
        "recording_mbid": "7a0b9f4e-1c2d-4e5f-8a9b-0c1d2e3f4a5b",
        "artist_mbids": ["056e4f3e-d505-4dad-8ec1-d04f521cbb56"],
        "release_mbid": "48117b82-8b5b-4c8f-a3a4-7f5f3d8cc6fa",
    }
    assert info["spinstack_started_at"] == T0 + 0.25
    path = tmp_path / "spinstack.jsonl"
    path.write_text(out.getvalue(), encoding="utf-8")
    assert detect(path).name == "listenbrainz_jsonl"
    assert list(read(path)) == [Imported(PLAY, "sonos", 1, "spinstack.jsonl")]


def test_a_listen_without_spinstack_keys_is_a_listenbrainz_listen(tmp_path: Path) -> None:
    bare = Play(T0, "A", "B", None, None, 0.0, 0.0, "radio_paradise", "radio", "RINCON_1")
    out = io.StringIO()
    write_jsonl([ExportRow(bare, "sonos")], out)
    listen = json.loads(out.getvalue())
    info = listen["track_metadata"]["additional_info"]
    assert "release_name" not in listen["track_metadata"]
    assert "duration_ms" not in info
    assert info["music_service"] == "radioparadise.com"
    for key in [key for key in info if key.startswith("spinstack_")]:
        del info[key]
    path = tmp_path / "listens.jsonl"
    path.write_text(json.dumps(listen) + "\n")
    assert list(read(path)) == [
        Imported(
            Play(T0, "A", "B", None, None, 0.0, 0.0, "radio_paradise", "on_demand", ""), "listenbrainz", 1, path.name
        )
    ]


def test_broken_rows_of_an_own_export(tmp_path: Path) -> None:
    out = io.StringIO(newline="")
    write_csv([ROW, ROW, ROW, ROW, ROW, ROW], out)
    lines = out.getvalue().splitlines(keepends=True)
    lines[2] = lines[2].replace("320.5", "long")
    lines[5] = lines[5].replace("301.25", "1e12")
    lines[3] = lines[3].replace("Daft Punk", " ")
    lines[4] = "a,b\r\n"
    path = tmp_path / "spinstack.csv"
    path.write_text("".join(lines), newline="")
    entries = list(read(path))
    assert rejected(entries) == [
        Rejected("spinstack.csv", 3, "duration 'long' is not a number"),
        Rejected("spinstack.csv", 4, "missing artist"),
        Rejected("spinstack.csv", 5, "2 fields where 20 are expected"),
        Rejected("spinstack.csv", 6, "heard '1e12' is out of range"),
    ]
    assert [entry.line for entry in imported(entries)] == [2, 7]
    # A JSON lines export whose SpinStack keys are broken.
    listen = json.loads(json.dumps(_listen_of(ROW)))
    listen["track_metadata"]["additional_info"]["spinstack_heard"] = "a while"
    path = tmp_path / "spinstack.jsonl"
    path.write_text(json.dumps(listen) + "\n")
    assert list(read(path)) == [Rejected("spinstack.jsonl", 1, "spinstack_heard 'a while' is not a number")]


def _listen_of(row: ExportRow) -> object:
    out = io.StringIO()
    write_jsonl([row], out)
    return json.loads(out.getvalue())


names = st.text(min_size=1, max_size=30).filter(str.strip)
optional = st.none() | st.text(min_size=1, max_size=30)
times = st.floats(min_value=1e6, max_value=1.75e9, allow_nan=False, allow_infinity=False)
seconds = st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False)
plays = st.builds(
    Play,
    started_at=times,
    artist=names,
    title=names,
    album=optional,
    album_artist=optional,
    duration=seconds,
    heard=seconds,
    service=st.sampled_from(["spotify", "apple_music", "tunein", "unknown", "local_library"]) | names,
    kind=st.sampled_from([str(kind) for kind in SourceKind]),
    speaker=st.text(max_size=30),
    room=optional,
    track_uri=optional,
    counted_at=st.none() | times,
)
rows = st.lists(
    st.builds(
        ExportRow,
        play=plays,
        origin=st.sampled_from(["sonos", "lastfm", "listenbrainz", "spotify"]) | names,
        isrc=optional,
        track_mbid=optional,
        artist_mbid=optional,
        album_mbid=optional,
    ),
    max_size=5,
)


def _round_trip(written: list[ExportRow], suffix: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"export{suffix}"
        with path.open("w", encoding="utf-8", newline="") as out:
            count = (write_csv if suffix == ".csv" else write_jsonl)(written, out)
        assert count == len(written)
        entries = list(read(path)) if written or suffix == ".csv" else []
    assert all(isinstance(entry, Imported) for entry in entries), entries
    assert [(entry.play, entry.origin) for entry in imported(entries)] == [(row.play, row.origin) for row in written]


@settings(max_examples=examples(80))
@given(rows)
def test_csv_round_trip(written: list[ExportRow]) -> None:
    _round_trip(written, ".csv")


@settings(max_examples=examples(80))
@given(rows)
def test_jsonl_round_trip(written: list[ExportRow]) -> None:
    _round_trip(written, ".jsonl")


def test_an_own_export_whose_header_is_broken(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text('"' + "x" * 200_000 + '"\nuts,artist,track\n1,A,B\n')
    [broken] = list(read(path, Format("spinstack_csv", "spinstack", "")))
    assert isinstance(broken, Rejected)
    assert broken.reason.startswith("the header is not a CSV row")
