"""SpinStack: a self-hosted listening history for Sonos speakers, fed by UPnP events."""

from __future__ import annotations

from .const import DOMAIN

__all__ = ["DOMAIN"]
