"""The request log (times from the clock) and the helpers tests assert limits with: max_in_window, the sliding
window, the fake clock."""

from __future__ import annotations

import pytest

from fakes import FakeClock, FakeServices, RateLimit, RecordedRequest, SlidingWindow, max_in_window

from .conftest import USER_AGENT, Client


def test_max_in_window_counts_half_open_windows() -> None:
    assert max_in_window([], 1.0) == 0
    assert max_in_window([5.0], 1.0) == 1
    assert max_in_window([0.0, 1.0, 2.0, 3.0], 1.0) == 1  # exactly a second apart: never together
    assert max_in_window([0.0, 0.999, 2.0], 1.0) == 2
    assert max_in_window([3.0, 0.0, 0.2, 0.4, 2.9], 1.0) == 3  # order does not matter
    assert max_in_window([0.0, 4.9, 5.0, 9.95], 5.0) == 2
    with pytest.raises(ValueError, match="positive"):
        max_in_window([1.0], 0)


def test_the_sliding_window() -> None:
    window = SlidingWindow(RateLimit(2, 10.0))
    assert window.admit(0.0)
    assert window.admit(1.0)
    assert not window.admit(2.0)
    assert window.used(2.0) == 2
    assert window.retry_after(2.0) == pytest.approx(8.0)
    assert window.admit(10.0)  # the first left the window
    assert not window.admit(10.5)
    assert window.admit(10.5, limit=3)
    window.reset()
    assert window.used(10.5) == 0
    assert window.retry_after(10.5) == 0.0


def test_the_fake_clock() -> None:
    clock = FakeClock(100.0)
    assert clock() == 100.0
    clock.advance(2.5)
    clock.set(110.0)
    assert clock() == 110.0
    with pytest.raises(ValueError, match="backwards"):
        clock.advance(-1)
    with pytest.raises(ValueError, match="backwards"):
        clock.set(1.0)


async def test_every_request_is_logged_on_the_clock(services: FakeServices, client: Client, clock: FakeClock) -> None:
    start = clock()
    await client.get(f"{services.deezer.base_url}/search", params={"q": "daft punk", "limit": "3"})
    clock.advance(2.0)
    await client.get(f"{services.deezer.base_url}/track/isrc:GBDUW0000059", headers={"X-Trace": "1"})
    first, second = services.deezer.requests
    assert isinstance(first, RecordedRequest)
    assert (first.time, first.method, first.path, dict(first.query)) == (
        start,
        "GET",
        "/search",
        {"q": "daft punk", "limit": "3"},
    )
    assert (first.status, first.outcome, first.admitted) == (200, "ok", True)
    assert first.user_agent == USER_AGENT
    assert first.headers["user-agent"] == USER_AGENT  # headers are case-insensitive
    assert (second.time, second.path, second.headers["X-Trace"]) == (start + 2.0, "/track/isrc:GBDUW0000059", "1")
    assert services.deezer.requests_to("/track/*") == [second]
    services.deezer.clear_requests()
    assert services.deezer.requests == []


async def test_refused_requests_are_logged_too(services: FakeServices, client: Client) -> None:
    url = f"{services.odesli.base_url}/v1-alpha.1/links?platform=deezer&type=song&id=3135556"
    for _ in range(12):
        await client.get(url)
    outcomes = [record.outcome for record in services.odesli.requests]
    assert outcomes == ["ok"] * 10 + ["rate-limited"] * 2
    assert [record.status for record in services.odesli.requests][-1] == 429
    assert not services.odesli.requests[-1].admitted


async def test_a_paced_client_stays_within_musicbrainz_limit(
    services: FakeServices, client: Client, clock: FakeClock
) -> None:
    """What a plugin test asserts: never more than one MusicBrainz request in any second, each naming SpinStack."""
    base = services.musicbrainz.base_url
    for track in services.catalogue.known_by("musicbrainz")[:10]:
        answer = await client.get(f"{base}/ws/2/recording/{track.mbid}", params={"fmt": "json", "inc": "artists"})
        assert answer.status == 200
        clock.advance(1.0)
    assert max_in_window(services.musicbrainz.requests, 1.0) <= 1
    assert all("SpinStack" in record.user_agent for record in services.musicbrainz.requests)


async def test_all_logs_in_time_order(services: FakeServices, client: Client, clock: FakeClock) -> None:
    await client.get(f"{services.odesli.base_url}/v1-alpha.1/links?platform=deezer&type=song&id=3135556")
    clock.advance(1.0)
    await client.get(f"{services.deezer.base_url}/track/3135556")
    clock.advance(1.0)
    await client.get(f"{services.musicbrainz.base_url}/ws/2/recording?query=time&fmt=json")
    assert [name for name, _ in services.requests] == ["odesli", "deezer", "musicbrainz"]


async def test_outcomes_say_who_answered(services: FakeServices, client: Client) -> None:
    await client.get(
        f"{services.discogs.base_url}/database/search?q=queen", headers={"Authorization": "Discogs token=x"}
    )
    await client.get(f"{services.discogs.base_url}/database/search?q=queen")
    bad_token, no_token = services.discogs.requests
    assert (bad_token.outcome, bad_token.status, bad_token.admitted) == ("unauthorized", 401, False)
    assert (no_token.outcome, no_token.status, no_token.admitted) == ("ok", 401, True)  # the handler's own 401


async def test_reset_restores_the_rate_limit_switch_as_made(client: Client) -> None:
    async with FakeServices(rate_limit=False) as services:
        services.deezer.rate_limit = True
        services.reset()
        assert not any(service.rate_limit for service in services)
