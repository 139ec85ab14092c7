"""The load figure of the reliability issue: 32 emulated speakers in 8 groups of 4, each group's coordinator skipping
to the next track every 2 s for 10 minutes of emulated time (300 skips per group), heard by SpinStack inside a real
Home Assistant. Target: every play the same as the engine's replay of the same observations gives, Home Assistant's
loop lag p99 <= 20 ms, memory flat.

Design: three processes.

- This one (`run`) only starts the next one and collects its JSON.
- Home Assistant (``python -m bench.load_bench --hass FOLDER``): a real Home Assistant core started as ``hass``
  starts one, without any test harness: ``homeassistant.runner.create_event_loop`` (its loop, with the 64-thread
  executor SoCo's blocking calls run in), ``homeassistant.bootstrap.async_setup_hass`` over a fresh config folder
  with a minimal configuration, then ``HomeAssistant.async_run``. SpinStack (this repository's
  ``custom_components``) is added through its real config flow (a speaker's address, every room) and its rules set
  through its real options flow. It hears the speakers through real SoCo (its event listener for NOTIFYs, SOAP reads
  in Home Assistant's executor) and writes its plays to a real SQLite file.
- The speakers (``python -m bench.load_bench --speakers FIRST_IP START``): the emulator's `Household` on a
  `ManualClock`, serving real HTTP/GENA on 127.x.y.2-33 port 1400 (127.0.0.1 stays SoCo's), in a process of its
  own so that the speakers' work (SOAP answers, NOTIFY bodies) does not count as Home Assistant's: real speakers are
  other machines.

Ten emulated minutes must not take ten real ones, so time moves in lockstep, as in the end-to-end tests
(tests/e2e/timing.py): the speakers' `ManualClock` is driven from the Home Assistant process over a small control
socket; SpinStack's engine reads the same emulated time (``coordinator.wall_clock``) and its wake-ups are timers on
that clock (``coordinator.async_call_later`` is replaced; Home Assistant's own timers keep real time). The driver
stops wherever something is due (a skip on a speaker, a wake-up of the engine), and lets the I/O that follows finish
(the speakers answer a step once its NOTIFYs are delivered; SoCo hands an event to SpinStack before answering the
NOTIFY; then SpinStack's position reads are awaited) before time moves on. So every observation carries the exact
emulated time, and every track is heard exactly 2 s. A real ``hass`` process (as ``make demo`` runs) was not
chosen: there the engine would count heard time on the real clock while the speakers' positions follow an
accelerated one, and recording the observations needs code inside that process anyway.

Lockstep runs the bursts of work (one group's skip, one wake-up) one after the other with no idle time between
them: the loop lag per burst is what a home would see, but the share of late ticks, hence the p99, is an upper
bound (the max is not inflated). Today the bound is nearly tight: SpinStack's reads for one emulated minute of this
load take about 55 real seconds even in lockstep, so a home would see its loop almost as busy.

Rules: SpinStack's defaults (tracks over 30 s count at 50 %) with ``threshold_cap_seconds`` 1, the options flow's
minimum: the 3-minute tracks count after 1 s heard, so each track, heard for its 2 s, counts once (at its threshold,
after a wake-up and position reads). Groups start 0.23 s apart so that no two groups' skips or thresholds coincide.

Budget: the run must end within about three minutes on the project's 2-core machine. The load phase stops after
``SPINSTACK_LOAD_BUDGET`` real seconds (140 by default, 0 for none): then no group skips again, each finishes the
track in progress (2 s) and pauses, and the figures say ``"complete": false`` with the emulated time covered and
the real seconds each emulated minute took (today about 2.8 of the 10 minutes fit; the whole run takes about 9.5
minutes: ``SPINSTACK_LOAD_BUDGET=0 scripts/env python -m bench.load_bench``).

Measured:

- the plays stored in SQLite against the plays the engine's replay tool
  (``python -m custom_components.spinstack.engine replay FILE.jsonl``) gives for every observation the coordinator
  fed its engine (recorded by wrapping ``SpinStackCoordinator._on_observation``: the coordinator keeps only the
  last 500), as (speaker, started_at, artist, title): they must be the same;
- plays per group: exactly one per track started, from the group's coordinator (grouped rooms count once);
- Home Assistant's event-loop lag: how late a 10 ms timer fires, throughout the load (median, p99, max);
- memory: the Home Assistant process's resident set and Python's allocated blocks at each emulated minute, and the
  growth from minute 2 to the last (10);
- NOTIFYs sent by the speakers and received by SpinStack, SOAP requests answered, state changes written, the Home
  Assistant process's CPU time (all threads, and the event loop's thread alone), and real time.
"""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from collections.abc import Callable
import contextlib
import json
import os
from pathlib import Path
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from typing import TYPE_CHECKING, Any

