"""Reading a Last.fm user's scrobbles page by page (``user.getRecentTracks``) for the history import: the pages in
order, the now-playing entry, a fixed ``to``, politeness, and the errors that need the user's attention."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from custom_components.spinstack.forwarding import recent_tracks_pages
from custom_components.spinstack.plugins import PluginContext, PluginMisconfigured, PluginUnavailable
from fakes import LASTFM_API_KEY, LASTFM_USER, FakeClock, FakeLastfm, RateLimit, max_in_window
from fakes.lastfm import Scrobble
from tests.plugins.conftest import ClockSleep


async def read_all(context: PluginContext, **kwargs: Any) -> list[tuple[int, int, Any]]:
    user = kwargs.pop("user", LASTFM_USER)
    api_key = kwargs.pop("api_key", LASTFM_API_KEY)
    return [page async for page in recent_tracks_pages(context, api_key, user, **kwargs)]


def tracks(data: Any) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = data["recenttracks"]["track"]
    return listed


async def test_five_pages_of_200_with_now_playing_first(
    context: PluginContext, lastfm: FakeLastfm, clock: FakeClock
) -> None:
    lastfm.seed(1_000)
    lastfm.set_now_playing(Scrobble(LASTFM_USER, "Daft Punk", "Digital Love", int(clock())), 600)
    to = int(clock())
    pages = await read_all(context, to=to)
    assert [(page, total) for page, total, _ in pages] == [(1, 5), (2, 5), (3, 5), (4, 5), (5, 5)]
    first = tracks(pages[0][2])
    assert len(first) == 201
    assert first[0]["@attr"] == {"nowplaying": "true"}
    assert "date" not in first[0]
    assert first[0]["name"] == "Digital Love"
    dated = [entry for _, _, data in pages for entry in tracks(data) if "date" in entry]
    assert len(dated) == 1_000
    stamps = [int(entry["date"]["uts"]) for entry in dated]
    assert stamps == sorted(stamps, reverse=True)
    assert len(set(stamps)) == 1_000
    for call, page in zip(lastfm.calls, range(1, 6), strict=True):
        assert call.http_method == "GET"
        assert call.params == {
            "method": "user.getRecentTracks",
            "user": LASTFM_USER,
            "api_key": LASTFM_API_KEY,
            "limit": "200",
            "page": str(page),
            "to": str(to),
            "extended": "0",
            "format": "json",
        }
    attributes = pages[2][2]["recenttracks"]["@attr"]
    assert attributes == {"user": LASTFM_USER, "totalPages": "5", "page": "3", "perPage": "200", "total": "1000"}


async def test_pages_do_not_shift_while_new_scrobbles_arrive(
    context: PluginContext, lastfm: FakeLastfm, clock: FakeClock
) -> None:
    lastfm.seed(450, newest=int(clock()) - 3_600)
    to = int(clock())
    seen: list[int] = []
    async for page, total, data in recent_tracks_pages(context, LASTFM_API_KEY, LASTFM_USER, to=to):
        assert total == 3
        seen.extend(int(entry["date"]["uts"]) for entry in tracks(data))
        if page == 1:  # meanwhile the user scrobbles 30 more
            lastfm.seed(30, newest=to + 3_000, spacing=60)
    assert len(seen) == len(set(seen)) == 450


async def test_resuming_from_a_page(context: PluginContext, lastfm: FakeLastfm, clock: FakeClock) -> None:
    lastfm.seed(1_000)
    pages = await read_all(context, to=int(clock()), start_page=4)
    assert [page for page, _, _ in pages] == [4, 5]
    assert [len(tracks(data)) for _, _, data in pages] == [200, 200]


async def test_a_user_without_scrobbles(context: PluginContext, lastfm: FakeLastfm, clock: FakeClock) -> None:
    pages = await read_all(context, to=int(clock()))
    assert [(page, total) for page, total, _ in pages] == [(1, 0)]
    assert tracks(pages[0][2]) == []


async def test_politeness_one_request_every_250_ms(
    context: PluginContext, lastfm: FakeLastfm, clock: FakeClock, sleep: ClockSleep
) -> None:
    lastfm.seed(3_000)
    pages = await read_all(context, to=int(clock()))
    assert len(pages) == 15
    assert max_in_window(lastfm.requests, 1.0) <= 4  # under Last.fm's 5 a second
    times = [request.time for request in lastfm.requests]
    assert all(later - earlier >= 0.25 for earlier, later in itertools.pairwise(times))
    assert {request.outcome for request in lastfm.requests} == {"ok"}


async def test_error_29_slows_the_reader_down(context: PluginContext, lastfm: FakeLastfm, clock: FakeClock) -> None:
    lastfm.seed(2_000)
    lastfm.window.limit = RateLimit(2, 1.0)  # a stricter Last.fm: two requests a second
    pages = await read_all(context, to=int(clock()))
    assert [page for page, _, _ in pages] == list(range(1, 11))
    limited = [index for index, request in enumerate(lastfm.requests) if request.outcome == "rate-limited"]
    assert limited, "the stricter limit was met at least once"
    for index in limited:
        assert lastfm.requests[index].status == 429
        assert lastfm.requests[index + 1].time - lastfm.requests[index].time >= 0.5  # backed off, limiter paused


async def test_still_rate_limited_after_the_retries(
    context: PluginContext, lastfm: FakeLastfm, clock: FakeClock
) -> None:
    lastfm.seed(10)
    lastfm.inject("/2.0/", status=429, json_body={"error": 29, "message": "Rate Limit Exceeded"}, count=None)
    with pytest.raises(PluginUnavailable) as caught:
        await read_all(context, to=int(clock()))
    assert caught.value.retry_after == 60.0


async def test_an_unknown_user(context: PluginContext, lastfm: FakeLastfm, clock: FakeClock) -> None:
    with pytest.raises(PluginMisconfigured, match=r"'nobody-at-all': User not found \(error 6\)"):
        await read_all(context, user="nobody-at-all", to=int(clock()))
    assert lastfm.requests[-1].status == 404
    assert len(lastfm.requests) == 1


async def test_a_user_hiding_their_listening(context: PluginContext, lastfm: FakeLastfm, clock: FakeClock) -> None:
    lastfm.private_users.add(LASTFM_USER)
    with pytest.raises(PluginMisconfigured, match="hides their recent listening"):
        await read_all(context, to=int(clock()))


@pytest.mark.parametrize(("api_key", "code"), [("0" * 32, 10), (LASTFM_API_KEY, 26)])
async def test_a_refused_api_key(
    context: PluginContext, lastfm: FakeLastfm, clock: FakeClock, api_key: str, code: int
) -> None:
    if code == 26:
        lastfm.suspended_keys.add(api_key)
    with pytest.raises(PluginMisconfigured, match=f"error {code}"):
        await read_all(context, api_key=api_key, to=int(clock()))


async def test_an_outage_midway_then_resuming(context: PluginContext, lastfm: FakeLastfm, clock: FakeClock) -> None:
    lastfm.seed(1_000)
    to = int(clock())
    read: list[int] = []

    async def read_until_down() -> None:
        async for page, _, _ in recent_tracks_pages(context, LASTFM_API_KEY, LASTFM_USER, to=to):
            read.append(page)
            if page == 2:
                lastfm.faults.down = True

    with pytest.raises(PluginUnavailable):
        await read_until_down()
    assert read == [1, 2]
    lastfm.faults.down = False
    resumed = await read_all(context, to=to, start_page=3)
    assert [page for page, _, _ in resumed] == [3, 4, 5]


async def test_an_answer_without_pages(context: PluginContext, lastfm: FakeLastfm, clock: FakeClock) -> None:
    lastfm.inject("/2.0/", status=200, json_body={"recenttracks": {"@attr": {"totalPages": "many"}}}, count=1)
    pages = await read_all(context, to=int(clock()))
    assert [(page, total) for page, total, _ in pages] == [(1, 0)]
