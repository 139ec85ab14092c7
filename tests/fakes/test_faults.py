"""The fault switches every fake has: down, offline (connection refused), timeout, delay, malformed, injected
errors, the rate-limit switch; and reset."""

from __future__ import annotations

import asyncio
import json
import time

import aiohttp
import pytest

from fakes import FakeClock, FakeService, FakeServices
from tests.emulator.helpers import wait_for

from .conftest import Client

# A request each fake answers with 200 and JSON (MusicBrainz' needs fmt=json and a User-Agent, which the client has).
PROBES = {
    "deezer": "/track/3135556",
    "musicbrainz": "/ws/2/recording?query=time&fmt=json",
    "discogs": "/releases/{discogs}",
    "odesli": "/v1-alpha.1/links?platform=deezer&type=song&id=3135556",
}
SERVICES = sorted(PROBES)


def _service(services: FakeServices, name: str) -> FakeService:
    service: FakeService = getattr(services, name)
    return service


def _probe(services: FakeServices, name: str) -> str:
    album = services.catalogue.track("teardrop").album
    assert album.discogs is not None
    return _service(services, name).base_url + PROBES[name].format(discogs=album.discogs.id)


@pytest.mark.parametrize("name", SERVICES)
async def test_every_probe_answers_json(services: FakeServices, client: Client, name: str) -> None:
    answer = await client.get(_probe(services, name))
    assert answer.status == 200
    assert "error" not in answer.json
    assert _service(services, name).requests[-1].outcome == "ok"


@pytest.mark.parametrize("name", SERVICES)
async def test_down_answers_503(services: FakeServices, client: Client, name: str) -> None:
    service = _service(services, name)
    service.faults.down = True
    answer = await client.get(_probe(services, name))
    assert answer.status == 503
    assert service.requests[-1].outcome == "down"
    service.faults.down = False
    assert (await client.get(_probe(services, name))).status == 200


@pytest.mark.parametrize("name", SERVICES)
async def test_offline_refuses_connections_then_comes_back_on_the_same_port(
    services: FakeServices, client: Client, clock: FakeClock, name: str
) -> None:
    service = _service(services, name)
    url = _probe(services, name)
    assert (await client.get(url)).status == 200  # a pooled keep-alive connection now exists
    await service.go_offline()
    listening = service.listening
    assert not listening
    with pytest.raises(aiohttp.ClientError):
        await client.get(url)  # the pooled connection is dropped
    async with aiohttp.ClientSession() as fresh:
        with pytest.raises(aiohttp.ClientConnectorError):
            await fresh.get(url)  # a new connection is refused
    await service.come_online()
    assert service.listening
    clock.advance(1.0)
    assert (await client.get(url)).status == 200
    assert [record.outcome for record in service.requests] == ["ok", "offline", "ok"]


@pytest.mark.parametrize("name", SERVICES)
async def test_timeout_leaves_requests_unanswered_until_cleared(
    services: FakeServices, client: Client, clock: FakeClock, name: str
) -> None:
    service = _service(services, name)
    service.faults.timeout = True
    # Waits for the server to hold the request, not for a client timeout: on a slow machine a 0.2 s timeout once
    # ran out before the request reached the server.
    pending = asyncio.create_task(client.get(_probe(services, name)))
    await wait_for(lambda: bool(service.requests))
    held = service.requests[-1]
    assert (held.held, held.outcome, held.status) == (True, "pending", None)
    await asyncio.sleep(0.1)
    assert not pending.done()
    pending.cancel()
    with pytest.raises(asyncio.CancelledError):
        await pending
    service.faults.timeout = False
    await asyncio.sleep(0.05)  # the held request is answered now (to a client that gave up)
    clock.advance(1.0)
    assert (await client.get(_probe(services, name))).status == 200


async def test_a_held_request_is_answered_when_the_switch_clears(services: FakeServices, client: Client) -> None:
    services.deezer.faults.timeout = True
    pending = asyncio.create_task(client.get(_probe(services, "deezer")))
    await asyncio.sleep(0.1)
    assert not pending.done()
    services.deezer.release()
    assert (await asyncio.wait_for(pending, 2)).status == 200
    record = services.deezer.requests[-1]
    assert (record.held, record.outcome, record.status) == (True, "ok", 200)


