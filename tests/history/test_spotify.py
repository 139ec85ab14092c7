"""Spotify: the extended streaming history and the account data's history, with SpinStack's counting rule."""

from __future__ import annotations

import json
from pathlib import Path
import zipfile

import pytest

from custom_components.spinstack.engine import Play, Rules
from custom_components.spinstack.history import Format, HistoryFormatError, Imported, Rejected, Skipped, detect, read

from .samples import T0, imported, rejected, skipped, spotify_extended, spotify_legacy, write_json

URI_A = "spotify:track:aaaaaaaaaaaaaaaaaaaaaa"
URI_B = "spotify:track:bbbbbbbbbbbbbbbbbbbbbb"


def spotify_play(ended: float, ms: int, artist: str, title: str, duration: float, *, album: str | None = "Album",
                 uri: str | None = URI_A) -> Play:  # fmt: skip
    heard = ms / 1000
    return Play(ended - heard, artist, title, album, None, duration, heard, "spotify", "on_demand", "", None, uri)


def test_extended_history_with_the_counting_rule(tmp_path: Path) -> None:
    path = write_json(
        tmp_path / "Streaming_History_Audio_2021_0.json",
        [
            # Track A: played to its end once (200 s), so its duration is 200 s: threshold 100 s.
            spotify_extended(T0, 200_000, "Artist", "Track A", uri=URI_A),
            spotify_extended(T0 + 500, 120_000, "Artist", "Track A", uri=URI_A, reason_end="fwdbtn"),
            spotify_extended(T0 + 900, 90_000, "Artist", "Track A", uri=URI_A, reason_end="fwdbtn"),
            # Played longer than its full listen (a seek back): still the full listen's duration.
            spotify_extended(T0 + 1500, 230_000, "Artist", "Track A", uri=URI_A, reason_end="endplay"),
            # Track B: never played to its end; its longest playback (150 s) is the estimate.
            spotify_extended(T0 + 2000, 150_000, "Other", "Track B", uri=URI_B, reason_end="fwdbtn"),
            spotify_extended(T0 + 2500, 74_000, "Other", "Track B", uri=URI_B, reason_end="fwdbtn"),
            spotify_extended(T0 + 3000, 75_000, "Other", "Track B", uri=URI_B, reason_end="logout"),
            # A podcast, an entry without a track.
            spotify_extended(T0 + 4000, 900_000, None, None, episode="Episode 12"),
            spotify_extended(T0 + 4100, 100_000, None, None),
            # Broken ones.
            spotify_extended(T0 + 4200, 100_000, "", "No artist"),
            {**spotify_extended(T0 + 4300, 100_000, "A", "B"), "ts": "yesterday"},
            {**spotify_extended(T0 + 4400, 100_000, "A", "B"), "ms_played": -1},
            "not an object",
        ],
    )
    assert detect(path) == Format("spotify_extended", "spotify", "Spotify extended streaming history")
    entries = list(read(path))
    file = "Streaming_History_Audio_2021_0.json"
    assert entries == [
        Imported(spotify_play(T0, 200_000, "Artist", "Track A", 200.0), "spotify", 1, file),
        Imported(spotify_play(T0 + 500, 120_000, "Artist", "Track A", 200.0), "spotify", 2, file),
        Skipped("below_threshold", 3, file),
        Imported(spotify_play(T0 + 1500, 230_000, "Artist", "Track A", 200.0), "spotify", 4, file),
        Imported(spotify_play(T0 + 2000, 150_000, "Other", "Track B", 150.0, uri=URI_B), "spotify", 5, file),
        Skipped("below_threshold", 6, file),
        Imported(spotify_play(T0 + 3000, 75_000, "Other", "Track B", 150.0, uri=URI_B), "spotify", 7, file),
        Skipped("not_music", 8, file),
        Skipped("not_music", 9, file),
        Rejected(file, 10, "missing master_metadata_album_artist_name"),
        Rejected(file, 11, "ts 'yesterday' is not a time"),
        Rejected(file, 12, "ms_played -1 is negative"),
        Rejected(file, 13, "an entry must be a JSON object"),
    ]


def test_known_durations_come_first(tmp_path: Path) -> None:
    path = write_json(
        tmp_path / "endsong_0.json",
        [
            spotify_extended(T0, 200_000, "Artist", "Track A"),
            spotify_extended(T0 + 500, 150_000, "Artist", "Track A", reason_end="fwdbtn"),
            spotify_extended(T0 + 900, 20_000, "Short", "Jingle", uri=URI_B),
        ],
    )
    asked: list[tuple[str, str]] = []

    def durations(artist: str, title: str) -> float | None:
        asked.append((artist, title))
        return 500.0 if title == "Track A" else None

    entries = list(read(path, durations=durations))
    assert entries == [
        Skipped("below_threshold", 1, "endsong_0.json"),  # 200 s of 500 s: below the 240 s cap
        Skipped("below_threshold", 2, "endsong_0.json"),
        Skipped("below_threshold", 3, "endsong_0.json"),  # 20 s: too short a track to count at all
    ]
    assert asked == [("Artist", "Track A"), ("Short", "Jingle")]  # once a track
    # Other rules.
    lenient = Rules(min_track_seconds=10, threshold_fraction=0.25)
    assert [entry.play.duration for entry in imported(list(read(path, rules=lenient, durations=durations)))] == [
        500.0,
        500.0,
        20.0,
    ]


