"""Checks every reader applies to an entry's values: names, timestamps, durations.

A check that fails raises ``EntryError`` with the reason the entry is reported with; the reader turns it into a
``Rejected`` and goes on with the next entry.
"""

from __future__ import annotations

from datetime import UTC, datetime
import math
import time
from typing import Final

# Names (artist, title, album...) longer than this are not names: the entry is rejected.
MAX_NAME: Final = 1000
# A duration or a time heard longer than this (about four months) is a broken one.
MAX_SECONDS: Final = 1e7
# A timestamp more than this after the moment the file is read is a broken one (a clock gone wrong, milliseconds
# taken for seconds).
FUTURE_SLACK: Final = 86400.0
# What a reason quotes of a broken value.
_QUOTED: Final = 40

_MONTHS: Final = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1
    )
}


class EntryError(Exception):
    """An entry that is broken; its message is the reason."""


def quoted(value: object) -> str:
    """A broken value as a reason shows it: repr, cut short."""
    text = repr(value)
    return text if len(text) <= _QUOTED else text[: _QUOTED - 1] + "…"


def future_limit() -> float:
    """The latest timestamp a file read now may hold."""
    return time.time() + FUTURE_SLACK


def name(value: object, what: str, *, required: bool = True, trim: bool = True) -> str | None:
    """A name (artist, title, album...): text, trimmed (unless ``trim`` is false), at most ``MAX_NAME`` characters,
    valid UTF-8 (a file's undecodable bytes arrive as lone surrogates). Empty is missing: an error when
    ``required``, else None."""
    if value is None:
        if required:
            raise EntryError(f"missing {what}")
        return None
    if not isinstance(value, str):
        raise EntryError(f"{what} {quoted(value)} is not text")
    text = value.strip() if trim else value
    if not text or (not trim and not text.strip()):
        if required:
            raise EntryError(f"missing {what}")
        return None
    if len(text) > MAX_NAME:
        raise EntryError(f"{what} is longer than {MAX_NAME} characters")
    if not text.isascii():
        try:
            text.encode()
        except UnicodeEncodeError:
            raise EntryError(f"{what} is not valid UTF-8 text") from None
    return text


def exact(value: object, what: str, *, required: bool = False) -> str | None:
    """A text read back from SpinStack's own export: kept as it is (not trimmed; an empty text stays empty), but
    at most ``MAX_NAME`` characters of valid UTF-8. ``required`` texts must hold more than white space."""
    if value is None:
        if required:
            raise EntryError(f"missing {what}")
        return None
    if not isinstance(value, str):
        raise EntryError(f"{what} {quoted(value)} is not text")
    if required and not value.strip():
        raise EntryError(f"missing {what}")
    if len(value) > MAX_NAME:
        raise EntryError(f"{what} is longer than {MAX_NAME} characters")
    if not value.isascii():
        try:
            value.encode()
        except UnicodeEncodeError:
            raise EntryError(f"{what} is not valid UTF-8 text") from None
    return value


def number(value: object, what: str) -> float:
    """A finite number from a JSON number or a text holding one."""
    if value is None:
        raise EntryError(f"missing {what}")
    if isinstance(value, bool):
        raise EntryError(f"{what} {quoted(value)} is not a number")
    if isinstance(value, int | float):
        try:
            result = float(value)
        except OverflowError:
            raise EntryError(f"{what} {quoted(value)} is out of range") from None
    elif isinstance(value, str):
        try:
            result = float(value.strip())
        except ValueError:
            raise EntryError(f"{what} {quoted(value)} is not a number") from None
    else:
        raise EntryError(f"{what} {quoted(value)} is not a number")
    if not math.isfinite(result):
        raise EntryError(f"{what} {quoted(value)} is not a number")
    return result


def timestamp(value: object, limit: float, what: str = "timestamp") -> float:
    """Epoch seconds: a number after 1970 and at most ``limit``."""
    result = number(value, what)
    return checked_time(result, value, limit, what)


def checked_time(result: float, value: object, limit: float, what: str = "timestamp") -> float:
    """``result`` (read from ``value``) if it is after 1970 and at most ``limit``."""
    if result <= 0:
        raise EntryError(f"{what} {quoted(value)} is not after 1970")
    if result > limit:
        raise EntryError(f"{what} {quoted(value)} is in the future")
    return result


def seconds(value: object, what: str, per_second: float = 1.0) -> float:
    """A duration in seconds (``value`` counts ``per_second`` units a second: 1000 for milliseconds): a finite
    number, not negative, at most ``MAX_SECONDS``."""
    result = number(value, what) / per_second
    if result < 0:
        raise EntryError(f"{what} {quoted(value)} is negative")
    if result > MAX_SECONDS:
        raise EntryError(f"{what} {quoted(value)} is out of range")
    return result


def _clock(text: str) -> tuple[int, int, int]:
    """Hours, minutes and seconds of ``12:34`` or ``12:34:56``."""
    parts = [int(part) for part in text.split(":")]
    if len(parts) == 2:
        return parts[0], parts[1], 0
    if len(parts) == 3:
        return parts[0], parts[1], parts[2]
    raise ValueError(text)


def text_date(value: object, limit: float, what: str = "date") -> float:
    """Epoch seconds of a UTC date as Last.fm writes it: ``31 Jan 2021, 12:34`` or ``31 Jan 2021 12:34`` (seconds
    allowed); also ISO 8601 (``2021-01-31 12:34:56``, naive is UTC)."""
    if not isinstance(value, str):
        raise EntryError(f"{what} {quoted(value)} is not a date" if value is not None else f"missing {what}")
    parts = value.replace(",", " ").split()
    try:
        if len(parts) == 4 and parts[1][:3].lower() in _MONTHS:
            day, month, year, clock = parts
            moment = datetime(int(year), _MONTHS[month[:3].lower()], int(day), *_clock(clock), tzinfo=UTC)
        else:
            moment = datetime.fromisoformat(value.strip())
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
        result = moment.timestamp()
    except ValueError, OverflowError:
        raise EntryError(f"{what} {quoted(value)} is not a date") from None
    return checked_time(result, value, limit, what)


def iso_time(value: object, limit: float, what: str = "ts") -> float:
    """Epoch seconds of an ISO 8601 time (``2021-01-31T12:34:56Z``; naive is UTC)."""
    if not isinstance(value, str):
        raise EntryError(f"{what} {quoted(value)} is not a time" if value is not None else f"missing {what}")
    try:
        moment = datetime.fromisoformat(value.strip())
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        result = moment.timestamp()
    except ValueError, OverflowError:
        raise EntryError(f"{what} {quoted(value)} is not a time") from None
    return checked_time(result, value, limit, what)
