"""Local fakes of the public music APIs SpinStack's metadata plugins use: Deezer, MusicBrainz, Discogs and Odesli;
and of the two its forwarders send plays to: Last.fm (`FakeLastfm`) and ListenBrainz (`FakeListenBrainz`).

Each is an aiohttp application on 127.0.0.1 (an ephemeral port unless told) that answers like the real service —
the same JSON shapes, the same errors (Deezer's errors inside HTTP 200 bodies included), the same published rate
limits — from a small deterministic `Catalogue` they share. Tests flip fault switches at run time, read the log of
every request (timed on a clock they control), and never reach the internet:

```python
from fakes import FakeClock, FakeServices, max_in_window

clock = FakeClock()
async with FakeServices(clock=clock) as services:
    plugin = MusicBrainzPlugin(base_url=services.musicbrainz.base_url)
    ...
    assert max_in_window(services.musicbrainz.requests, 1.0) <= 1
```

``python -m fakes`` runs them standalone and prints their base URLs.
"""

from __future__ import annotations

from .base import (
    TINY_JPEG,
    Clock,
    FakeClock,
    FakeService,
    Faults,
    Injection,
    RateLimit,
    RecordedRequest,
    SlidingWindow,
    max_in_window,
)
from .catalogue import (
    Album,
    Artist,
    Catalogue,
    Credit,
    DeezerCopy,
    DiscogsRelease,
    Link,
    Track,
    Vote,
    synthetic_tracks,
)
from .deezer import FakeDeezer
from .discogs import DEFAULT_TOKEN as DISCOGS_TOKEN, FakeDiscogs
from .lastfm import (
    DEFAULT_API_KEY as LASTFM_API_KEY,
    DEFAULT_PASSWORD as LASTFM_PASSWORD,
    DEFAULT_SECRET as LASTFM_SECRET,
    DEFAULT_SESSION_KEY as LASTFM_SESSION_KEY,
    DEFAULT_USER as LASTFM_USER,
    FakeLastfm,
)
from .listenbrainz import DEFAULT_TOKEN as LISTENBRAINZ_TOKEN, FakeListenBrainz
from .musicbrainz import FakeMusicBrainz
from .odesli import FakeOdesli
from .services import FakeServices

__all__ = [
    "DISCOGS_TOKEN",
    "LASTFM_API_KEY",
    "LASTFM_PASSWORD",
    "LASTFM_SECRET",
    "LASTFM_SESSION_KEY",
    "LASTFM_USER",
    "LISTENBRAINZ_TOKEN",
    "TINY_JPEG",
    "Album",
    "Artist",
    "Catalogue",
    "Clock",
    "Credit",
    "DeezerCopy",
    "DiscogsRelease",
    "FakeClock",
    "FakeDeezer",
    "FakeDiscogs",
    "FakeLastfm",
    "FakeListenBrainz",
    "FakeMusicBrainz",
    "FakeOdesli",
    "FakeService",
    "FakeServices",
    "Faults",
    "Injection",
    "Link",
    "RateLimit",
    "RecordedRequest",
    "SlidingWindow",
    "Track",
    "Vote",
    "max_in_window",
    "synthetic_tracks",
]
