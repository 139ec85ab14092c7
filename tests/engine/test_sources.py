"""identify_source: services from sid, kinds from URI schemes."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from custom_components.spinstack.engine import SERVICE_IDS, SourceKind, identify_source

ON_DEMAND = SourceKind.ON_DEMAND
RADIO = SourceKind.RADIO


@pytest.mark.parametrize(
    ("track_uri", "enqueued_uri", "service", "kind"),
    [
        ("x-sonos-spotify:spotify%3atrack%3a4uLU6hMCjMI75M1A2tKUQC?sid=9&flags=8224&sn=1", None, "spotify", ON_DEMAND),
        ("x-sonos-spotify:spotify%3atrack%3a4uLU6hMCjMI75M1A2tKUQC?sid=12&flags=8224&sn=1", None, "spotify", ON_DEMAND),
        ("x-sonos-spotify:spotify%3atrack%3a4uLU6hMCjMI75M1A2tKUQC", None, "spotify", ON_DEMAND),
        ("x-sonosapi-hls-static:song%3a1440857781?sid=204&flags=8224&sn=3", None, "apple_music", ON_DEMAND),
        ("x-sonos-http:song%3a1440857781.mp4?sid=204&flags=8224&sn=3", None, "apple_music", ON_DEMAND),
        (
            "x-sonosapi-hls-static:catalog%2ftracks%2fB07XYZ%2f%3falbumAsin%3dB07ABC?sid=201&flags=0&sn=4",
            None,
            "amazon_music",
            ON_DEMAND,
        ),
        ("x-sonos-http:tr%3a3135556.mp3?sid=2&flags=8224&sn=5", None, "deezer", ON_DEMAND),
        ("x-sonos-http:track%2f12345.flac?sid=174&flags=8224&sn=6", None, "tidal", ON_DEMAND),
        ("x-sonos-http:track%3a1234%3a7.flac?sid=31&flags=8232&sn=7", None, "qobuz", ON_DEMAND),
        ("x-sonosapi-hls-static:10036020abc%3Atrack?sid=212&flags=8300", None, "plex", ON_DEMAND),
        ("x-sonosapi-hls-static:track-%3Esoundcloud%3Atracks%3A1?sid=160", None, "soundcloud", ON_DEMAND),
        ("x-sonosapi-hls-static:AAAAtoken?sid=284&flags=8&sn=2", None, "youtube_music", ON_DEMAND),
        ("x-sonos-http:ondemand_track%3a%3atra.1.mp4?sid=203&flags=8224", None, "napster", ON_DEMAND),
        ("x-sonos-http:cloudcast%3a123.mp4?sid=181&flags=8224", None, "mixcloud", ON_DEMAND),
        ("x-sonos-http:chapter%3a1.mp4?sid=239&flags=8224", None, "audible", ON_DEMAND),
        ("x-sonosapi-stream:s24861?sid=254&flags=8224&sn=0", None, "tunein", RADIO),
        ("x-sonosapi-stream:s24861?sid=333&flags=8224&sn=0", None, "tunein", RADIO),
        ("x-sonosapi-stream:live_stations.5678?sid=6&flags=8224", None, "iheartradio", RADIO),
        ("x-sonosapi-radio:channel%3a0%3a2%3aresume?sid=308&flags=8300", None, "radio_paradise", RADIO),
        ("x-sonosapi-stream:calm-1?sid=144&flags=8224", None, "calm_radio", RADIO),
        ("x-sonosapi-hls:Api%3atune%3aliveAudio%3aep1?sid=303&flags=8224", None, "sonos_radio", RADIO),
        ("x-file-cifs://nas/music/a.flac", "x-rincon-queue:RINCON_000E58A0123401400#0", "local_library", ON_DEMAND),
        ("x-smb://nas/music/a.flac", None, "local_library", ON_DEMAND),
        ("x-rincon-stream:RINCON_949F3E5352EC01400", None, "line_in", SourceKind.LINE_IN),
        ("x-sonos-htastream:RINCON_949F3E5352EC01400:spdif", None, "tv", SourceKind.TV),
        ("x-sonos-vli:RINCON_949F3E5352EC01400:1,spotify:4f1a", None, "spotify_connect", ON_DEMAND),
        ("x-sonos-vli:RINCON_949F3E5352EC01400:2,airplay:80c1", None, "airplay", ON_DEMAND),
        ("x-rincon:RINCON_949F3E5352EC01400", None, "unknown", SourceKind.GROUP_FOLLOWER),
        # hls-radio and aac streams carry no sid: the enqueued station URI tells the service.
        (
            "hls-radio://http://host/zc000/hls.m3u8?TGT=TuneIn",
            "x-sonosapi-stream:s24861?sid=254&flags=32",
            "tunein",
            RADIO,
        ),
        ("aac://http://host/nrk_radio_mp3_aac_h", None, "unknown", RADIO),
        ("x-rincon-mp3radio://host/stream.mp3", None, "unknown", RADIO),
        # A plain URL: a media server's file when it comes from the queue, a stream when the station says so.
        ("http://192.168.1.5:32469/object/1.flac", "x-rincon-queue:RINCON_000E58A0123401400#0", "unknown", ON_DEMAND),
        ("http://host/stream.mp3", "x-rincon-mp3radio://host/stream.mp3", "unknown", RADIO),
        ("http://host/stream.mp3", None, "unknown", SourceKind.UNKNOWN),
    ],
)
def test_identify_source(track_uri: str, enqueued_uri: str | None, service: str, kind: SourceKind) -> None:
    source = identify_source(track_uri, enqueued_uri)
    assert (source.service, source.kind) == (service, kind)


def test_programmed_radio_services_with_tracks_are_radio() -> None:
    """Pandora and Sonos Radio play tracks through x-sonos-http, yet they are radio."""
    pandora = identify_source(
        "x-sonos-http:VC1%3A%3AST%3A%3AST%3A1%3A%3ATR%3A1.mp3?sid=236&flags=32768&sn=1",
        "x-sonosapi-radio:ST%3a123?sid=236&flags=8300",
    )
    assert (pandora.service, pandora.kind) == ("pandora", RADIO)
    sonos_radio = identify_source("x-sonos-http:sonos%3a0%3ahead.mp4?sid=303&flags=0&sn=8")
    assert (sonos_radio.service, sonos_radio.kind) == ("sonos_radio", RADIO)


def test_every_slug_of_the_issue_is_reachable() -> None:
    slugs = set(SERVICE_IDS.values())
    assert slugs == {
        "spotify",
        "apple_music",
        "amazon_music",
        "deezer",
        "tunein",
        "sonos_radio",
        "pandora",
        "soundcloud",
        "youtube_music",
        "tidal",
        "qobuz",
        "plex",
        "iheartradio",
        "napster",
        "audible",
        "mixcloud",
        "calm_radio",
        "radio_paradise",
    }


def test_service_type_relation() -> None:
    """Account strings carry sid * 256 + 7: SA_RINCON2311 (Spotify 9), SA_RINCON3079 (Spotify 12), ..."""
    assert {sid * 256 + 7 for sid, slug in SERVICE_IDS.items() if slug == "spotify"} == {2311, 3079}
    assert 236 * 256 + 7 == 60423  # Pandora's SA_RINCON60423 in Home Assistant's Sonos favourites


def test_unknown_service_is_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    uri = "x-sonos-http:mystery.mp3?sid=99999&flags=0"
    with caplog.at_level(logging.INFO):
        first = identify_source(uri)
        identify_source(uri)
    assert first.service == "unknown"
    assert [r.getMessage() for r in caplog.records].count(caplog.records[0].getMessage()) == 1
    assert uri in caplog.records[0].getMessage()


@pytest.mark.parametrize(
    ("name", "service", "kind"),
    [
        ("cifs.json", "local_library", ON_DEMAND),
        ("pandora.json", "pandora", RADIO),
        ("sonos_radio.json", "sonos_radio", RADIO),
        ("tunein.json", "unknown", RADIO),
        ("tunein_2.json", "unknown", RADIO),
        ("bbc.json", "unknown", RADIO),
    ],
)
def test_real_payloads(real_sonos: Path, name: str, service: str, kind: SourceKind) -> None:
    payload = json.loads((real_sonos / name).read_text())
    source = identify_source(payload["input"]["TrackURI"])
    assert (source.service, source.kind) == (service, kind)
