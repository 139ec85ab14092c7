"""All four fakes at once, for tests and the command line:

```python
async with FakeServices(clock=clock) as services:
    services.deezer.base_url  # http://127.0.0.1:<port>
    services.musicbrainz.faults.down = True
```
"""

from __future__ import annotations

from collections.abc import Iterator
from types import TracebackType
from typing import Self

from .base import Clock, FakeService, RecordedRequest
from .catalogue import Catalogue
from .deezer import FakeDeezer
from .discogs import DEFAULT_TOKEN, FakeDiscogs
from .musicbrainz import FakeMusicBrainz
from .odesli import FakeOdesli


class FakeServices:
    """Deezer, MusicBrainz, Discogs and Odesli, sharing one catalogue and one clock.

    `catalogue` is `Catalogue.default()` unless given; `clock` is a callable returning seconds (``time.monotonic``
    unless given); `rate_limit` whether the real published limits are enforced (each service has its own switch,
    ``services.musicbrainz.rate_limit``); `discogs_tokens` the Discogs tokens accepted; `odesli_keys` the Odesli API
    keys accepted.
    """

    def __init__(
        self,
        catalogue: Catalogue | None = None,
        *,
        clock: Clock | None = None,
        host: str = "127.0.0.1",
        rate_limit: bool = True,
        discogs_tokens: tuple[str, ...] = (DEFAULT_TOKEN,),
        odesli_keys: tuple[str, ...] = (),
    ) -> None:
        self.catalogue = catalogue if catalogue is not None else Catalogue.default()
        self.deezer = FakeDeezer(self.catalogue, clock=clock, host=host, rate_limit=rate_limit)
        self.musicbrainz = FakeMusicBrainz(self.catalogue, clock=clock, host=host, rate_limit=rate_limit)
        self.discogs = FakeDiscogs(self.catalogue, clock=clock, host=host, rate_limit=rate_limit, tokens=discogs_tokens)
        self.odesli = FakeOdesli(self.catalogue, clock=clock, host=host, rate_limit=rate_limit, api_keys=odesli_keys)

    def __iter__(self) -> Iterator[FakeService]:
        return iter((self.deezer, self.musicbrainz, self.discogs, self.odesli))

    @property
    def base_urls(self) -> dict[str, str]:
        """Each service's base URL, by name."""
        return {service.name: service.base_url for service in self}

    @property
    def requests(self) -> list[tuple[str, RecordedRequest]]:
        """Every service's logged requests, in time order, with the service's name."""
        logged = [(service.name, record) for service in self for record in service.requests]
        return sorted(logged, key=lambda item: item[1].time)

    def reset(self) -> None:
        """Every service back to fresh: no faults, empty logs and rate windows, limits enforced."""
        for service in self:
            service.reset()

    async def start(self) -> None:
        """Start every service (each on its own ephemeral port)."""
        try:
            for service in self:
                await service.start()
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        """Stop every service."""
        for service in self:
            await service.close()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()
