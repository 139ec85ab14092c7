"""Last.fm: headed and headerless CSV exports, getRecentTracks JSON pages (files and the API importer's pages)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from custom_components.spinstack.engine import Play
from custom_components.spinstack.history import (
    Format,
    HistoryFormatError,
    Imported,
    Rejected,
    Skipped,
    detect,
    parse_recent_tracks_page,
    read,
)

from .samples import (
    LASTFM_HEADER,
    T0,
    csv_text,
    imported,
    lastfm_csv,
    lastfm_page,
    lastfm_time,
    lastfm_track,
    rejected,
    scrobble_row,
    write_json,
)


def scrobble(started_at: float, artist: str, title: str, album: str | None = None) -> Play:
    return Play(started_at, artist, title, album, None, 0.0, 0.0, "unknown", "on_demand", "")


def test_headed_csv(tmp_path: Path) -> None:
    path = lastfm_csv(
        tmp_path / "scrobbles.csv",
        [
            scrobble_row(T0 + 600, "Daft Punk", "One More Time", "Discovery"),
            scrobble_row(T0 + 300, "  Sigur Rós ", ' Hoppípolla, "live" ', ""),
            scrobble_row(T0, "Artist\nwith a newline", "Song", "Album, with a comma"),
        ],
    )
    fmt = detect(path)
    assert fmt == Format("lastfm_csv", "lastfm", "Last.fm CSV export")
    entries = list(read(path))
    assert entries == [
        Imported(scrobble(T0 + 600, "Daft Punk", "One More Time", "Discovery"), "lastfm", 2, "scrobbles.csv"),
        Imported(scrobble(T0 + 300, "Sigur Rós", 'Hoppípolla, "live"'), "lastfm", 3, "scrobbles.csv"),
        Imported(scrobble(T0, "Artist\nwith a newline", "Song", "Album, with a comma"), "lastfm", 4, "scrobbles.csv"),
    ]
    assert all(type(entry.play) is Play for entry in imported(entries))


def test_broken_rows_are_reported_with_their_line_and_the_rest_is_read(tmp_path: Path) -> None:
    rows = [
        scrobble_row(T0 + 900, "Artist", "Song 1"),
        ("abc", "", "Artist", "", "", "", "Song", ""),  # line 3
        (str(T0), "", "", "", "", "", "Song without artist", ""),  # line 4
        (str(T0), "", "Artist", "", "", "", "   ", ""),  # line 5
        (str(T0), "too", "few"),  # line 6
        ("-5", "", "Artist", "", "", "", "Song", ""),  # line 7
        (str(T0 * 1000), "", "Artist", "", "", "", "Milliseconds", ""),  # line 8
        (str(T0), "", "A" * 1001, "", "", "", "Song", ""),  # line 9
        (str(T0), "", "Artist", "", "B" * 1001, "", "Song", ""),  # line 10
        scrobble_row(T0 + 60, "Artist", "Song 2"),  # line 11
        ("nan", "", "Artist", "", "", "", "Song", ""),  # line 12
        (f"{T0}.5", "", "Artist", "", "", "", "Fraction", ""),  # line 13: accepted
    ]
    path = lastfm_csv(tmp_path / "s.csv", rows)
    entries = list(read(path))
    reasons = {entry.line: entry.reason for entry in rejected(entries)}
    assert reasons == {
        3: "timestamp 'abc' is not a number",
        4: "missing artist",
        5: "missing title",
        6: "3 fields where 8 are expected",
        7: "timestamp '-5' is not after 1970",
        8: f"timestamp '{T0 * 1000}' is in the future",
        9: "artist is longer than 1000 characters",
        10: "album is longer than 1000 characters",
        12: "timestamp 'nan' is not a number",
    }
    assert all(entry.file == "s.csv" for entry in rejected(entries))
    assert [(entry.line, entry.play.title, entry.play.started_at) for entry in imported(entries)] == [
        (2, "Song 1", T0 + 900),
        (11, "Song 2", T0 + 60),
        (13, "Fraction", T0 + 0.5),
    ]


def test_bad_bytes_reject_their_row_only(tmp_path: Path) -> None:
    body = csv_text([LASTFM_HEADER, scrobble_row(T0, "Before", "Song")]).encode()
    body += f"{T0},x,Caf\xe9,,,,Latin-1,\r\n".encode("latin-1")
    body += csv_text([scrobble_row(T0 + 1, "After", "Song")]).encode()
    path = tmp_path / "mixed.csv"
    path.write_bytes(b"\xef\xbb\xbf" + body)  # with a byte order mark, as Excel writes it
    assert detect(path).name == "lastfm_csv"
    entries = list(read(path))
    assert [entry.play.artist for entry in imported(entries)] == ["Before", "After"]
    assert rejected(entries) == [Rejected("mixed.csv", 3, "artist is not valid UTF-8 text")]


def test_headed_csv_by_column_names(tmp_path: Path) -> None:
    """Other export tools: other column orders and names, a text date instead of epoch seconds."""
    path = tmp_path / "other.csv"
    path.write_text(
        csv_text([("Artist", "Title", "Album", "Date"), ("Björk", "Jóga", "Homogenic", "31 Jan 2021, 12:34")]),
        encoding="utf-8",
    )
    assert detect(path).name == "lastfm_csv"
    assert list(read(path)) == [Imported(scrobble(T0, "Björk", "Jóga", "Homogenic"), "lastfm", 2, "other.csv")]


def test_a_header_without_a_time_column_is_one_rejected_entry(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("artist,track\nA,B\n")
    assert list(read(path, Format("lastfm_csv", "lastfm", ""))) == [
        Rejected("x.csv", 1, "the header has no uts, artist or track column")
    ]
    path.write_text("")
    assert list(read(path, Format("lastfm_csv", "lastfm", ""))) == []


def test_headerless_csv(tmp_path: Path) -> None:
    path = tmp_path / "lastfm-to-csv.csv"
    path.write_text(
        csv_text(
            [
                ("Daft Punk", "Discovery", "One More Time", "31 Jan 2021 12:34"),
                ("Daft Punk", "", "Aerodynamic", "31 Jan 2021, 12:30"),
                ("Broken", "", "Date", "31 Foo 2021 12:30"),
                ("Seconds", "", "Too", "01 Feb 2021 00:00:30"),
                ("ISO", "", "Date", "2021-01-31 12:34:56"),
                ("Bad", "", "Clock", "01 Feb 2021 12"),
            ]
        ),
        encoding="utf-8",
    )
    assert detect(path) == Format(
        "lastfm_csv_headerless", "lastfm", "Last.fm CSV export without a header (artist, album, track, date)"
    )
    entries = list(read(path))
    assert imported(entries) == [
        Imported(scrobble(T0, "Daft Punk", "One More Time", "Discovery"), "lastfm", 1, "lastfm-to-csv.csv"),
        Imported(scrobble(T0 - 240, "Daft Punk", "Aerodynamic"), "lastfm", 2, "lastfm-to-csv.csv"),
        Imported(scrobble(T0 + 41_190, "Seconds", "Too"), "lastfm", 4, "lastfm-to-csv.csv"),
        Imported(scrobble(T0 + 56, "ISO", "Date"), "lastfm", 5, "lastfm-to-csv.csv"),
    ]
    assert rejected(entries) == [
        Rejected("lastfm-to-csv.csv", 3, "date '31 Foo 2021 12:30' is not a date"),
        Rejected("lastfm-to-csv.csv", 6, "date '01 Feb 2021 12' is not a date"),
    ]


def test_csv_errors_are_rows_not_exceptions(tmp_path: Path) -> None:
    """A field over the csv module's limit is a rejected row; the next line is read on."""
    path = tmp_path / "s.csv"
    huge = "x" * 200_000
    path.write_text(
        csv_text([LASTFM_HEADER, scrobble_row(T0, "A", "B")])
        + f'{T0},,"{huge}\n'
        + csv_text([scrobble_row(T0, "C", "D")])
    )
    entries = list(read(path))
    assert [(entry.line, entry.play.artist) for entry in imported(entries)] == [(2, "A"), (4, "C")]
    assert len(rejected(entries)) == 1
    assert rejected(entries)[0].line == 3
    assert "not a CSV row" in rejected(entries)[0].reason


