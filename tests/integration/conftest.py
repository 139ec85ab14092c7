"""Fixtures of the integration tests: custom integrations enabled, SoCo without stale caches, and emulated Sonos
households reachable through Home Assistant's socket guard, always stopped."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from unittest.mock import AsyncMock, patch

from homeassistant.core import HomeAssistant
import pytest
import pytest_socket

from emulator import Household, ManualClock
from tests.hass_fixtures import auto_enable_custom_integrations, clean_soco

__all__ = ["auto_enable_custom_integrations", "clean_soco"]
from emulator.household import DEFAULT_HOUSEHOLD_ID

# The emulated speakers answer on 127.0.20.2 and up (a loopback range of their own, so that these tests can run
# beside others that emulate speakers on 127.0.0.x); 127.0.20.9 is left silent (nothing listens there).
FIRST_IP = "127.0.20.2"
OTHER_FIRST_IP = "127.0.20.6"
UNREACHABLE_HOST = "127.0.20.9"
EMULATED_HOSTS = ["127.0.0.1", *(f"127.0.20.{last}" for last in range(2, 10))]

MakeHousehold = Callable[..., Awaitable[Household]]


@pytest.fixture
def emulated_network(socket_enabled: None) -> None:
    """Home Assistant's plugin only lets tests reach 127.0.0.1: also allow the emulated speakers' addresses."""
    pytest_socket.socket_allow_hosts([*EMULATED_HOSTS, "localhost"])


@pytest.fixture
def clock() -> ManualClock:
    """The emulated households' clock (it only moves when a test moves it)."""
    return ManualClock()


@pytest.fixture
async def make_household(
    hass: HomeAssistant, emulated_network: None, clock: ManualClock
) -> AsyncIterator[MakeHousehold]:
    """Start a household of speakers named `names` (on 127.0.20.2 and up by default); stopped after the test."""
    made: list[Household] = []

    async def make(*names: str, household_id: str = DEFAULT_HOUSEHOLD_ID, first_ip: str = FIRST_IP) -> Household:
        household = Household(clock, household_id=household_id, first_ip=first_ip)
        for name in names:
            household.add_speaker(name)
        await household.start()
        made.append(household)
        return household

    yield make
    for household in made:
        await household.stop()


@pytest.fixture
async def household(make_household: MakeHousehold) -> Household:
    """Three rooms: Living Room (127.0.20.2), Kitchen (127.0.20.3) and Bedroom (127.0.20.4)."""
    return await make_household("Living Room", "Kitchen", "Bedroom")


@pytest.fixture
def mock_setup_entry() -> Iterator[AsyncMock]:
    """The flow tests stop at the entry: its set-up (another module's business) is replaced."""
    with (
        patch("custom_components.spinstack.async_setup", AsyncMock(return_value=True), create=True),
        patch(
            "custom_components.spinstack.async_setup_entry", AsyncMock(return_value=True), create=True
        ) as setup_entry,
    ):
        yield setup_entry
