"""manifest.json, hacs.json and the pins: what hassfest and HACS check, and what the brief requires."""

from __future__ import annotations

import json
from pathlib import Path
import re

REPO = Path(__file__).resolve().parents[2]
MANIFEST = json.loads((REPO / "custom_components" / "spinstack" / "manifest.json").read_text())
HACS = json.loads((REPO / "hacs.json").read_text())


def test_manifest_has_what_hassfest_and_hacs_need() -> None:
    assert MANIFEST["domain"] == "spinstack"
    for key in ("name", "version", "documentation", "issue_tracker", "codeowners", "requirements"):
        assert MANIFEST[key], key
    assert MANIFEST["iot_class"] == "local_push"
    assert MANIFEST["config_flow"] is True
    assert re.fullmatch(r"\d+\.\d+\.\d+", MANIFEST["version"])
    assert all(owner.startswith("@") for owner in MANIFEST["codeowners"])
    # hassfest: keys after domain and name are sorted.
    keys = list(MANIFEST)
    assert keys[:2] == ["domain", "name"]
    assert keys[2:] == sorted(keys[2:])


def test_soco_requirement_admits_the_core_sonos_pin() -> None:
    """Installing SpinStack must never change the SoCo that core Sonos runs on (HA 2026.10 pins 0.31.2)."""
    soco = next(req for req in MANIFEST["requirements"] if req.startswith("soco"))
    low = re.search(r">=([\d.]+)", soco)
    high = re.search(r"<([\d.]+)", soco)
    assert low
    assert high

    def version(text: str) -> tuple[int, ...]:
        return tuple(int(part) for part in text.split("."))

    assert version(low.group(1)) <= (0, 31, 2) < version(high.group(1))
    pins = (REPO / "requirements_test.txt").read_text()
    assert "soco==0.31.2" in pins


def test_hacs_json() -> None:
    assert HACS["name"] == MANIFEST["name"]
    assert set(HACS) <= {
        "name",
        "content_in_root",
        "zip_release",
        "filename",
        "hide_default_branch",
        "country",
        "homeassistant",
        "hacs",
        "persistent_directory",
        "render_readme",
    }
    assert HACS["content_in_root"] is False


def test_requirements_are_exact_pins() -> None:
    for raw in (REPO / "requirements_test.txt").read_text().splitlines():
        line = raw.split("#")[0].strip()
        if line:
            assert re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==[\w.]+", line), line


def test_numpy_requirement_admits_home_assistants_pin() -> None:
    """numpy comes with Home Assistant (its camera and stream integrations): SpinStack must take the version Home
    Assistant pins in its package constraints, never install another."""
    numpy = next(req for req in MANIFEST["requirements"] if req.startswith("numpy"))
    assert numpy == "numpy>=2.0,<3"
    assert "numpy==2.3.2" in (REPO / "requirements_test.txt").read_text()