from emulator import Household, ManualClock
from emulator.load import SkippingLoad, SkippingRun, coordinators, form_groups, load_household, schedule_skips

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from custom_components.spinstack.coordinator import SpinStackCoordinator
    from custom_components.spinstack.engine import Rules

REPO = Path(__file__).resolve().parents[1]
LOAD = SkippingLoad()  # 8 groups of 4, a skip every 2 s, 300 skips
THRESHOLD_CAP_SECONDS = 1
BUDGET_SECONDS = float(os.environ.get("SPINSTACK_LOAD_BUDGET", "140"))
TICK = 0.01
MINUTE = 60.0
# The run ends this long (emulated) after the last group paused.
TAIL = 1.0
CHILD_TIMEOUT = 3600
Key = tuple[str, int, str, str]  # (speaker, started_at, artist, title)

CONFIGURATION = """\
# The load benchmark's Home Assistant: a minimal configuration, as `make demo` writes.
homeassistant:
  name: SpinStack load
  time_zone: UTC
  country: GB
  unit_system: metric
http:
  server_host: 127.0.0.1
  server_port: {port}
logger:
  default: warning
"""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def loopback_block() -> str:
    """The first speaker's address, in a block of 127.x.y.* of this process's own."""
    pid = os.getpid()
    return f"127.{10 + pid % 200}.{pid // 200 % 250}.2"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- the speakers' process -------------------------------------------------------------------------------------------
class SpeakersControl:
    """The speakers' side of the control socket: one JSON command per line, one JSON answer per line."""

    def __init__(self, household: Household, clock: ManualClock) -> None:
        self.household = household
        self.clock = clock
        self.run: SkippingRun | None = None
        self.done = asyncio.Event()

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while line := await reader.readline():
                command = json.loads(line)
                writer.write(json.dumps(await self.handle(command)).encode() + b"\n")
                await writer.drain()
                if command["op"] == "stop":
                    break
        finally:
            writer.close()
            self.done.set()

    async def handle(self, command: dict[str, Any]) -> dict[str, Any]:
        household, clock = self.household, self.clock
        match command["op"]:
            case "speakers":
                return {
                    "speakers": [speaker.uid for speaker in household.speakers],
                    "coordinators": [speaker.uid for speaker in coordinators(household, LOAD)],
                }
            case "schedule":
                self.run = schedule_skips(household, LOAD, float(command["start"]))
                return {"next_due": clock.next_due()}
            case "advance":
                await clock.advance_to(float(command["to"]))
                await household.settle()
                return {"next_due": clock.next_due()}
            case "cut":
                assert self.run is not None
                return {"end": self.run.cut(), "next_due": clock.next_due()}
            case "tracks":
                assert self.run is not None
                return {"tracks": [self.run.tracks_started(group) for group in range(LOAD.groups)]}
            case "stats":
                subscriptions = [sub for speaker in household.speakers for sub in speaker.gena.subscriptions.values()]
                return {
                    "notifies": sum(len(sub.delivered) for sub in subscriptions),
                    "av_transport_notifies": sum(
                        len(sub.delivered) for sub in subscriptions if sub.service == "AVTransport"
                    ),
                    "soap_requests": sum(
                        1 for speaker in household.speakers for method, _ in speaker.server.requests if method == "POST"
                    ),
                }
            case "stop":
                return {}
        raise ValueError(f"unknown command {command['op']!r}")


async def serve_speakers(first_ip: str, start: float) -> None:
    clock = ManualClock(start=start)
    household = load_household(LOAD, clock, first_ip=first_ip)
    control = SpeakersControl(household, clock)
    async with household:
        form_groups(household, LOAD)
        server = await asyncio.start_server(control.serve, "127.0.0.1", 0)
        print(f"control {server.sockets[0].getsockname()[1]}", flush=True)
        async with server:
            await control.done.wait()


