"""Fixtures shared by every test folder."""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import settings
import pytest

REPO = Path(__file__).resolve().parents[1]
# Hypothesis: a few hundred examples a property in `make test`, the same ones every run (CI must not flake);
# SPINSTACK_HYPOTHESIS=thorough for a long random hunt.
settings.register_profile("default", max_examples=300, deadline=None, derandomize=True)
settings.register_profile("thorough", max_examples=20_000, deadline=None)
settings.load_profile(os.environ.get("SPINSTACK_HYPOTHESIS", "default"))

# Payloads captured from real Sonos speakers, kept beside the repository (../shared/fixtures/sonos-real).
REAL_SONOS = REPO.parent / "shared" / "fixtures" / "sonos-real"


@pytest.fixture
def real_sonos() -> Path:
    """The folder of real Sonos payloads."""
    if not REAL_SONOS.is_dir():
        pytest.fail(f"the real Sonos payloads are missing: {REAL_SONOS}")
    return REAL_SONOS
