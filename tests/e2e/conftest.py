"""Home Assistant with SpinStack hearing emulated speakers through real SoCo."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import os
from pathlib import Path
import time

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
import pytest_socket

from custom_components.spinstack import PANEL_FIRST_REQUEST
from custom_components.spinstack.const import (
    CONF_HOSTS,
    CONF_HOUSEHOLD_ID,
    CONF_MIN_TRACK_SECONDS,
    CONF_RADIO_MIN_SECONDS,
    CONF_SPEAKERS,
    CONF_THRESHOLD_CAP_SECONDS,
    CONF_THRESHOLD_PERCENT,
    DOMAIN,
)
from emulator import Household, ManualClock
from tests.hass_fixtures import auto_enable_custom_integrations, clean_soco

__all__ = ["auto_enable_custom_integrations", "clean_soco"]

# Each test session's speakers get a loopback block of their own (127.A.B.2 and up, from the process id), so that
# two test runs on one machine never fight over an address; 127.0.0.1 stays SoCo's event listener's.
_BLOCK = f"127.{10 + os.getpid() % 200}.{os.getpid() // 200 % 250}"
FIRST_IP = f"{_BLOCK}.2"
LOOPBACK = ["127.0.0.1", "localhost", *(f"{_BLOCK}.{n}" for n in range(2, 12))]


@pytest.fixture(autouse=True)
def loopback_sockets(socket_enabled: None) -> None:
    """Home Assistant's test plugin allows 127.0.0.1 only; emulated speakers live on 127.0.0.2 and up."""
    pytest_socket.socket_allow_hosts(LOOPBACK, allow_unix_socket=True)


@pytest.fixture(autouse=True)
def config_dir(hass: HomeAssistant, tmp_path: Path) -> Path:
    """Each test's own config folder: SpinStack's SQLite file lives there (never in the shared test config)."""
    hass.config.config_dir = str(tmp_path)
    return tmp_path


@pytest.fixture
def clock() -> ManualClock:
    """The speakers' clock, moved by hand together with Home Assistant's."""
    return ManualClock()


@pytest.fixture
async def household(hass: HomeAssistant, clock: ManualClock) -> AsyncIterator[Household]:
    """Three emulated rooms. SpinStack stops hearing them before they go (no SoCo call left in flight)."""
    made = Household(clock, first_ip=FIRST_IP)
    for name in ("Living Room", "Kitchen", "Bedroom"):
        made.add_speaker(name)
    await made.start()
    yield made
    for entry in hass.config_entries.async_entries(DOMAIN):
        if entry.state is ConfigEntryState.LOADED:
            await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    await made.stop()


def make_entry(household: Household, *rooms: str, **options: object) -> MockConfigEntry:
    """A SpinStack entry for the household, hearing the given rooms (all by default)."""
    speakers = [household.by_name(room) for room in rooms] if rooms else list(household.speakers)
    return MockConfigEntry(
        domain=DOMAIN,
        title="Sonos household",
        unique_id=household.household_id,
        data={
            CONF_HOUSEHOLD_ID: household.household_id,
            CONF_HOSTS: {speaker.uid: speaker.ip for speaker in household.speakers},
        },
        options={
            CONF_SPEAKERS: [speaker.uid for speaker in speakers],
            CONF_MIN_TRACK_SECONDS: 30,
            CONF_THRESHOLD_PERCENT: 50,
            CONF_THRESHOLD_CAP_SECONDS: 240,
            CONF_RADIO_MIN_SECONDS: 30,
            **options,
        },
    )


async def answer_kept(entry: MockConfigEntry, within: float = 5.0) -> None:
    """Wait (real time) until the panel's first answer, computed in the background, is kept and up to date."""
    insights = entry.runtime_data.insights
    async with asyncio.timeout(within):
        while not await insights.is_kept(PANEL_FIRST_REQUEST, time.time()):  # noqa: ASYNC110 - polling the code under test
            await asyncio.sleep(0.02)


async def setup_entry(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
