"""Small helpers: the in-memory cache, Retry-After, Odesli's parameters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from multidict import CIMultiDict

from custom_components.spinstack.plugins import OdesliPlugin, PluginContext
from custom_components.spinstack.plugins.cache import TtlCache
from custom_components.spinstack.plugins.http import _retry_after
from fakes import FakeClock, FakeServices

from .conftest import query_for


def test_ttl_cache_expires_and_evicts(clock: FakeClock) -> None:
    cache: TtlCache[str, int] = TtlCache(ttl=10.0, clock=clock, size=2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # a is now the most recently used
    cache.put("c", 3)
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (1, None, 3)
    clock.advance(10.0)
    assert cache.get("a") is None
    assert len(cache) == 1


def test_retry_after() -> None:
    assert _retry_after(CIMultiDict()) is None
    assert _retry_after(CIMultiDict({"Retry-After": " 7 "})) == 7.0
    assert _retry_after(CIMultiDict({"Retry-After": "soon"})) is None
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=120), usegmt=True)
    waited = _retry_after(CIMultiDict({"Retry-After": later}))
    assert waited is not None
    assert 100 < waited <= 120
    past = format_datetime(datetime.now(UTC) - timedelta(seconds=120), usegmt=True)
    assert _retry_after(CIMultiDict({"Retry-After": past})) == 0.0


async def test_odesli_parameters(context: PluginContext, services: FakeServices) -> None:
    plugin = OdesliPlugin()
    await plugin.setup(context, {"api_key": "k", "country": "GB"})
    track = services.catalogue.track("teardrop")
    await plugin.enrich(query_for(track, deezer_id=track.deezer_id))
    (asked,) = services.odesli.requests
    assert (asked.query["userCountry"], asked.query["key"]) == ("GB", "k")