# -- the Home Assistant process --------------------------------------------------------------------------------------
class Speakers:
    """The Home Assistant side of the control socket."""

    def __init__(
        self, process: asyncio.subprocess.Process, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.process = process
        self.reader = reader
        self.writer = writer

    @classmethod
    async def start(cls, first_ip: str, start: float) -> Speakers:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.load_bench",
            "--speakers",
            first_ip,
            repr(start),
            cwd=REPO,
            stdout=asyncio.subprocess.PIPE,
        )
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), 60)).decode()
        if not line.startswith("control "):
            process.kill()
            await process.wait()
            raise RuntimeError(f"the speakers did not start: {line!r}")
        reader, writer = await asyncio.open_connection("127.0.0.1", int(line.split()[1]))
        return cls(process, reader, writer)

    async def call(self, op: str, **arguments: Any) -> dict[str, Any]:
        self.writer.write(json.dumps({"op": op, **arguments}).encode() + b"\n")
        await self.writer.drain()
        answer: dict[str, Any] = json.loads(await self.reader.readline())
        return answer

    async def stop(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            await self.call("stop")
        self.writer.close()
        try:
            await asyncio.wait_for(self.process.wait(), 30)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()


def lag_figures(lags: list[float]) -> dict[str, Any]:
    ordered = sorted(lags)
    if not ordered:
        return {}
    return {
        "samples": len(ordered),
        "median": round(statistics.median(ordered) * 1000, 3),
        "p99": round(ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))] * 1000, 3),
        "max": round(ordered[-1] * 1000, 3),
        "over_20_ms": sum(1 for lag in ordered if lag > 0.020),
    }


async def sample_lags(stop: asyncio.Event, lags: list[float]) -> None:
    """How late a 10 ms timer fires, again and again until ``stop``: how long the event loop keeps others waiting."""
    while not stop.is_set():
        started = time.perf_counter()
        await asyncio.sleep(TICK)
        lags.append(max(0.0, time.perf_counter() - started - TICK))


class Memory:
    """The process's resident set (from /proc/self/statm, opened before Home Assistant reports open() in its loop)
    and Python's allocated blocks."""

    def __init__(self) -> None:
        self._fd = os.open("/proc/self/statm", os.O_RDONLY)
        self._page = os.sysconf("SC_PAGE_SIZE")
        self.samples: list[dict[str, float]] = []

    def sample(self, minute: int) -> dict[str, float]:
        resident = int(os.pread(self._fd, 200, 0).split()[1]) * self._page / 2**20
        self.samples.append(
            {"minute": minute, "rss_mb": round(resident, 1), "allocated_blocks": sys.getallocatedblocks()}
        )
        return self.samples[-1]

    def growth(self) -> dict[str, Any]:
        """From minute 2 (minute 1 in a run cut short before minute 3) to the last minute sampled."""
        if len(self.samples) < 3:
            return {}
        first, last = self.samples[min(2, len(self.samples) - 2)], self.samples[-1]
        return {
            "from_minute": first["minute"],
            "to_minute": last["minute"],
            "rss_mb": round(last["rss_mb"] - first["rss_mb"], 1),
            "allocated_blocks": int(last["allocated_blocks"] - first["allocated_blocks"]),
        }

    def close(self) -> None:
        os.close(self._fd)


def _pending_reads() -> list[asyncio.Task[Any]]:
    """SpinStack's reads in flight: after an event (``spinstack position``) and at a wake-up (``spinstack wake``)."""
    current = asyncio.current_task()
    return [
        task
        for task in asyncio.all_tasks()
        if task is not current
        and not task.done()
        and task.get_name().startswith(("spinstack position", "spinstack wake"))
    ]


async def settle() -> None:
    """Wait until the reads SpinStack started in the last step are done."""
    while True:
        for _ in range(3):
            await asyncio.sleep(0)
        pending = _pending_reads()
        if not pending:
            return
        await asyncio.wait(pending)


