"""Fixtures for the store's tests: a real SQLite file in a temporary folder."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from custom_components.spinstack.engine import Play
from custom_components.spinstack.store import Store

ZONE = "Europe/Paris"


def make_play(started_at: float, artist: str = "Daft Punk", title: str = "One More Time", **kw: Any) -> Play:
    values: dict[str, Any] = {
        "album": "Discovery",
        "album_artist": None,
        "duration": 320.0,
        "heard": 240.0,
        "service": "spotify",
        "kind": "on_demand",
        "speaker": "RINCON_A",
        "room": "Living Room",
        "track_uri": None,
        "counted_at": None,
    }
    values.update(kw)
    return Play(started_at=started_at, artist=artist, title=title, **values)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = await Store.open(tmp_path / "spinstack.db", ZONE)
    yield opened
    await opened.close()
