"""The insights against a brute-force reading of the same plays: every view, period and filter agrees.

The store answers from roll-ups at three grains (all time, whole months, edge days from the plays); the oracle here
sums the plays one by one in local time. Any disagreement is a bug in a roll-up or in how a period is split.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
import itertools
from pathlib import Path
import shutil
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bench.history import generate
from custom_components.spinstack.engine import Play
from custom_components.spinstack.insights import Insights, InsightsError, Request, resolve, views
from custom_components.spinstack.store import Store, name_key

ZONE = "Europe/Paris"
TZ = ZoneInfo(ZONE)
# A Thursday afternoon, ten days after Paris moved to summer time.
NOW = datetime(2026, 4, 9, 15, 0, tzinfo=TZ).timestamp()


@dataclass(frozen=True)
class Seeded:
    store: Store
    insights: Insights
    plays: list[Play]


@pytest.fixture(scope="module")
def history() -> list[Play]:
    # 6,000 plays over three years, ending now; plus a repeat of a long-unheard artist (a comeback) and a new one.
    plays = list(generate(6000, end=NOW - 3600, years=3, seed=7))
    plays.append(_play(NOW - 7200, "Artist 00040", "Song 40-0"))
    plays.append(_play(NOW - 5400, "Brand New Artist", "First Song"))
    return plays


def _play(ts: float, artist: str, title: str, room: str = "Kitchen", service: str = "spotify") -> Play:
    return Play(
        started_at=ts,
        artist=artist,
        title=title,
        album=None,
        album_artist=None,
        duration=200.0,
        heard=150.0,
        service=service,
        kind="on_demand",
        speaker="RINCON_000E58A0000201400",
        room=room,
    )


async def _seed(path: Path, history: list[Play]) -> None:
    store = await Store.open(path, ZONE)
    try:
        half = len(history) // 2
        # Half through the bulk path, half one by one: both must feed the roll-ups the same way.
        await store.add_plays(history[:half], origin="import:test")
        for play in history[half:]:
            await store.add_play(play, tolerance=0)
    finally:
        await store.close()


@pytest.fixture(scope="module")
def seeded_file(tmp_path_factory: pytest.TempPathFactory, history: list[Play]) -> Path:
    """The seeded store, written once for the module (each test works on a copy)."""
    path = tmp_path_factory.mktemp("insights") / "seeded.db"
    asyncio.run(_seed(path, history))
    return path


@pytest.fixture
async def seeded(tmp_path: Path, seeded_file: Path, history: list[Play]) -> AsyncIterator[Seeded]:
    copy = tmp_path / "spinstack.db"
    shutil.copyfile(seeded_file, copy)
    store = await Store.open(copy, ZONE)
    yield Seeded(store, Insights(store), history)
    await store.close()


def _local(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, TZ)


def _in(seeded: Seeded, request: Request) -> list[Play]:
    period = resolve(
        seeded.store.clock, request.period, NOW, request.start, request.end, min(p.started_at for p in seeded.plays)
    )
    return [
        p
        for p in seeded.plays
        if period.start <= round(p.started_at) < period.end
        and (not request.rooms or p.room in request.rooms)
        and (not request.services or p.service in request.services)
    ]


REQUESTS = [
    Request(period="today"),
    Request(period="week"),
    Request(period="month"),
    Request(period="year"),
    Request(period="all"),
    Request(period="custom", start=date(2024, 2, 17), end=date(2025, 11, 3)),
    Request(period="custom", start=date(2025, 3, 1), end=date(2025, 3, 31)),
    Request(period="custom", start=date(2025, 3, 30), end=date(2025, 4, 2)),
    Request(period="year", rooms=("Kitchen",)),
    Request(period="all", services=("apple_music",)),
    Request(period="custom", start=date(2024, 6, 5), end=date(2026, 1, 20), rooms=("Office", "Bedroom")),
    Request(period="month", rooms=("Living Room",), services=("spotify",)),
    Request(period="all", rooms=("Nowhere",)),
]


@pytest.mark.parametrize("request_", REQUESTS, ids=lambda r: f"{r.period}-{r.start}-{r.rooms}-{r.services}")
async def test_views_match_the_plays_one_by_one(seeded: Seeded, request_: Request) -> None:
    result = await seeded.insights.views(request_, NOW)
    plays = _in(seeded, request_)
    heard = [round(p.heard) for p in plays]

    assert result["summary"] == {
        "plays": len(plays),
        "heard": sum(heard),
        "active_days": len({_local(p.started_at).date() for p in plays}),
    }

    top = result["top"]
    artists = Counter(name_key(p.artist) for p in plays)
    assert [(name_key(a["artist"]), a["plays"]) for a in top["artists"]] == [
        (k, artists[k]) for k, _ in _top(artists, [(name_key(a["artist"]), a["plays"]) for a in top["artists"]])
    ]
    tracks = Counter((name_key(p.artist), name_key(p.title)) for p in plays)
    assert sorted(t["plays"] for t in top["tracks"]) == sorted(n for _, n in tracks.most_common(10))
    for track in top["tracks"]:
        assert tracks[(name_key(track["artist"]), name_key(track["title"]))] == track["plays"]
    albums = Counter(p.album for p in plays if p.album)
    assert sorted(a["plays"] for a in top["albums"]) == sorted(n for _, n in albums.most_common(10))

    period = result["period"]
    if period["granularity"] == "day":
        calendar = Counter(_local(p.started_at).date().isoformat() for p in plays)
    else:
        calendar = Counter(_local(p.started_at).strftime("%Y-%m") for p in plays)
    assert {c["bucket"]: c["plays"] for c in result["calendar"]} == dict(calendar)

    heat = Counter((_local(p.started_at).weekday(), _local(p.started_at).hour) for p in plays)
    assert {(c["weekday"], c["hour"]): c["plays"] for c in result["heatmap"]} == dict(heat)

    assert {s["service"]: s["plays"] for s in result["breakdown"]["services"]} == dict(
        Counter(p.service for p in plays)
    )
    assert {r["room"]: r["plays"] for r in result["breakdown"]["rooms"]} == dict(Counter(p.room for p in plays))

    # Discovery: artists first heard (anywhere) in the period, and the share of the period's plays they got.
    first: dict[str, float] = {}
    for p in seeded.plays:
        key = name_key(p.artist)
        first[key] = min(first.get(key, p.started_at), p.started_at)
    start, end = period["start"], period["end"]
    new = {k for k in artists if start <= round(first[k]) < end}
    discovery = result["discovery"]
    assert discovery["new_artist_count"] == len(new)
    expected_score = sum(artists[k] for k in new) / len(plays) if plays else None
    assert discovery["score"] == (None if expected_score is None else round(expected_score, 4))
    assert sum(b["new_artists"] for b in discovery["over_time"]) == len(new)
    assert result["genres"] == {"available": False, "reason": "no_genre_data"}


def _top(counter: Counter[str], shown: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """The counter's top ten, ties broken as the store broke them (checked on the counts)."""
    expected = sorted(counter.values(), reverse=True)[:10]
    assert [n for _, n in shown] == expected
    return shown