def test_legacy_history(tmp_path: Path) -> None:
    path = write_json(
        tmp_path / "StreamingHistory_music_0.json",
        [
            spotify_legacy("2021-01-31 12:34", 200_000, "Artist", "Song"),
            spotify_legacy("2021-01-31 12:40", 60_000, "Artist", "Song"),
            spotify_legacy("2021-01-31 13:00", 101_000, "artist", "SONG"),  # the same track
            {"endTime": "2021-01-31 13:10", "podcastName": "Show", "episodeName": "Episode", "msPlayed": 1_000_000},
            spotify_legacy("31/01/2021", 100_000, "Artist", "Song"),
            {"endTime": 5, "artistName": "A", "trackName": "B", "msPlayed": 1},
        ],
    )
    assert detect(path) == Format("spotify_legacy", "spotify", "Spotify streaming history (account data)")
    file = "StreamingHistory_music_0.json"
    assert list(read(path)) == [
        Imported(spotify_play(T0, 200_000, "Artist", "Song", 200.0, album=None, uri=None), "spotify", 1, file),
        Skipped("below_threshold", 2, file),
        Imported(spotify_play(T0 + 1560, 101_000, "artist", "SONG", 200.0, album=None, uri=None), "spotify", 3, file),
        Skipped("not_music", 4, file),
        Rejected(file, 5, "endTime '31/01/2021' is not a date"),
        Rejected(file, 6, "endTime 5 is not a date"),
    ]


def test_the_data_archive(tmp_path: Path) -> None:
    """my_spotify_data.zip: its history files read in natural order; its other files and videos not at all."""
    path = tmp_path / "my_spotify_data.zip"
    folder = "Spotify Extended Streaming History"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{folder}/ReadMeFirst_ExtendedStreamingHistory.pdf", b"%PDF-1.4")
        archive.writestr(
            f"{folder}/Streaming_History_Audio_2021-2022_10.json",
            json.dumps([spotify_extended(T0 + 100, 90_000, "Ten", "Song", reason_end="fwdbtn")]),
        )
        archive.writestr(
            f"{folder}/Streaming_History_Audio_2019-2021_2.json",
            json.dumps([spotify_extended(T0, 200_000, "Two", "Song")]),
        )
        archive.writestr(
            f"{folder}/Streaming_History_Video_2019-2022.json",
            json.dumps([spotify_extended(T0, 200_000, "Video", "Song")]),
        )
        archive.writestr(f"{folder}/Streaming_History_Audio_2023_11.json", "[{broken")
    assert detect(path).name == "spotify_extended"
    entries = list(read(path))
    # The track (one URI) of file 10 was played to its end in file 2: one duration across the import.
    assert [(entry.file.rsplit("/", 1)[-1], entry.play.artist) for entry in imported(entries)] == [
        ("Streaming_History_Audio_2019-2021_2.json", "Two"),
    ]
    assert skipped(entries) == [
        Skipped("below_threshold", 1, f"my_spotify_data.zip:{folder}/Streaming_History_Audio_2021-2022_10.json")
    ]
    [broken] = rejected(entries)
    assert broken.file.endswith("Streaming_History_Audio_2023_11.json")
    assert broken.reason.startswith("entry 1 is not valid JSON")

    legacy = tmp_path / "legacy.zip"
    with zipfile.ZipFile(legacy, "w") as archive:
        archive.writestr("MyData/Userdata.json", json.dumps({"username": "x"}))
        archive.writestr("MyData/StreamingHistory1.json", json.dumps([spotify_legacy("2021-01-31 12:40", 1, "B", "B")]))
        archive.writestr("MyData/StreamingHistory0.json", json.dumps([spotify_legacy("2021-01-31 12:34", 1, "A", "A")]))
    assert detect(legacy).name == "spotify_legacy"
    assert [entry.file for entry in read(legacy)] == [
        "legacy.zip:MyData/StreamingHistory0.json",
        "legacy.zip:MyData/StreamingHistory1.json",
    ]


def test_a_folder_of_history_files(tmp_path: Path) -> None:
    folder = tmp_path / "Spotify Extended Streaming History"
    folder.mkdir()
    write_json(folder / "endsong_10.json", [spotify_extended(T0 + 100, 200_000, "Ten", "Song", uri=URI_B)])
    write_json(folder / "endsong_9.json", [spotify_extended(T0, 200_000, "Nine", "Song")])
    (folder / "notes.txt").write_text("mine")
    assert detect(folder).name == "spotify_extended"
    assert [entry.file for entry in read(folder)] == [
        "Spotify Extended Streaming History/endsong_9.json",
        "Spotify Extended Streaming History/endsong_10.json",
    ]
    (tmp_path / "empty").mkdir()
    with pytest.raises(HistoryFormatError, match=r"^empty: holds no history files"):
        detect(tmp_path / "empty")


def test_empty_history_files_are_known_by_their_name(tmp_path: Path) -> None:
    assert detect(write_json(tmp_path / "endsong_3.json", [])).name == "spotify_extended"
    assert detect(write_json(tmp_path / "StreamingHistory2.json", [])).name == "spotify_legacy"
    assert list(read(tmp_path / "endsong_3.json")) == []
    with pytest.raises(HistoryFormatError, match="not a history file"):
        detect(write_json(tmp_path / "whatever.json", []))
    with pytest.raises(HistoryFormatError, match="not a history file"):
        detect(write_json(tmp_path / "other.json", [{"some": "thing"}]))
