"""Fixtures shared by the tests that run inside a Home Assistant test instance (tests/integration, tests/e2e)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import soco
from soco import events_asyncio

from tests.emulator.conftest import _reset_soco, stop_event_listener

__all__ = ["auto_enable_custom_integrations", "clean_soco"]


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load SpinStack from custom_components/."""


@pytest.fixture(autouse=True)
async def clean_soco(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[None]:
    """SoCo keeps speakers and topology in class attributes, and one event listener for the process: every test
    starts without them and ends with the listener stopped, using the asyncio events as Home Assistant does."""
    _reset_soco()
    monkeypatch.setattr(soco.config, "EVENTS_MODULE", events_asyncio)
    yield
    await stop_event_listener()
    _reset_soco()
