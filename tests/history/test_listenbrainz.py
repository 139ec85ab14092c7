"""ListenBrainz: the export archive, the older JSON array, JSON lines."""

from __future__ import annotations

import json
from pathlib import Path
import zipfile

import pytest

from custom_components.spinstack.engine import Play
from custom_components.spinstack.history import Format, HistoryFormatError, Imported, Rejected, detect, read
from custom_components.spinstack.history.listenbrainz import service_of

from .samples import T0, imported, jsonl, listen, listenbrainz_zip, rejected, write_json


def lb_play(started_at: float, artist: str, title: str, album: str | None = None, *, duration: float = 0.0,
            service: str = "unknown") -> Play:  # fmt: skip
    return Play(started_at, artist, title, album, None, duration, duration, service, "on_demand", "")


def test_export_archive_in_year_and_month_order(tmp_path: Path) -> None:
    path = listenbrainz_zip(
        tmp_path / "listenbrainz_someone_1700000000.zip",
        {
            (2021, 10): [listen(T0 + 3, "October", "Song")],
            (2021, 2): [
                listen(T0 + 1.0, "February", "Song", "Album", duration_ms=215_000, music_service="spotify.com"),
                "not json\n",
                "\n",
                listen(T0 + 2, "February", "Second", music_service="deezer.com", duration=180),
            ],
            (2020, 12): [listen(T0, "December", "Song")],
        },
    )
    assert detect(path) == Format("listenbrainz_zip", "listenbrainz", "ListenBrainz export (ZIP archive)")
    entries = list(read(path))
    name = "listenbrainz_someone_1700000000.zip"
    assert imported(entries) == [
        Imported(lb_play(T0, "December", "Song"), "listenbrainz", 1, f"{name}:listens/2020/12.jsonl"),
        Imported(
            lb_play(T0 + 1, "February", "Song", "Album", duration=215.0, service="spotify"),
            "listenbrainz",
            1,
            f"{name}:listens/2021/2.jsonl",
        ),
        Imported(
            lb_play(T0 + 2, "February", "Second", duration=180.0, service="deezer"),
            "listenbrainz",
            4,
            f"{name}:listens/2021/2.jsonl",
        ),
        Imported(lb_play(T0 + 3, "October", "Song"), "listenbrainz", 1, f"{name}:listens/2021/10.jsonl"),
    ]
    [broken] = rejected(entries)
    assert (broken.file, broken.line) == (f"{name}:listens/2021/2.jsonl", 2)
    assert broken.reason.startswith("not valid JSON")
    # The same sequence every time.
    assert list(read(path)) == entries


def test_broken_listens(tmp_path: Path) -> None:
    lines = [
        listen(T0, "", "Song"),
        listen("abc", "Artist", "Song"),
        listen(0, "Artist", "Song"),
        {"listened_at": T0},
        [1, 2],
        listen(T0, "Artist", "x" * 1001),
        listen("2021-01-31T12:34:00Z", "ISO", "Time"),
        listen(T0, "Artist", "Bad duration", duration_ms="long"),
        listen(T0, 5, "Song"),
        listen("2021-13-31T12:34:00Z", "ISO", "Broken"),
    ]
    path = tmp_path / "listens.jsonl"
    path.write_text(jsonl(lines), encoding="utf-8")
    assert detect(path) == Format(
        "listenbrainz_jsonl", "listenbrainz", "ListenBrainz listens (JSON lines; also SpinStack's JSON lines export)"
    )
    entries = list(read(path))
    assert {entry.line: entry.reason for entry in rejected(entries)} == {
        1: "missing artist_name",
        2: "listened_at 'abc' is not a time",
        3: "listened_at 0 is not after 1970",
        4: "missing track_metadata",
        5: "a listen must be a JSON object",
        6: "track_name is longer than 1000 characters",
        9: "artist_name 5 is not text",
        10: "listened_at '2021-13-31T12:34:00Z' is not a time",
    }
    assert imported(entries) == [
        Imported(lb_play(T0, "ISO", "Time"), "listenbrainz", 7, "listens.jsonl"),
        Imported(lb_play(T0, "Artist", "Bad duration"), "listenbrainz", 8, "listens.jsonl"),
    ]


def test_older_json_array_export(tmp_path: Path) -> None:
    path = write_json(
        tmp_path / "someone_lb-2020-01-01.json",
        [
            listen(T0 + 60, "Artist", "Song", "Album", music_service="music.apple.com", duration_ms=1000),
            listen(T0, "Artist", "", "Album"),
        ],
    )
    assert detect(path) == Format("listenbrainz_json", "listenbrainz", "ListenBrainz listens (JSON array)")
    assert list(read(path)) == [
        Imported(
            lb_play(T0 + 60, "Artist", "Song", "Album", duration=1.0, service="apple_music"),
            "listenbrainz",
            1,
            "someone_lb-2020-01-01.json",
        ),
        Rejected("someone_lb-2020-01-01.json", 2, "missing track_name"),
    ]
    # A JSON array that breaks off: the entries before, then where it broke.
    path.write_text(path.read_text()[:-30])
    entries = list(read(path, detect(path)))
    assert len(imported(entries)) == 1
    assert rejected(entries)[0].line == 2


