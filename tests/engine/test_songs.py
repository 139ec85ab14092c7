"""What is a song: stream content forms, ads, station names, line-in."""

from __future__ import annotations

from pathlib import Path

import pytest

from custom_components.spinstack.engine import (
    Observation,
    Song,
    SourceKind,
    TransportState,
    identify_source,
    parse_stream_content,
    song_of,
)

from .payloads import observation_from_payload


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("Daft Punk - One More Time", Song("Daft Punk", "One More Time")),
        ("AC/DC - Back In Black - Remastered", Song("AC/DC", "Back In Black - Remastered")),
        (
            "TYPE=SNG|TITLE Blue Monday|ARTIST New Order|ALBUM Substance",
            Song("New Order", "Blue Monday", "Substance"),
        ),
        ('TYPE=SNG|TITLE text="Hey Jude" amgTrackId="1"|ARTIST The Beatles|ALBUM ', Song("The Beatles", "Hey Jude")),
        ('TYPE=SNG|TITLE text="Spot Block End" amgTrackId="1234567"|ARTIST |ALBUM greatest - hits', None),
        ("TYPE=ADV|TITLE Buy now|ARTIST Shop|ALBUM ", None),
        ("ZPSTR_CONNECTING", None),
        ("ZPSTR_BUFFERING", None),
        ("", None),
        (None, None),
        ("   ", None),
        ("Radio Paradise", None),
        ("Martin Solveig + Ina Wroldsen med Places", None),
        ("Advertisement - Call now", None),
        (" - Title only", None),
    ],
)
def test_parse_stream_content(content: str | None, expected: Song | None) -> None:
    assert parse_stream_content(content) == expected


def test_station_name_is_not_a_song() -> None:
    assert parse_stream_content("BBC - Radio 2", station="BBC - Radio 2") is None


def test_huge_values_are_bounded() -> None:
    song = parse_stream_content("A" * 10_000 + " - " + "B" * 10_000)
    assert song is not None
    assert len(song.artist) <= 512
    assert len(song.title) <= 512


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("cifs.json", Song("Alan Walker, Gavin James", "Tired", "Tired")),
        ("pandora.json", Song("Ray Charles", "Hit the Road Jack", "True Genius")),
        ("sonos_radio.json", Song("10cc", "I'm Not In Love")),
        ("tunein.json", None),  # an ad marker
        ("tunein_2.json", None),  # no artist to be had
        ("bbc.json", None),  # the stream's file name only
    ],
)
def test_real_payloads(real_sonos: Path, name: str, expected: Song | None) -> None:
    obs = observation_from_payload(real_sonos / name)
    kind = identify_source(obs.track_uri or "").kind
    assert song_of(obs, kind) == expected


def test_line_in_and_tv_are_not_songs() -> None:
    obs = Observation(
        t=0, speaker="A", state=TransportState.PLAYING, track_uri="x-rincon-stream:RINCON_1", title="Audio Component"
    )
    assert song_of(obs, SourceKind.LINE_IN) is None
    assert song_of(obs, SourceKind.TV) is None


def test_spotify_ad_is_not_a_song() -> None:
    obs = Observation(
        t=0,
        speaker="A",
        state=TransportState.PLAYING,
        track_uri="x-sonos-spotify:spotify:ad:000000012c8f7ab4?sid=9",
        title="Spotify",
        artist="Advertisement",
        duration=30,
    )
    assert song_of(obs, SourceKind.ON_DEMAND) is None
