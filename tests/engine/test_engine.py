"""The counting rules, scenario by scenario."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from custom_components.spinstack.engine import Engine, Observation, Play, Rules, TransportState
from custom_components.spinstack.engine.replay import replay

from .payloads import observation_from_payload

PLAYING = TransportState.PLAYING
PAUSED = TransportState.PAUSED_PLAYBACK
STOPPED = TransportState.STOPPED
TRACK = "x-sonos-spotify:spotify%3atrack%3a1?sid=9&flags=8224&sn=1"
TRACK2 = "x-sonos-spotify:spotify%3atrack%3a2?sid=9&flags=8224&sn=1"
STATION = "x-sonosapi-stream:s24861?sid=254&flags=8224&sn=0"


def track(t: float, state: TransportState = PLAYING, **kw: Any) -> Observation:
    """An observation of speaker A playing TRACK (a 200 s track) unless told otherwise."""
    values: dict[str, Any] = {
        "speaker": "RINCON_A",
        "track_uri": TRACK,
        "title": "One More Time",
        "artist": "Daft Punk",
        "album": "Discovery",
        "duration": 200.0,
        "room": "Living Room",
    }
    values.update(kw)
    return Observation(t=t, state=state, **values)


def radio(t: float, content: str | None, state: TransportState = PLAYING, **kw: Any) -> Observation:
    values: dict[str, Any] = {"speaker": "RINCON_A", "track_uri": STATION, "title": "Radio X", "duration": 0.0}
    values.update(kw)
    return Observation(t=t, state=state, stream_content=content, **values)


def run(*observations: Observation, rules: Rules | None = None) -> list[Play]:
    return list(replay(observations, rules))


def test_counts_at_half_the_track_with_its_start_time() -> None:
    plays = run(track(1000, position=0), track(1150, STOPPED, position=0))
    assert len(plays) == 1
    play = plays[0]
    assert play.started_at == 1000
    assert play.heard == pytest.approx(100)
    assert play.counted_at == pytest.approx(1100)
    assert (play.artist, play.title, play.album, play.service, play.kind) == (
        "Daft Punk",
        "One More Time",
        "Discovery",
        "spotify",
        "on_demand",
    )
    assert (play.speaker, play.room) == ("RINCON_A", "Living Room")


def test_engine_asks_to_be_woken_at_the_threshold() -> None:
    engine = Engine()
    assert engine.observe(track(1000, position=0)) == []
    assert engine.next_wakeup() == pytest.approx(1100)
    assert engine.advance(1099) == []
    plays = engine.advance(1100)
    assert len(plays) == 1
    # Next: the end of the track, where a silent repeat would begin.
    assert engine.next_wakeup() == pytest.approx(1203)


def test_four_minute_cap() -> None:
    plays = run(track(0, duration=600, position=0), track(239, STOPPED), track(1000, STOPPED))
    assert plays == []
    plays = run(track(0, duration=600, position=0), track(240, STOPPED))
    assert len(plays) == 1


def test_tracks_of_thirty_seconds_or_less_never_count() -> None:
    assert run(track(0, duration=30, position=0), track(30, STOPPED)) == []
    assert len(run(track(0, duration=31, position=0), track(31, STOPPED))) == 1


def test_a_stopped_track_short_of_its_threshold_does_not_count() -> None:
    assert run(track(0, position=0), track(99, STOPPED)) == []


def test_a_pause_adds_nothing_and_the_track_resumed_counts_once_with_its_start() -> None:
    plays = run(
        track(0, position=0),
        track(50, PAUSED, position=50),
        track(3650, PLAYING, position=50),
        track(3790, STOPPED, position=190),
    )
    assert len(plays) == 1
    assert plays[0].started_at == 0
    assert plays[0].counted_at == pytest.approx(3700)


def test_a_seek_forward_adds_nothing() -> None:
    plays = run(track(0, position=0), track(10, position=150), track(20, STOPPED, position=160))
    assert plays == []
    plays = run(track(0, position=0), track(10, position=150), track(60, STOPPED, position=199))
    assert plays == []  # 10 s + 49 s heard (the track ended at 200)


def test_a_track_played_twice_counts_twice() -> None:
    plays = run(
        track(0, position=0),
        track(200, track_uri=TRACK2, title="Aerodynamic", position=0),
        track(400, position=0),
        track(500, STOPPED, position=100),
    )
    assert [p.title for p in plays] == ["One More Time", "Aerodynamic", "One More Time"]
    assert [p.started_at for p in plays] == [0, 200, 400]


def test_repeat_one_without_events_is_seen_by_the_position_falling_back() -> None:
    plays = run(track(0, position=0), track(210, position=10), track(330, STOPPED, position=130))
    assert [p.started_at for p in plays] == [0, 200]


def test_silence_past_the_end_of_a_track_is_a_repeat() -> None:
    """Sonos announces every change of track; a track still reported past its end has begun again."""
    engine = Engine()
    engine.observe(track(0, position=0))
    assert len(engine.advance(100)) == 1
    assert engine.next_wakeup() == pytest.approx(203)
    assert engine.advance(203) == []
    plays = engine.advance(300)
    assert [p.started_at for p in plays] == [200]


def test_a_track_of_a_speaker_that_cannot_be_read_ends_at_its_end_and_is_not_repeated() -> None:
    """Off the network, nothing shows that the track began again: it counted on wall time, then it is over."""
    engine = Engine()
    engine.observe(track(0, position=0))
    assert [p.started_at for p in engine.advance(100, unreadable={"RINCON_A"})] == [0]
    assert engine.advance(203, unreadable={"RINCON_A"}) == []
    assert engine.now_playing("RINCON_A") is None
    assert engine.next_wakeup() is None
    assert engine.advance(1000) == []
    # Back on the network, 40 s into another track: that track, from its real start, once 100 s more are heard.
    engine.observe(track(1000, position=40, track_uri=TRACK2, title="Aerodynamic"))
    assert [(p.title, p.started_at) for p in engine.advance(1100)] == [("Aerodynamic", 960)]


def test_a_pause_found_by_a_read_credits_only_what_the_position_shows() -> None:
    """The pause's event was lost: the read 100 s later finds it paused at 40 s, so 40 s were heard, not 100."""
    engine = Engine()
    engine.observe(track(0, position=0))
    assert engine.observe(track(100, PAUSED, position=40)) == []
    listen = engine.now_playing("RINCON_A")
    assert listen is not None
    assert listen.heard == pytest.approx(40)
    # A pause seen by its event (no position) is credited on wall time as before.
    engine = Engine()
    engine.observe(track(0, position=0))
    engine.observe(track(100, PAUSED))
    listen = engine.now_playing("RINCON_A")
    assert listen is not None
    assert listen.counted