async def test_closing_releases_held_requests(clock: FakeClock, client: Client) -> None:
    services = FakeServices(clock=clock)
    await services.start()
    services.odesli.faults.timeout = True
    pending = asyncio.create_task(client.get(_probe(services, "odesli"), timeout=aiohttp.ClientTimeout(total=5)))
    await asyncio.sleep(0.1)
    started = time.monotonic()
    await services.close()
    assert time.monotonic() - started < 2
    pending.cancel()
    await asyncio.gather(pending, return_exceptions=True)


@pytest.mark.parametrize("name", SERVICES)
async def test_delay_outlasts_a_client_timeout(services: FakeServices, client: Client, name: str) -> None:
    service = _service(services, name)
    service.faults.delay = 0.5
    with pytest.raises(TimeoutError):
        await client.get(_probe(services, name), timeout=aiohttp.ClientTimeout(total=0.1))
    service.faults.delay = 0.05
    started = time.monotonic()
    services.reset()
    service.faults.delay = 0.05
    assert (await client.get(_probe(services, name))).status == 200
    assert time.monotonic() - started >= 0.05


@pytest.mark.parametrize("name", SERVICES)
async def test_malformed_is_invalid_json_with_200(services: FakeServices, client: Client, name: str) -> None:
    service = _service(services, name)
    service.faults.malformed = True
    answer = await client.get(_probe(services, name))
    assert answer.status == 200
    assert answer.headers["Content-Type"].startswith("application/json")
    with pytest.raises(json.JSONDecodeError):
        json.loads(answer.body)
    assert service.requests[-1].outcome == "malformed"


async def test_injected_errors_hit_the_next_requests_on_matching_paths(
    services: FakeServices, client: Client, clock: FakeClock
) -> None:
    mb = services.musicbrainz
    injection = mb.inject("/ws/2/recording*", status=503, count=2)
    url = _probe(services, "musicbrainz")
    first = await client.get(url)
    assert first.status == 503
    assert first.json == {"error": "The MusicBrainz web server is currently busy. Please try again later."}
    assert (await client.get(url)).status == 503
    assert injection.remaining == 0
    assert (await client.get(url)).status == 200
    clock.advance(1.0)
    assert [record.outcome for record in mb.requests] == ["injected", "injected", "ok"]
    # Another path is not affected; an injection without a count lasts until cleared.
    mb.inject("/ws/2/artist/*", status=500, count=None)
    artist = services.catalogue.artist("queen").mbid
    for _ in range(3):
        assert (await client.get(f"{mb.base_url}/ws/2/artist/{artist}?fmt=json")).status == 500
    mb.clear_injections()
    assert (await client.get(f"{mb.base_url}/ws/2/artist/{artist}?fmt=json")).status == 200


async def test_injected_bodies(services: FakeServices, client: Client) -> None:
    quota = {"error": {"type": "Exception", "message": "Quota limit exceeded", "code": 4}}
    services.deezer.inject("/search", status=200, json_body=quota)
    answer = await client.get(f"{services.deezer.base_url}/search", params={"q": "queen"})
    assert (answer.status, answer.json) == (200, quota)
    services.odesli.inject(status=500, text="<html>oops</html>", content_type="text/html")
    broken = await client.get(_probe(services, "odesli"))
    assert (broken.status, broken.text) == (500, "<html>oops</html>")
    assert broken.headers["Content-Type"].startswith("text/html")
    services.discogs.inject("/releases/*", status=429, headers={"Retry-After": "7"})
    limited = await client.get(_probe(services, "discogs"))
    assert limited.status == 429
    assert limited.json == {"message": "You are making requests too quickly."}
    assert limited.headers["Retry-After"] == "7"
    assert "X-Discogs-Ratelimit" in limited.headers


async def test_the_rate_limit_switch(services: FakeServices, client: Client) -> None:
    services.musicbrainz.rate_limit = False
    for _ in range(5):
        assert (await client.get(_probe(services, "musicbrainz"))).status == 200
    services.musicbrainz.rate_limit = True  # requests made while it was off do not count
    assert (await client.get(_probe(services, "musicbrainz"))).status == 200
    assert (await client.get(_probe(services, "musicbrainz"))).status == 503


async def test_reset_clears_everything(services: FakeServices, client: Client) -> None:
    for service in services:
        service.faults.down = True
        service.inject(count=None)
        service.rate_limit = False
    await client.get(_probe(services, "deezer"))
    services.reset()
    for service in services:
        assert service.faults == type(service.faults)()
        assert service.injections == []
        assert service.requests == []
        assert service.rate_limit
    assert (await client.get(_probe(services, "deezer"))).status == 200
