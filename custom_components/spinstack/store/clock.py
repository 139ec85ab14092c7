"""Local time for roll-ups: which local hour, day and month a UTC timestamp falls in, DST included."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

_HOUR = 3600
_DAY = 86400


class LocalClock:
    """Maps epoch seconds to local hour numbers (local wall-clock seconds since the epoch // 3600)."""

    def __init__(self, zone: str | tzinfo = "UTC") -> None:
        self.tz: tzinfo = ZoneInfo(zone) if isinstance(zone, str) else zone
        # UTC day -> UTC offset in seconds, or None for a day whose two ends differ (it contains a transition).
        self._offsets: dict[int, int | None] = {}

    def _offset_at(self, ts: float) -> int:
        offset = datetime.fromtimestamp(ts, self.tz).utcoffset()
        return int(offset.total_seconds()) if offset is not None else 0

    def day_offset(self, day: int) -> int | None:
        """The local UTC offset in seconds through UTC day number ``day`` (epoch seconds // 86400), or None when it
        differs at the day's two ends (a transition falls inside it). Offsets change a few times a year: a day with
        the same offset at both ends is taken to have it all through (cached)."""
        if day in self._offsets:
            return self._offsets[day]
        start, end = self._offset_at(day * _DAY), self._offset_at(day * _DAY + _DAY - 1)
        if len(self._offsets) > 100_000:
            self._offsets.clear()
        offset = self._offsets[day] = start if start == end else None
        return offset

    def offset(self, ts: float) -> int:
        """The local UTC offset in seconds at ``ts``."""
        offset = self.day_offset(int(ts // _DAY))
        # On a day with a transition, computed for ``ts`` itself.
        return self._offset_at(ts) if offset is None else offset

    def lhour(self, ts: float) -> int:
        """The local hour number of ``ts``."""
        return int((ts + self.offset(ts)) // _HOUR)

    def local(self, ts: float) -> datetime:
        """``ts`` as an aware local datetime."""
        return datetime.fromtimestamp(ts, self.tz)

    def day_start(self, ts: float) -> float:
        """The epoch seconds of the local midnight that begins ``ts``'s day."""
        local = self.local(ts)
        midnight = datetime(local.year, local.month, local.day, tzinfo=self.tz)
        return midnight.timestamp()

    def month_start(self, ts: float) -> float:
        """The epoch seconds of the local midnight that begins ``ts``'s month."""
        local = self.local(ts)
        return datetime(local.year, local.month, 1, tzinfo=self.tz).timestamp()

    def year_start(self, ts: float) -> float:
        """The epoch seconds of the local midnight that begins ``ts``'s year."""
        return datetime(self.local(ts).year, 1, 1, tzinfo=self.tz).timestamp()

    def next_month(self, ts: float) -> float:
        """The start of the month after ``ts``'s."""
        local = self.local(ts)
        year, month = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
        return datetime(year, month, 1, tzinfo=self.tz).timestamp()

    @staticmethod
    def month_key(ts_local: datetime) -> int:
        """YYYYMM of a local datetime: the key of the monthly roll-up."""
        return ts_local.year * 100 + ts_local.month

    @staticmethod
    def day_of_lhour(lhour: int) -> str:
        """The local date (ISO) of a local hour number."""
        return (datetime(1970, 1, 1, tzinfo=UTC) + timedelta(hours=lhour)).date().isoformat()
