"""The history import's benchmark: a Last.fm CSV export of PLAYS scrobbles into an empty store, as
``spinstack.import_history`` runs it (the file parsed and the plays written in worker threads, duplicates within 30 s
skipped), with the event loop's latency meanwhile and the process's peak memory.

The import runs in a child process of its own (``python -m bench.import_bench CSV DB``), so that its peak resident
memory is the import's, not the generator's.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
import csv
from datetime import UTC, datetime
import importlib.util
import json
import os
from pathlib import Path
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import types
from typing import Any


def _without_home_assistant() -> None:
    """In the import's own process (``python -m bench.import_bench``): SpinStack's pure packages without the
    integration's ``__init__``, which imports Home Assistant, so that the peak memory measured is the import's own
    (Home Assistant's, some 200 MB, is not in it). Where the integration is loaded already, nothing changes."""
    if __name__ != "__main__" or "custom_components.spinstack" in sys.modules:
        return
    spec = importlib.util.find_spec("custom_components.spinstack")
    assert spec is not None
    assert spec.submodule_search_locations is not None
    package = types.ModuleType("custom_components.spinstack")
    package.__path__ = list(spec.submodule_search_locations)
    sys.modules["custom_components.spinstack"] = package


_without_home_assistant()

from custom_components.spinstack.engine import Play  # noqa: E402 - after the package is set up
from custom_components.spinstack.history import Imported, Rejected, detect, read  # noqa: E402
from custom_components.spinstack.store import Store  # noqa: E402

from .history import generate  # noqa: E402

ZONE = "Europe/Paris"
TICK = 0.01
TOLERANCE = 30
HEADER = ("uts", "utc_time", "artist", "artist_mbid", "album", "album_mbid", "track", "track_mbid")


def write_lastfm_csv(path: Path, plays: int, end: float) -> int:
    """A headed Last.fm CSV export of ``plays`` generated scrobbles, newest first as Last.fm lists them; returns
    its size in bytes."""
    rows = [
        (
            str(int(play.started_at)),
            datetime.fromtimestamp(int(play.started_at), UTC).strftime("%d %b %Y, %H:%M"),
            play.artist,
            "",
            play.album or "",
            "",
            play.title,
            "",
        )
        for play in generate(plays, end=end)
    ]
    rows.reverse()
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path.stat().st_size


def _rss_mb() -> float:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss, not inherited from the parent through fork)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


async def _loop_lags(stop: asyncio.Event) -> list[float]:
    lags = []
    while not stop.is_set():
        started = time.perf_counter()
        await asyncio.sleep(TICK)
        lags.append(time.perf_counter() - started - TICK)
    return lags


async def _child(csv_path: Path, db_path: Path) -> dict[str, Any]:
    store = await Store.open(db_path, ZONE)
    baseline = _rss_mb()
    rejected = 0

    def plays() -> Iterator[tuple[Play, str]]:
        nonlocal rejected
        for entry in read(csv_path, fmt):
            if isinstance(entry, Imported):
                yield entry.play, entry.origin
            elif isinstance(entry, Rejected):
                rejected += 1

    try:
        stop = asyncio.Event()
        ticking = asyncio.create_task(_loop_lags(stop))
        started = time.perf_counter()
        fmt = await asyncio.to_thread(detect, csv_path)
        inserted = await store.import_plays(plays(), tolerance=TOLERANCE)
        seconds = time.perf_counter() - started
        stop.set()
        lags = sorted(await ticking)
        stored = int(await store.scalar("SELECT count(*) FROM plays"))
        integrity = await store.integrity_check()
    finally:
        await store.close()
    return {
        "format": fmt.name,
        "seconds": round(seconds, 2),
        "plays_per_s": round(inserted / seconds),
        "inserted": inserted,
        "stored": stored,
        "rejected": rejected,
        "tolerance_s": TOLERANCE,
        # The process runs the import alone: Python, aiosqlite and SQLite's caches, without Home Assistant.
        "peak_rss_mb": _rss_mb(),
        "rss_before_import_mb": baseline,
        "loop_lag_ms": {
            "median": round(statistics.median(lags) * 1000, 3),
            "p99": round(lags[min(len(lags) - 1, round(0.99 * (len(lags) - 1)))] * 1000, 3),
            "max": round(lags[-1] * 1000, 3),
        },
        "integrity_check": integrity,
    }


def run(log: Callable[[str], None]) -> dict[str, Any]:
    plays = int(os.environ.get("PLAYS", "1000000"))
    with tempfile.TemporaryDirectory(prefix="spinstack-import-bench-") as folder:
        csv_path, db_path = Path(folder) / "lastfm.csv", Path(folder) / "spinstack.db"
        log(f"writing a Last.fm CSV export of {plays:,} scrobbles")
        size = write_lastfm_csv(csv_path, plays, end=float(int(time.time() // 3600) * 3600))
        log(f"importing it ({size / 1e6:.0f} MB) in a process of its own")
        child = subprocess.run(  # noqa: S603 - this interpreter, this module, our own paths
            [sys.executable, "-m", "bench.import_bench", str(csv_path), str(db_path)],
            check=True,
            capture_output=True,
            text=True,
        )
        result: dict[str, Any] = {"plays_in_file": plays, "file_bytes": size, **json.loads(child.stdout)}
    log(
        f"  {result['inserted']:,} plays in {result['seconds']} s, peak {result['peak_rss_mb']} MB, "
        f"loop lag max {result['loop_lag_ms']['max']} ms"
    )
    return result


if __name__ == "__main__":
    json.dump(asyncio.run(_child(Path(sys.argv[1]), Path(sys.argv[2]))), sys.stdout)
