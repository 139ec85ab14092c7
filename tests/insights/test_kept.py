"""Answers kept in memory (``Insights(store, keep=N)``): given again only while the store holds the same plays and
it is the same local day; anything written (a play, an import, a rolled-back write, another connection's commit)
makes the next answer a fresh one."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
import sqlite3
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from custom_components.spinstack.insights import Insights, Request
from custom_components.spinstack.store import Store
from tests.store.conftest import make_play

ZONE = "Europe/Paris"
NOW = datetime(2026, 4, 9, 15, 0, tzinfo=ZoneInfo(ZONE)).timestamp()
MONTH = Request(period="month")


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    store = await Store.open(tmp_path / "spinstack.db", ZONE)
    await store.add_play(make_play(NOW - 7200, artist="Artist", title="Song"))
    try:
        yield store
    finally:
        await store.close()


async def test_an_answer_is_kept_until_a_play_is_written(store: Store) -> None:
    insights = Insights(store, keep=4)
    first = await insights.views(MONTH, NOW)
    assert await insights.is_kept(MONTH, NOW)
    assert await insights.views(MONTH, NOW) is first
    await store.add_play(make_play(NOW - 3600, artist="Artist", title="Another"))
    assert not await insights.is_kept(MONTH, NOW)
    second = await insights.views(MONTH, NOW)
    assert second is not first
    assert second["summary"]["plays"] == first["summary"]["plays"] + 1


async def test_an_import_and_another_connections_commit_are_seen(store: Store, tmp_path: Path) -> None:
    insights = Insights(store, keep=4)
    plays = (await insights.views(MONTH, NOW))["summary"]["plays"]
    assert await store.add_plays([make_play(NOW - 3000, artist="Artist", title="Imported")], origin="import:test") == 1
    assert (await insights.views(MONTH, NOW))["summary"]["plays"] == plays + 1
    # Another process writing the file (the kv table: no play, but the answer is not trusted any more).
    other = sqlite3.connect(tmp_path / "spinstack.db", isolation_level=None)
    try:
        other.execute("INSERT INTO kv (key, value) VALUES ('elsewhere', '1')")
    finally:
        other.close()
    assert not await insights.is_kept(MONTH, NOW)


async def test_a_rolled_back_write_is_not_kept(store: Store) -> None:
    insights = Insights(store, keep=4)
    await insights.views(MONTH, NOW)
    with pytest.raises(sqlite3.IntegrityError):
        await store.execute("INSERT INTO kv (key, value) VALUES (NULL, NULL)")
    assert not await insights.is_kept(MONTH, NOW)


async def test_a_new_day_or_another_question_is_answered_afresh(store: Store) -> None:
    insights = Insights(store, keep=2)
    first = await insights.views(MONTH, NOW)
    assert not await insights.is_kept(MONTH, NOW + 86400)
    assert await insights.views(MONTH, NOW + 86400) is not first
    week = await insights.views(Request(period="week"), NOW)
    assert week is not first
    # Two kept at most: the least recently used (this month, as of today) went first.
    assert not await insights.is_kept(MONTH, NOW)
    assert await insights.is_kept(Request(period="week"), NOW)


async def test_without_keep_nothing_is_kept(store: Store) -> None:
    insights = Insights(store)
    first = await insights.views(MONTH, NOW)
    assert await insights.views(MONTH, NOW) is not first
    assert not await insights.is_kept(MONTH, NOW)


async def test_warm_ups_asked_while_one_runs_make_one_more_not_one_each(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    insights = Insights(store, keep=4)
    computed = 0
    release = asyncio.Event()
    views = insights._views

    async def slow_views(request: Request, now: float) -> dict[str, Any]:
        nonlocal computed
        computed += 1
        await release.wait()
        return await views(request, now)

    monkeypatch.setattr(insights, "_views", slow_views)
    first = asyncio.create_task(insights.warm(MONTH, lambda: NOW))
    async with asyncio.timeout(5):
        while not computed:  # noqa: ASYNC110 - the first computation under way
            await asyncio.sleep(0.01)
    # Five plays counted while the first computation runs: their warm-ups return at once.
    for minute in range(5):
        await store.add_play(make_play(NOW - 3000 + 60 * minute, artist="Artist", title=f"Burst {minute}"))
        await insights.warm(MONTH, lambda: NOW)
    assert computed == 1
    release.set()
    await first
    # One more computation, which has the five plays.
    assert computed == 2
    assert await insights.is_kept(MONTH, NOW)
    assert (await insights.views(MONTH, NOW))["summary"]["plays"] == 6
    # Nothing written since: the kept answer stands.
    await insights.warm(MONTH, lambda: NOW)
    assert computed == 2
