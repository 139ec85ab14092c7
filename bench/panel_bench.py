"""The panel's benchmark: its first complete render, measured in Debian's Chromium against a real Home Assistant
whose SpinStack reads the benchmark's play store (a million plays by default).

Each round opens the panel in a fresh browser context (no cache: Home Assistant's frontend and the panel's bundle
are fetched and parsed again) and reads the ``spinstack-ready`` mark the panel sets once every card is drawn: the
time from the start of the navigation to a complete render, as a user waits for it. The same page then loads the
panel's address again (cache warm), then opens another panel and comes back through the sidebar's link.

Phases (medians, ms from the navigation): ``prefetch`` (the first requests sent), ``module`` (the bundle
evaluated), ``connected`` (Home Assistant created the element), ``data`` (the element has the insights), ``ready``;
and the resource timings of Home Assistant's entry points (``ha-core``, ``ha-app``) and the panel's bundle
(``bundle-spinstack-panel``): ``-requested`` and ``-fetched``.

The baseline, in the same rounds: Home Assistant's own profile panel opened in a fresh browser context, when Home
Assistant's frontend created its element and when that element first rendered. A custom panel's bundle is not asked
for before Home Assistant's frontend has booted that far, so no panel can render sooner than that.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
import shutil
import statistics
import sys
from typing import Any

from playwright.async_api import Browser, async_playwright

from scripts.demo import Demo, browser_login_script, free_port, prepare_config

ROUNDS = 5
CHROMIUM = "/usr/bin/chromium"
READY_MS = 120_000


# The panel's marks (its module evaluated, the element connected, the insights in, every card drawn), and when the
# browser fetched Home Assistant's own entry points and the panel's bundle (resource timings: request start and
# response end), in ms from the navigation's start.
MARKS = """() => {
  const out = {};
  for (const name of ["spinstack-prefetch", "spinstack-module", "spinstack-connected",
    "spinstack-data", "spinstack-ready"]) {
    const mark = performance.getEntriesByName(name)[0];
    if (mark) out[name] = mark.startTime;
  }
  for (const entry of performance.getEntriesByType("resource")) {
    const path = new URL(entry.name).pathname;
    const name = /^\\/frontend_latest\\/(core|app)\\./.test(path) ? "ha-" + path.split("/")[2].split(".")[0]
      : path.startsWith("/spinstack_panel/") ? "bundle-" + path.split("/")[2].split(".")[0] : null;
    if (name && !(name + "-fetched" in out)) {
      out[name + "-requested"] = entry.startTime;
      out[name + "-fetched"] = entry.responseEnd;
    }
  }
  return out;
}"""
# For the baseline, Home Assistant's own profile panel: marks when Home Assistant's frontend creates its element and
# when the element's first render completes (Lit's updateComplete), set by wrapping the class as it is defined.
OWN_PANEL = "ha-panel-profile"
OWN_PANEL_HOOK = """
(() => {
  const define = customElements.define.bind(customElements);
  customElements.define = (name, cls, options) => {
    if (name === "OWN_PANEL") {
      const connected = cls.prototype.connectedCallback;
      cls.prototype.connectedCallback = function (...args) {
        if (!performance.getEntriesByName("own-panel-connected").length) {
          performance.mark("own-panel-connected");
          Promise.resolve(this.updateComplete).then(() => performance.mark("own-panel-rendered"));
        }
        return connected?.apply(this, args);
      };
    }
    return define(name, cls, options);
  };
})();
""".replace("OWN_PANEL", OWN_PANEL)
OWN_MARKS = """() => Object.fromEntries(["own-panel-connected", "own-panel-rendered"].map(
  (name) => [name, performance.getEntriesByName(name)[0]?.startTime]).filter(([, at]) => at !== undefined))"""

# Navigates as the sidebar's link does (Home Assistant's navigate(): pushState, then location-changed), and resolves
# with the milliseconds from there to the panel's complete render.
IN_APP = """
() => new Promise((resolve) => {
  const start = performance.now();
  history.pushState(null, "", "/spinstack");
  window.dispatchEvent(new CustomEvent("location-changed", { detail: { replace: false } }));
  const poll = () => {
    const ready = performance.getEntriesByName("spinstack-ready")[0];
    if (ready) resolve(ready.startTime - start); else setTimeout(poll, 5);
  };
  poll();
})
"""


def _figures(samples: list[float]) -> dict[str, Any]:
    ordered = sorted(samples)
    return {
        "median": round(statistics.median(ordered), 1),
        "p95": round(ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))], 1),
        "samples": [round(sample, 1) for sample in samples],
    }


async def one_round(browser: Browser, url: str, tokens: dict[str, Any]) -> tuple[dict[str, float], float, float]:
    """One fresh browser context: the panel opened cold (its marks and resource timings), again with the cache
    warm, and from another panel through the sidebar (the milliseconds to a complete render of each)."""
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        await context.add_init_script(browser_login_script(url, tokens))
        page = await context.new_page()
        await page.goto(f"{url}/spinstack")
        await page.locator("spinstack-panel[data-ready='true']").wait_for(timeout=READY_MS)
        marks = {name: float(at) for name, at in (await page.evaluate(MARKS)).items()}
        # The same browser again (its cache warm, as for anyone who opened Home Assistant before).
        await page.goto(f"{url}/spinstack")
        await page.locator("spinstack-panel[data-ready='true']").wait_for(timeout=READY_MS)
        warm_mark = float((await page.evaluate(MARKS))["spinstack-ready"])
        # From another panel through the sidebar's link: Home Assistant's navigation inside the app.
        await page.goto(f"{url}/profile")
        await page.locator("ha-panel-profile").wait_for(timeout=READY_MS)
        in_app_mark = float(await page.evaluate(IN_APP))
    finally:
        await context.close()
    return marks, warm_mark, in_app_mark


async def own_panel_round(browser: Browser, url: str, tokens: dict[str, Any]) -> dict[str, float]:
    """Home Assistant's own profile panel opened in a fresh browser context: when its element was created and first
    rendered (ms from the navigation). What any panel waits for before it can draw, on this machine."""
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        await context.add_init_script(browser_login_script(url, tokens))
        await context.add_init_script(OWN_PANEL_HOOK)
        page = await context.new_page()
        await page.goto(f"{url}/profile")
        await page.wait_for_function(
            "() => performance.getEntriesByName('own-panel-rendered').length > 0", timeout=READY_MS
        )
        return {name: float(at) for name, at in (await page.evaluate(OWN_MARKS)).items()}
    finally:
        await context.close()


async def bench(store_file: Path, folder: Path, log: Any) -> dict[str, Any]:
    """Home Assistant over a copy of ``store_file`` (closed and checkpointed), and ROUNDS first renders."""
    # The demo's helpers report on stdout; here stdout is the benchmark's JSON document.
    with contextlib.redirect_stdout(sys.stderr):
        return await _bench(store_file, folder, log)


async def _bench(store_file: Path, folder: Path, log: Any) -> dict[str, Any]:
    config = folder / "homeassistant"
    port = free_port()
    prepare_config(fresh=True, config=config, port=port)
    shutil.copyfile(store_file, config / "spinstack.db")
    first_speaker = f"127.0.{130 + os.getpid() % 100}.2"
    demo = Demo(rate=1.0, port=port, first_speaker=first_speaker, logs=folder)
    samples: list[float] = []
    warm: list[float] = []
    in_app: list[float] = []
    phases: dict[str, list[float]] = {}
    own: dict[str, list[float]] = {}
    ours: list[float] = []
    try:
        await demo.start_idle(config)
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=CHROMIUM,
                headless=True,
                args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
            )
            try:
                for round_ in range(ROUNDS + 1):
                    marks, warm_mark, in_app_mark = await one_round(browser, demo.url, demo.tokens)
                    own_marks = await own_panel_round(browser, demo.url, demo.tokens)
                    if round_:  # the first round warms Home Assistant's own caches (and the SQLite pages)
                        samples.append(marks["spinstack-ready"])
                        ours.append(marks["spinstack-ready"] - marks["bundle-spinstack-panel-requested"])
                        warm.append(warm_mark)
                        in_app.append(in_app_mark)
                        for name, at in marks.items():
                            phases.setdefault(name.removeprefix("spinstack-"), []).append(at)
                        for name, at in own_marks.items():
                            own.setdefault(name.removeprefix("own-panel-"), []).append(at)
                        own_rounded = {name: round(at) for name, at in own_marks.items()}
                        log(
                            f"  panel first render: {marks['spinstack-ready']:.0f} ms cold "
                            f"({ {name: round(at) for name, at in marks.items()} }), "
                            f"{warm_mark:.0f} ms with a warm cache, {in_app_mark:.0f} ms from another panel; "
                            f"Home Assistant's own panel, cold: {own_rounded}"
                        )
            finally:
                await browser.close()
    finally:
        await demo.stop()
    return {
        # A browser that never opened Home Assistant: its frontend fetched and parsed before the panel exists.
        "first_render_ms": _figures(samples),
        # The same browser loading the panel's address again (Home Assistant's files and the bundle cached).
        "first_render_warm_cache_ms": _figures(warm),
        # A click on the sidebar's "Listening Insights" from another panel: Home Assistant's in-app navigation.
        "first_render_from_sidebar_ms": _figures(in_app),
        # Medians of when each phase ended, from the navigation (see the module's docstring): the bundle
        # evaluated, the first requests sent, the element created (connected), the insights in (data), every
        # card drawn (ready); and when Home Assistant's entry points and the panel's files were requested and fetched.
        "phases_median_ms": {name: round(statistics.median(values), 1) for name, values in phases.items()},
        # SpinStack's part of the cold case: from Home Assistant asking for the bundle to every card drawn.
        "cold_from_bundle_requested_ms": _figures(ours),
        # The baseline: Home Assistant's own profile panel in a browser that never opened Home Assistant, in the
        # same rounds; when Home Assistant's frontend created its element and when that element first rendered.
        "home_assistant_own_panel_cold_ms": {
            "panel": OWN_PANEL,
            **{name: _figures(values) for name, values in own.items()},
        },
        "rounds": ROUNDS,
        "viewport": "1280x900",
        "period": "month (the panel's default)",
    }
