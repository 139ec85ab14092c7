"""Tests of the Sonos speaker emulator, with real SoCo over real HTTP."""
