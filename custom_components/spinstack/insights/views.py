"""The insights: every view of the listening history, for a period and optional room and service filters.

One module serves the ``spinstack.get_insights`` service and the Listening Insights panel. Each view reads the
roll-ups of the store (schema.ROLLUPS) at the grain that fits the period:

* all time: the all-time counters (no filter) or the per-context all-time roll-ups (``r_ctx_*``);
* artists, tracks, albums and the heatmap of whole local years inside the period: the yearly roll-ups
  (``r_year_*``); the days outside whole years (a month, a week, the ends of a custom range): the plays themselves,
  through the covering index ``plays_by_time``. The yearly roll-ups of tracks and albums have no context (schema
  version 7): filtered, a period's whole years are read from the plays for them too;
* calendars, totals and breakdowns: the daily roll-up (``r_day``), or for long periods the monthly one
  (``r_month``) with the daily one for the days outside whole months.

A filter is a set of contexts (service, room...): SQL gets their ids as bound parameters. Every value reaches SQL as
a bound parameter; the only text put into a statement is a fixed name of _NAMES (checked as it is used), a fragment
written here, or ``?`` placeholders (tests/architecture/test_sql.py reviews each site).

Filtered all-time tops read the per-context all-time roll-ups only for the items that can rank: an item's plays under
a filter (or in one year) are at most its all-time counter, so the items are visited by that counter, most played
first (its index), until the ``limit``-th best sum so far is at least the counter of every item not visited yet
(``Insights._top_by_counter``); when that would take too many look-ups, the whole roll-up is summed instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
import heapq
import json
import math
from typing import Any, Final

from ..store import Store
from ..store.schema import ROLLUPS
from .periods import PERIODS, InsightsError, Period, date_of, lday_of, month_label, resolve

VIEWS: Final = (
    "summary",
    "top",
    "calendar",
    "heatmap",
    "breakdown",
    "discovery",
    "genres",
    "streaks",
    "on_this_day",
    "comebacks",
)
DRILLS: Final = ("day", "month", "weekday", "hour", "artist_id", "track_id", "album_id", "service", "room")
TOP_LIMIT = 10
NEW_ARTISTS_LIMIT = 20
COMEBACK_GAP_DAYS = 180
COMEBACK_MIN_EARLIER_PLAYS = 5
COMEBACK_CANDIDATES = 100
ON_THIS_DAY_TOP = 3
PLAYS_LIMIT_MAX = 500

# Weekday (Monday = 0) and hour of a local hour number, as SQL.
_WEEKDAY_SQL = "((p.lhour / 24 + 3) % 7)"
_HOW_SQL = f"({_WEEKDAY_SQL} * 24 + p.lhour % 24)"
# The only names (tables, columns, key expressions, joins) ever put into the text of a statement: a closed set,
# checked where they are used (_name).
_NAMES: Final = frozenset(
    {
        "context_id",
        "p.context_id",
        "r.context_id",
        "a.id",
        "id",
        "t.id",
        "al.id",
        "month",
        "how",
        "artist_id",
        "track_id",
        "album_id",
        "p.track_id",
        "p.album_id",
        "t.artist_id",
        _HOW_SQL,
        "JOIN tracks t ON t.id = p.track_id ",
        "",
        "r_ctx_how",
        "r_ctx_artist",
        "r_ctx_track",
        "r_ctx_album",
        "r_year_how",
        "r_year_artist",
        "r_year_track",
        "r_year_album",
        "artists",
        "tracks",
        "albums",
    }
)
# The plays' keys of _NAMES for the roll-ups without context, in the order Insights._plays_items reads them.
_ITEM_KEYS: Final = ("p.track_id", "p.album_id")
# The roll-ups of _NAMES keyed by context (a filter can be applied to them).
_BY_CONTEXT: Final = frozenset(rollup.table for rollup in ROLLUPS if "context_id" in rollup.keys)
# The names of artists, tracks and albums by id: (fixed select, its id column).
_NAME_QUERIES: Final = {
    "artists": ("SELECT id, name FROM artists", "id"),
    "artists_first": ("SELECT id, name, first_played FROM artists", "id"),
    "tracks": ("SELECT t.id, a.name, t.title FROM tracks t JOIN artists a ON a.id = t.artist_id", "t.id"),
    "albums": ("SELECT al.id, al.title, a.name FROM albums al JOIN artists a ON a.id = al.artist_id", "al.id"),
}
# Up to this many values, a list is bound one ? each (``IN (?, ?, ...)``); beyond it, as one JSON array read by
# json_each (SQLite allows 32,766 parameters a statement).
_MARKS_MAX = 500
# The tops by counter: the first batch of items visited, most played first; the most look-ups (items times the
# look-ups an item takes) the second batch may take before the whole roll-up is summed instead.
_TOP_BATCH = 256
# Longer tops (the comebacks' candidates) are summed from the roll-ups: their bound is too loose to pay.
_TOP_LIMIT_MAX = 20
_TOP_MAX_LOOKUPS = 6000


def _name(value: str) -> str:
    """A name or fragment of _NAMES, to be put into a statement's text (anything else is refused)."""
    if value not in _NAMES:
        raise ValueError(f"not a known SQL name: {value!r}")
    return value


def _in(column: str, values: Sequence[int]) -> tuple[str, list[Any]]:
    """``column IN (...)`` over ``values``, as SQL with ? placeholders and its parameters."""
    column = _name(column)
    if len(values) > _MARKS_MAX:
        return f"{column} IN (SELECT value FROM json_each(?))", [json.dumps([int(v) for v in values])]  # noqa: S608
    return f"{column} IN ({','.join('?' * len(values))})", [int(v) for v in values]


