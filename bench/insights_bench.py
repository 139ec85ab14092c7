"""The insights' benchmark: every view of the panel, for several periods and filters, with its queries' plans.

A view's time is all of its queries together (what the panel waits for, per card), median and p95 of ROUNDS runs
after one warm-up. The plans are those of every statement the view ran, recorded while it ran once.
"""

from __future__ import annotations

import functools
import statistics
import time
from typing import Any

from custom_components.spinstack.insights import VIEWS, Insights, Request
from custom_components.spinstack.store import Store

ROUNDS = 15


def requests(rooms: list[str], services: list[str]) -> dict[str, Request]:
    """The benchmarked cases: each named period unfiltered, and the long ones filtered by room and service."""
    return {
        "today": Request(period="today"),
        "this_week": Request(period="week"),
        "this_month": Request(period="month"),
        "this_year": Request(period="year"),
        "all_time": Request(period="all"),
        "this_year_one_room": Request(period="year", rooms=(rooms[0],)),
        "all_time_one_room": Request(period="all", rooms=(rooms[0],)),
        "all_time_one_service": Request(period="all", services=(services[0],)),
    }


async def _plans(store: Store, insights: Insights, view: str, request: Request, now: float) -> list[str]:
    """Every statement the view runs, with its plan (recorded by wrapping the store's reads once)."""
    seen: list[tuple[str, Any]] = []
    rows, scalar = store.rows, store.scalar

    async def recording_rows(sql: str, params: Any = ()) -> Any:
        seen.append((sql, params))
        return await rows(sql, params)

    async def recording_scalar(sql: str, params: Any = ()) -> Any:
        seen.append((sql, params))
        return await scalar(sql, params)

    store.rows, store.scalar = recording_rows, recording_scalar  # type: ignore[method-assign]
    try:
        await insights.view(view, request, now)
    finally:
        del store.rows, store.scalar
    plans: list[str] = []
    for sql, params in dict.fromkeys((sql, tuple(p) if isinstance(p, list) else p) for sql, p in seen):
        if sql.lstrip().upper().startswith("SELECT"):
            plans.append("; ".join(await store.plan(sql, params)))
    return plans


async def bench(store: Store, now: float, log: Any) -> dict[str, Any]:
    insights = Insights(store)
    options = await insights.options()
    result: dict[str, Any] = {}
    for case, request in requests(options["rooms"], options["services"]).items():
        log(f"  insights: {case}")
        views: dict[str, Any] = {}
        for view in VIEWS:
            run = functools.partial(insights.view, view, request, now)
            await run()
            samples = []
            for _ in range(ROUNDS):
                started = time.perf_counter()
                await run()
                samples.append(time.perf_counter() - started)
            ordered = sorted(samples)
            views[view] = {
                "median_ms": round(statistics.median(ordered) * 1000, 3),
                "p95_ms": round(ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))] * 1000, 3),
                "plans": await _plans(store, insights, view, request, now),
            }
        all_views = [view["median_ms"] for view in views.values()]
        result[case] = {
            "views": views,
            "slowest_view_ms": max(all_views),
            "all_views_ms": round(sum(all_views), 3),
        }
    return result
