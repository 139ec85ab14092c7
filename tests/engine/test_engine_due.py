"""Engine.due: the speakers a wake-up must read (those with a threshold or a track's end due)."""

from __future__ import annotations

from custom_components.spinstack.engine import Engine, Observation, TransportState


def playing(t: float, speaker: str, title: str, duration: float = 200.0) -> Observation:
    return Observation(
        t=t,
        speaker=speaker,
        coordinator=speaker,
        state=TransportState.PLAYING,
        track_uri=f"x-sonos-spotify:spotify%3atrack%3a{title}?sid=12&flags=8224&sn=1",
        title=title,
        artist="Artist",
        album="Album",
        duration=duration,
        position=0.0,
    )


def test_only_the_speakers_with_something_due() -> None:
    engine = Engine()
    engine.observe(playing(0.0, "A", "One"))
    engine.observe(playing(50.0, "B", "Two"))
    wake = engine.next_wakeup()
    assert wake == 100.0  # A's threshold: half of 200 s
    assert engine.due(wake - 1) == []
    assert engine.due(wake) == ["A"]
    assert sorted(engine.due(150.0)) == ["A", "B"]