def test_recent_tracks_page() -> None:
    page = lastfm_page(
        [
            lastfm_track(None, "Now", "Playing", now_playing=True),
            lastfm_track(T0 + 300, "Daft Punk", "One More Time", "Discovery"),
            lastfm_track(T0, "Extended", "Artist", extended=True),
            lastfm_track(None, "No", "Date"),
            {"name": "No artist", "date": {"uts": str(T0)}},
            "not an object",
        ],
        page=3,
        total_pages=12,
    )
    entries, total = parse_recent_tracks_page(page, file="Last.fm page 3", first_line=401)
    assert total == 12
    file = "Last.fm page 3"
    assert entries == [
        Skipped("now_playing", 401, file),
        Imported(scrobble(T0 + 300, "Daft Punk", "One More Time", "Discovery"), "lastfm", 402, file),
        Imported(scrobble(T0, "Extended", "Artist"), "lastfm", 403, file),
        Rejected(file, 404, "missing date uts"),
        Rejected(file, 405, "missing artist"),
        Rejected(file, 406, "a track must be a JSON object"),
    ]


def test_recent_tracks_page_shapes() -> None:
    # One track: Last.fm gives the object, not a list.
    one = lastfm_page([])
    one["recenttracks"]["track"] = lastfm_track(T0, "A", "B")
    entries, total = parse_recent_tracks_page(one)
    assert entries == [Imported(scrobble(T0, "A", "B"), "lastfm", 1, "api")]
    assert total == 1
    # No @attr, no totalPages.
    entries, total = parse_recent_tracks_page({"recenttracks": {"track": []}})
    assert (entries, total) == ([], None)
    entries, total = parse_recent_tracks_page({"recenttracks": {"track": [], "@attr": {"totalPages": "x"}}})
    assert total is None
    entries, total = parse_recent_tracks_page({"recenttracks": {"track": "x", "@attr": {"totalPages": "2"}}})
    assert (entries, total) == ([Rejected("api", 1, "the page's track is not a list")], 2)
    # Not a page at all.
    assert parse_recent_tracks_page({"error": 6, "message": "User not found"}) == (
        [Rejected("api", 1, "Last.fm error 6: User not found")],
        None,
    )
    assert parse_recent_tracks_page([1, 2]) == ([Rejected("api", 1, "not a getRecentTracks answer")], None)