class Recorder:
    """Every observation SpinStack's coordinator feeds its engine, as replay lines in a file (the coordinator itself
    keeps the last 500), and the emulated clock its engine and wake-ups follow."""

    def __init__(self, path: Path, clock: ManualClock) -> None:
        self.path = path
        self.clock = clock
        # Opened before Home Assistant starts: it reports open() in its event loop.
        self.file = path.open("w", encoding="utf-8")
        self.observations = 0

    def install(self) -> None:
        from homeassistant.util import dt as dt_util  # noqa: PLC0415

        from custom_components.spinstack import coordinator as coordinator_module  # noqa: PLC0415
        from custom_components.spinstack.coordinator import SpinStackCoordinator  # noqa: PLC0415
        from custom_components.spinstack.engine import Observation  # noqa: PLC0415

        original = SpinStackCoordinator._on_observation  # noqa: SLF001
        recorder = self

        def on_observation(coordinator: SpinStackCoordinator, observation: Observation) -> None:
            recorder.observations += 1
            recorder.file.write(json.dumps(observation.to_json(), ensure_ascii=False) + "\n")
            original(coordinator, observation)

        def call_later(hass: HomeAssistant, delay: Any, action: Any) -> Callable[[], None]:
            def fire() -> None:
                hass.async_run_hass_job(action, dt_util.utcnow())

            return self.clock.call_later(delay, fire).cancel

        SpinStackCoordinator._on_observation = on_observation  # type: ignore[method-assign,assignment]  # noqa: SLF001
        coordinator_module.wall_clock = self.clock.now
        coordinator_module.async_call_later = call_later  # type: ignore[attr-defined]

    def close(self) -> None:
        if not self.file.closed:
            self.file.close()


async def start_home_assistant(config: Path, log_file: Path) -> tuple[HomeAssistant, asyncio.Task[int]]:
    """Home Assistant as ``hass`` starts it, running (its HTTP settings confirmed, as a user confirms them)."""
    from homeassistant import bootstrap  # noqa: PLC0415
    from homeassistant.components.http.config import DATA_STORE, ActiveConfigType  # noqa: PLC0415
    from homeassistant.core import CoreState  # noqa: PLC0415
    from homeassistant.runner import RuntimeConfig  # noqa: PLC0415

    hass = await bootstrap.async_setup_hass(
        RuntimeConfig(config_dir=str(config), skip_pip=True, log_file=str(log_file), log_no_color=True)
    )
    if hass is None:
        raise RuntimeError("Home Assistant did not set up")
    running = asyncio.create_task(hass.async_run(attach_signals=False))
    async with asyncio.timeout(120):
        while hass.state is not CoreState.running:  # noqa: ASYNC110 - Home Assistant's own start
            await asyncio.sleep(0.05)
    # configuration.yaml's http settings are a trial Home Assistant reverts (restarting its server) after five
    # minutes unless confirmed: confirm them, as `make demo` does through the websocket.
    store = hass.data.get(DATA_STORE)
    if store is not None and store.active_config_type is ActiveConfigType.PENDING:
        await store.async_promote_pending()
    return hass, running


async def add_spinstack(hass: HomeAssistant, first_ip: str, rooms: list[str]) -> SpinStackCoordinator:
    """SpinStack through its config flow (a speaker's address, every room) and its options flow (the rules)."""
    from homeassistant import config_entries  # noqa: PLC0415

    from custom_components.spinstack.const import (  # noqa: PLC0415
        CONF_SPEAKERS,
        CONF_THRESHOLD_CAP_SECONDS,
        DOMAIN,
    )
    from custom_components.spinstack.sonos.listener import ListenerState  # noqa: PLC0415

    flow = await hass.config_entries.flow.async_init(DOMAIN, context={"source": config_entries.SOURCE_USER})
    flow = await hass.config_entries.flow.async_configure(flow["flow_id"], {"host": first_ip})
    flow = await hass.config_entries.flow.async_configure(flow["flow_id"], {CONF_SPEAKERS: rooms})
    if flow.get("type") != "create_entry":
        raise RuntimeError(f"SpinStack's config flow did not create its entry: {flow}")
    entry: config_entries.ConfigEntry[Any] = flow["result"]
    options = await hass.config_entries.options.async_init(entry.entry_id)
    answer = {key: value for key, value in entry.options.items() if not isinstance(value, dict)}
    answer[CONF_THRESHOLD_CAP_SECONDS] = THRESHOLD_CAP_SECONDS
    options = await hass.config_entries.options.async_configure(options["flow_id"], answer)
    if options.get("type") != "create_entry":
        raise RuntimeError(f"SpinStack's options flow did not finish: {options}")
    await hass.async_block_till_done()
    coordinator: SpinStackCoordinator = entry.runtime_data.coordinator
    async with asyncio.timeout(60):
        while len(coordinator.listeners) != len(rooms) or any(  # noqa: ASYNC110 - the listeners' own pace
            listener.health.state is not ListenerState.SUBSCRIBED for listener in coordinator.listeners.values()
        ):
            await asyncio.sleep(0.05)
    return coordinator


