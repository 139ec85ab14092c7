"""The listener's tests run real SoCo against the emulated speakers: the emulator's fixtures serve here too."""

from tests.emulator.conftest import clean_soco, clock, make_household

__all__ = ["clean_soco", "clock", "make_household"]
