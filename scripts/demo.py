"""`make demo`: a real Home Assistant with SpinStack hearing three emulated Sonos rooms that play a scripted day.

Starts the speaker emulator (127.0.0.2-4, time running ten times faster than real time) and a `hass` process on
http://127.0.0.1:8123 with its config folder in .demo/config (ignored by git); finishes onboarding through
Home Assistant's own onboarding API (user "demo", password "spinstack-demo"); adds SpinStack through its real
config flow; then shows each play as it arrives. Ctrl-C stops everything it started.

The browser tests (tests/browser) reuse `prepare_config` and `Demo` with a config folder, port and speaker
addresses of their own.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
from pathlib import Path
import shutil
import signal
import socket
import sys
import time
from typing import Any

import aiohttp

REPO = Path(__file__).resolve().parents[1]
LOGS = REPO / ".demo"
CONFIG = LOGS / "config"
PORT = 8123
USERNAME = "demo"
PASSWORD = "spinstack-demo"  # noqa: S105 - a local demo's documented login
FIRST_SPEAKER = "127.0.0.2"
# The event SpinStack fires for every play it counts (custom_components/spinstack/const.py: EVENT_SCROBBLE; a test
# checks they agree: this script runs without the repository on its path).
SCROBBLE_EVENT = "spinstack_scrobble"

CONFIGURATION = """\
# Written by `make demo`: a minimal Home Assistant (no default_config: quicker, and nothing that needs the internet).
homeassistant:
  name: SpinStack demo
  time_zone: UTC
  country: GB
  unit_system: metric
http:
  server_host: 127.0.0.1
  server_port: {port}
frontend:
config:
logger:
  default: warning
  logs:
    custom_components.spinstack: info
"""


def free_port() -> int:
    """A TCP port nothing listens on now (Home Assistant takes it a few seconds later)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def browser_login_script(url: str, tokens: dict[str, Any]) -> str:
    """A script that logs a browser in as Home Assistant's frontend does itself: its tokens in localStorage."""
    saved = {
        "access_token": tokens["access_token"],
        "refresh_token": tokens["refresh_token"],
        "expires_in": tokens["expires_in"],
        "token_type": tokens["token_type"],
        "hassUrl": url,
        "clientId": f"{url}/",
    }
    return (
        f"(() => {{ const tokens = {json.dumps(saved)}; tokens.expires = Date.now() + tokens.expires_in * 1000;"
        ' localStorage.setItem("hassTokens", JSON.stringify(tokens)); })();'
    )


def say(message: str) -> None:
    print(f"demo: {message}", flush=True)


def prepare_config(fresh: bool, config: Path = CONFIG, port: int = PORT) -> None:
    """The config folder, with SpinStack linked in as HACS would install it."""
    if fresh and config.exists():
        shutil.rmtree(config)
    (config / "custom_components").mkdir(parents=True, exist_ok=True)
    (config / "configuration.yaml").write_text(CONFIGURATION.format(port=port))
    link = config / "custom_components" / "spinstack"
    if not link.is_symlink():
        if link.exists():
            shutil.rmtree(link)
        link.symlink_to(REPO / "custom_components" / "spinstack")


