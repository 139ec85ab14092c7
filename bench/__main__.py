"""`python -m bench`: run SpinStack's benchmarks and print one JSON document on stdout."""

from __future__ import annotations

import json
import os
import platform
import sqlite3
import sys
import time
from typing import Any

from . import import_bench, load_bench, plugins_bench, store_bench


def calibration_ms(rounds: int = 3) -> float:
    """The median time of a fixed piece of work (Python and SQLite, one thread): how fast the machine runs now.

    This machine has slow spells that lengthen every figure by up to half; this one moves with them, so that a run's
    figures can be read against the machine's speed while it ran.
    """
    samples = []
    for _ in range(rounds):
        conn = sqlite3.connect(":memory:")
        try:
            started = time.perf_counter()
            conn.execute("CREATE TABLE t (a INTEGER, b INTEGER)")
            conn.execute("CREATE INDEX t_b ON t (b)")
            conn.executemany("INSERT INTO t VALUES (?, ?)", ((i, i * 7919 % 100_003) for i in range(200_000)))
            samples.append(time.perf_counter() - started)
        finally:
            conn.close()
    return round(sorted(samples)[len(samples) // 2] * 1000, 1)


def run() -> None:
    started = time.time()
    machine: dict[str, Any] = {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "sqlite": sqlite3.sqlite_version,
        "calibration_ms": {"before": calibration_ms()},
    }
    result: dict[str, Any] = {
        "machine": machine,
        "store": store_bench.main(),
        "plugins_backfill": plugins_bench.run(store_bench.log),
        "history_import": import_bench.run(store_bench.log),
        "load": load_bench.run(store_bench.log),
    }
    machine["calibration_ms"]["after"] = calibration_ms()
    result["seconds"] = round(time.time() - started, 1)
    json.dump(result, sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    run()
