"""Periods of the insights, in local time: which local days they cover, and how they split over the roll-ups."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Final, Literal

from ..store import LocalClock

PERIODS: Final = ("today", "week", "month", "year", "all", "custom")
_EPOCH = date(1970, 1, 1)
# Periods longer than this are drawn per month, not per day.
_DAILY_LIMIT_DAYS = 400
# A custom range may not reach further than this (a typo such as year 0202 is not a period).
_MAX_DAYS = 100 * 366


class InsightsError(ValueError):
    """A request the insights cannot answer; ``key`` names the translated message."""

    def __init__(self, key: str, **placeholders: str) -> None:
        super().__init__(f"{key}: {placeholders}")
        self.key = key
        self.placeholders = placeholders


def lday_of(day: date) -> int:
    """The local day number of a date (days since 1970-01-01): the key of the daily roll-up."""
    return (day - _EPOCH).days


def date_of(lday: int) -> date:
    return _EPOCH + timedelta(days=lday)


def month_key(day: date) -> int:
    return day.year * 100 + day.month


def month_label(key: int) -> str:
    return f"{key // 100:04d}-{key % 100:02d}"


def _month_date(key: int) -> date:
    return date(key // 100, key % 100, 1)


def _next_month(day: date) -> date:
    return date(day.year + 1, 1, 1) if day.month == 12 else date(day.year, day.month + 1, 1)


@dataclass(frozen=True, slots=True)
class Period:
    """Local days ``first`` to ``last`` (inclusive), and the epoch seconds they span: [start, end)."""

    name: str
    first: date
    last: date
    start: int
    end: int
    granularity: Literal["day", "month"]
    today: date

    @property
    def all_time(self) -> bool:
        return self.name == "all"

    @property
    def first_lday(self) -> int:
        return lday_of(self.first)

    @property
    def last_lday(self) -> int:
        return lday_of(self.last)

    def full_months(self) -> tuple[int, int] | None:
        """The first and last YYYYMM of the whole local months inside the period, or None."""
        first = self.first if self.first.day == 1 else _next_month(self.first)
        after = _next_month(self.last)
        last_full = self.last if after - timedelta(days=1) == self.last else self.last.replace(day=1) - timedelta(1)
        if first > last_full:
            return None
        return month_key(first), month_key(last_full)

    def full_years(self) -> tuple[int, int] | None:
        """The first and last of the whole local years inside the period, or None."""
        first = self.first.year if (self.first.month, self.first.day) == (1, 1) else self.first.year + 1
        last = self.last.year if (self.last.month, self.last.day) == (12, 31) else self.last.year - 1
        return None if first > last else (first, last)

    def edges(self, clock: LocalClock, grain: Literal["month", "year"] = "month") -> list[tuple[int, int]]:
        """The epoch ranges [start, end) of the period outside its whole months (or years): read from the plays."""
        if grain == "month":
            months = self.full_months()
            whole = None if months is None else (_month_date(months[0]), _next_month(_month_date(months[1])))
        else:
            years = self.full_years()
            whole = None if years is None else (date(years[0], 1, 1), date(years[1] + 1, 1, 1))
        if whole is None:
            return [(self.start, self.end)]
        ranges = []
        if whole[0] > self.first:
            ranges.append((self.start, _midnight(clock, whole[0])))
        if whole[1] <= self.last:
            ranges.append((_midnight(clock, whole[1]), self.end))
        return ranges

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "start": self.start,
            "end": self.end,
            "first_day": self.first.isoformat(),
            "last_day": self.last.isoformat(),
            "granularity": self.granularity,
            "today": self.today.isoformat(),
        }


def _midnight(clock: LocalClock, day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=clock.tz).timestamp())


def resolve(
    clock: LocalClock,
    name: str,
    now: float,
    start: date | None = None,
    end: date | None = None,
    first_played: float | None = None,
) -> Period:
    """The period called ``name`` as seen at ``now`` (custom: local dates ``start`` to ``end``, inclusive)."""
    today = clock.local(now).date()
    if name == "today":
        first = last = today
    elif name == "week":
        first = today - timedelta(days=today.weekday())
        last = first + timedelta(days=6)
    elif name == "month":
        first = today.replace(day=1)
        last = _next_month(first) - timedelta(days=1)
    elif name == "year":
        first, last = date(today.year, 1, 1), date(today.year, 12, 31)
    elif name == "all":
        first = clock.local(first_played).date() if first_played is not None else today
        last = max(today, first)
    elif name == "custom":
        if start is None or end is None:
            raise InsightsError("custom_period_incomplete")
        if start > end:
            raise InsightsError("period_reversed", start=start.isoformat(), end=end.isoformat())
        if (end - start).days > _MAX_DAYS:
            raise InsightsError("period_too_long", start=start.isoformat(), end=end.isoformat())
        first, last = start, end
    else:
        raise InsightsError("unknown_period", period=name)
    granularity: Literal["day", "month"] = "day" if (last - first).days < _DAILY_LIMIT_DAYS else "month"
    return Period(
        name, first, last, _midnight(clock, first), _midnight(clock, last + timedelta(days=1)), granularity, today
    )