class Demo:
    """The processes the demo started, and a session to talk to Home Assistant."""

    def __init__(self, rate: float, port: int = PORT, first_speaker: str = FIRST_SPEAKER, logs: Path = LOGS) -> None:
        self.rate = rate
        self.url = f"http://127.0.0.1:{port}"
        self.client_id = f"{self.url}/"
        self.first_speaker = first_speaker
        self.logs = logs
        self.processes: list[asyncio.subprocess.Process] = []
        self.token: str | None = None
        # The whole answer of /auth/token (access and refresh tokens, expires_in): a browser can log in with it.
        self.tokens: dict[str, Any] = {}

    async def start_process(self, name: str, *args: str) -> None:
        with (self.logs / f"{name}.log").open("ab") as log:
            process = await asyncio.create_subprocess_exec(
                sys.executable, *args, cwd=REPO, stdout=log, stderr=asyncio.subprocess.STDOUT, start_new_session=True
            )
        self.processes.append(process)
        say(f"started {name} (pid {process.pid}, log {self.logs / name}.log)")

    async def stop(self) -> None:
        """Stop every process the demo started, with whatever they started (each leads a process group)."""
        for process in reversed(self.processes):
            if process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                await asyncio.wait_for(process.wait(), 30)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                await process.wait()
        say("stopped everything the demo started")

    async def wait_for_home_assistant(self, session: aiohttp.ClientSession) -> None:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            for process in self.processes:
                if process.returncode is not None:
                    raise RuntimeError(f"a demo process ended early (exit {process.returncode}); see {self.logs}/*.log")
            with contextlib.suppress(aiohttp.ClientError):
                async with session.get(f"{self.url}/api/onboarding") as response:
                    if response.status in (200, 401, 404):
                        return
            await asyncio.sleep(1)
        raise RuntimeError(f"Home Assistant did not answer within 3 minutes; see {self.logs}/homeassistant.log")

    async def log_in(self, session: aiohttp.ClientSession) -> None:
        """Onboard (first run) or log in, through Home Assistant's own APIs."""
        async with session.get(f"{self.url}/api/onboarding") as response:
            steps = await response.json() if response.status == 200 else []
        if any(step["step"] == "user" and not step["done"] for step in steps):
            async with session.post(
                f"{self.url}/api/onboarding/users",
                json={
                    "client_id": self.client_id,
                    "name": "Demo",
                    "username": USERNAME,
                    "password": PASSWORD,
                    "language": "en",
                },
            ) as response:
                response.raise_for_status()
                code = (await response.json())["auth_code"]
        else:
            code = await self._login_flow(session)
        async with session.post(
            f"{self.url}/auth/token",
            data={"grant_type": "authorization_code", "code": code, "client_id": self.client_id},
        ) as response:
            response.raise_for_status()
            self.tokens = await response.json()
            self.token = self.tokens["access_token"]
        for step, payload in (
            ("core_config", {}),
            ("analytics", {}),
            ("integration", {"client_id": self.client_id, "redirect_uri": f"{self.url}/?auth_callback=1"}),
        ):
            if any(s["step"] == step and not s["done"] for s in steps):
                async with session.post(
                    f"{self.url}/api/onboarding/{step}", json=payload, headers=self.auth
                ) as response:
                    response.raise_for_status()

    async def _login_flow(self, session: aiohttp.ClientSession) -> str:
        async with session.post(
            f"{self.url}/auth/login_flow",
            json={"client_id": self.client_id, "handler": ["homeassistant", None], "redirect_uri": self.client_id},
        ) as response:
            flow = await response.json()
        async with session.post(
            f"{self.url}/auth/login_flow/{flow['flow_id']}",
            json={"client_id": self.client_id, "username": USERNAME, "password": PASSWORD},
        ) as response:
            result = await response.json()
        if result.get("type") != "create_entry":
            raise RuntimeError(f"cannot log in as {USERNAME}: {result}")
        return str(result["result"])

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def api(self, session: aiohttp.ClientSession, method: str, path: str, body: Any = None) -> Any:
        async with session.request(method, f"{self.url}{path}", json=body, headers=self.auth) as response:
            response.raise_for_status()
            return await response.json()

    async def websocket(self, session: aiohttp.ClientSession, message: dict[str, Any]) -> dict[str, Any]:
        """One command over Home Assistant's websocket API; its whole answer (`success`, `result` or `error`)."""
        async with session.ws_connect(f"{self.url}/api/websocket") as ws:
            await self._authenticate(ws)
            await ws.send_json({"id": 1, **message})
            result: dict[str, Any] = await ws.receive_json()
            return result

    async def _authenticate(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        await ws.receive_json()  # auth_required
        await ws.send_json({"type": "auth", "access_token": self.token})
        if (answer := await ws.receive_json())["type"] != "auth_ok":
            raise RuntimeError(f"the websocket refused the token: {answer}")

    async def start_idle(self, config: Path) -> None:
        """Two idle emulated speakers and Home Assistant over ``config``, logged in, with SpinStack added through its
        config flow: what the browser tests and the panel's benchmark open (idle: no play is added meanwhile)."""
        await self.start_process(
            "emulator", "-m", "emulator", "--scenario", "idle", "--speakers", "2", "--first-ip", self.first_speaker
        )
        await self.start_process("homeassistant", "-m", "homeassistant", "--config", str(config), "--skip-pip")
        async with aiohttp.ClientSession() as session:
            await self.wait_for_home_assistant(session)
            await self.log_in(session)
            await self.keep_http_config(session)
            await self.check_frontend_can_load(session)
            await self.add_spinstack(session)

    async def check_frontend_can_load(self, session: aiohttp.ClientSession) -> None:
        """Home Assistant's frontend waits for the service descriptions; without them it shows "Loading..." forever."""
        async with session.get(f"{self.url}/api/services", headers=self.auth) as response:
            if response.status != 200:
                raise RuntimeError(
                    f"Home Assistant cannot describe its services ({response.status}), so its frontend would never"
                    " load: it imports every base component (ai_task, assist_satellite, camera, ...) for that, and one"
                    f" of their requirements is missing from the environment; see {self.logs / 'homeassistant.log'}"
                )

    async def keep_http_config(self, session: aiohttp.ClientSession) -> None:
        """Keep configuration.yaml's http settings: Home Assistant imports them as a trial that it reverts (to port
        8123 on every address) five minutes later, and asks in a dialog, unless they are confirmed."""
        answer = await self.websocket(session, {"type": "http/config/promote"})
        if not answer["success"] and answer["error"]["code"] != "not_allowed":  # not_allowed: nothing to confirm
            raise RuntimeError(f"cannot keep the http settings: {answer['error']}")

    async def add_spinstack(self, session: aiohttp.ClientSession) -> None:
        """Through SpinStack's real config flow: manual host, every speaker; then demo thresholds in the options."""
        entries = await self.api(session, "GET", "/api/config/config_entries/entry?domain=spinstack")
        if not entries:
            flow = await self.api(session, "POST", "/api/config/config_entries/flow", {"handler": "spinstack"})
            if flow.get("type") == "menu":
                flow = await self.api(
                    session, "POST", f"/api/config/config_entries/flow/{flow['flow_id']}", {"next_step_id": "manual"}
                )
            flow = await self.api(
                session, "POST", f"/api/config/config_entries/flow/{flow['flow_id']}", {"host": self.first_speaker}
            )
            if flow.get("type") != "form" or flow.get("step_id") != "speakers":
                raise RuntimeError(f"SpinStack's config flow did not reach its speakers step: {flow}")
            schema = {field["name"]: field for field in flow["data_schema"]}
            speakers = schema["speakers"].get("default") or [
                option["value"] for option in schema["speakers"]["selector"]["select"]["options"]
            ]
            flow = await self.api(
                session, "POST", f"/api/config/config_entries/flow/{flow['flow_id']}", {"speakers": speakers}
            )
            if flow.get("type") != "create_entry":
                raise RuntimeError(f"SpinStack's config flow did not create its entry: {flow}")
            entry_id = flow["result"]["entry_id"]
            say(f"SpinStack added for {len(speakers)} rooms")
        else:
            entry_id = entries[0]["entry_id"]
        # The emulated day runs `rate` times faster than real time, but SpinStack measures heard time on Home
        # Assistant's real clock: scale its thresholds down by the same factor so that tracks still count.
        options = await self.api(session, "POST", "/api/config/config_entries/options/flow", {"handler": entry_id})
        current = {
            field["name"]: field.get("default", (field.get("description") or {}).get("suggested_value"))
            for field in options["data_schema"]
            if field.get("type") != "expandable"  # the metadata plugins' sections: left as they are (off)
        }
        current.update(
            {
                "threshold_percent": max(1, round(50 / self.rate)),
                "threshold_cap_seconds": max(1, round(240 / self.rate)),
                "min_track_seconds": max(1, round(30 / self.rate)),
                "radio_min_seconds": max(1, round(30 / self.rate)),
            }
        )
        await self.api(session, "POST", f"/api/config/config_entries/options/flow/{options['flow_id']}", current)

    async def watch(self, session: aiohttp.ClientSession) -> None:
        """Print every play as SpinStack counts it: its event on Home Assistant's bus, over the websocket API (each
        one, even two counted within the same second, as an automation would see them)."""
        count = 0
        async with session.ws_connect(f"{self.url}/api/websocket", heartbeat=30) as ws:
            await self._authenticate(ws)
            await ws.send_json({"id": 1, "type": "subscribe_events", "event_type": SCROBBLE_EVENT})
            if not (answer := await ws.receive_json()).get("success"):
                raise RuntimeError(f"cannot follow SpinStack's plays: {answer}")
            async for message in ws:
                if message.type is not aiohttp.WSMsgType.TEXT:
                    raise RuntimeError(f"Home Assistant's websocket closed ({message.type.name})")
                event = json.loads(message.data)
                if event.get("type") != "event":
                    continue
                play = event["event"]["data"]
                count += 1
                room = play.get("room") or play.get("speaker")
                say(f"play #{count}: {play['artist']} - {play['title']} ({play['service']}, {room})")


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=float, default=10.0, help="how much faster than real time the day runs")
    parser.add_argument("--fresh", action="store_true", help="start from an empty config folder")
    args = parser.parse_args()
    prepare_config(args.fresh)
    demo = Demo(args.rate)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await demo.start_process("emulator", "-m", "emulator", "--rate", str(args.rate), "--loop")
        await demo.start_process("homeassistant", "-m", "homeassistant", "--config", str(CONFIG), "--skip-pip")
        async with aiohttp.ClientSession() as session:
            say("waiting for Home Assistant to start (about 10-30 s)")
            await demo.wait_for_home_assistant(session)
            await demo.log_in(session)
            await demo.keep_http_config(session)
            await demo.add_spinstack(session)
            say(f"open {demo.url} and log in as '{USERNAME}' with password '{PASSWORD}'")
            say("the rooms are playing; plays appear below within a minute. Ctrl-C stops the demo.")
            watcher = asyncio.create_task(demo.watch(session))
            stopping = asyncio.create_task(stop.wait())
            await asyncio.wait((watcher, stopping), return_when=asyncio.FIRST_COMPLETED)
            failed = watcher.exception() if watcher.done() else None
            for task in (watcher, stopping):
                task.cancel()
            if failed is not None:
                say(f"error: the plays cannot be followed: {failed}")
                return 1
    except Exception as err:  # noqa: BLE001 - report any failure plainly, then clean up
        say(f"error: {err}")
        return 1
    finally:
        await demo.stop()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
