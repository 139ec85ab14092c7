"""The metadata plugins' benchmark: a backfill of 10,000 distinct tracks through the ISRC look-up (and MusicBrainz,
Discogs and share links for some) against the local fake services, on a controlled clock.

The figures are those of tests/plugins/test_backfill.py, which asserts them (every service's rate limit kept in every
window, never a 429, a quota error or a 503, the event loop never held 150 ms): run here in a process of its own and
reported as they came, with the longest stall of the event loop measured by a 5 ms ticker.
"""

from __future__ import annotations

import json
from pathlib import Path
import subprocess
import sys
from typing import Any

REPO = Path(__file__).resolve().parents[1]
TEST = "tests/plugins/test_backfill.py"


def run(log: Any) -> dict[str, Any]:
    log("backfilling 10,000 tracks through the plugins (controlled clock, local fake services)")
    done = subprocess.run(  # noqa: S603 - our own test, with this interpreter
        [sys.executable, "-m", "pytest", "-p", "no:homeassistant", "-q", "-s", "-p", "no:cacheprovider", TEST],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    if done.returncode != 0:
        log(done.stdout[-3000:])
        return {"error": f"{TEST} failed (exit {done.returncode})"}
    lines = done.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.lstrip().startswith("{"))
    depth, end = 0, start
    for end in range(start, len(lines)):
        depth += lines[end].count("{") - lines[end].count("}")
        if depth == 0:
            break
    text = "\n".join(lines[start : end + 1])
    # pytest prints its progress dot right before the test's own output.
    figures: dict[str, Any] = json.loads(text[text.index("{") :])
    return figures