async def test_streaks_on_this_day_and_comebacks(seeded: Seeded) -> None:
    result = await seeded.insights.views(Request(period="year"), NOW)
    days = sorted({_local(p.started_at).date() for p in seeded.plays if _local(p.started_at).year == 2026})
    longest = run = 1
    for before, day in itertools.pairwise(days):
        run = run + 1 if day - before == timedelta(days=1) else 1
        longest = max(longest, run)
    assert result["streaks"]["longest"] == longest
    today = _local(NOW).date()
    assert result["streaks"]["current"] >= (1 if today in days else 0)
    for year in result["on_this_day"]:
        day = date.fromisoformat(year["date"])
        assert (day.month, day.day) == (today.month, today.day)
        assert year["plays"] == sum(1 for p in seeded.plays if _local(p.started_at).date() == day)
    for back in result["comebacks"]:
        assert back["gap_days"] >= 180
    # "Artist 00040" was last heard long before this year began... if the history says so, it is a comeback.
    forty = sorted(p.started_at for p in seeded.plays if p.artist == "Artist 00040")
    year_start = datetime(2026, 1, 1, tzinfo=TZ).timestamp()
    earlier = [t for t in forty if t < year_start]
    within = [t for t in forty if t >= year_start]
    if len(earlier) >= 5 and within and (within[0] - earlier[-1]) >= 180 * 86400:
        assert "Artist 00040" in {b["artist"] for b in result["comebacks"]}


