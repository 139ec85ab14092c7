"""Every fault the fakes can play, through `get_json` and the plugins: Deezer's errors in HTTP 200, MusicBrainz'
503s, Discogs' 429 and rate-limit headers, timeouts, malformed JSON, a service down or offline."""

from __future__ import annotations

import aiohttp
import pytest

from custom_components.spinstack.plugins import (
    IsrcPlugin,
    MusicBrainzPlugin,
    PluginContext,
    PluginError,
    PluginMisconfigured,
    PluginUnavailable,
    RetryPolicy,
    isrc_lookup,
)
from custom_components.spinstack.plugins.http import NotFound, get_json
from fakes import DISCOGS_TOKEN, FakeClock, FakeServices, max_in_window

from .conftest import ClockSleep, make_context, query_for

QUOTA = {"error": {"type": "Exception", "message": "Quota limit exceeded", "code": 4}}
BUSY = {"error": {"type": "Exception", "message": "Service busy", "code": 700}}


async def test_deezer_quota_error_in_200_is_retried_after_a_pause(
    context: PluginContext, services: FakeServices, clock: FakeClock
) -> None:
    track = services.catalogue.track("teardrop")
    services.deezer.inject("/search", status=200, json_body=QUOTA, count=2)
    started = clock()
    result = await isrc_lookup(context, query_for(track))
    assert result.isrc == track.isrc
    assert [record.outcome for record in services.deezer.requests] == ["injected", "injected", "ok"]
    times = [record.time for record in services.deezer.requests]
    assert times[1] - times[0] >= 0.5  # backoff: 1 s then 2 s, times a jitter in [0.5, 1)
    assert times[2] - times[1] >= 1.0
    assert clock() - started < 10


async def test_deezer_quota_that_lasts_is_unavailable(context: PluginContext, services: FakeServices) -> None:
    services.deezer.inject("/search", status=200, json_body=QUOTA, count=None)
    with pytest.raises(PluginUnavailable, match=r"Deezer quota exceeded.*after 4 attempts"):
        await isrc_lookup(context, query_for(services.catalogue.track("teardrop")))
    assert len(services.deezer.requests) == 4


async def test_deezer_errors_in_200(context: PluginContext, services: FakeServices) -> None:
    services.deezer.inject("/track/*", status=200, json_body=BUSY, count=1)
    assert (await get_json(context, "deezer", "/track/3135556"))["id"] == 3135556  # busy: retried
    with pytest.raises(NotFound):
        await get_json(context, "deezer", "/track/1")  # 800 no data
    with pytest.raises(PluginError, match="501"):
        await get_json(context, "deezer", "/search")  # 501 missing parameter: a bug, not retried
    with pytest.raises(PluginError, match="600"):
        await get_json(context, "deezer", "/nowhere")


async def test_musicbrainz_503_then_success(context: PluginContext, services: FakeServices, sleep: ClockSleep) -> None:
    track = services.catalogue.track("karma-police")
    services.musicbrainz.inject("/ws/2/recording*", status=503, count=2)
    plugin = MusicBrainzPlugin()
    await plugin.setup(context, {})
    answer = await plugin.enrich(query_for(track))
    assert answer.mbid == track.mbid
    outcomes = [record.outcome for record in services.musicbrainz.requests]
    assert outcomes == ["injected", "injected", "ok", "ok"]
    assert max_in_window(services.musicbrainz.requests, 1.0) == 1
    assert len([seconds for seconds in sleep.sleeps if seconds >= 0.5]) >= 2  # two backoffs


async def test_musicbrainz_own_rate_limit_503_with_retry_after_is_honoured(
    context: PluginContext, services: FakeServices, clock: FakeClock
) -> None:
    """Another client of the same address used this second: MusicBrainz answers 503 with Retry-After."""
    services.musicbrainz.window.admit(clock())
    mbid = services.catalogue.track("karma-police").mbid
    data = await get_json(context, "musicbrainz", f"/ws/2/recording/{mbid}", params={"fmt": "json"})
    assert data["id"] == mbid
    first, second = services.musicbrainz.requests
    assert (first.status, first.outcome, second.outcome) == (503, "rate-limited", "ok")
    assert second.time - first.time >= 1.0


async def test_discogs_429_with_headers(context: PluginContext, services: FakeServices, clock: FakeClock) -> None:
    services.discogs.inject("/releases/*", status=429, headers={"Retry-After": "7"}, count=1)
    release = services.catalogue.track("teardrop").album.discogs
    assert release is not None
    headers = {"Authorization": f"Discogs token={DISCOGS_TOKEN}"}
    data = await get_json(context, "discogs", f"/releases/{release.id}", headers=headers)
    assert data["id"] == release.id
    first, second = services.discogs.requests
    assert first.status == 429
    assert second.time - first.time >= 7.0


