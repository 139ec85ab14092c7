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


def run() -> None:
    started = time.time()
    result: dict[str, Any] = {
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "sqlite": sqlite3.sqlite_version,
        },
        "store": store_bench.main(),
        "plugins_backfill": plugins_bench.run(store_bench.log),
        "history_import": import_bench.run(store_bench.log),
        "load": load_bench.run(store_bench.log),
    }
    result["seconds"] = round(time.time() - started, 1)
    json.dump(result, sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    run()