async def test_plays_behind_a_cell(seeded: Seeded) -> None:
    request = Request(period="year", rooms=("Kitchen",))
    result = await seeded.insights.views(request, NOW)
    cell = max(result["heatmap"], key=lambda c: c["plays"])
    behind = await seeded.insights.plays(request, {"weekday": cell["weekday"], "hour": cell["hour"]}, NOW, limit=500)
    assert len(behind["plays"]) == cell["plays"]
    assert all(p["room"] == "Kitchen" for p in behind["plays"])
    day = result["calendar"][-1]
    behind = await seeded.insights.plays(request, {"day": day["bucket"]}, NOW)
    assert len(behind["plays"]) == day["plays"]
    artist = result["top"]["artists"][0]
    behind = await seeded.insights.plays(request, {"artist_id": artist["artist_id"]}, NOW, limit=500)
    assert len(behind["plays"]) == min(artist["plays"], 500)
    times = [p["started_at"] for p in behind["plays"]]
    assert times == sorted(times, reverse=True)
    truncated = await seeded.insights.plays(Request(period="all"), {"service": "spotify"}, NOW, limit=3)
    assert len(truncated["plays"]) == 3
    assert truncated["truncated"]


@pytest.mark.parametrize(
    ("call", "key"),
    [
        (lambda: Request(period="decade"), "unknown_period"),
        (lambda: Request(views=("top", "vibes")), "unknown_view"),
    ],
)
def test_bad_requests_say_why(call: object, key: str) -> None:
    with pytest.raises(InsightsError) as err:
        call()  # type: ignore[operator]
    assert err.value.key == key


async def test_bad_periods_and_drills_say_why(seeded: Seeded) -> None:
    cases: list[tuple[Request, dict[str, Any], str]] = [
        (Request(period="custom"), {}, "custom_period_incomplete"),
        (Request(period="custom", start=date(2026, 2, 1), end=date(2026, 1, 1)), {}, "period_reversed"),
        (Request(period="custom", start=date(1800, 1, 1), end=date(2026, 1, 1)), {}, "period_too_long"),
        (Request(), {"colour": "red"}, "unknown_drill"),
        (Request(), {"weekday": 9}, "invalid_drill_value"),
        (Request(), {"day": "yesterday"}, "invalid_date"),
    ]
    for request, drill, key in cases:
        call = seeded.insights.plays(request, drill, NOW) if drill else seeded.insights.views(request, NOW)
        with pytest.raises(InsightsError) as err:
            await call
        assert err.value.key == key
    with pytest.raises(InsightsError) as err:
        await seeded.insights.plays(Request(), {"hour": 1}, NOW, limit=0)
    assert err.value.key == "limit_out_of_range"


