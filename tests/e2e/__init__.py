"""End-to-end: Home Assistant with SpinStack, real SoCo over real HTTP, emulated speakers, a real SQLite file."""
