"""The pieces under the readers: JSON arrays entry by entry, JSON lines, value checks, files that go away."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any
from unittest.mock import patch
import zipfile

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.spinstack.history import (
    Format,
    HistoryFormatError,
    Rejected,
    detect,
    fields,
    model,
    read,
    spotify,
    streams,
)
from custom_components.spinstack.history.fields import EntryError
from custom_components.spinstack.history.streams import JsonArrayError, json_lines, json_values

from .samples import (
    LASTFM_HEADER,
    T0,
    csv_text,
    examples,
    imported,
    listen,
    rejected,
    scrobble_row,
    spotify_extended,
)


def _containers(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)


values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    _containers,
    max_leaves=20,
)


@settings(max_examples=examples(50))
@given(st.lists(values, max_size=8), st.integers(min_value=1, max_value=40), st.sampled_from([None, 0, 2]))
def test_json_arrays_are_read_whole_across_chunks(entries: list[Any], chunk: int, indent: int | None) -> None:
    text = json.dumps(entries, indent=indent)
    with patch.object(streams, "_CHUNK", chunk):  # tiny reads: entries straddle the reader's chunks
        assert list(json_values(io.StringIO(text))) == list(enumerate(entries, start=1))


def test_json_objects_and_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    assert list(json_values(io.StringIO(' {"a": 1} '))) == [(1, {"a": 1})]
    assert list(json_values(io.StringIO("[]"))) == []

    def error(text: str) -> str:
        with pytest.raises(JsonArrayError) as caught:
            list(json_values(io.StringIO(text)))
        return str(caught.value)

    assert error("5") == "not a JSON array or object"
    assert error("") == "not a JSON array or object"
    assert error("[1, 2") == "the file ends inside the JSON array, after entry 2"
    assert error("[1 2]") == "entry 2 is not valid JSON (',' or ']' expected)"
    assert error('[1, {"a": }, 3]') == "entry 2 is not valid JSON (Expecting value)"
    assert error('[{"a": "unterminated') == "entry 1 is not valid JSON (Unterminated string starting at)"
    assert error("[" + "1" * 5000 + "]").startswith("entry 1 is not valid JSON (Exceeds the limit")
    assert error("[" * 100_000) == "entry 1 is not valid JSON (nested too deeply)"
    monkeypatch.setattr(streams, "MAX_ENTRY", 100)
    monkeypatch.setattr(streams, "_CHUNK", 16)
    assert error('[{"a": "' + "x" * 200 + '"}]') == "entry 1 is longer than 100 characters"
    # A number cut by a chunk's end is read whole.
    assert list(json_values(io.StringIO("[1, 123456789012345678901234567890]"))) == [
        (1, 1),
        (2, 123456789012345678901234567890),
    ]


def test_json_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(streams, "MAX_LINE", 10)
    lines = list(json_lines(io.StringIO('[1]\n\n"' + "x" * 30 + '"\n{"a":\n' + "[" * 9 + "\n5")))
    assert lines[0] == (1, [1], None)
    assert lines[1] == (3, None, "line longer than 10 characters")
    assert lines[2][0] == 4
    assert lines[2][2] is not None
    assert lines[2][2].startswith("not valid JSON")
    assert lines[3][0] == 5
    assert lines[4] == (6, 5, None)


def test_deep_nesting_in_json_lines() -> None:
    assert list(json_lines(io.StringIO("[" * 100_000 + "\n"))) == [(1, None, "not valid JSON (nested too deeply)")]


@pytest.mark.parametrize(
    ("value", "required", "reason"),
    [
        (None, True, "missing x"),
        (5, False, "x 5 is not text"),
        ("  ", True, "missing x"),
        ("a" * 1001, False, "x is longer than 1000 characters"),
        ("caf\udce9", False, "x is not valid UTF-8 text"),
    ],
)
def test_exact_texts(value: object, required: bool, reason: str) -> None:
    with pytest.raises(EntryError, match=reason):
        fields.exact(value, "x", required=required)


def test_exact_texts_kept_as_they_are() -> None:
    assert fields.exact(None, "x") is None
    assert fields.exact("", "x") == ""
    assert fields.exact(" Café ", "x") == " Café "


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (None, "missing x"),
        (True, "x True is not a number"),
        (10**400, "is out of range"),
        ("1e999", "x '1e999' is not a number"),
        ([1], r"x \[1\] is not a number"),
        (float("inf"), "x inf is not a number"),
    ],
)
def test_numbers(value: object, reason: str) -> None:
    with pytest.raises(EntryError, match=reason):
        fields.number(value, "x")


def test_names_and_times() -> None:
    assert fields.number(" 12.5 ", "x") == 12.5
    assert fields.name(None, "x", required=False) is None
    assert fields.name("  ", "x", required=False) is None
    assert fields.name(" ü ", "x") == "ü"
    with pytest.raises(EntryError, match="x 5 is not text"):
        fields.name(5, "x")
    with pytest.raises(EntryError, match="x is not valid UTF-8"):
        fields.name("\udcff", "x")
    assert fields.quoted("x" * 100).endswith("…")
    assert fields.text_date("2021-01-31T12:34:00+01:00", float("inf")) == T0 - 3600
    assert fields.iso_time("2021-01-31T12:34:00", float("inf")) == T0
    with pytest.raises(EntryError, match="missing ts"):
        fields.iso_time(None, float("inf"))
    with pytest.raises(EntryError, match="ts 5 is not a time"):
        fields.iso_time(5, float("inf"))
    with pytest.raises(EntryError, match="missing date"):
        fields.text_date(None, float("inf"))


def test_formats_and_files_that_go_away(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text(csv_text([LASTFM_HEADER, scrobble_row(T0, "A", "B")]))
    with pytest.raises(HistoryFormatError, match="unknown format 'mp3'"):
        read(path, Format("mp3", "x", "MP3"))
    fmt = detect(path)
    path.unlink()
    with pytest.raises(HistoryFormatError, match=r"^s\.csv: cannot be read"):
        read(path, fmt)


def test_a_member_that_breaks_while_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An I/O error part way (a disk, a network share): the entries before it, then one Rejected."""
    path = tmp_path / "s.csv"
    path.write_text(csv_text([LASTFM_HEADER] + [scrobble_row(T0 + n, "A", f"B{n}") for n in range(5)]))
    listens = tmp_path / "l.jsonl"
    listens.write_text("".join(json.dumps(listen(T0 + n, "A", f"B{n}")) + "\n" for n in range(5)))
    real_open = Path.open

    class Failing(io.BytesIO):
        def readinto(self, buffer: Any) -> int:
            if self.tell() > 100:
                raise OSError(5, "Input/output error")
            return super().readinto(buffer)

        def read1(self, size: int | None = -1) -> bytes:
            if self.tell() > 100:
                raise OSError(5, "Input/output error")
            return super().read1(min(size, 50) if size and size > 0 else 50)

        def read(self, size: int | None = -1) -> bytes:
            return self.read1(size if size is not None else -1)

    def failing_open(self: Path, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if mode == "rb":
            with real_open(self, "rb") as stream:
                return Failing(stream.read())
        return real_open(self, mode, *args, **kwargs)

    for file, fmt in ((path, "lastfm_csv"), (listens, "listenbrainz_jsonl")):
        monkeypatch.setattr(Path, "open", failing_open)
        entries = list(read(file, model.KNOWN_FORMATS[fmt]))
        monkeypatch.undo()
        [broken] = rejected(entries)
        assert isinstance(broken, Rejected)
        assert "cannot be read on from here (OSError" in broken.reason
        assert broken.line == len(imported(entries)) + (2 if fmt == "lastfm_csv" else 1)


def test_detection_edges(tmp_path: Path) -> None:
    # A headerless file whose first rows are all broken: only the first twenty rows are looked at.
    path = tmp_path / "late.csv"
    rows = [("A", "B", "C", "not a date")] * 20 + [("A", "B", "C", "31 Jan 2021 12:34")]
    path.write_text(csv_text(rows))
    with pytest.raises(HistoryFormatError):
        detect(path)
    path.write_text(csv_text(rows[-2:]))
    assert detect(path).name == "lastfm_csv_headerless"
    # A first row the csv module gives up on.
    path.write_text('"' + "x" * 200_000 + '"\n')
    with pytest.raises(HistoryFormatError):
        detect(path)
    # SpinStack's CSV export with a row the csv module gives up on.
    export = tmp_path / "export.csv"
    header = "uts,artist,track,started_at,heard,speaker,origin"
    export.write_text(f'{header}\n{T0},A,B,{T0}.5,1.0,,x\n{T0},"{"x" * 200_000}\n{T0},C,D,,0,,\n')
    entries = list(read(export))
    assert [(entry.line, entry.play.artist, entry.play.started_at) for entry in imported(entries)] == [
        (2, "A", T0 + 0.5),
        (4, "C", T0),
    ]
    assert [entry.line for entry in rejected(entries)] == [3]


def test_a_listen_whose_additional_info_is_no_object(tmp_path: Path) -> None:
    broken = listen(T0, "A", "B")
    broken["track_metadata"]["additional_info"] = ["x"]
    path = tmp_path / "l.jsonl"
    path.write_text(json.dumps(broken) + "\n")
    assert [entry.play.service for entry in imported(list(read(path)))] == ["unknown"]


def test_a_spotify_archive_member_too_big(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "my_spotify_data.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("MyData/endsong_0.json", json.dumps([spotify_extended(T0, 200_000, "A", "B")] * 20))
        archive.writestr("MyData/endsong_1.json", json.dumps([spotify_extended(T0, 200_000, "A", "B")]))
    monkeypatch.setattr(streams, "MAX_MEMBER", 1000)
    monkeypatch.setattr(spotify, "MAX_MEMBER", 1000)
    entries = list(read(path))
    assert rejected(entries) == [
        Rejected("my_spotify_data.zip:MyData/endsong_0.json", 1, "larger than 0 GiB uncompressed; not read")
    ]
    assert len(imported(entries)) == 1
