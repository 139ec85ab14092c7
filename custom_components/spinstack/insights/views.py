"""The insights: every view of the listening history, for a period and optional room and service filters.

One module serves the ``spinstack.get_insights`` service and the Listening Insights panel. Each view reads the
roll-ups of the store (schema.ROLLUPS) at the grain that fits the period:

* all time: the all-time counters (no filter) or the per-context all-time roll-ups (``r_ctx_*``);
* artists, tracks, albums and the heatmap of whole local years inside the period: the yearly roll-ups
  (``r_year_*``); the days outside whole years (a month, a week, the ends of a custom range): the plays themselves,
  through the covering index ``plays_by_time``;
* calendars, totals and breakdowns: the daily roll-up (``r_day``), or for long periods the monthly one
  (``r_month``) with the daily one for the days outside whole months.

A filter is a set of contexts (service, room...): SQL gets their ids as integer literals, never text.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
import math
from typing import Any, Final

from ..store import Store
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

    def ctx(self, column: str = "context_id") -> str:
        """The filter as SQL on ``column`` (integer literals only), or nothing."""
        if self.contexts is None:
            return ""
        return f" AND {column} IN ({','.join(str(int(c)) for c in self.contexts)})"

    def by_context(self) -> str:
        """The filter, or every context, as SQL: for roll-ups keyed by context first (read one range per context)."""
        kept = self.every_context if self.contexts is None else self.contexts
        return f" AND context_id IN ({','.join(str(int(c)) for c in kept)})"


class Insights:
    """The insights of one play store."""

    def __init__(self, store: Store) -> None:
        self._store = store

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
                scope.cache["days"] = await self._store.rows(
                    "SELECT lday, sum(plays), sum(heard) FROM r_day "  # noqa: S608 - integer literals only
                    f"WHERE lday >= ? AND lday <= ?{scope.by_context()} GROUP BY lday ORDER BY lday",
                    (period.first_lday, period.last_lday),
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
            for key, plays, heard in await self._store.rows(
                f"SELECT {by}, sum(plays), sum(heard) FROM r_month "  # noqa: S608 - fixed names, integers only
                f"WHERE month >= ? AND month <= ?{scope.ctx()} GROUP BY {by}",
                months,
            ):
                add(key, plays, heard)
        clock = self._store.clock
        for start, end in period.edges(clock):
            first, last = clock.lhour(start) // 24, clock.lhour(end) // 24 - 1
            for day, context, plays, heard in await self._store.rows(
                "SELECT lday, context_id, plays, heard FROM r_day "  # noqa: S608 - integers only
                f"WHERE lday >= ? AND lday <= ?{scope.by_context()}",
                (first, last),
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
        all_time: str | None = None,
        limit: int | None = None,
        join: str = "",
    ) -> dict[int, tuple[int, int]]:
        """Plays and heard seconds by ``key`` over the period: from the all-time roll-up (or ``all_time``, a
        query of the counters, when nothing is filtered), else the whole years' roll-up plus the other days' plays.
        With ``limit``, only the ``limit`` keys with the most plays."""
        if scope.empty:
            return {}
        period = scope.period
        order = f" ORDER BY 2 DESC, 3 DESC LIMIT {int(limit)}" if limit is not None else ""
        if period.all_time:
            if all_time is not None and scope.contexts is None:
                rows = await self._store.rows(all_time + (f" LIMIT {int(limit)}" if limit is not None else ""))
            else:
                rows = await self._store.rows(
                    f"SELECT {key}, sum(plays), sum(heard) FROM {r_ctx} "  # noqa: S608 - fixed names, integers
                    f"WHERE 1{scope.ctx()} GROUP BY {key}{order}"
                )
            return {row[0]: (row[1], row[2]) for row in rows}
        parts: list[str] = []
        params: list[int] = []
        years = period.full_years()
        one_year = years is not None and years[0] == years[1]
        if years is not None:
            parts.append(
                f"SELECT {key} AS k, plays, heard FROM {r_year} "  # noqa: S608 - fixed names, integers
                f"WHERE year >= ? AND year <= ?{scope.ctx()}"
            )
            params.extend(years)
        for start, end in period.edges(self._store.clock, "year"):
            parts.append(
                f"SELECT {plays_key} AS k, 1 AS plays, p.heard AS heard FROM plays p {join}"  # noqa: S608
                f"WHERE p.started_at >= ? AND p.started_at < ?{scope.ctx('p.context_id')}"
            )
            params.extend((start, end))
        if one_year and len(parts) == 1:
            # One whole year: the roll-up's rows for it come grouped by item (no sort to sum them).
            sql = (
                f"SELECT {key}, sum(plays), sum(heard) FROM {r_year} "  # noqa: S608 - fixed names, integers
                f"WHERE year = ?{scope.ctx()} GROUP BY {key}{order}"
            )
            params = [period.first.year]
        else:
            sql = f"SELECT k, sum(plays), sum(heard) FROM ({' UNION ALL '.join(parts)}) GROUP BY k{order}"  # noqa: S608
        return {row[0]: (row[1], row[2]) for row in await self._store.rows(sql, params)}

    async def _top_artists(self, scope: _Scope, limit: int | None) -> dict[int, tuple[int, int]]:
        return await self._sums(
            scope,
            "artist_id",
            r_ctx="r_ctx_artist",
            r_year="r_year_artist",
            plays_key="t.artist_id",
            join="JOIN tracks t ON t.id = p.track_id ",
            all_time="SELECT id, plays, heard FROM artists WHERE plays > 0 ORDER BY plays DESC, heard DESC",
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
            all_time="SELECT id, plays, heard FROM tracks WHERE plays > 0 ORDER BY plays DESC, heard DESC",
            limit=TOP_LIMIT,
        )
        albums = await self._sums(
            scope,
            "album_id",
            r_ctx="r_ctx_album",
            r_year="r_year_album",
            plays_key="p.album_id",
            all_time="SELECT id, plays, heard FROM albums WHERE plays > 0 ORDER BY plays DESC, heard DESC",
            limit=TOP_LIMIT + 1,  # the edge days' plays may have no album (NULL), which is no album
        )
        albums.pop(None, None)  # type: ignore[call-overload]
        artist_names = await self._names("SELECT id, name FROM artists WHERE id IN ({})", artists)
        track_names = await self._names(
            "SELECT t.id, a.name, t.title FROM tracks t JOIN artists a ON a.id = t.artist_id WHERE t.id IN ({})",
            tracks,
        )
        album_names = await self._names(
            "SELECT al.id, al.title, a.name FROM albums al JOIN artists a ON a.id = al.artist_id WHERE al.id IN ({})",
            albums,
        )
        return {
            "artists": [
                {"artist_id": k, "artist": artist_names[k][0], "plays": n, "heard": h}
                for k, (n, h) in _ranked(artists, TOP_LIMIT)
            ],
            "tracks": [
                {"track_id": k, "artist": track_names[k][0], "title": track_names[k][1], "plays": n, "heard": h}
                for k, (n, h) in _ranked(tracks, TOP_LIMIT)
            ],
            "albums": [
                {"album_id": k, "album": album_names[k][0], "artist": album_names[k][1], "plays": n, "heard": h}
                for k, (n, h) in _ranked(albums, TOP_LIMIT)
            ],
        }

    async def _names(self, sql: str, ids: Iterable[int | None]) -> dict[int, tuple[Any, ...]]:
        wanted = [int(i) for i in ids if i is not None]
        if not wanted:
            return {}
        rows = await self._store.rows(sql.format(",".join(str(i) for i in wanted)))
        return {row[0]: tuple(row[1:]) for row in rows}

    async def _view_breakdown(self, scope: _Scope, now: float) -> dict[str, list[dict[str, Any]]]:
        period = scope.period
        if scope.empty:
            return {"services": [], "rooms": []}
        by_id: dict[int, list[int]] = {}
        if period.granularity == "day":
            rows = await self._store.rows(
                "SELECT context_id, sum(plays), sum(heard) FROM r_day "  # noqa: S608 - integers only
                f"WHERE lday >= ? AND lday <= ?{scope.by_context()} GROUP BY context_id",
                (period.first_lday, period.last_lday),
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
            rows = await store.rows(
                "SELECT a.id, a.name, a.first_played, count(*), sum(p.heard) FROM artists a "  # noqa: S608
                "CROSS JOIN tracks t ON t.artist_id = a.id "
                "CROSS JOIN plays p ON p.track_id = t.id AND p.started_at >= ?1 AND p.started_at < ?2 "
                f"WHERE a.first_played >= ?1 AND a.first_played < ?2{scope.ctx('p.context_id')} "
                "GROUP BY a.id ORDER BY 4 DESC, a.first_played",
                (period.start, period.end),
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
        # The artists with plays (under the filter): all of them were new once.
        source = (
            "SELECT a.id AS artist_id, x.plays, a.first_played, a.first_lday FROM "  # noqa: S608 - integers only
            "(SELECT artist_id, sum(plays) AS plays FROM r_ctx_artist "
            f"WHERE 1{scope.ctx()} GROUP BY artist_id) AS x JOIN artists a ON a.id = x.artist_id"
            if scope.contexts is not None
            else "SELECT id AS artist_id, plays, first_played, first_lday FROM artists WHERE plays > 0"
        )
        months = await store.rows(
            f"SELECT strftime('%Y-%m', first_lday * 86400, 'unixepoch') AS m, count(*) FROM ({source}) "  # noqa: S608
            "GROUP BY m ORDER BY m"
        )
        top = await store.rows(
            f"SELECT s.artist_id, a.name, s.first_played, s.plays FROM ({source}) AS s "  # noqa: S608 - see above
            f"JOIN artists a ON a.id = s.artist_id ORDER BY s.plays DESC, s.first_played LIMIT {NEW_ARTISTS_LIMIT}"
        )
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

    async def _view_genres(self, scope: _Scope, now: float) -> dict[str, Any]:
        store = self._store
        if not await store.scalar("SELECT EXISTS (SELECT 1 FROM artist_genres)"):
            return {"available": False, "reason": "no_genre_data"}
        artists = await self._top_artists(scope, None)
        tagged = await store.rows(
            "SELECT artist_id, genre FROM artist_genres WHERE artist_id IN ({})".format(  # noqa: S608 - integers
                ",".join(str(int(k)) for k in artists)
            )
        )
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

    async def _view_streaks(self, scope: _Scope, now: float) -> dict[str, Any]:
        days = [day for day, _, _ in await self._days(scope)]
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
        for year in range(anchor.year - 1, clock.local(first).year - 1, -1):
            try:
                day = anchor.replace(year=year)
            except ValueError:  # 29 February
                continue
            start = int(clock.day_start(_noon(clock, day)))
            end = int(clock.day_start(_noon(clock, day + timedelta(days=1))))
            rows = await store.rows(
                "SELECT a.name, t.title, count(*) FROM plays p "  # noqa: S608 - integer literals only
                "JOIN tracks t ON t.id = p.track_id JOIN artists a ON a.id = t.artist_id "
                f"WHERE p.started_at >= ? AND p.started_at < ?{scope.ctx('p.context_id')} "
                "GROUP BY p.track_id ORDER BY 3 DESC, min(p.started_at)",
                (start, end),
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
        ids = ",".join(str(int(k)) for k in artists)
        # Per candidate, through the plays-by-track index (one seek per track): the last play before the period
        # and the first in it.
        rows = await store.rows(
            "SELECT a.id, a.name, a.plays,"  # noqa: S608 - integer literals only
            " max((SELECT max(started_at) FROM plays WHERE track_id = t.id AND started_at < ?1)),"
            " min((SELECT min(started_at) FROM plays WHERE track_id = t.id AND started_at >= ?1 AND started_at < ?2))"
            f" FROM artists a JOIN tracks t ON t.artist_id = a.id WHERE a.id IN ({ids}) AND a.first_played < ?1"
            " GROUP BY a.id",
            (period.start, period.end),
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
        rows = await self._store.rows(
            "SELECT p.started_at, a.name, t.title, al.title, c.service, c.room, p.heard FROM plays p "  # noqa: S608
            "JOIN tracks t ON t.id = p.track_id JOIN artists a ON a.id = t.artist_id "
            "LEFT JOIN albums al ON al.id = p.album_id JOIN contexts c ON c.id = p.context_id "
            f"WHERE p.started_at >= ? AND p.started_at < ?{scope.ctx('p.context_id')}{conditions} "
            "ORDER BY p.started_at DESC LIMIT ?",
            [start, end, *params, limit + 1],
        )
        keys = ("started_at", "artist", "title", "album", "service", "room", "heard")
        return {
            "plays": [dict(zip(keys, row, strict=True)) for row in rows[:limit]],
            "truncated": len(rows) > limit,
        }


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