async def test_discogs_remaining_header_slows_us_down(
    context: PluginContext, services: FakeServices, clock: FakeClock
) -> None:
    """Someone else used 55 of the token's 60 requests this minute: after its headers say so, we wait instead of
    meeting a 429."""
    for _ in range(55):
        services.discogs.window.admit(clock())
    release = services.catalogue.track("teardrop").album.discogs
    assert release is not None
    headers = {"Authorization": f"Discogs token={DISCOGS_TOKEN}"}
    for _ in range(8):
        await get_json(context, "discogs", f"/releases/{release.id}", headers=headers)
    assert {record.outcome for record in services.discogs.requests} == {"ok"}
    assert services.discogs.requests[-1].time - services.discogs.requests[0].time >= 59.0
    limiter = context.limiters["discogs"]
    assert limiter.capacity == 60


async def test_discogs_429_without_retry_after_defers_everyone(context: PluginContext, services: FakeServices) -> None:
    for _ in range(60):
        services.discogs.window.admit(services.discogs.clock())
    release = services.catalogue.track("teardrop").album.discogs
    assert release is not None
    headers = {"Authorization": f"Discogs token={DISCOGS_TOKEN}"}
    await get_json(context, "discogs", f"/releases/{release.id}", headers=headers)
    outcomes = [record.outcome for record in services.discogs.requests]
    assert outcomes[0] == "rate-limited"
    assert outcomes[-1] == "ok"


async def test_a_retry_after_too_long_fails_at_once(context: PluginContext, services: FakeServices) -> None:
    services.odesli.inject(status=429, headers={"Retry-After": "3600"}, count=1)
    with pytest.raises(PluginUnavailable) as caught:
        await get_json(context, "odesli", "/v1-alpha.1/links", params={"url": "spotify:track:x"})
    assert caught.value.retry_after == 3600
    assert len(services.odesli.requests) == 1


async def test_timeout_is_retried_then_unavailable(context: PluginContext, services: FakeServices) -> None:
    services.deezer.faults.timeout = True
    with pytest.raises(PluginUnavailable, match=r"no answer within 0.5 s \(after 4 attempts\)"):
        await isrc_lookup(context, query_for(services.catalogue.track("teardrop")))
    assert len(services.deezer.requests) == 4
    services.deezer.release()


async def test_a_slow_answer_then_a_good_one(context: PluginContext, services: FakeServices) -> None:
    services.deezer.faults.delay = 0.8  # longer than the request timeout
    track = services.catalogue.track("teardrop")
    plugin = IsrcPlugin()
    await plugin.setup(context, {})
    with pytest.raises(PluginUnavailable):
        await plugin.enrich(query_for(track))
    services.deezer.faults.delay = 0.0
    assert (await plugin.enrich(query_for(track))).isrc == track.isrc


@pytest.mark.parametrize("service", ["deezer", "musicbrainz", "discogs", "odesli"])
async def test_malformed_json_is_unavailable_with_a_clear_message(
    context: PluginContext, services: FakeServices, service: str
) -> None:
    getattr(services, service).faults.malformed = True
    paths = {
        "deezer": "/track/3135556",
        "musicbrainz": "/ws/2/recording?query=time&fmt=json",
        "discogs": "/releases/1",
        "odesli": "/v1-alpha.1/links?url=spotify:track:x",
    }
    with pytest.raises(PluginUnavailable, match=rf"{service} answered malformed JSON \(HTTP 200, \d+ bytes"):
        await get_json(context, service, paths[service])


@pytest.mark.parametrize("service", ["deezer", "musicbrainz", "discogs", "odesli"])
async def test_service_down_is_unavailable(context: PluginContext, services: FakeServices, service: str) -> None:
    fake = getattr(services, service)
    fake.faults.down = True
    with pytest.raises(PluginUnavailable, match="HTTP 503"):
        await get_json(context, service, "/anything")
    assert len(fake.requests) == 4
    assert max_in_window(fake.requests, fake.window.limit.per) <= fake.window.limit.requests


async def test_service_offline_is_unavailable(context: PluginContext, services: FakeServices) -> None:
    await services.musicbrainz.go_offline()
    plugin = MusicBrainzPlugin()
    await plugin.setup(context, {})
    with pytest.raises(PluginUnavailable, match="connection failed"):
        await plugin.enrich(query_for(services.catalogue.track("teardrop")))
    await services.musicbrainz.come_online()
    assert (await plugin.enrich(query_for(services.catalogue.track("teardrop")))).found


async def test_musicbrainz_refuses_an_anonymous_user_agent(
    session: aiohttp.ClientSession, services: FakeServices, clock: FakeClock, sleep: ClockSleep
) -> None:
    context = make_context(session, services, clock, sleep)
    anonymous = PluginContext(
        session=context.session,
        user_agent="Python/3.14 aiohttp/3.14",
        limiters=context.limiters,
        base_urls=context.base_urls,
        clock=clock,
        sleep=sleep,
        retry=RetryPolicy(timeout=0.5),
    )
    plugin = MusicBrainzPlugin()
    await plugin.setup(anonymous, {})
    with pytest.raises(PluginMisconfigured, match="403"):
        await plugin.enrich(query_for(services.catalogue.track("teardrop")))


async def test_bad_request_is_a_plugin_error_not_retried(context: PluginContext, services: FakeServices) -> None:
    with pytest.raises(PluginError, match="HTTP 400"):
        await get_json(context, "musicbrainz", "/ws/2/recording/not-an-mbid", params={"fmt": "json"})
    assert len(services.musicbrainz.requests) == 1
