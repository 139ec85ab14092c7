"""History imports: a file (Last.fm, ListenBrainz, Spotify or SpinStack's own export) or the Last.fm API, into the
play store, one import at a time.

The import runs in the background: the file is read and the plays written in worker threads (the store's bulk path),
the event loop only awaits. Its progress is an entity (percent done) and a persistent notification at the end. It is
cancellable, and resumable: after each committed transaction the job's checkpoint (how many plays of the source are
stored) is saved in the store, so an import interrupted by a failure, a cancel or a restart starts again where it
stopped (a restart resumes it by itself). Plays already stored, from any source, are skipped by the store (the same
track within ``tolerance`` seconds of its start), so going over a part twice costs time, never a double.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
import logging
from pathlib import Path
import time
from typing import Any, Final
import zipfile

from homeassistant.components import persistent_notification
from homeassistant.core import HomeAssistant

from .const import DOMAIN
from .engine import Play, Rules
from .forwarding.lastfm_api import recent_tracks_pages
from .history import Format, Imported, Rejected, Skipped, detect, parse_recent_tracks_page, read
from .plugins import PluginContext
from .store import Store, name_key

_LOGGER = logging.getLogger(__name__)

JOB_KEY: Final = "import_job"
# Two plays of one track starting closer than this are one listen: less than the shortest track that can count.
DEFAULT_TOLERANCE: Final = 30
# Broken rows logged one by one (then only counted) and listed in the notification.
REJECTED_LOGGED: Final = 20
REJECTED_LISTED: Final = 10
# Plays read again before an import's checkpoint when it resumes.
RESUME_OVERLAP: Final = 1000

RUNNING: Final = "running"
DONE: Final = "done"
FAILED: Final = "failed"
CANCELLED: Final = "cancelled"
IDLE: Final = "idle"


class ImportBusyError(Exception):
    """An import is already running."""


@dataclass(frozen=True, slots=True)
class ImportProgress:
    """Where the current (or last) import stands: what the entity and the service show."""

    state: str = IDLE
    source: str | None = None
    format: str | None = None
    total: int | None = None  # entries in the source (an estimate for archives), when known
    read: int = 0  # entries read: plays, skipped and broken
    imported: int = 0  # new plays stored
    already_stored: int = 0  # plays of the source that were already stored (this import, an earlier one, live)
    skipped: int = 0  # entries that are not plays (below the counting rule, now playing, podcasts)
    rejected: int = 0  # broken entries (reported with file and line)
    error: str | None = None
    started_at: float | None = None
    finished_at: float | None = None

    @property
    def percent(self) -> float | None:
        """Percent done: 100 once finished, None before any import."""
        if self.state == DONE:
            return 100.0
        if not self.total:
            return None if self.state == IDLE else 0.0
        return round(min(100.0, 100.0 * self.read / self.total), 1)

    def as_dict(self) -> dict[str, Any]:
        """For the service's answer and diagnostics."""
        return {**asdict(self), "percent": self.percent}


@dataclass(slots=True)
class _Tally:
    """What the reading thread counts (plain integers: read on the loop, written in the thread)."""

    read: int = 0
    skipped: int = 0
    rejected: int = 0
    rejected_rows: list[Rejected] = field(default_factory=list)


