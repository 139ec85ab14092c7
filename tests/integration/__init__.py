"""Tests of SpinStack's Home Assistant integration, run with Home Assistant's pytest plugin."""
