"""History files in their real shapes, written by the tests themselves."""

from __future__ import annotations

from collections.abc import Sequence
import csv
from datetime import UTC, datetime
import io
import json
from pathlib import Path
from typing import Any
import zipfile

from hypothesis import settings

from custom_components.spinstack.history import Entry, Imported, Rejected, Skipped


def examples(count: int) -> int:
    """A property's number of examples: ``count`` in the default profile, proportionally more in a thorough one."""
    current = settings.default
    return count if current is None else max(1, count * current.max_examples // 300)


# 31 Jan 2021, 12:34:00 UTC
T0 = 1_612_096_440
LASTFM_HEADER = ("uts", "utc_time", "artist", "artist_mbid", "album", "album_mbid", "track", "track_mbid")


def lastfm_time(uts: int) -> str:
    """How Last.fm writes a time: ``31 Jan 2021, 12:34``."""
    return datetime.fromtimestamp(uts, UTC).strftime("%d %b %Y, %H:%M")


def csv_text(rows: Sequence[Sequence[str]]) -> str:
    out = io.StringIO(newline="")
    csv.writer(out).writerows(rows)
    return out.getvalue()


def lastfm_csv(path: Path, rows: Sequence[Sequence[str]], *, header: Sequence[str] = LASTFM_HEADER) -> Path:
    """A headed Last.fm export (newest first, as the export tools write it)."""
    path.write_text(csv_text([header, *rows]), encoding="utf-8", newline="")
    return path


def scrobble_row(uts: int, artist: str, track: str, album: str = "") -> tuple[str, ...]:
    return (
        str(uts),
        lastfm_time(uts),
        artist,
        "056e4f3e-d505-4dad-8ec1-d04f521cbb56",
        album,
        "",
        track,
        "",
    )


def lastfm_track(
    uts: int | None, artist: str, name: str, album: str = "", *, now_playing: bool = False, extended: bool = False
) -> dict[str, Any]:
    """One track of a user.getRecentTracks answer, as Last.fm's JSON gives it."""
    track: dict[str, Any] = {
        "artist": {"url": "https://www.last.fm/music/x", "name": artist, "image": [], "mbid": ""}
        if extended
        else {"mbid": "", "#text": artist},
        "streamable": "0",
        "image": [{"size": "small", "#text": "https://lastfm.freetls.fastly.net/i/u/34s/x.png"}],
        "mbid": "",
        "album": {"mbid": "", "#text": album},
        "name": name,
        "url": "https://www.last.fm/music/x/_/y",
    }
    if uts is not None:
        track["date"] = {"uts": str(uts), "#text": lastfm_time(uts)}
    if now_playing:
        track["@attr"] = {"nowplaying": "true"}
    return track


def lastfm_page(tracks: list[Any], page: int = 1, total_pages: int = 1) -> dict[str, Any]:
    return {
        "recenttracks": {
            "track": tracks,
            "@attr": {
                "user": "someone",
                "totalPages": str(total_pages),
                "page": str(page),
                "perPage": "200",
                "total": str(len(tracks) * total_pages),
            },
        }
    }


def listen(
    listened_at: float | str,
    artist: Any,  # anything, for broken listens
    track: Any,
    release: str | None = None,
    **info: Any,
) -> dict[str, Any]:
    """A ListenBrainz listen as its export writes it."""
    meta: dict[str, Any] = {"artist_name": artist, "track_name": track, "additional_info": info}
    if release is not None:
        meta["release_name"] = release
    meta["mbid_mapping"] = {
        "recording_mbid": "7a0b9f4e-1c2d-4e5f-8a9b-0c1d2e3f4a5b",
        "artist_mbids": ["b10bbbfc-cf9e-42e0-be17-e2c3e1d2600d"],
        "release_mbid": None,
        "caa_id": None,
    }
    return {
        "inserted_at": T0 + 10_000,
        "listened_at": listened_at,
        "recording_msid": "5f7fa4d0-0c0e-4f1b-9f4e-1a2b3c4d5e6f",
        "track_metadata": meta,
    }


def jsonl(values: list[Any]) -> str:
    return "".join(json.dumps(value) + "\n" for value in values)


def listenbrainz_zip(path: Path, months: dict[tuple[int, int], list[str | dict[str, Any]]]) -> Path:
    """A ListenBrainz export archive: user.json, listens/<year>/<month>.jsonl, feedback.jsonl."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("user.json", json.dumps({"user_id": 1, "username": "someone"}) + "\n")
        for (year, month), lines in months.items():
            body = "".join(line if isinstance(line, str) else json.dumps(line) + "\n" for line in lines)
            archive.writestr(f"listens/{year}/{month}.jsonl", body)
        archive.writestr("feedback.jsonl", json.dumps({"recording_mbid": "x", "score": 1, "created": T0}) + "\n")
        archive.writestr("pinned_recording.jsonl", "")
    return path


def spotify_extended(
    ended: int,
    ms_played: int,
    artist: str | None,
    track: str | None,
    *,
    album: str | None = "Album",
    uri: str | None = "spotify:track:4uLU6hMCjMI75M1A2tKUQC",
    reason_end: str = "trackdone",
    episode: str | None = None,
) -> dict[str, Any]:
    """One entry of Spotify's extended streaming history."""
    return {
        "ts": datetime.fromtimestamp(ended, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "username": "someone",
        "platform": "Android OS 10 API 29 (Google, Pixel 4)",
        "ms_played": ms_played,
        "conn_country": "DE",
        "ip_addr_decrypted": "192.0.2.1",
        "user_agent_decrypted": "unknown",
        "master_metadata_track_name": track,
        "master_metadata_album_artist_name": artist,
        "master_metadata_album_album_name": album,
        "spotify_track_uri": uri if track is not None else None,
        "episode_name": episode,
        "episode_show_name": "A Show" if episode else None,
        "spotify_episode_uri": "spotify:episode:0Q86acNRm6V9GYx55SXKwf" if episode else None,
        "reason_start": "trackdone",
        "reason_end": reason_end,
        "shuffle": False,
        "skipped": reason_end == "fwdbtn",
        "offline": False,
        "offline_timestamp": ended - 1000,
        "incognito_mode": False,
    }


def spotify_legacy(ended: str, ms_played: int, artist: str, track: str) -> dict[str, Any]:
    """One entry of the account data's StreamingHistory*.json."""
    return {"endTime": ended, "artistName": artist, "trackName": track, "msPlayed": ms_played}


def write_json(path: Path, value: Any) -> Path:
    path.write_text(json.dumps(value, indent=2), encoding="utf-8")
    return path


def imported(entries: list[Entry]) -> list[Imported]:
    return [entry for entry in entries if isinstance(entry, Imported)]


def skipped(entries: list[Entry]) -> list[Skipped]:
    return [entry for entry in entries if isinstance(entry, Skipped)]


def rejected(entries: list[Entry]) -> list[Rejected]:
    return [entry for entry in entries if isinstance(entry, Rejected)]