class HistoryImporter:
    """One household's imports: at most one at a time."""

    def __init__(
        self,
        hass: HomeAssistant,
        store: Store,
        *,
        entry_id: str,
        rules: Callable[[], Rules],
        plugin_context: Callable[[], PluginContext],
        spawn: Callable[[Any, str], asyncio.Task[Any]],
        on_change: Callable[[], None],
    ) -> None:
        self.hass = hass
        self.store = store
        self._entry_id = entry_id
        self._rules = rules
        self._plugin_context = plugin_context
        self._spawn = spawn
        self._on_change = on_change
        self._task: asyncio.Task[Any] | None = None
        self._tally = _Tally()
        self._progress = ImportProgress()

    # -- what others see -------------------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        """Whether an import is running."""
        return self._task is not None and not self._task.done()

    @property
    def progress(self) -> ImportProgress:
        """The current import's progress (its reading thread's counts included)."""
        tally = self._tally
        if self._progress.state != RUNNING:
            return self._progress
        return replace(self._progress, read=tally.read, skipped=tally.skipped, rejected=tally.rejected)

    # -- starting, resuming, cancelling ---------------------------------------------------------------------------
    async def start_file(self, path: Path, tolerance: int = DEFAULT_TOLERANCE) -> ImportProgress:
        """Import a file (format detected; HistoryFormatError when it is none SpinStack reads). A file whose import
        was interrupted before (same path, size and modification time) resumes from its checkpoint."""
        self._check_idle()
        fmt = await self.hass.async_add_executor_job(detect, path)
        stat = await self.hass.async_add_executor_job(path.stat)
        job: dict[str, Any] = {
            "kind": "file",
            "path": str(path),
            "format": fmt.name,
            "size": stat.st_size,
            "mtime_ns": stat.st_mtime_ns,
            "tolerance": tolerance,
            "done": 0,
            "imported": 0,
        }
        saved = await self.store.get_state(JOB_KEY)
        if saved and all(saved.get(key) == job[key] for key in ("kind", "path", "size", "mtime_ns", "format")):
            job["done"], job["imported"] = int(saved.get("done", 0)), int(saved.get("imported", 0))
            _LOGGER.info("Resuming the import of %s after %s plays", path, job["done"])
        return await self._start(job)

    async def start_lastfm(self, user: str, api_key: str, tolerance: int = DEFAULT_TOLERANCE) -> ImportProgress:
        """Import a Last.fm user's scrobbles through the API, up to now (pages of 200, oldest pages last)."""
        self._check_idle()
        job: dict[str, Any] = {
            "kind": "lastfm_api",
            "user": user,
            "api_key": api_key,
            "to": int(time.time()),
            "page": 1,
            "tolerance": tolerance,
            "done": 0,
            "imported": 0,
            "format": "lastfm_api",
        }
        saved = await self.store.get_state(JOB_KEY)
        if saved and saved.get("kind") == "lastfm_api" and saved.get("user") == user:
            job.update({key: saved[key] for key in ("to", "page", "done", "imported") if key in saved})
            _LOGGER.info("Resuming the Last.fm import of %s at page %s", user, job["page"])
        return await self._start(job)

    async def resume(self) -> None:
        """At start: carry on with an import that a restart interrupted."""
        saved = await self.store.get_state(JOB_KEY)
        if not saved or saved.get("state") != RUNNING or self.running:
            return
        _LOGGER.info("Resuming the history import interrupted by a restart (%s)", _source_label(saved))
        try:
            await self._start(saved)
        except Exception:
            _LOGGER.warning("Cannot resume the history import of %s", _source_label(saved), exc_info=True)

    async def cancel(self) -> ImportProgress:
        """Stop the running import: what it committed stays (and is skipped if the same import is started again)."""
        task = self._task
        if task is not None and not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        return self.progress

    async def async_stop(self) -> None:
        """Home Assistant stops: the import stops too, and resumes at the next start."""
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    def _check_idle(self) -> None:
        if self.running:
            raise ImportBusyError(self._progress.source or "")

    async def _start(self, job: dict[str, Any]) -> ImportProgress:
        job = {**job, "state": RUNNING}
        await self.store.set_state(JOB_KEY, job)
        self._tally = _Tally(read=0)
        self._progress = ImportProgress(
            state=RUNNING,
            source=_source_label(job),
            format=job["format"],
            imported=int(job["imported"]),
            started_at=time.time(),
        )
        self._task = self._spawn(self._run(job), "history import")
        self._on_change()
        return self.progress

    # -- running -------------------------------------------------------------------------------------------------
    async def _run(self, job: dict[str, Any]) -> None:
        try:
            if job["kind"] == "file":
                await self._run_file(job)
            else:
                await self._run_lastfm(job)
        except asyncio.CancelledError:
            # A cancel (kept as cancelled) or Home Assistant stopping (kept as running: resumed at the next start).
            stopping = self._task is None
            await self._finish(job, RUNNING if stopping else CANCELLED, None)
            raise
        except Exception as err:
            _LOGGER.exception("The history import of %s failed; it can be resumed", _source_label(job))
            await self._finish(job, FAILED, f"{type(err).__name__}: {err}")
        else:
            await self._finish(job, DONE, None)

    async def _run_file(self, job: dict[str, Any]) -> None:
        path = Path(job["path"])
        fmt = await self.hass.async_add_executor_job(detect, path)
        durations = None
        if fmt.origin == "spotify":
            known = await self.hass.async_add_executor_job(self.store.track_durations)
            durations = _durations_lookup(known)
        total = await self.hass.async_add_executor_job(_count_entries, path, fmt)
        self._progress = replace(self._progress, total=total)
        self._on_change()
        tally = self._tally
        # Resumed a little before the checkpoint: the plays read again are recognised as stored, and a reader whose
        # sequence moved by a few (Spotify's rule with the durations the first part stored) loses none.
        skip = job["done"] = max(0, int(job["done"]) - RESUME_OVERLAP)
        rules = self._rules()

        def plays() -> Iterator[tuple[Play, str]]:
            """The source's plays after the checkpoint (runs in the store's worker thread)."""
            seen = 0
            for entry in read(path, fmt, rules=rules, durations=durations):
                tally.read += 1
                if isinstance(entry, Imported):
                    seen += 1
                    if seen > skip:
                        yield entry.play, entry.origin
                elif isinstance(entry, Skipped):
                    tally.skipped += 1
                else:
                    _reject(tally, entry)

        await self._write(job, plays())

    async def _run_lastfm(self, job: dict[str, Any]) -> None:
        context = self._plugin_context()
        tally = self._tally
        async for page, total_pages, data in recent_tracks_pages(
            context, job["api_key"], job["user"], to=int(job["to"]), start_page=int(job["page"])
        ):
            entries, _ = parse_recent_tracks_page(data, file=f"Last.fm page {page}", first_line=1)
            pairs: list[tuple[Play, str]] = []
            for entry in entries:
                tally.read += 1
                if isinstance(entry, Imported):
                    pairs.append((entry.play, entry.origin))
                elif isinstance(entry, Skipped):
                    tally.skipped += 1
                else:
                    _reject(tally, entry)
            self._progress = replace(self._progress, total=max(tally.read, total_pages * 200))
            job["page"] = page + 1
            await self._write(job, iter(pairs))

    async def _write(self, job: dict[str, Any], plays: Iterator[tuple[Play, str]]) -> None:
        """Store plays, saving the checkpoint after each committed transaction."""
        done_before, imported_before = int(job["done"]), int(job["imported"])

        async def committed(read_now: int, inserted: int) -> None:
            job["done"] = done_before + read_now
            job["imported"] = imported_before + inserted
            self._progress = replace(self._progress, imported=job["imported"], already_stored=self._duplicates(job))
            await self.store.set_state(JOB_KEY, job)
            self._on_change()

        await self.store.import_plays(plays, tolerance=int(job["tolerance"]), on_commit=committed)
        await self.store.set_state(JOB_KEY, job)

    @staticmethod
    def _duplicates(job: dict[str, Any]) -> int:
        return max(0, int(job["done"]) - int(job["imported"]))

    async def _finish(self, job: dict[str, Any], state: str, error: str | None) -> None:
        tally = self._tally
        self._progress = replace(
            self._progress,
            state=state,
            read=tally.read,
            skipped=tally.skipped,
            rejected=tally.rejected,
            imported=int(job["imported"]),
            already_stored=self._duplicates(job),
            error=error,
            finished_at=time.time(),
        )
        try:
            if state == DONE:
                await self.store.set_state(JOB_KEY, None)
            else:
                await self.store.set_state(JOB_KEY, {**job, "state": state})
        except Exception:
            _LOGGER.warning("Cannot save the import's checkpoint", exc_info=True)
        if state != RUNNING:
            self._notify(tally)
        self._on_change()

    def _notify(self, tally: _Tally) -> None:
        progress = self._progress
        headline = {
            DONE: "finished",
            FAILED: f"stopped by an error ({progress.error}); call the service again to resume it",
            CANCELLED: "cancelled; call the service again with the same source to resume it",
        }[progress.state]
        lines = [
            f"The import of {progress.source} ({progress.format}) {headline}.",
            "",
            f"- new plays stored: {progress.imported}",
            f"- plays already stored (skipped): {progress.already_stored}",
            f"- entries that are not plays (skipped): {progress.skipped}",
            f"- broken entries (skipped): {progress.rejected}",
        ]
        if tally.rejected_rows:
            lines += ["", "Broken entries:"]
            lines += [f"- {row.file}, line {row.line}: {row.reason}" for row in tally.rejected_rows[:REJECTED_LISTED]]
            if tally.rejected > REJECTED_LISTED:
                lines.append(f"- and {tally.rejected - REJECTED_LISTED} more (see the log)")
        persistent_notification.async_create(
            self.hass,
            "\n".join(lines),
            title="SpinStack: history import",
            notification_id=f"{DOMAIN}_import_{self._entry_id}",
        )


