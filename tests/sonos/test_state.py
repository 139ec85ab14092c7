"""Real speakers' payloads through SoCo's own parsing into engine observations."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from soco.data_structures_entry import from_didl_string
from soco.events_base import parse_event_xml

from custom_components.spinstack.engine import SourceKind, TransportState, identify_source, song_of
from custom_components.spinstack.sonos import SpeakerState, parse_didl, parse_duration, parse_zone_group_state


def test_line_in_event(real_sonos: Path) -> None:
    variables = parse_event_xml((real_sonos / "source_linein.xml").read_bytes())
    state = SpeakerState("RINCON_949F3E5352EC01400", room="Living Room")
    state.apply_avtransport(variables)
    obs = state.observation(1000.0)
    assert obs.state is TransportState.PLAYING
    assert obs.track_uri == "x-rincon-stream:RINCON_949F3E5352EC01400"
    assert obs.title == "Audio Component"
    source = identify_source(obs.track_uri, obs.enqueued_uri)
    assert source.kind is SourceKind.LINE_IN
    assert song_of(obs, source.kind) is None


@pytest.mark.parametrize(
    ("name", "title", "artist", "album", "duration", "position", "stream"),
    [
        ("cifs.json", "Tired", "Alan Walker, Gavin James", "Tired", 192, 4, None),
        ("pandora.json", "Hit the Road Jack", "Ray Charles", "True Genius", 120, 61, None),
        ("sonos_radio.json", "I'm Not In Love", "10cc", None, 0, 6, None),
        (
            "tunein.json",
            "hls.m3u8?TGT=TuneIn&maxServers=2&partnertok=somesuperlongtoken&rj-ttl=5&DIST=TuneIn&rj-tok=000000000000000000000_0000",
            None,
            None,
            0,
            254,
            'TYPE=SNG|TITLE text="Spot Block End" amgTrackId="1234567"|ARTIST |ALBUM greatest - hits',
        ),
        ("tunein_2.json", "nrk_radio_mp3_aac_h", None, None, 0, 0, "Martin Solveig + Ina Wroldsen med Places"),
        ("bbc.json", "bbc_radio_two.m3u8", None, None, 0, 155, None),
    ],
)
def test_position_info(
    real_sonos: Path,
    name: str,
    title: str,
    artist: str | None,
    album: str | None,
    duration: float,
    position: float,
    stream: str | None,
) -> None:
    payload = json.loads((real_sonos / name).read_text())
    state = SpeakerState("RINCON_A")
    state.apply_avtransport({"transport_state": "PLAYING"})
    pos = state.apply_position_info(payload["input"])
    obs = state.observation(0.0, pos)
    assert (obs.title, obs.artist, obs.album, obs.duration, obs.position, obs.stream_content) == (
        title,
        artist,
        album,
        duration,
        position,
        stream,
    )


def test_soco_didl_objects_are_read(real_sonos: Path) -> None:
    item = from_didl_string((real_sonos / "track.xml").read_text())[0]
    meta = parse_didl(item)
    assert (meta.title, meta.artist, meta.album) == ("17 - Track 17", "Den sorte skole", "Lektion #1 (Mix tape)")


@pytest.mark.parametrize(
    "bad",
    [
        "<DIDL-Lite><item>",  # truncated
        '<?xml version="1.0"?><!DOCTYPE lol [<!ENTITY a "aaaaaaaa">]><DIDL-Lite>&a;</DIDL-Lite>',
        b"<DIDL-Lite>\xff\xfe</DIDL-Lite>",
        "<DIDL-Lite>" + "x" * 300_000 + "</DIDL-Lite>",
        "not xml at all",
        "<other/>",
    ],
)
def test_bad_metadata_reads_as_empty(bad: str | bytes) -> None:
    assert parse_didl(bad).title is None


def test_merging_events_keeps_what_did_not_change() -> None:
    state = SpeakerState("RINCON_A")
    state.apply_avtransport(
        {
            "transport_state": "PLAYING",
            "current_track_uri": "x-sonos-spotify:spotify%3atrack%3a1?sid=9",
            "current_track_duration": "0:03:20",
        }
    )
    state.apply_avtransport({"transport_state": "PAUSED_PLAYBACK"})
    obs = state.observation(5.0)
    assert obs.state is TransportState.PAUSED_PLAYBACK
    assert obs.track_uri == "x-sonos-spotify:spotify%3atrack%3a1?sid=9"
    assert obs.duration == 200


def test_a_follower_points_at_its_coordinator() -> None:
    state = SpeakerState("RINCON_B", coordinator="RINCON_A")
    state.apply_avtransport({"av_transport_uri": "x-rincon:RINCON_A", "transport_state": "PLAYING"})
    obs = state.observation(0.0)
    assert identify_source(obs.track_uri or "").kind is SourceKind.GROUP_FOLLOWER


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("0:03:12", 192), ("1:00:00", 3600), ("", None), ("NOT_IMPLEMENTED", None), ("3:12", None), ("a:b:c", None)],
)
def test_parse_duration(text: str, seconds: float | None) -> None:
    assert parse_duration(text) == seconds


def test_zone_group_state(real_sonos: Path) -> None:
    members = parse_zone_group_state((real_sonos / "zgs_group.xml").read_text())
    assert set(members) == {"RINCON_test_10.10.10.1", "RINCON_test_10.10.10.2"}
    bedroom = members["RINCON_test_10.10.10.2"]
    assert (bedroom.room, bedroom.host, bedroom.coordinator, bedroom.boot_seq) == (
        "Bedroom",
        "192.168.4.2",
        "RINCON_test_10.10.10.1",
        1234,
    )
    assert parse_zone_group_state("<broken") == {}
