"""Replay observations through the engine: the format diagnostics export, so a user's report can be replayed.

Input: JSON lines, each a full snapshot of one speaker at one time (see :class:`Observation`). The end of the
input counts as a stop. Output: one JSON line per counted play, in the order they were counted.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
import json
import logging
from typing import IO

from .engine import Engine
from .model import Observation, Play
from .rules import Rules

_LOGGER = logging.getLogger(__name__)


class ReplayError(ValueError):
    """A line of the input is not an observation."""

    def __init__(self, line_number: int, reason: str) -> None:
        super().__init__(f"line {line_number}: {reason}")
        self.line_number = line_number
        self.reason = reason


def read_observations(lines: Iterable[str], strict: bool = True) -> Iterator[Observation]:
    """Parse replay lines; blank lines and lines starting with # are skipped.

    With ``strict``, the first bad line raises :class:`ReplayError`; otherwise it is logged and skipped.
    """
    for number, line in enumerate(lines, start=1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        try:
            yield Observation.from_json(json.loads(text))
        except (ValueError, TypeError) as err:
            error = ReplayError(number, str(err))
            if strict:
                raise error from err
            _LOGGER.warning("Skipping %s", error)


def replay(observations: Iterable[Observation], rules: Rules | None = None) -> Iterator[Play]:
    """Feed observations to a fresh engine in order, waking it at its thresholds, and stop at the end."""
    engine = Engine(rules)
    last_t: float | None = None
    for obs in observations:
        yield from wake_until(engine, obs.t)
        yield from engine.observe(obs)
        last_t = obs.t if last_t is None else max(last_t, obs.t)
    if last_t is not None:
        yield from wake_until(engine, last_t)
        yield from engine.stop_all(last_t)


def wake_until(engine: Engine, until: float) -> Iterator[Play]:
    """Wake the engine at each moment it asked for, up to ``until``, as a live caller's timer would."""
    previous: float | None = None
    while (wake := engine.next_wakeup()) is not None and wake <= until:
        if previous is not None and wake <= previous:
            # The engine must move on at each wake-up; a wake-up it asks for again would never end.
            raise RuntimeError(f"the engine asked to be woken at {wake} again")
        previous = wake
        yield from engine.advance(wake)


def run(source: IO[str], sink: IO[str], rules: Rules | None = None, strict: bool = True) -> int:
    """Replay ``source`` into ``sink``; returns the number of plays."""
    count = 0
    for play in replay(read_observations(source, strict=strict), rules):
        sink.write(json.dumps(play.to_json(), ensure_ascii=False, sort_keys=True) + "\n")
        count += 1
    return count