def test_a_seek_near_the_end_waits_for_the_end_not_the_threshold() -> None:
    engine = Engine()
    engine.observe(track(0, position=0))
    engine.observe(track(60, position=199))
    # 60 s heard, 40 s still needed, but the track ends in 1 s: the end is the next moment that matters.
    assert engine.next_wakeup() == pytest.approx(64)
    assert engine.advance(64) == []
    assert engine.next_wakeup() == pytest.approx(161)  # the silent repeat's threshold
    assert [p.started_at for p in engine.advance(161)] == [61]


def test_repeat_one_loops_between_two_observations_each_count() -> None:
    plays = run(track(0, position=0, duration=60), track(250, position=10, duration=60))
    assert [p.started_at for p in plays] == [0, 60, 120, 180]


def test_chosen_again_after_it_counted_counts_again() -> None:
    plays = run(track(0, position=0), track(150, position=0), track(300, STOPPED, position=150))
    assert [p.started_at for p in plays] == [0, 150]


def test_a_seek_back_before_it_counted_is_the_same_listen() -> None:
    plays = run(track(0, position=0), track(60, position=0), track(100, STOPPED, position=40))
    assert len(plays) == 1
    assert plays[0].started_at == 0


def test_duplicate_observations_change_nothing() -> None:
    first = track(0, position=0)
    plays = run(first, first, first, track(150, position=150), track(150, position=150), track(200, STOPPED))
    assert len(plays) == 1


