"""`make demo`'s script, where it restates what SpinStack defines (it runs without the repository on its path)."""

from __future__ import annotations

from custom_components.spinstack.const import EVENT_SCROBBLE
from scripts.demo import SCROBBLE_EVENT


def test_the_demo_follows_the_event_spinstack_fires_for_each_play() -> None:
    assert SCROBBLE_EVENT == EVENT_SCROBBLE