async def test_genre_diversity_when_plugins_gave_genres(seeded: Seeded) -> None:
    store = seeded.store
    ids = [row[0] for row in await store.rows("SELECT id FROM artists ORDER BY plays DESC LIMIT 3")]
    for artist_id, genre in zip(ids, ("house", "jazz", "house"), strict=True):
        await store._conn.execute(
            "INSERT INTO artist_genres (artist_id, genre, source) VALUES (?, ?, 'test')", (artist_id, genre)
        )
    genres = (await seeded.insights.views(Request(period="all", views=("genres",)), NOW))["genres"]
    assert genres["available"] is True
    plays = {row[0]: row[1] for row in await store.rows("SELECT id, plays FROM artists")}
    house, jazz = plays[ids[0]] + plays[ids[2]], plays[ids[1]]
    assert genres["genres"] == [
        {"genre": "house", "plays": house},
        {"genre": "jazz", "plays": jazz},
    ] or genres["genres"] == [{"genre": "jazz", "plays": jazz}, {"genre": "house", "plays": house}]
    assert 0 < genres["normalized"] <= 1


async def test_options_list_what_the_pickers_offer(seeded: Seeded) -> None:
    options = await seeded.insights.options()
    assert options["rooms"] == sorted({p.room for p in seeded.plays if p.room})
    assert options["services"] == sorted({p.service for p in seeded.plays})
    assert options["first_played"] == round(min(p.started_at for p in seeded.plays))
    assert options["timezone"] == ZONE


TOP_REQUESTS = [
    Request(period="all", rooms=("Kitchen",)),
    Request(period="all", services=("apple_music",)),
    Request(period="all", rooms=("Office", "Bedroom"), services=("spotify", "deezer")),
    Request(period="year"),
    Request(period="all", rooms=("Nowhere",)),
]


def _ranking(result: dict[str, Any]) -> dict[str, Any]:
    """What a top or discovery must agree on whatever way it was read: each list's (plays, heard) in order (items
    tied on both may come in another order) and the items that are not tied."""
    top, discovery = result["top"], result["discovery"]
    lists = {kind: top[kind] for kind in ("artists", "tracks", "albums")} | {"new": discovery["new_artists"]}
    shape = {
        kind: [(i["plays"], i.get("heard"), i.get("first_played")) for i in items] for kind, items in lists.items()
    }
    ties = {kind: {k: n for k, n in Counter(shape[kind]).items() if n > 1} for kind in shape}
    untied = {
        kind: [i for i, s in zip(items, shape[kind], strict=True) if s not in ties[kind]]
        for kind, items in lists.items()
    }
    rest = {key: value for key, value in discovery.items() if key != "new_artists"}
    return {"shape": shape, "untied": untied, "discovery": rest, "summary": result["summary"]}


@pytest.mark.parametrize("batch", [1, 16, 24, 64, 10**6])
@pytest.mark.parametrize("lookups", [0, 10**9])
@pytest.mark.parametrize("request_", TOP_REQUESTS, ids=lambda r: f"{r.period}-{r.rooms}-{r.services}")
async def test_tops_by_counter_agree_with_whole_roll_ups(
    seeded: Seeded, monkeypatch: pytest.MonkeyPatch, request_: Request, batch: int, lookups: int
) -> None:
    """Tops read item by item down the all-time counters (first batch, then down to the limit-th sum; or the whole
    roll-up when that would take too many look-ups) give what summing every row of the roll-up gives."""
    wanted = Request(
        request_.period, rooms=request_.rooms, services=request_.services, views=("summary", "top", "discovery")
    )
    monkeypatch.setattr(views, "_TOP_LIMIT_MAX", 0)  # never by counter: every row summed
    whole = await seeded.insights.views(wanted, NOW)
    monkeypatch.setattr(views, "_TOP_LIMIT_MAX", 20)
    monkeypatch.setattr(views, "_TOP_BATCH", batch)
    monkeypatch.setattr(views, "_TOP_MAX_LOOKUPS", lookups)
    by_counter = await seeded.insights.views(wanted, NOW)
    assert _ranking(by_counter) == _ranking(whole)
    # And what the plays say, one by one.
    plays = _in(seeded, request_)
    artists = Counter(name_key(p.artist) for p in plays)
    assert [a["plays"] for a in by_counter["top"]["artists"]] == sorted(artists.values(), reverse=True)[:10]
    if request_.period == "all":
        assert [a["plays"] for a in by_counter["discovery"]["new_artists"]] == sorted(artists.values(), reverse=True)[
            :20
        ]