def _reject(tally: _Tally, entry: Rejected) -> None:
    tally.rejected += 1
    if tally.rejected <= REJECTED_LOGGED:
        tally.rejected_rows.append(entry)
        _LOGGER.warning("Import: skipped %s, line %s: %s", entry.file, entry.line, entry.reason)
    elif tally.rejected == REJECTED_LOGGED + 1:
        _LOGGER.warning("Import: more broken entries; they are counted, not logged one by one")


def _source_label(job: dict[str, Any]) -> str:
    if job.get("kind") == "lastfm_api":
        return f"Last.fm user {job.get('user')}"
    return Path(str(job.get("path"))).name


def _durations_lookup(known: dict[tuple[str, str], int]) -> Callable[[str, str], float | None]:
    def duration(artist: str, title: str) -> float | None:
        found = known.get((name_key(artist), name_key(title)))
        return float(found) if found else None

    return duration


_LINE_FORMATS: Final = frozenset({"lastfm_csv", "lastfm_csv_headerless", "spinstack_csv", "listenbrainz_jsonl"})
_BLOCK = 1 << 20


def _count_lines(stream: Any) -> int:
    lines, last = 0, b"\n"
    while block := stream.read(_BLOCK):
        lines += block.count(b"\n")
        last = block[-1:]
    return lines + (last != b"\n")


def _count_entries(path: Path, fmt: Format) -> int | None:
    """How many entries the source holds, for the percentage: its lines for line formats (a header counts as one
    more: close enough), the lines of its ``.jsonl`` members for an archive of them, else a first reading."""
    if fmt.name in _LINE_FORMATS:
        with path.open("rb") as stream:
            return _count_lines(stream)
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            members = [info for info in archive.infolist() if info.filename.endswith(".jsonl")]
            if members:
                total = 0
                for info in members:
                    with archive.open(info) as stream:
                        total += _count_lines(stream)
                return total
    return sum(1 for _ in read(path, fmt))