def test_radio_songs_count_on_change_when_heard_long_enough() -> None:
    plays = run(
        radio(0, "ZPSTR_CONNECTING"),
        radio(5, "Daft Punk - One More Time"),
        radio(200, "TYPE=SNG|TITLE Blue Monday|ARTIST New Order|ALBUM Substance"),
        radio(420, 'TYPE=SNG|TITLE text="Spot Block End" amgTrackId="1"|ARTIST |ALBUM '),
        radio(600, "Radio X"),
        radio(610, "Moby - Porcelain"),
        radio(800, "Short - Song"),
        radio(820, "Moby - Porcelain", STOPPED),
    )
    assert [(p.artist, p.title, p.started_at, p.heard) for p in plays] == [
        ("Daft Punk", "One More Time", 5, 195),
        ("New Order", "Blue Monday", 200, 220),
        ("Moby", "Porcelain", 610, 190),
    ]
    assert plays[1].album == "Substance"
    assert {p.kind for p in plays} == {"radio"}
    assert {p.service for p in plays} == {"tunein"}


def test_radio_song_counts_when_the_stream_stops() -> None:
    plays = run(radio(0, "Daft Punk - One More Time"), radio(40, "Daft Punk - One More Time", STOPPED))
    assert len(plays) == 1


def test_radio_minimum_is_configurable() -> None:
    observations = (radio(0, "A - B"), radio(40, "C - D"))
    assert len(run(*observations)) == 1
    assert run(*observations, rules=Rules(radio_min_seconds=60)) == []


def test_sonos_radio_tracks_without_duration_count_as_stream_songs() -> None:
    sonos = "x-sonos-http:sonos%3a0%3ahead%3a{}.mp4?sid=303&flags=0&sn=8"
    plays = run(
        track(0, track_uri=sonos.format(1), title="I'm Not In Love", artist="10cc", duration=0),
        track(100, track_uri=sonos.format(2), title="Rubber Bullets", artist="10cc", duration=0),
        track(110, STOPPED, track_uri=sonos.format(2), title="Rubber Bullets", artist="10cc", duration=0),
    )
    assert [(p.title, p.service, p.kind) for p in plays] == [("I'm Not In Love", "sonos_radio", "radio")]


def test_line_in_and_tv_never_count() -> None:
    line_in = track(0, track_uri="x-rincon-stream:RINCON_A01400", title="Audio Component", artist=None, duration=0)
    tv = track(5000, track_uri="x-sonos-htastream:RINCON_A01400:spdif", title="TV", artist=None, duration=0)
    assert run(line_in, tv, track(9000, STOPPED)) == []


def test_group_followers_never_count_and_the_group_counts_once() -> None:
    follower = "x-rincon:RINCON_A"
    plays = run(
        track(0, position=0),
        track(1, speaker="RINCON_B", track_uri=follower, coordinator="RINCON_A", title=None, artist=None),
        track(2, speaker="RINCON_C", coordinator="RINCON_A", position=2),
        track(190, STOPPED),
    )
    assert [(p.speaker, p.started_at) for p in plays] == [("RINCON_A", 0)]


def test_joining_a_group_mid_track_neither_loses_nor_doubles() -> None:
    plays = run(
        track(0, position=0),
        track(60, speaker="RINCON_B", track_uri="x-rincon:RINCON_A", title=None, artist=None),
        track(120, speaker="RINCON_B", track_uri=TRACK2, title="Aerodynamic", position=0, state=STOPPED),
        track(190, STOPPED, position=190),
    )
    assert [(p.speaker, p.title) for p in plays] == [("RINCON_A", "One More Time")]


@pytest.mark.parametrize("coordinator_first", [True, False])
def test_coordinator_handover_continues_the_listen(coordinator_first: bool) -> None:
    """A leaves the group mid-track; B takes over playback and continues: one play, started when A started."""
    follow = track(10, speaker="RINCON_B", track_uri="x-rincon:RINCON_A", title=None, artist=None)
    a_stops = track(60, STOPPED, track_uri=None, title=None, artist=None, duration=0)
    b_takes_over = track(60, speaker="RINCON_B", position=60)
    order = (a_stops, b_takes_over) if coordinator_first else (b_takes_over, a_stops)
    plays = run(track(0, position=0), follow, *order, track(190, STOPPED, speaker="RINCON_B"))
    assert [(p.speaker, p.started_at, round(p.heard)) for p in plays] == [("RINCON_B", 0, 100)]