async def replay_file(path: Path, rules: Rules) -> Counter[Key]:
    """The plays the engine's replay tool gives for the recorded observations, as stored keys."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "custom_components.spinstack.engine",
        "replay",
        str(path),
        "--min-track-seconds",
        repr(rules.min_track_seconds),
        "--threshold-fraction",
        repr(rules.threshold_fraction),
        "--threshold-cap-seconds",
        repr(rules.threshold_cap_seconds),
        "--radio-min-seconds",
        repr(rules.radio_min_seconds),
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
    )
    output, _ = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"the replay tool failed (exit {process.returncode})")
    plays = [json.loads(line) for line in output.decode().splitlines() if line.strip()]
    return Counter((play["speaker"], round(play["started_at"]), play["artist"], play["title"]) for play in plays)


def queued_in_soco() -> int:
    """Events SoCo put in its subscriptions' own queues (the callback was not set when they came): never heard."""
    from soco import events_asyncio  # noqa: PLC0415

    subscriptions = list(events_asyncio.subscriptions_map.subscriptions.values())
    return sum(subscription.events.qsize() for subscription in subscriptions)


def plays_figures(
    stored: Counter[Key], replayed: Counter[Key], rooms: list[str], leaders: list[str], tracks: list[int]
) -> dict[str, Any]:
    """Stored against replayed, and per group: one play per track started, all from the group's coordinator."""
    group_of = {uid: index // LOAD.group_size for index, uid in enumerate(rooms)}
    per_group: list[int] = []
    wrong_groups: list[int] = []
    for group, leader in enumerate(leaders):
        titles = Counter(title for (speaker, _, _, title) in stored.elements() if speaker == leader)
        expected = {LOAD.title(number) for number in range(1, tracks[group] + 1)}
        per_group.append(sum(titles.values()))
        if set(titles) != expected or any(count != 1 for count in titles.values()):
            wrong_groups.append(group + 1)
    from_followers = sum(1 for (speaker, _, _, _) in stored.elements() if speaker not in leaders)
    unknown = sum(1 for (speaker, _, _, _) in stored.elements() if speaker not in group_of)
    return {
        "stored": stored.total(),
        "replayed": replayed.total(),
        "expected": sum(tracks),
        "match": stored == replayed,
        "only_stored": [list(key) for key in sorted((stored - replayed).elements())][:10],
        "only_replayed": [list(key) for key in sorted((replayed - stored).elements())][:10],
        "per_group": per_group,
        "from_followers": from_followers,
        "from_unknown_speakers": unknown,
        "groups_not_one_per_track": wrong_groups,
        "exactly_one_per_track_per_group": not wrong_groups and from_followers == 0 and unknown == 0,
    }


async def run_hass(folder: Path) -> dict[str, Any]:
    """Home Assistant, SpinStack and the load; returns the figures."""
    from homeassistant.const import EVENT_STATE_CHANGED  # noqa: PLC0415
    from homeassistant.core import Event, EventStateChangedData, callback  # noqa: PLC0415

    started_real = time.perf_counter()
    load_average_start = round(os.getloadavg()[0], 2)
    config = folder / "config"
    config.mkdir()
    (config / "configuration.yaml").write_text(CONFIGURATION.format(port=free_port()))
    start = float(int(time.time()))
    clock = ManualClock(start=start)  # emulated time, on this side: SpinStack's engine and wake-ups
    recorder = Recorder(folder / "observations.jsonl", clock)
    recorder.install()
    memory = Memory()

    first_ip = loopback_block()
    log(f"load: starting {LOAD.speakers} emulated speakers from {first_ip}")
    speakers = await Speakers.start(first_ip, start)
    hass: HomeAssistant | None = None
    running: asyncio.Task[int] | None = None
    try:
        household = await speakers.call("speakers")
        rooms: list[str] = household["speakers"]
        log("load: starting Home Assistant")
        hass, running = await start_home_assistant(config, folder / "home-assistant.log")
        startup_seconds = time.perf_counter() - started_real
        log(f"load: Home Assistant running after {startup_seconds:.1f} s; adding SpinStack through its config flow")
        coordinator = await add_spinstack(hass, first_ip, rooms)
        await speakers.call("advance", to=clock.now())
        await settle()
        rules = coordinator.engine.rules
        at_start = {
            "sent": (await speakers.call("stats"))["notifies"],
            "received": sum(listener.health.events for listener in coordinator.listeners.values()),
        }
        log(f"load: {len(coordinator.listeners)} rooms subscribed; a track counts after {rules.threshold(180):g} s")

        state_changes = Counter[str]()

        @callback
        def count_state_change(event: Event[EventStateChangedData]) -> None:
            state_changes[event.data["entity_id"]] += 1

        load_start = clock.now() + 1.0
        end = load_start + LOAD.duration + TAIL
        remote_due: float | None = (await speakers.call("schedule", start=load_start))["next_due"]
        lags: list[float] = []
        stop_lags = asyncio.Event()
        lag_task = asyncio.create_task(sample_lags(stop_lags, lags))
        stop_counting = hass.bus.async_listen(EVENT_STATE_CHANGED, count_state_change)
        memory.sample(0)
        next_minute, steps, cut = 1, 0, False
        spent: defaultdict[str, float] = defaultdict(float)
        load_real = time.perf_counter()
        cpu_before = resource.getrusage(resource.RUSAGE_SELF)
        loop_cpu_before = time.thread_time()
        while True:
            mark = time.perf_counter()
            await settle()
            spent["waiting_for_reads"] += time.perf_counter() - mark
            now = clock.now()
            while now >= load_start + next_minute * MINUTE:
                sample = memory.sample(next_minute)
                log(f"load: emulated minute {next_minute}: rss {sample['rss_mb']} MB, {recorder.observations} obs.")
                next_minute += 1
            if now >= end:
                break
            if not cut and BUDGET_SECONDS and time.perf_counter() - load_real > BUDGET_SECONDS:
                answer = await speakers.call("cut")
                cut, remote_due, end = True, answer["next_due"], answer["end"] + TAIL
                log(f"load: real-time budget spent at emulated second {now - load_start:.0f}: ending the run")
            dues = [due for due in (remote_due, clock.next_due()) if due is not None]
            target = max(now, min([*dues, end]))
            mark = time.perf_counter()
            remote_due = (await speakers.call("advance", to=target))["next_due"]
            spent["speakers_step"] += time.perf_counter() - mark
            mark = time.perf_counter()
            await clock.advance_to(target)
            spent["wake_timers"] += time.perf_counter() - mark
            steps += 1
        load_seconds = time.perf_counter() - load_real
        loop_cpu = time.thread_time() - loop_cpu_before
        cpu_after = resource.getrusage(resource.RUSAGE_SELF)
        process_cpu = cpu_after.ru_utime + cpu_after.ru_stime - cpu_before.ru_utime - cpu_before.ru_stime
        stop_lags.set()
        await lag_task
        stop_counting()
        emulated = clock.now() - load_start

        async with asyncio.timeout(60):
            while coordinator.data.pending_writes:  # noqa: ASYNC110 - the writer's own pace
                await asyncio.sleep(0.05)
        stats = await speakers.call("stats")
        tracks: list[int] = (await speakers.call("tracks"))["tracks"]
        heard = sum(listener.health.events for listener in coordinator.listeners.values())
        unheard = queued_in_soco()
        rows = await coordinator.store.query("plays_between", start=0, end=2**40, limit=1_000_000)
        await hass.config_entries.async_unload(coordinator.config_entry.entry_id)
        recorder.close()
        stored = Counter((row["speaker"], int(row["started_at"]), row["artist"], row["title"]) for row in rows)
        replayed = await replay_file(recorder.path, rules)
        return {
            "speakers": LOAD.speakers,
            "groups": LOAD.groups,
            "skip_every_s": LOAD.skip_every,
            "skips_per_group": LOAD.skips,
            "complete": not cut,
            "emulated_seconds": round(emulated, 2),
            "tracks_per_group": tracks,
            "rules": {
                "threshold_cap_seconds": rules.threshold_cap_seconds,
                "min_track_seconds": rules.min_track_seconds,
            },
            "plays": plays_figures(stored, replayed, rooms, household["coordinators"], tracks),
            "observations": recorder.observations,
            "notifies": {
                "sent": stats["notifies"],
                "av_transport_sent": stats["av_transport_notifies"],
                "received": heard,
                "received_before_the_load": at_start,
                # Events SoCo queued on a subscription instead of calling SpinStack's callback (not set yet).
                "left_in_soco_queues": unheard,
            },
            "soap_requests": stats["soap_requests"],
            "loop_lag_ms": lag_figures(lags),
            "memory": {"series": memory.samples, "growth": memory.growth()},
            "cpu_seconds": {"process": round(process_cpu, 1), "event_loop_thread": round(loop_cpu, 1)},
            "state_changes": {"total": state_changes.total(), **dict(state_changes.most_common(6))},
            "lockstep": {"steps": steps, **{key: round(value, 1) for key, value in spent.items()}},
            "seconds": {
                "home_assistant_start": round(startup_seconds, 1),
                "load": round(load_seconds, 1),
                "real_per_emulated_minute": round(load_seconds / max(emulated, 1e-9) * MINUTE, 1),
                "total": round(time.perf_counter() - started_real, 1),
            },
            # Other work on the machine shows here (the figures are only this run's when it is near 0).
            "machine_load_average": {"start": load_average_start, "end": round(os.getloadavg()[0], 2)},
        }
    finally:
        recorder.close()
        memory.close()
        if hass is not None and running is not None:
            await hass.async_stop()
            await running
        await speakers.stop()


def hass_main(folder: Path) -> int:
    from homeassistant import runner  # noqa: PLC0415

    loop = runner.create_event_loop()
    asyncio.set_event_loop(loop)
    try:
        figures = loop.run_until_complete(run_hass(folder))
    finally:
        loop.run_until_complete(loop.shutdown_default_executor())
        asyncio.set_event_loop(None)
        loop.close()
    json.dump(figures, sys.stdout)
    sys.stdout.write("\n")
    return 0


# -- the benchmark ---------------------------------------------------------------------------------------------------
def run(log: Callable[[str], None]) -> dict[str, Any]:
    """The load benchmark, in a Home Assistant process of its own; its figures as a JSON-able dict."""
    log(
        f"load: {LOAD.speakers} emulated speakers in {LOAD.groups} groups skipping every {LOAD.skip_every:g} s, "
        f"{LOAD.skips} times (emulated time; real-time budget {BUDGET_SECONDS:g} s, 0: none)"
    )
    with tempfile.TemporaryDirectory(prefix="spinstack-load-") as folder:
        process = subprocess.Popen(  # noqa: S603 - this module, with this interpreter
            [sys.executable, "-m", "bench.load_bench", "--hass", folder],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert process.stdout is not None
        assert process.stderr is not None
        errors = process.stderr

        def forward() -> None:
            for line in errors:
                log(line.rstrip())

        forwarder = threading.Thread(target=forward, daemon=True)
        forwarder.start()
        watchdog = threading.Timer(CHILD_TIMEOUT, process.kill)
        watchdog.start()
        try:
            output = process.stdout.read()
            process.wait()
        finally:
            watchdog.cancel()
        forwarder.join(5)
    if process.returncode != 0 or not output.strip():
        return {"error": f"the load benchmark failed (exit {process.returncode})"}
    figures: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    return figures


def main(argv: list[str]) -> int:
    if argv[:1] == ["--speakers"]:
        asyncio.run(serve_speakers(argv[1], float(argv[2])))
        return 0
    if argv[:1] == ["--hass"]:
        return hass_main(Path(argv[1]))
    json.dump(run(log), sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
