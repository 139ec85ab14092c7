"""The rule that keeps SpinStack easy to change: the engine knows nothing of Home Assistant, SoCo or SQLite; the
store knows nothing of Home Assistant; the insights know only the store; only the top-level modules import
homeassistant."""

from __future__ import annotations

import ast
from pathlib import Path
import sys

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "custom_components" / "spinstack"

ALLOWED: dict[str, set[str]] = {
    # room: the outside packages it may import (beyond the standard library and its own inner rooms)
    "engine": set(),
    "store": {"aiosqlite", "numpy"},
    "sonos": {"soco"},
    "insights": set(),
    "plugins": {"aiohttp"},
    "history": set(),
    "forwarding": {"aiohttp"},
}
FORBIDDEN_EVERYWHERE_BUT_TOP = {"homeassistant"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def _relative_imports(path: Path) -> set[str]:
    """The sibling rooms a module reaches with `from ..room import`."""
    tree = ast.parse(path.read_text(), filename=str(path))
    rooms: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level >= 2 and node.module:
            rooms.add(node.module.split(".")[0])
    return rooms


@pytest.mark.parametrize("room", sorted(ALLOWED))
def test_room_imports(room: str) -> None:
    stdlib = set(sys.stdlib_module_names)
    for path in sorted((PACKAGE / room).rglob("*.py")):
        outside = _imports(path) - stdlib - {"custom_components"}
        assert outside <= ALLOWED[room], f"{path.relative_to(PACKAGE)} imports {sorted(outside - ALLOWED[room])}"


def test_engine_reaches_no_other_room() -> None:
    for path in (PACKAGE / "engine").rglob("*.py"):
        assert _relative_imports(path) == set(), path


def test_store_reaches_only_the_engine() -> None:
    for path in (PACKAGE / "store").rglob("*.py"):
        assert _relative_imports(path) <= {"engine"}, path


def test_sonos_reaches_only_the_engine() -> None:
    for path in (PACKAGE / "sonos").rglob("*.py"):
        assert _relative_imports(path) <= {"engine"}, path


def test_insights_reach_only_the_store() -> None:
    for path in (PACKAGE / "insights").rglob("*.py"):
        assert _relative_imports(path) <= {"store"}, path


def test_plugins_reach_no_other_room() -> None:
    for path in (PACKAGE / "plugins").rglob("*.py"):
        assert _relative_imports(path) == set(), path


def test_only_top_level_modules_import_home_assistant() -> None:
    for path in PACKAGE.rglob("*.py"):
        if path.parent == PACKAGE:
            continue
        assert not (_imports(path) & FORBIDDEN_EVERYWHERE_BUT_TOP), path


def test_history_reaches_only_the_engine() -> None:
    for path in (PACKAGE / "history").rglob("*.py"):
        assert _relative_imports(path) <= {"engine"}, path


def test_forwarding_reaches_only_the_engine_and_the_plugins_http() -> None:
    for path in (PACKAGE / "forwarding").rglob("*.py"):
        assert _relative_imports(path) <= {"engine", "plugins"}, path