@pytest.mark.parametrize(
    ("info", "service"),
    [
        ({"music_service": "spotify.com"}, "spotify"),
        ({"music_service": "open.spotify.com"}, "spotify"),
        ({"music_service": "https://www.deezer.com/"}, "deezer"),
        ({"music_service": "tidal.com"}, "tidal"),
        ({"music_service": "listen.tidal.com"}, "tidal"),
        ({"music_service": "music.apple.com"}, "apple_music"),
        ({"music_service": "soundcloud.com"}, "soundcloud"),
        ({"music_service": "youtube.com"}, "youtube_music"),
        ({"music_service": "music.youtube.com"}, "youtube_music"),
        ({"music_service": "bandcamp.com"}, "bandcamp"),
        ({"music_service": "archive.org"}, "unknown"),
        ({"music_service": "  "}, "unknown"),
        ({"music_service_name": "Spotify"}, "spotify"),
        ({"music_service_name": "Winamp"}, "unknown"),
        ({"spotify_id": "https://open.spotify.com/track/x"}, "spotify"),
        ({}, "unknown"),
    ],
)
def test_music_service_domains(info: dict[str, str], service: str) -> None:
    assert service_of(info) == service


def test_archive_problems(tmp_path: Path) -> None:
    # No listens in it.
    empty = tmp_path / "empty.zip"
    with zipfile.ZipFile(empty, "w") as archive:
        archive.writestr("user.json", "{}")
    with pytest.raises(HistoryFormatError, match=r"^empty\.zip: holds no history files"):
        detect(empty)
    # Names that climb out of the archive are never read.
    sneaky = tmp_path / "sneaky.zip"
    with zipfile.ZipFile(sneaky, "w") as archive:
        archive.writestr("../listens/2020/1.jsonl", jsonl([listen(T0, "Evil", "Song")]))
        archive.writestr("/listens/2020/2.jsonl", jsonl([listen(T0, "Evil", "Song")]))
        archive.writestr("listens/2020/3.jsonl", jsonl([listen(T0, "Good", "Song")]))
    assert [entry.play.artist for entry in imported(list(read(sneaky)))] == ["Good"]
    # A member whose data is damaged: the members before and after are read.
    damaged = listenbrainz_zip(
        tmp_path / "damaged.zip",
        {(2020, 1): [listen(T0, "A", "B")], (2020, 2): [listen(T0, "C", "D")] * 200, (2020, 3): [listen(T0, "E", "F")]},
    )
    data = bytearray(damaged.read_bytes())
    with zipfile.ZipFile(damaged) as archive:
        info = archive.getinfo("listens/2020/2.jsonl")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    data[start + 10 : start + 20] = b"\xff" * 10
    damaged.write_bytes(bytes(data))
    entries = list(read(damaged))
    assert imported(entries)[0].play.artist == "A"
    assert imported(entries)[-1].play.artist == "E"
    broken = [entry for entry in rejected(entries) if entry.file.endswith("2.jsonl")]
    assert broken
    assert "cannot be read on from here" in broken[-1].reason
    # Not a ZIP archive after all.
    fake = tmp_path / "fake.zip"
    fake.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    with pytest.raises(HistoryFormatError, match=r"^fake\.zip: not a readable ZIP archive"):
        detect(fake)


def test_oversized_members_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from custom_components.spinstack.history import streams  # noqa: PLC0415 - the limit under test

    path = listenbrainz_zip(tmp_path / "lb.zip", {(2020, 1): [listen(T0, "A", "B")] * 100})
    monkeypatch.setattr(streams, "MAX_MEMBER", 1000)
    assert list(read(path)) == [Rejected("lb.zip:listens/2020/1.jsonl", 1, "larger than 0 GiB uncompressed; not read")]


def test_a_folder_of_listens(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    (folder / "listens" / "2020").mkdir(parents=True)
    (folder / "listens" / "2020" / "11.jsonl").write_text(jsonl([listen(T0 + 1, "B", "B")]))
    (folder / "listens" / "2020" / "9.jsonl").write_text(jsonl([listen(T0, "A", "A")]))
    (folder / "user.json").write_text(json.dumps({"username": "x"}))
    assert detect(folder).name == "listenbrainz_zip"
    assert [(entry.file, entry.play.artist) for entry in imported(list(read(folder)))] == [
        ("export/listens/2020/9.jsonl", "A"),
        ("export/listens/2020/11.jsonl", "B"),
    ]


def test_implausible_durations_are_unknown(tmp_path: Path) -> None:
    path = tmp_path / "l.jsonl"
    path.write_text(
        jsonl(
            [
                listen(T0, "A", "B", duration_ms=1e300),
                listen(T0, "A", "B", duration_ms=-5, duration=100),
                listen(T0, "A", "B", duration=10**400),
            ]
        )
    )
    assert [entry.play.duration for entry in imported(list(read(path)))] == [0.0, 0.0, 0.0]