async def test_long_lists_of_ids_are_bound_as_one_json_array(seeded: Seeded, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past _MARKS_MAX values, a list is one JSON parameter read by json_each: the same answers."""
    requests = [
        Request(period="custom", start=date(2024, 6, 5), end=date(2026, 1, 20), rooms=("Office", "Bedroom")),
        Request(period="all", services=("spotify", "apple_music")),
        Request(period="year", rooms=("Kitchen",)),
    ]
    marks = [await seeded.insights.views(request, NOW) for request in requests]
    monkeypatch.setattr(views, "_MARKS_MAX", 1)
    assert [await seeded.insights.views(request, NOW) for request in requests] == marks


async def test_filtered_all_time_summary_and_streaks_read_every_day(seeded: Seeded) -> None:
    """Filtered all-time summary (all-time roll-up, days counted) and streaks (days listed) agree with the days
    summed one by one, as the other views of one request read them."""
    request = Request(period="all", rooms=("Kitchen", "Office"), views=("summary", "streaks", "calendar"))
    alone = {view: await seeded.insights.view(view, request, NOW) for view in ("summary", "streaks")}
    together = await seeded.insights.views(Request(period="all", rooms=("Kitchen", "Office")), NOW)
    assert alone["summary"] == together["summary"]
    assert alone["streaks"] == together["streaks"]
    plays = _in(seeded, request)
    assert alone["summary"]["plays"] == len(plays)
    assert alone["summary"]["active_days"] == len({_local(p.started_at).date() for p in plays})


async def test_tops_are_read_by_counter_when_it_pays(seeded: Seeded, monkeypatch: pytest.MonkeyPatch) -> None:
    """The parameters above do reach each way: by counter in one batch, in two, and the whole roll-up."""
    ways: list[int | None] = []
    read = seeded.insights._top_by_counter

    async def spy(*args: Any) -> dict[int, tuple[int, int]] | None:
        found = await read(*args)
        ways.append(None if found is None else len(found))
        return found

    monkeypatch.setattr(seeded.insights, "_top_by_counter", spy)
    request = Request(period="all", rooms=("Kitchen",), views=("top", "discovery"))
    for batch, lookups in ((24, 10**9), (64, 10**9), (24, 0)):
        monkeypatch.setattr(views, "_TOP_BATCH", batch)
        monkeypatch.setattr(views, "_TOP_MAX_LOOKUPS", lookups)
        ways.clear()
        await seeded.insights.views(request, NOW)
        assert len(ways) == 4  # artists, tracks, albums; the new artists
        if lookups:
            assert None not in ways
        else:
            assert None in ways


@pytest.mark.parametrize("rooms", [(), ("Kitchen",)])
async def test_all_time_discovery_months_are_the_months_of_first_plays(seeded: Seeded, rooms: tuple[str, ...]) -> None:
    """All time, every artist (under the filter) is new: bucketed by the local month of its first play anywhere
    (unfiltered through the index on first_played, filtered through the all-time roll-up)."""
    discovery = (await seeded.insights.views(Request(period="all", rooms=rooms, views=("discovery",)), NOW))[
        "discovery"
    ]
    first: dict[str, float] = {}
    for p in seeded.plays:
        key = name_key(p.artist)
        first[key] = min(first.get(key, p.started_at), p.started_at)
    kept = {name_key(p.artist) for p in seeded.plays if not rooms or p.room in rooms}
    months = Counter(_local(round(first[k])).strftime("%Y-%m") for k in kept)
    assert {b["bucket"]: b["new_artists"] for b in discovery["over_time"]} == dict(months)
    assert [b["bucket"] for b in discovery["over_time"]] == sorted(months)
    assert discovery["new_artist_count"] == len(kept)