@dataclass(frozen=True, slots=True)
class Request:
    """What a caller asks: a period, filters, and the views wanted."""

    period: str = "month"
    start: date | None = None
    end: date | None = None
    rooms: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    views: tuple[str, ...] = VIEWS

    def __post_init__(self) -> None:
        if self.period not in PERIODS:
            raise InsightsError("unknown_period", period=self.period)
        unknown = [view for view in self.views if view not in VIEWS]
        if unknown:
            raise InsightsError("unknown_view", view=", ".join(unknown))


@dataclass(slots=True)
class _Scope:
    """A request made concrete: the period, and the contexts the filters keep (None: no filter)."""

    period: Period
    contexts: tuple[int, ...] | None
    request: Request
    every_context: tuple[int, ...] = ()
    cache: dict[str, Any] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return self.contexts == ()

    def ctx(self, column: str = "context_id") -> tuple[str, list[Any]]:
        """The filter as `` AND column IN (?, ...)`` and its parameters, or nothing."""
        if self.contexts is None:
            return "", []
        sql, params = _in(column, self.contexts)
        return f" AND {sql}", params

    def by_context(self) -> tuple[str, list[Any]]:
        """The filter, or every context, as SQL and parameters: for roll-ups keyed by context first (read one range
        per context)."""
        sql, params = _in("context_id", self.every_context if self.contexts is None else self.contexts)
        return f" AND {sql}", params


