"""Constants shared by SpinStack's modules."""

from __future__ import annotations

from typing import Final

DOMAIN: Final = "spinstack"
NAME: Final = "SpinStack"
# SpinStack's own SQLite file, under Home Assistant's config folder (never inside custom_components/).
DB_FILENAME: Final = "spinstack.db"
EVENT_SCROBBLE: Final = "spinstack_scrobble"
