"""Constants shared by SpinStack's modules."""

from __future__ import annotations

from typing import Final

DOMAIN: Final = "spinstack"
NAME: Final = "SpinStack"
# SpinStack's own SQLite file, under Home Assistant's config folder (never inside custom_components/).
DB_FILENAME: Final = "spinstack.db"
EVENT_SCROBBLE: Final = "spinstack_scrobble"

# Config entry data (one entry per Sonos household; its unique id is the household id).
CONF_HOUSEHOLD_ID: Final = "household_id"
# The last known address of every speaker of the household: {RINCON uid: host}.
CONF_HOSTS: Final = "hosts"

# Options (applied at once, without reloading the entry).
CONF_SPEAKERS: Final = "speakers"  # the RINCON uids SpinStack listens to
CONF_MIN_TRACK_SECONDS: Final = "min_track_seconds"
CONF_THRESHOLD_PERCENT: Final = "threshold_percent"
CONF_THRESHOLD_CAP_SECONDS: Final = "threshold_cap_seconds"
CONF_RADIO_MIN_SECONDS: Final = "radio_min_seconds"

DEFAULT_MIN_TRACK_SECONDS: Final = 30
DEFAULT_THRESHOLD_PERCENT: Final = 50
DEFAULT_THRESHOLD_CAP_SECONDS: Final = 240
DEFAULT_RADIO_MIN_SECONDS: Final = 30

SONOS_DOMAIN: Final = "sonos"
# SSDP device type of Sonos speakers.
SONOS_ST: Final = "urn:schemas-upnp-org:device:ZonePlayer:1"