class Insights:
    """The insights of one play store.

    With ``keep`` above 0, the answers of the last ``keep`` requests are kept and given again while nothing the
    store holds has changed (``Store.data_version``) and it is the same local day (the views depend on ``now``
    through the local date only). The integration keeps one such instance per store, so that the panel's first
    question is answered from memory when the panel opens (``warm``). A kept answer is shared: callers must not
    change it.
    """

    def __init__(self, store: Store, keep: int = 0) -> None:
        self._store = store
        self._keep = keep
        # (request, local date) -> (the store's data version read before the answer was computed, the answer).
        self._kept: dict[tuple[Request, date], tuple[tuple[int, int], dict[str, Any]]] = {}
        # Requests being computed by warm(), and those asked for again meanwhile.
        self._warming: set[Request] = set()
        self._warm_again: set[Request] = set()

    # -- what can be asked ---------------------------------------------------------------------------------------
    async def options(self) -> dict[str, Any]:
        """The rooms, services and time span the pickers offer."""
        store = self._store
        rows = await store.rows("SELECT DISTINCT room, service FROM contexts")
        first = await store.scalar("SELECT min(started_at) FROM plays")
        last = await store.scalar("SELECT max(started_at) FROM plays")
        return {
            "timezone": str(store.clock.tz),
            "first_played": first,
            "last_played": last,
            "rooms": sorted({room for room, _ in rows if room}),
            "services": sorted({service for _, service in rows}),
            "periods": list(PERIODS),
        }

    async def _scope(self, request: Request, now: float) -> _Scope:
        store = self._store
        first_played = await store.scalar("SELECT min(started_at) FROM plays") if request.period == "all" else None
        period = resolve(store.clock, request.period, now, request.start, request.end, first_played)
        contexts: tuple[int, ...] | None = None
        if request.rooms or request.services:
            clauses: list[str] = []
            params: list[str] = []
            for column, values in (("room", request.rooms), ("service", request.services)):
                if values:
                    clauses.append(f"{column} IN ({','.join('?' for _ in values)})")
                    params.extend(values)
            sql = f"SELECT id FROM contexts WHERE {' AND '.join(clauses)} ORDER BY id"  # noqa: S608 - fixed columns
            contexts = tuple(int(row[0]) for row in await store.rows(sql, params))
        every = tuple(int(row[0]) for row in await store.rows("SELECT id FROM contexts ORDER BY id"))
        return _Scope(period, contexts, request, every)

    # -- the views -----------------------------------------------------------------------------------------------
    async def views(self, request: Request, now: float) -> dict[str, Any]:
        """Every view asked for, with the period and filters they answer."""
        if not self._keep:
            return await self._views(request, now)
        key = self._kept_key(request, now)
        version = await self._store.data_version()
        kept = self._kept.pop(key, None)
        if kept is None or kept[0] != version:
            kept = version, await self._views(request, now)
        # Most recently used last; the least recently used goes first.
        self._kept[key] = kept
        while len(self._kept) > self._keep:
            del self._kept[next(iter(self._kept))]
        return kept[1]

    async def is_kept(self, request: Request, now: float) -> bool:
        """Whether the answer to ``request`` is kept and still true."""
        kept = self._kept.get(self._kept_key(request, now))
        return kept is not None and kept[0] == await self._store.data_version()

    def _kept_key(self, request: Request, now: float) -> tuple[Request, date]:
        """An answer is kept per request and local day: the views depend on ``now`` through the local date only."""
        return request, self._store.clock.local(now).date()

    async def warm(self, request: Request, now: Callable[[], float]) -> None:
        """Compute and keep the answer to ``request`` (with ``keep`` above 0), so that it is ready when asked.

        Calls made while the same request is being computed are merged: that computation runs once more when it
        ends (what was written meanwhile is then in the answer) and the calls return at once. A burst of plays costs
        two computations, not one each, and the store's connection stays free for the plays themselves."""
        if request in self._warming:
            self._warm_again.add(request)
            return
        self._warming.add(request)
        try:
            while True:
                self._warm_again.discard(request)
                await self.views(request, now())
                if request not in self._warm_again:
                    return
        finally:
            self._warming.discard(request)
            self._warm_again.discard(request)

    async def _views(self, request: Request, now: float) -> dict[str, Any]:
        scope = await self._scope(request, now)
        result: dict[str, Any] = {
            "period": scope.period.as_dict(),
            "filters": {"rooms": list(request.rooms), "services": list(request.services)},
        }
        for view in request.views:
            result[view] = await getattr(self, f"_view_{view}")(scope, now)
        return result

    async def view(self, name: str, request: Request, now: float) -> Any:
        """One view (the benchmark measures them one by one)."""
        scope = await self._scope(request, now)
        return await getattr(self, f"_view_{name}")(scope, now)

    async def _view_summary(self, scope: _Scope, now: float) -> dict[str, int]:
        period = scope.period
        if period.all_time and scope.contexts and "days" not in scope.cache:
            # Filtered, all time: the plays and heard time of the all-time roll-up (less those of days outside the
            # period, if any), and the days counted rather than summed one by one.
            kept, ids = scope.ctx()
            first, last = period.first_lday, period.last_lday
            row = (
                await self._store.rows(
                    "SELECT (SELECT count(DISTINCT lday) FROM r_day "  # noqa: S608 - ? placeholders only
                    f"WHERE lday >= ? AND lday <= ?{kept}), coalesce(sum(plays), 0), coalesce(sum(heard), 0) FROM ("
                    f"SELECT plays, heard FROM r_ctx_how WHERE 1{kept} "
                    f"UNION ALL SELECT -plays, -heard FROM r_day WHERE lday < ?{kept} "
                    f"UNION ALL SELECT -plays, -heard FROM r_day WHERE lday > ?{kept})",
                    [first, last, *ids, *ids, first, *ids, last, *ids],
                )
            )[0]
            return {"plays": row[1], "heard": row[2], "active_days": row[0]}
        days = await self._days(scope)
        return {
            "plays": sum(n for _, n, _ in days),
            "heard": sum(h for _, _, h in days),
            "active_days": len(days),
        }

    async def _days(self, scope: _Scope) -> list[tuple[int, int, int]]:
        """(local day, plays, heard) of every day of the period with plays."""
        if "days" not in scope.cache:
            period = scope.period
            if scope.empty:
                scope.cache["days"] = []
            elif scope.contexts is None:
                scope.cache["days"] = await self._store.rows(
                    "SELECT lday, plays, heard FROM r_day_total WHERE lday >= ? AND lday <= ? ORDER BY lday",
                    (period.first_lday, period.last_lday),
                )
            else:
                contexts, ids = scope.by_context()
                scope.cache["days"] = await self._store.rows(
                    "SELECT lday, sum(plays), sum(heard) FROM r_day "  # noqa: S608 - ? placeholders only
                    f"WHERE lday >= ? AND lday <= ?{contexts} GROUP BY lday ORDER BY lday",
                    [period.first_lday, period.last_lday, *ids],
                )
        days: list[tuple[int, int, int]] = scope.cache["days"]
        return days

    async def _long_sums(self, scope: _Scope, by: str) -> dict[int, list[int]]:
        """Plays and heard seconds of a long period by month (YYYYMM) or by context: whole months from the monthly
        roll-up, the days outside them from the daily one."""
        sums: dict[int, list[int]] = {}
        if scope.empty:
            return sums
        period = scope.period

        def add(key: int, plays: int, heard: int) -> None:
            entry = sums.setdefault(key, [0, 0])
            entry[0] += plays
            entry[1] += heard

        months = period.full_months()
        if months is not None:
            kept, ids = scope.ctx()
            for key, plays, heard in await self._store.rows(
                f"SELECT {_name(by)}, sum(plays), sum(heard) FROM r_month "  # noqa: S608 - a fixed name, ? only
                f"WHERE month >= ? AND month <= ?{kept} GROUP BY {_name(by)}",
                [*months, *ids],
            ):
                add(key, plays, heard)
        clock = self._store.clock
        contexts, every = scope.by_context()
        for start, end in period.edges(clock):
            first, last = clock.lhour(start) // 24, clock.lhour(end) // 24 - 1
            for day, context, plays, heard in await self._store.rows(
                "SELECT lday, context_id, plays, heard FROM r_day "  # noqa: S608 - ? placeholders only
                f"WHERE lday >= ? AND lday <= ?{contexts}",
                [first, last, *every],
            ):
                when = date_of(day)
                add(when.year * 100 + when.month if by == "month" else context, plays, heard)
        return sums

    async def _view_calendar(self, scope: _Scope, now: float) -> list[dict[str, Any]]:
        if scope.period.granularity == "day":
            return [
                {"bucket": date_of(day).isoformat(), "plays": plays, "heard": heard}
                for day, plays, heard in await self._days(scope)
            ]
        sums = await self._long_sums(scope, "month")
        return [
            {"bucket": month_label(month), "plays": plays, "heard": heard}
            for month, (plays, heard) in sorted(sums.items())
        ]

    async def _view_heatmap(self, scope: _Scope, now: float) -> list[dict[str, int]]:
        cells = await self._sums(scope, "how", r_ctx="r_ctx_how", r_year="r_year_how", plays_key=_HOW_SQL)
        return [
            {"weekday": how // 24, "hour": how % 24, "plays": plays, "heard": heard}
            for how, (plays, heard) in sorted(cells.items())
        ]

    async def _sums(
        self,
        scope: _Scope,
        key: str,
        *,
        r_ctx: str,
        r_year: str,
        plays_key: str,
        counters: str | None = None,
        limit: int | None = None,
        join: str = "",
        ties: bool = False,
    ) -> dict[int, tuple[int, int]]:
        """Plays and heard seconds by ``key`` over the period: from the all-time roll-up (or the all-time
        ``counters`` of that table, when nothing is filtered), else the whole years' roll-up plus the other days'
        plays. With ``limit``, only the keys that may be among the ``limit`` with the most plays: those ``limit``
        and maybe some more (callers rank them); with ``ties`` (all time, filtered), every key with as many plays as
        the ``limit``-th too."""
        if scope.empty:
            return {}
        period = scope.period
        store = self._store
        key, r_ctx, r_year = _name(key), _name(r_ctx), _name(r_year)
        order = " ORDER BY 2 DESC, 3 DESC LIMIT ?" if limit is not None else ""
        limits = [limit] if limit is not None else []
        if period.all_time:
            if counters is not None and scope.contexts is None:
                rows = await store.rows(
                    f"SELECT id, plays, heard FROM {_name(counters)} "  # noqa: S608 - a fixed name, ? only
                    "WHERE plays > 0 ORDER BY plays DESC, heard DESC LIMIT ?",
                    [-1 if limit is None else limit],
                )
                return {row[0]: (row[1], row[2]) for row in rows}
            kept, ids = scope.ctx()
            if counters is not None and limit is not None and limit <= _TOP_LIMIT_MAX:
                in_r, ids_r = scope.ctx("r.context_id")
                found = await self._top_by_counter(
                    counters, f"{r_ctx} r ON r.{key} = c.id{in_r}", ids_r, limit, len(scope.contexts or ())
                )
                if found is not None:
                    return found
            if ties:
                order, limits = "", []
            rows = await store.rows(
                f"SELECT {key}, sum(plays), sum(heard) FROM {r_ctx} "  # noqa: S608 - fixed names, ? only
                f"WHERE 1{kept} GROUP BY {key}{order}",
                [*ids, *limits],
            )
            sums = {row[0]: (row[1], row[2]) for row in rows}
            if ties and limit is not None:
                kth = _kth(sums, limit)
                return {item: value for item, value in sums.items() if value[0] >= kth}
            return sums
        years = period.full_years()
        plays_key, join = _name(plays_key), _name(join)
        if years is not None and scope.contexts is not None and r_year not in _BY_CONTEXT:
            # This yearly roll-up has no context: a filtered period is read from the plays, whole years too. The sums
            # by track and album (the keys of the roll-ups without context) come from one read of them (the top view
            # asks for both; reading them is most of the work), then the ``limit`` with the most plays, as the
            # statement below orders them. Shorter periods read less: one statement per key costs less there.
            items = (await self._plays_items(scope))[plays_key]
            if limit is None:
                return dict(items)  # callers may change it: the request's read stays as it was
            ranked = heapq.nsmallest(limit, items.items(), key=lambda item: (-item[1][0], -item[1][1]))
            return dict(ranked)
        parts: list[str] = []
        params: list[Any] = []
        one_year = years is not None and years[0] == years[1]
        kept, ids = scope.ctx()
        if years is not None:
            parts.append(
                f"SELECT {key} AS k, plays, heard FROM {r_year} "  # noqa: S608 - fixed names, ? only
                f"WHERE year >= ? AND year <= ?{kept}"
            )
            params.extend((*years, *ids))
        for start, end in period.edges(store.clock, "year"):
            in_plays, ids_plays = scope.ctx("p.context_id")
            parts.append(
                f"SELECT {plays_key} AS k, 1 AS plays, p.heard AS heard FROM plays p {join}"  # noqa: S608
                f"WHERE p.started_at >= ? AND p.started_at < ?{in_plays}"
            )
            params.extend((start, end, *ids_plays))
        if one_year and len(parts) == 1:
            # One whole year: the roll-up's rows for it come grouped by item (no sort to sum them).
            if counters is not None and limit is not None and limit <= _TOP_LIMIT_MAX and scope.contexts is None:
                # Unfiltered only: a filter's share of one year is too small a part of the counters to bound it.
                found = await self._top_by_counter(
                    counters, f"{r_year} r ON r.year = ? AND r.{key} = c.id", [period.first.year], limit, 1
                )
                if found is not None:
                    return found
            sql = (
                f"SELECT {key}, sum(plays), sum(heard) FROM {r_year} "  # noqa: S608 - fixed names, ? only
                f"WHERE year = ?{kept} GROUP BY {key}{order}"
            )
            params = [period.first.year, *ids]
        else:
            sql = f"SELECT k, sum(plays), sum(heard) FROM ({' UNION ALL '.join(parts)}) GROUP BY k{order}"  # noqa: S608
        return {row[0]: (row[1], row[2]) for row in await store.rows(sql, [*params, *limits])}

    async def _plays_items(self, scope: _Scope) -> dict[str, dict[int, tuple[int, int]]]:
        """Plays and heard seconds over the period by track (``p.track_id``) and album (``p.album_id``, None for no
        album), from the plays: one read of them, kept for the request."""
        if "items" not in scope.cache:
            in_plays, ids = scope.ctx("p.context_id")
            rows = await self._store.rows(
                "SELECT p.track_id, p.album_id, count(*), sum(p.heard) FROM plays p "  # noqa: S608 - ? placeholders only
                f"WHERE p.started_at >= ? AND p.started_at < ?{in_plays} GROUP BY 1, 2",
                [scope.period.start, scope.period.end, *ids],
            )
            items: dict[str, dict[int, tuple[int, int]]] = {key: {} for key in _ITEM_KEYS}
            for row in rows:
                for key, item in zip(_ITEM_KEYS, row, strict=False):
                    plays, heard = items[key].get(item, (0, 0))
                    items[key][item] = (plays + row[2], heard + row[3])
            scope.cache["items"] = items
        found: dict[str, dict[int, tuple[int, int]]] = scope.cache["items"]
        return found

    async def _top_by_counter(
        self, counters: str, source: str, params: list[Any], limit: int, lookups: int
    ) -> dict[int, tuple[int, int]] | None:
        """The items of ``counters`` (artists, tracks, albums) that may rank among the ``limit`` with the most plays
        in ``source`` (a roll-up ``r`` joined on the item ``c``, with its ``params``), with their sums there; None
        when reading them by counter would cost more than summing the whole roll-up.

        An item's plays in ``source`` are at most its all-time counter. The items are read most played first: the
        first ``_TOP_BATCH`` (and the ties of the last), then those down to the ``limit``-th best sum found. Any
        item not read has a counter, hence plays, below that sum: it cannot rank, nor tie."""
        store = self._store
        counters = _name(counters)
        floor = await store.scalar(
            f"SELECT plays FROM {counters} ORDER BY plays DESC LIMIT 1 OFFSET ?",  # noqa: S608 - a fixed name
            [_TOP_BATCH - 1],
        )
        if floor is None or floor < 1:
            return None
        # CROSS JOIN: item by item, down the counter's index, then the roll-up's rows of each (its primary key).
        # Grouped by +c.id: by c.id, SQLite would rather scan every item in id order than sort a few sums.
        sql = (
            f"SELECT c.id, sum(r.plays), sum(r.heard) FROM {counters} c CROSS JOIN {source} "  # noqa: S608
            "WHERE c.plays >= ? AND c.plays < ? GROUP BY +c.id"
        )
        found = {row[0]: (row[1], row[2]) for row in await store.rows(sql, [*params, floor, 2**62])}
        kth = _kth(found, limit)
        if kth < floor:
            if kth < 1:
                return None
            between = await store.scalar(
                f"SELECT count(*) FROM {counters} WHERE plays >= ? AND plays < ?",  # noqa: S608 - a fixed name
                [kth, floor],
            )
            if between * lookups > _TOP_MAX_LOOKUPS:
                return None
            found.update({row[0]: (row[1], row[2]) for row in await store.rows(sql, [*params, kth, floor])})
            kth = _kth(found, limit)
        return {item: sums for item, sums in found.items() if sums[0] >= kth}

    async def _top_artists(self, scope: _Scope, limit: int | None) -> dict[int, tuple[int, int]]:
        return await self._sums(
            scope,
            "artist_id",
            r_ctx="r_ctx_artist",
            r_year="r_year_artist",
            plays_key="t.artist_id",
            join="JOIN tracks t ON t.id = p.track_id ",
            counters="artists",
            limit=limit,
        )

    async def _view_top(self, scope: _Scope, now: float) -> dict[str, list[dict[str, Any]]]:
        artists = await self._top_artists(scope, TOP_LIMIT)
        tracks = await self._sums(
            scope,
            "track_id",
            r_ctx="r_ctx_track",
            r_year="r_year_track",
            plays_key="p.track_id",
            counters="tracks",
            limit=TOP_LIMIT,
        )
        albums = await self._sums(
            scope,
            "album_id",
            r_ctx="r_ctx_album",
            r_year="r_year_album",
            plays_key="p.album_id",
            counters="albums",
            limit=TOP_LIMIT + 1,  # the edge days' plays may have no album (NULL), which is no album
        )
        albums.pop(None, None)  # type: ignore[call-overload]
        top_artists = _ranked(artists, TOP_LIMIT)
        top_tracks = _ranked(tracks, TOP_LIMIT)
        top_albums = _ranked(albums, TOP_LIMIT)
        artist_names = await self._names("artists", (k for k, _ in top_artists))
        track_names = await self._names("tracks", (k for k, _ in top_tracks))
        album_names = await self._names("albums", (k for k, _ in top_albums))
        return {
            "artists": [
                {"artist_id": k, "artist": artist_names[k][0], "plays": n, "heard": h} for k, (n, h) in top_artists
            ],
            "tracks": [
                {"track_id": k, "artist": track_names[k][0], "title": track_names[k][1], "plays": n, "heard": h}
                for k, (n, h) in top_tracks
            ],
            "albums": [
                {"album_id": k, "album": album_names[k][0], "artist": album_names[k][1], "plays": n, "heard": h}
                for k, (n, h) in top_albums
            ],
        }

    async def _names(self, kind: str, ids: Iterable[int | None]) -> dict[int, tuple[Any, ...]]:
        """The names of artists, tracks or albums (``kind``) by id: (name,), (artist, title) or (title, artist)."""
        wanted = [int(i) for i in ids if i is not None]
        if not wanted:
            return {}
        select, column = _NAME_QUERIES[kind]
        where, params = _in(column, wanted)
        rows = await self._store.rows(f"{select} WHERE {where}", params)
        return {row[0]: tuple(row[1:]) for row in rows}

    async def _view_breakdown(self, scope: _Scope, now: float) -> dict[str, list[dict[str, Any]]]:
        period = scope.period
        if scope.empty:
            return {"services": [], "rooms": []}
        by_id: dict[int, list[int]] = {}
        if period.granularity == "day":
            contexts, ids = scope.by_context()
            rows = await self._store.rows(
                "SELECT context_id, sum(plays), sum(heard) FROM r_day "  # noqa: S608 - ? placeholders only
                f"WHERE lday >= ? AND lday <= ?{contexts} GROUP BY context_id",
                [period.first_lday, period.last_lday, *ids],
            )
            by_id = {context: [plays, heard] for context, plays, heard in rows}
        else:
            by_id = await self._long_sums(scope, "context_id")
        names = {row[0]: (row[1], row[2]) for row in await self._store.rows("SELECT id, service, room FROM contexts")}
        by_context = [(*names[context], plays, heard) for context, (plays, heard) in by_id.items()]
        services: dict[str, list[int]] = {}
        rooms: dict[str, list[int]] = {}
        for service, room, plays, heard in by_context:
            for table, name in ((services, service), (rooms, room)):
                sums = table.setdefault(name, [0, 0])
                sums[0] += plays
                sums[1] += heard
        return {
            "services": [
                {"service": name, "plays": n, "heard": h}
                for name, (n, h) in sorted(services.items(), key=lambda item: (-item[1][0], item[0]))
            ],
            "rooms": [
                {"room": name, "plays": n, "heard": h}
                for name, (n, h) in sorted(rooms.items(), key=lambda item: (-item[1][0], item[0]))
            ],
        }

    async def _view_discovery(self, scope: _Scope, now: float) -> dict[str, Any]:
        store = self._store
        period = scope.period
        new_tracks = int(
            await store.scalar(
                "SELECT count(*) FROM tracks WHERE first_played >= ? AND first_played < ?", (period.start, period.end)
            )
        )
        if scope.empty:
            rows: list[tuple[Any, ...]] = []
        elif period.all_time:
            # Every artist was first heard at some time: all of them (with plays under the filter) are new.
            return await self._all_time_discovery(scope, new_tracks)
        else:
            # The artists first heard in the period, and their plays in it: from the few new artists down to their
            # tracks and plays (indexes on first_played, tracks by artist, plays by track; CROSS JOIN keeps that
            # order rather than reading every play of the period).
            kept, ids = scope.ctx("p.context_id")
            rows = await store.rows(
                "SELECT a.id, a.name, a.first_played, count(*), sum(p.heard) FROM artists a "  # noqa: S608 - ? only
                "CROSS JOIN tracks t ON t.artist_id = a.id "
                "CROSS JOIN plays p ON p.track_id = t.id AND p.started_at >= ?1 AND p.started_at < ?2 "
                f"WHERE a.first_played >= ?1 AND a.first_played < ?2{kept} "
                "GROUP BY a.id ORDER BY 4 DESC, a.first_played",
                [period.start, period.end, *ids],
            )
        summary = await self._view_summary(scope, now)
        new_plays = sum(row[3] for row in rows)
        per_day: dict[int, int] = {}
        lhour = store.clock.lhour
        for row in rows:
            day = lhour(row[2]) // 24
            per_day[day] = per_day.get(day, 0) + 1
        buckets: dict[str, int] = {}
        for day, count in per_day.items():
            bucket = date_of(day).isoformat()
            bucket = bucket if period.granularity == "day" else bucket[:7]
            buckets[bucket] = buckets.get(bucket, 0) + count
        return {
            "score": round(new_plays / summary["plays"], 4) if summary["plays"] else None,
            "new_artist_count": len(rows),
            "new_track_count": new_tracks,
            "new_artists": [
                {"artist_id": row[0], "artist": row[1], "first_played": row[2], "plays": row[3]}
                for row in rows[:NEW_ARTISTS_LIMIT]
            ],
            "over_time": [{"bucket": bucket, "new_artists": count} for bucket, count in sorted(buckets.items())],
        }

    async def _all_time_discovery(self, scope: _Scope, new_tracks: int) -> dict[str, Any]:
        store = self._store
        # The artists with plays (under the filter): all of them were new once. The month each was first heard in,
        # counted: unfiltered, every artist first played (they are those with plays), month by local month through
        # the index on first_played (as the other periods bucket them: the local day of first_played); filtered, the
        # artists of the filter's contexts in the all-time roll-up.
        if scope.contexts is None:
            months = [
                (month, n)
                for month, n in await store.rows(
                    "SELECT j.value ->> 0, (SELECT count(*) FROM artists "
                    "WHERE first_played >= j.value ->> 1 AND first_played < j.value ->> 2) FROM json_each(?) AS j",
                    [json.dumps(await self._months_of_first_plays())],
                )
                if n
            ]
            top = await store.rows(
                "SELECT id, name, first_played, plays FROM artists WHERE plays > 0 "
                "ORDER BY plays DESC, first_played LIMIT ?",
                [NEW_ARTISTS_LIMIT],
            )
        else:
            kept, ids = scope.ctx()
            months = await store.rows(
                "SELECT strftime('%Y-%m', a.first_lday * 86400, 'unixepoch') AS m, count(*) FROM artists a "  # noqa: S608
                f"WHERE a.id IN (SELECT artist_id FROM r_ctx_artist WHERE 1{kept}) GROUP BY m ORDER BY m",
                ids,
            )
            sums = await self._sums(
                scope,
                "artist_id",
                r_ctx="r_ctx_artist",
                r_year="r_year_artist",
                plays_key="t.artist_id",
                counters="artists",
                limit=NEW_ARTISTS_LIMIT,
                ties=True,
            )
            names = await self._names("artists_first", sums)
            ranked = sorted(sums, key=lambda k: (-sums[k][0], names[k][1], k))[:NEW_ARTISTS_LIMIT]
            top = [(k, names[k][0], names[k][1], sums[k][0]) for k in ranked]
        count = sum(n for _, n in months)
        return {
            "score": 1.0 if count else None,
            "new_artist_count": count,
            "new_track_count": new_tracks,
            "new_artists": [
                {"artist_id": row[0], "artist": row[1], "first_played": row[2], "plays": row[3]} for row in top
            ],
            "over_time": [{"bucket": month, "new_artists": n} for month, n in months],
        }

    async def _months_of_first_plays(self) -> list[tuple[str, int, int]]:
        """Each local month from the first artist's first play to the last's: (YYYY-MM, start, end)."""
        store = self._store
        first, last = (
            await store.rows("SELECT (SELECT min(first_played) FROM artists), (SELECT max(first_played) FROM artists)")
        )[0]
        months: list[tuple[str, int, int]] = []
        if first is None:
            return months
        clock = store.clock
        start = clock.month_start(first)
        while start <= last:
            end = clock.next_month(start)
            local = clock.local(start)
            months.append((f"{local.year:04d}-{local.month:02d}", int(start), int(end)))
            start = end
        return months

    async def _view_genres(self, scope: _Scope, now: float) -> dict[str, Any]:
        store = self._store
        if not await store.scalar("SELECT EXISTS (SELECT 1 FROM artist_genres)"):
            return {"available": False, "reason": "no_genre_data"}
        artists = await self._top_artists(scope, None)
        where, params = _in("artist_id", list(artists))
        tagged = await store.rows(f"SELECT artist_id, genre FROM artist_genres WHERE {where}", params)  # noqa: S608
        genres: dict[str, int] = {}
        for artist_id, genre in tagged:
            genres[genre] = genres.get(genre, 0) + artists[artist_id][0]
        if not genres:
            return {"available": False, "reason": "no_genre_data_in_period"}
        total = sum(genres.values())
        entropy = -sum(n / total * math.log2(n / total) for n in genres.values())
        return {
            "available": True,
            "entropy": round(entropy, 4),
            "normalized": round(entropy / math.log2(len(genres)), 4) if len(genres) > 1 else 0.0,
            "genres": [
                {"genre": genre, "plays": n}
                for genre, n in sorted(genres.items(), key=lambda item: (-item[1], item[0]))
            ],
        }

    async def _active_days(self, scope: _Scope) -> list[int]:
        """The local days of the period with plays, in order."""
        if scope.contexts is None or scope.empty or "days" in scope.cache:
            return [day for day, _, _ in await self._days(scope)]
        period = scope.period
        contexts, ids = scope.by_context()
        rows = await self._store.rows(
            "SELECT DISTINCT lday FROM r_day "  # noqa: S608 - ? placeholders only
            f"WHERE lday >= ? AND lday <= ?{contexts} ORDER BY lday",
            [period.first_lday, period.last_lday, *ids],
        )
        return [row[0] for row in rows]

    async def _view_streaks(self, scope: _Scope, now: float) -> dict[str, Any]:
        days = await self._active_days(scope)
        longest, longest_end, run = 0, None, 0
        for index, day in enumerate(days):
            run = run + 1 if index and days[index - 1] == day - 1 else 1
            if run > longest:
                longest, longest_end = run, day
        today = lday_of(self._store.clock.local(now).date())
        current = 0
        if days and days[-1] >= today - 1:
            current = 1
            while current < len(days) and days[-1 - current] == days[-1] - current:
                current += 1
        return {
            "current": current,
            "longest": longest,
            "longest_start": None if longest_end is None else date_of(longest_end - longest + 1).isoformat(),
            "longest_end": None if longest_end is None else date_of(longest_end).isoformat(),
        }

    async def _view_on_this_day(self, scope: _Scope, now: float) -> list[dict[str, Any]]:
        """The period's last day (today for periods that reach it) in each earlier year with plays."""
        store = self._store
        if scope.empty:
            return []
        clock = store.clock
        anchor = min(scope.period.last, clock.local(now).date())
        first = await store.scalar("SELECT min(started_at) FROM plays")
        if first is None:
            return []
        result = []
        kept, ids = scope.ctx("p.context_id")
        for year in range(anchor.year - 1, clock.local(first).year - 1, -1):
            try:
                day = anchor.replace(year=year)
            except ValueError:  # 29 February
                continue
            start = int(clock.day_start(_noon(clock, day)))
            end = int(clock.day_start(_noon(clock, day + timedelta(days=1))))
            rows = await store.rows(
                "SELECT a.name, t.title, count(*) FROM plays p "  # noqa: S608 - ? placeholders only
                "JOIN tracks t ON t.id = p.track_id JOIN artists a ON a.id = t.artist_id "
                f"WHERE p.started_at >= ? AND p.started_at < ?{kept} "
                "GROUP BY p.track_id ORDER BY 3 DESC, min(p.started_at)",
                [start, end, *ids],
            )
            if rows:
                result.append(
                    {
                        "year": year,
                        "date": day.isoformat(),
                        "plays": sum(row[2] for row in rows),
                        "top": [
                            {"artist": artist, "title": title, "plays": n}
                            for artist, title, n in rows[:ON_THIS_DAY_TOP]
                        ],
                    }
                )
        return result

    async def _view_comebacks(self, scope: _Scope, now: float) -> list[dict[str, Any]]:
        """Artists of the period heard before, then not for 180 days or more, until the period."""
        period = scope.period
        if period.all_time:
            return []
        store = self._store
        artists = await self._top_artists(scope, COMEBACK_CANDIDATES)
        if not artists:
            return []
        candidates, ids = _in("a.id", list(artists))
        # Per candidate, through the plays-by-track index (one seek per track): the last play before the period
        # and the first in it.
        rows = await store.rows(
            "SELECT a.id, a.name, a.plays,"  # noqa: S608 - ? placeholders only
            " max((SELECT max(started_at) FROM plays WHERE track_id = t.id AND started_at < ?1)),"
            " min((SELECT min(started_at) FROM plays WHERE track_id = t.id AND started_at >= ?1 AND started_at < ?2))"
            f" FROM artists a JOIN tracks t ON t.artist_id = a.id WHERE {candidates} AND a.first_played < ?1"
            " GROUP BY a.id",
            [period.start, period.end, *ids],
        )
        result = []
        for artist_id, name, plays_ever, last_before, first_in in rows:
            # Plays before the period, at most (exact when the period ends now and nothing is filtered).
            earlier = plays_ever - artists[artist_id][0]
            if last_before is None or first_in is None or earlier < COMEBACK_MIN_EARLIER_PLAYS:
                continue
            gap = int((first_in - last_before) // 86400)
            if gap >= COMEBACK_GAP_DAYS:
                result.append({"artist_id": artist_id, "artist": name, "plays": artists[artist_id][0], "gap_days": gap})
        result.sort(key=lambda item: (-item["plays"], -item["gap_days"], item["artist"]))
        return result[:TOP_LIMIT]

    # -- the plays behind a bar or a cell -------------------------------------------------------------------------
    async def plays(self, request: Request, drill: dict[str, Any], now: float, limit: int = 100) -> dict[str, Any]:
        """The plays of the period (and filters) behind one bar or cell, newest first."""
        if not 1 <= limit <= PLAYS_LIMIT_MAX:
            raise InsightsError("limit_out_of_range", limit=str(limit))
        unknown = [key for key in drill if key not in DRILLS]
        if unknown or not drill:
            raise InsightsError("unknown_drill", drill=", ".join(unknown) or "-")
        scope = await self._scope(request, now)
        if scope.empty:
            return {"plays": [], "truncated": False}
        period = scope.period
        clock = self._store.clock
        start, end = period.start, period.end
        where: list[str] = []
        params: list[Any] = []
        if "day" in drill:
            day = _parse_date(drill["day"])
            start = max(start, int(clock.day_start(_noon(clock, day))))
            end = min(end, int(clock.day_start(_noon(clock, day + timedelta(days=1)))))
        if "month" in drill:
            month = _parse_date(f"{drill['month']}-01")
            start = max(start, int(clock.month_start(_noon(clock, month))))
            end = min(end, int(clock.next_month(_noon(clock, month))))
        if "weekday" in drill:
            where.append(f"{_WEEKDAY_SQL} = ?")
            params.append(_int(drill["weekday"], 0, 6))
        if "hour" in drill:
            where.append("p.lhour % 24 = ?")
            params.append(_int(drill["hour"], 0, 23))
        if "artist_id" in drill:
            where.append("p.track_id IN (SELECT id FROM tracks WHERE artist_id = ?)")
            params.append(_int(drill["artist_id"], 1, 2**62))
        if "track_id" in drill:
            where.append("p.track_id = ?")
            params.append(_int(drill["track_id"], 1, 2**62))
        if "album_id" in drill:
            where.append("p.album_id = ?")
            params.append(_int(drill["album_id"], 1, 2**62))
        if "service" in drill:
            where.append("c.service = ?")
            params.append(str(drill["service"]))
        if "room" in drill:
            where.append("c.room = ?")
            params.append(str(drill["room"]))
        conditions = "".join(f" AND {clause}" for clause in where)
        kept, ids = scope.ctx("p.context_id")
        rows = await self._store.rows(
            "SELECT p.started_at, a.name, t.title, al.title, c.service, c.room, p.heard FROM plays p "  # noqa: S608
            "JOIN tracks t ON t.id = p.track_id JOIN artists a ON a.id = t.artist_id "
            "LEFT JOIN albums al ON al.id = p.album_id JOIN contexts c ON c.id = p.context_id "
            f"WHERE p.started_at >= ? AND p.started_at < ?{kept}{conditions} "
            "ORDER BY p.started_at DESC LIMIT ?",
            [start, end, *ids, *params, limit + 1],
        )
        keys = ("started_at", "artist", "title", "album", "service", "room", "heard")
        return {
            "plays": [dict(zip(keys, row, strict=True)) for row in rows[:limit]],
            "truncated": len(rows) > limit,
        }


def _kth(sums: dict[int, tuple[int, int]], limit: int) -> int:
    """The ``limit``-th most plays among ``sums`` (0 when there are fewer)."""
    if len(sums) < limit:
        return 0
    return sorted((plays for plays, _ in sums.values()), reverse=True)[limit - 1]


def _ranked(sums: dict[int, tuple[int, int]], limit: int) -> list[tuple[int, tuple[int, int]]]:
    """The ``limit`` keys with the most plays (then the most heard time, then the lowest id)."""
    return sorted(sums.items(), key=lambda item: (-item[1][0], -item[1][1], item[0]))[:limit]


def _noon(clock: Any, day: date) -> float:
    """Epoch seconds of local noon on ``day`` (a time safely inside it, whatever DST does at night)."""
    return datetime(day.year, day.month, day.day, 12, tzinfo=clock.tz).timestamp()


def _parse_date(value: Any) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError as err:
        raise InsightsError("invalid_date", value=str(value)) from err


def _int(value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InsightsError("invalid_drill_value", value=str(value))
    return value


def parse_dates(start: str | None, end: str | None) -> tuple[date | None, date | None]:
    """Custom period bounds from ISO dates."""
    return (
        None if start is None else _parse_date(start),
        None if end is None else _parse_date(end),
    )


def as_tuple(values: Sequence[str] | None) -> tuple[str, ...]:
    return tuple(values or ())
