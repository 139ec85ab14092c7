"""Every documented query uses an index or a roll-up: none scans the plays table."""

from __future__ import annotations

import pytest

from custom_components.spinstack.store import QUERIES, Store

from .conftest import make_play

PARAMS: dict[str, dict[str, object]] = {
    "plays_count": {"start": 0, "end": 1},
    "plays_between": {"start": 0, "end": 1, "limit": 10},
    "last_play": {},
    "heard_between": {"start": 0, "end": 1},
    "top_tracks": {"start": 0, "end": 1, "limit": 10},
    "top_artists": {"start": 0, "end": 1, "limit": 10},
    "play_metadata": {"id": 1},
    "top_artists_years": {"first_year": 2025, "last_year": 2026, "limit": 10},
    "top_artists_all_time": {"limit": 10},
    "top_albums_all_time": {"limit": 10},
    "top_tracks_all_time": {"limit": 10},
    "search_tracks": {"match": '"daft"', "limit": 10},
    "track_plays": {"track_id": 1, "limit": 10},
    "plays_per_day": {"first_day": 0, "end_day": 1},
    "heatmap": {"first_year": 2025, "last_year": 2026},
    "new_artists": {"start": 0, "end": 1, "limit": 10},
}


def test_every_query_is_covered() -> None:
    assert set(PARAMS) == set(QUERIES)


@pytest.mark.parametrize("name", sorted(QUERIES))
async def test_plan_uses_indexes(store: Store, name: str) -> None:
    # Some rows and fresh statistics, so the planner chooses as it will on a real history.
    await store.add_plays(
        [make_play(1_700_000_000 + i * 600, artist=f"A{i % 50}", title=f"T{i % 200}") for i in range(3000)], "test"
    )
    await store.scalar("ANALYZE")
    plan = await store.explain(name, **PARAMS[name])
    text = " | ".join(plan)
    for step in plan:
        # A scan is allowed only of a derived table (a sub-query's few rows), the full-text index, or the
        # contexts (one row per service, room and origin: a few dozen).
        if step.startswith("SCAN"):
            assert step in ("SCAN x", "SCAN c") or step.startswith("SCAN s VIRTUAL TABLE"), text