def test_json_files(tmp_path: Path) -> None:
    first = lastfm_page([lastfm_track(None, "Now", "Playing", now_playing=True), lastfm_track(T0 + 60, "A", "B")])
    second = lastfm_page([lastfm_track(T0, "C", "D", "E")], page=2, total_pages=2)
    one = write_json(tmp_path / "page.json", first)
    pages = write_json(tmp_path / "pages.json", [first, second])
    inner = write_json(tmp_path / "inner.json", [first["recenttracks"], second["recenttracks"]])
    tracks = write_json(tmp_path / "tracks.json", [lastfm_track(T0 + 60, "A", "B"), lastfm_track(T0, "C", "D", "E")])
    for path in (one, pages, inner, tracks):
        assert detect(path) == Format("lastfm_json", "lastfm", "Last.fm scrobbles (getRecentTracks JSON)"), path
    assert list(read(one)) == [
        Skipped("now_playing", 1, "page.json"),
        Imported(scrobble(T0 + 60, "A", "B"), "lastfm", 2, "page.json"),
    ]
    assert [(entry.line, entry.play.title) for entry in imported(list(read(pages)))] == [(2, "B"), (3, "D")]
    assert [(entry.line, entry.play.title) for entry in imported(list(read(inner)))] == [(2, "B"), (3, "D")]
    assert [(entry.line, entry.play.album) for entry in imported(list(read(tracks)))] == [(1, None), (2, "E")]


def test_a_broken_json_file_reports_where_it_breaks(tmp_path: Path) -> None:
    path = tmp_path / "tracks.json"
    text = json.dumps([lastfm_track(T0 + 60, "A", "B"), lastfm_track(T0, "C", "D")])
    path.write_text(text[:-40])
    fmt = detect(path)
    entries = list(read(path, fmt))
    assert [entry.play.title for entry in imported(entries)] == ["B"]
    assert len(rejected(entries)) == 1
    assert rejected(entries)[0].line == 2
    assert rejected(entries)[0].reason.endswith("the rest of the file is not read")


def test_detect_names_the_file_and_what_was_expected(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("nothing to see\n")
    with pytest.raises(HistoryFormatError, match=r"^notes\.txt: .*expected a Last\.fm CSV"):
        detect(notes)
    with pytest.raises(HistoryFormatError, match=r"^notes\.txt: "):
        read(notes)
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(HistoryFormatError, match="empty"):
        detect(empty)
    blank = tmp_path / "blank.csv"
    blank.write_bytes(b"\xef\xbb\xbf \n\n")
    with pytest.raises(HistoryFormatError, match="white space"):
        detect(blank)
    with pytest.raises(HistoryFormatError, match=r"missing\.csv: cannot be read"):
        detect(tmp_path / "missing.csv")
    binary = tmp_path / "x.bin"
    binary.write_bytes(b"\x00\x01\x02uts,artist,track")
    with pytest.raises(HistoryFormatError):
        detect(binary)
    assert lastfm_time(T0) == "31 Jan 2021, 12:34"


def test_numbers_no_float_holds_and_broken_headers(tmp_path: Path) -> None:
    path = lastfm_csv(tmp_path / "s.csv", [("9" * 400, "", "A", "", "", "", "B", ""), scrobble_row(T0, "C", "D")])
    entries = list(read(path))
    assert [entry.line for entry in rejected(entries)] == [2]
    assert rejected(entries)[0].reason.endswith("is not a number")
    assert [entry.play.artist for entry in imported(entries)] == ["C"]
    path.write_text('"' + "x" * 200_000 + '"\n')
    [broken] = list(read(path, Format("lastfm_csv", "lastfm", "")))
    assert isinstance(broken, Rejected)
    assert broken.reason.startswith("the header is not a CSV row")
