"""The play store's benchmark: bulk insert, recording one play, opening, size, and every documented query."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
import functools
import os
from pathlib import Path
import statistics
import sys
import tempfile
import time
from typing import Any

from custom_components.spinstack.store import Store

from . import insights_bench, panel_bench
from .history import generate

ZONE = "Europe/Paris"
ROUNDS = 25
TICK = 0.01


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _ms(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"median": round(statistics.median(ordered) * 1000, 3), "p95": round(p95 * 1000, 3)}


def query_params(store: Store, now: float, busiest_track: int) -> dict[str, tuple[str, dict[str, Any]]]:
    """Each benchmarked view: (documented query, parameters) for a history that ends at ``now``."""
    clock = store.clock
    today = clock.day_start(now)
    month = clock.month_start(now)
    local_now = clock.local(now)
    # A month two years back: artists first heard in it.
    back = datetime(local_now.year - 2, local_now.month, 1, tzinfo=clock.tz).timestamp()
    return {
        "plays_today": ("plays_count", {"start": today, "end": today + 86400}),
        "plays_last_7_days": ("plays_between", {"start": now - 7 * 86400, "end": now + 1, "limit": 5000}),
        "top_tracks_last_7_days": ("top_tracks", {"start": now - 7 * 86400, "end": now + 1, "limit": 10}),
        "top_artists_this_month": (
            "top_artists",
            {"start": month, "end": clock.next_month(month), "limit": 10},
        ),
        "top_artists_this_year": (
            "top_artists_years",
            {"first_year": local_now.year, "last_year": local_now.year, "limit": 10},
        ),
        "top_artists_all_time": ("top_artists_all_time", {"limit": 10}),
        "top_albums_all_time": ("top_albums_all_time", {"limit": 10}),
        "search_artist_and_title": ("search_tracks", {"match": '"artist 0001" "song"', "limit": 20}),
        "plays_of_one_track": ("track_plays", {"track_id": busiest_track, "limit": 1000}),
        "plays_per_day_over_a_year": (
            "plays_per_day",
            {"first_day": clock.lhour(today) // 24 - 365, "end_day": clock.lhour(today) // 24 + 1},
        ),
        "heatmap_this_year": (
            "heatmap",
            {"first_year": local_now.year, "last_year": local_now.year},
        ),
        "artists_first_heard_in_a_month": (
            "new_artists",
            {"start": back, "end": clock.next_month(back), "limit": 500},
        ),
    }


def _stolen_seconds() -> float | None:
    """CPU time the host has taken from this machine's CPUs so far, all CPUs together (Linux's ``steal`` column of
    /proc/stat), or None where the kernel does not say. A virtual machine's slow spells show there."""
    try:
        with Path("/proc/stat").open(encoding="ascii") as stat:
            fields = stat.readline().split()
        return int(fields[8]) / os.sysconf("SC_CLK_TCK")
    except OSError, IndexError, ValueError:
        return None


async def _timed(run: Callable[[], Awaitable[Any]], rounds: int) -> tuple[list[float], Any]:
    samples, result = [], None
    for _ in range(rounds):
        started = time.perf_counter()
        result = await run()
        samples.append(time.perf_counter() - started)
    return samples, result


async def _loop_lags(stop: asyncio.Event) -> list[float]:
    """How late a 10 ms timer fires, again and again until ``stop``: how long the event loop is kept waiting."""
    lags = []
    while not stop.is_set():
        started = time.perf_counter()
        await asyncio.sleep(TICK)
        lags.append(time.perf_counter() - started - TICK)
    return lags


async def bench(plays: int, folder: Path) -> dict[str, Any]:
    path = folder / "spinstack.db"
    end = float(int(time.time() // 3600) * 3600)
    store = await Store.open(path, ZONE)
    try:
        log(f"generating {plays:,} plays (20 years)")
        # Generated before the clock starts: the figure is the store's, not the generator's. One call, as an
        # import makes it.
        history = list(generate(plays, end=end))
        log(f"inserting {plays:,} plays")
        # The event loop's own latency meanwhile: the import runs in worker threads and must not keep it waiting.
        stop = asyncio.Event()
        ticking = asyncio.create_task(_loop_lags(stop))
        stolen_before = _stolen_seconds()
        started = time.perf_counter()
        inserted = await store.add_plays(history, origin="bench")
        bulk_seconds = time.perf_counter() - started
        stolen_after = _stolen_seconds()
        stolen = None if stolen_before is None or stolen_after is None else round(stolen_after - stolen_before, 2)
        stop.set()
        lags = sorted(await ticking)
        del history
        log(f"  {inserted:,} plays in {bulk_seconds:.1f} s ({inserted / bulk_seconds:,.0f} plays/s)")

        log("recording single plays")
        live = generate(200, end=end + 2 * 86400, years=2 / 365.25, seed=7)
        samples = []
        for play in live:
            play_started = time.perf_counter()
            await store.add_play(play)
            samples.append(time.perf_counter() - play_started)
        record = _ms(samples)

        log("timing the documented queries")
        queries: dict[str, Any] = {}
        busiest = (await store.query("top_tracks_all_time", limit=1))[0]["track_id"]
        for view, (name, params) in query_params(store, end, busiest).items():
            await store.query(name, **params)  # warm
            timings, rows = await _timed(functools.partial(store.query, name, **params), ROUNDS)
            figures = _ms(timings)
            queries[view] = {
                "query": name,
                "median_ms": figures["median"],
                "p95_ms": figures["p95"],
                "rows": len(rows),
                "plan": await store.explain(name, **params),
            }
        log("timing the insights")
        insights = await insights_bench.bench(store, end, log)
        await store.scalar("PRAGMA wal_checkpoint(TRUNCATE)")
        total = int(await store.scalar("SELECT count(*) FROM plays"))
    finally:
        await store.close()

    db_bytes = path.stat().st_size
    opens = []
    for _ in range(5):
        open_started = time.perf_counter()
        reopened = await Store.open(path, ZONE)
        await reopened.scalar("SELECT count(*) FROM artists")
        opens.append(time.perf_counter() - open_started)
        await reopened.close()
    log("timing the panel's first render in Chromium")
    panel = await panel_bench.bench(path, folder, log)
    return {
        "plays": total,
        "bulk_insert_per_s": round(inserted / bulk_seconds),
        # CPU seconds the host took from this machine while the bulk insert ran (None: not known here).
        "bulk_insert_cpu_stolen_s": stolen,
        "bulk_insert_loop_lag_ms": {
            "median": round(statistics.median(lags) * 1000, 3),
            "p99": round(lags[min(len(lags) - 1, round(0.99 * (len(lags) - 1)))] * 1000, 3),
            "max": round(lags[-1] * 1000, 3),
        },
        "record_play_ms": record,
        "open_ms": _ms(opens)["median"],
        "db_bytes": db_bytes,
        "bytes_per_play": round(db_bytes / max(total, 1), 1),
        "queries": queries,
        "insights": insights,
        "panel": panel,
    }


def main() -> dict[str, Any]:
    plays = int(os.environ.get("PLAYS", "1000000"))
    with tempfile.TemporaryDirectory(prefix="spinstack-bench-") as folder:
        return asyncio.run(bench(plays, Path(folder)))