def test_restart_mid_track_gives_one_play() -> None:
    engine = Engine()
    engine.observe(track(0, position=0))
    engine.advance(60)
    saved = json.loads(json.dumps(engine.snapshot()))
    restored = Engine.restore(saved)
    # While Home Assistant was down nothing is known: only a position that moved on counts.
    assert restored.next_wakeup() is None
    assert restored.observe(track(70, position=70)) == []
    assert restored.next_wakeup() == pytest.approx(100)
    plays = restored.advance(100)
    assert [(p.started_at, round(p.heard)) for p in plays] == [(0, 100)]
    assert restored.observe(track(300, STOPPED, position=200)) == []


def test_restart_after_counting_does_not_count_again() -> None:
    engine = Engine()
    engine.observe(track(0, position=0))
    assert len(engine.advance(100)) == 1
    restored = Engine.restore(engine.snapshot())
    assert restored.observe(track(150, position=150)) == []
    assert restored.stop_all(200) == []


def test_restart_without_position_credits_nothing_unknown() -> None:
    engine = Engine()
    engine.observe(track(0, position=0))
    restored = Engine.restore(engine.snapshot())
    assert restored.observe(track(5000)) == []  # still playing, position unknown: the gap is not heard time
    assert restored.next_wakeup() == pytest.approx(5100)


def test_unreadable_snapshot_gives_a_fresh_engine() -> None:
    assert Engine.restore({"version": 999}).speakers() == []
    assert Engine.restore({"version": 1, "trackers": [{"nonsense": 1}]}).speakers() == []
    assert Engine.restore(None).speakers() == []


def test_rules_changed_mid_track_apply_at_once() -> None:
    engine = Engine()
    engine.observe(track(0, position=0))
    assert engine.next_wakeup() == pytest.approx(100)
    engine.set_rules(Rules(threshold_fraction=0.25))
    assert engine.next_wakeup() == pytest.approx(50)
    assert len(engine.advance(50)) == 1


def test_a_pause_longer_than_the_resume_window_starts_a_new_listen() -> None:
    plays = run(
        track(0, position=0),
        track(60, PAUSED, position=60),
        track(60 + 7 * 3600, PLAYING, position=60),
        track(60 + 7 * 3600 + 100, STOPPED, position=160),
    )
    assert [p.started_at for p in plays] == [60 + 7 * 3600 - 60]


def test_observations_out_of_time_order_do_not_go_back_in_time() -> None:
    plays = run(track(100, position=0), track(50, position=0), track(290, STOPPED))
    assert len(plays) == 1
    assert plays[0].heard <= 190


def test_real_payload_counts(real_sonos: Path) -> None:
    obs = observation_from_payload(real_sonos / "cifs.json", t=1000)
    plays = run(obs, Observation(t=1200, speaker=obs.speaker, state=STOPPED))
    assert len(plays) == 1
    play = plays[0]
    assert (play.artist, play.title, play.album_artist, play.service) == (
        "Alan Walker, Gavin James",
        "Tired",
        "Alan Walker, Gavin James",
        "local_library",
    )
    assert play.started_at == 996  # the payload's position was 4 s


def test_rules_validate() -> None:
    with pytest.raises(ValueError, match="threshold_fraction"):
        Rules(threshold_fraction=0)
    with pytest.raises(ValueError, match="radio_min_seconds"):
        Rules(radio_min_seconds=-1)
    assert Rules.from_json({"radio_min_seconds": "45", "bogus": 1}).radio_min_seconds == 45


def test_play_key_is_stable() -> None:
    plays = run(track(0, position=0), track(300, STOPPED))
    again = run(track(0.2, position=0), track(300, STOPPED))
    assert plays[0].key == again[0].key
