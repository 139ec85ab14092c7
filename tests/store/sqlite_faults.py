"""Faults of the SQLite file for the fault tests (tests/store/test_faults.py, tests/e2e/test_faults.py): another
process holding the write lock, a disk that fills up, a process killed with SIGKILL."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
import contextlib
import errno
import os
from pathlib import Path
import subprocess
import sys
from types import TracebackType
from typing import Self

import pytest

REPO = Path(__file__).resolve().parents[2]

# Another process takes the write lock with BEGIN EXCLUSIVE (in WAL mode: no other writer, readers go on), says so,
# holds it until told to let go (a line on its stdin, or its stdin closed), then rolls back.
_HOLD_LOCK = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
conn.execute("BEGIN EXCLUSIVE")
conn.execute("CREATE TABLE IF NOT EXISTS lock_holder_was_here (x)")
print("locked", flush=True)
sys.stdin.readline()
conn.execute("ROLLBACK")
conn.close()
print("released", flush=True)
"""


class LockHolder:
    """A second process holding ``BEGIN EXCLUSIVE`` on a SQLite file until `release` (or the block's end)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._process: asyncio.subprocess.Process | None = None

    async def __aenter__(self) -> Self:
        self._process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            _HOLD_LOCK,
            str(self.path),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        assert self._process.stdout is not None
        line = await asyncio.wait_for(self._process.stdout.readline(), 30)
        assert line == b"locked\n", line
        return self

    async def release(self) -> None:
        """Let go of the lock and wait until the process has ended."""
        process = self._process
        if process is None or process.returncode is not None:
            return
        assert process.stdin is not None
        assert process.stdout is not None
        process.stdin.write(b"go\n")
        await process.stdin.drain()
        assert await asyncio.wait_for(process.stdout.readline(), 30) == b"released\n"
        assert await asyncio.wait_for(process.wait(), 30) == 0

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        process = self._process
        if process is None or process.returncode is not None:
            return
        if exc is None:
            await self.release()
            return
        process.kill()
        await process.wait()


@contextlib.contextmanager
def small_disk(path: Path, size: str = "4m") -> Iterator[Path]:
    """A tmpfs of ``size`` mounted at ``path`` (a disk that can fill up): needs root, as inside scripts/env, whose
    private mount namespace also drops the mount should the test die; the test is skipped elsewhere."""
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root (run through scripts/env)")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(path)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def fill_disk(folder: Path) -> Path:
    """Fill the file system under ``folder`` to the last byte with a file of its own; returns that file."""
    filler = folder / "filler"
    block = b"\0" * 65536
    with filler.open("wb", buffering=0) as out:
        while True:
            try:
                out.write(block)
            except OSError as err:
                if err.errno != errno.ENOSPC:
                    raise
                break
        for size in (4096, 512, 1):
            with contextlib.suppress(OSError):
                while True:
                    out.write(block[:size])
    return filler
