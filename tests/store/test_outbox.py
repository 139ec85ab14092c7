"""The forwarding outbox: written with the play, taken in order, delivered or kept as dead letters, retried."""

from __future__ import annotations

from custom_components.spinstack.store import Store, outbox

from .conftest import make_play


async def test_a_play_is_queued_for_each_target_with_the_play(store: Store) -> None:
    first = await store.add_play(make_play(1_700_000_000), forward_to=("lastfm", "listenbrainz"))
    second = await store.add_play(make_play(1_700_000_600, title="Aerodynamic", album=None), forward_to=("lastfm",))
    # The same listen again: not stored, not queued.
    assert await store.add_play(make_play(1_700_000_003), forward_to=("lastfm",)) is None
    assert await outbox.counts(store) == {
        "lastfm": {"pending": 2, "dead": 0},
        "listenbrainz": {"pending": 1, "dead": 0},
    }
    items = await outbox.pending(store, "lastfm", 10)
    assert [item.record.play_id for item in items] == [first, second]
    assert items[0].record.play.title == "One More Time"
    assert items[0].record.play.album == "Discovery"
    assert items[0].record.play.room == "Living Room"
    assert items[1].record.play.album is None
    assert items[0].record.origin == "live"
    assert [item.record.play_id for item in await outbox.pending(store, "lastfm", 10, after=items[0].outbox_id)] == [
        second
    ]


async def test_delivered_leave_dead_stay_and_come_back_on_retry(store: Store) -> None:
    for index in range(3):
        await store.add_play(make_play(1_700_000_000 + 600 * index, title=f"T{index}"), forward_to=("lastfm",))
    first, second, third = await outbox.pending(store, "lastfm", 10)
    assert await outbox.delivered(store, [first.outbox_id]) == 1
    assert await outbox.dead(store, [(second.outbox_id, "timestamp too old")]) == 1
    assert await outbox.attempted(store, [third.outbox_id], "offline") == 1
    assert [item.outbox_id for item in await outbox.pending(store, "lastfm", 10)] == [third.outbox_id]
    letters = await outbox.dead_letters(store, "lastfm")
    assert [(item.outbox_id, item.error, item.attempts) for item in letters] == [
        (second.outbox_id, "timestamp too old", 1)
    ]
    assert await outbox.counts(store) == {"lastfm": {"pending": 1, "dead": 1}}
    assert await outbox.retry(store, "listenbrainz") == 0
    assert await outbox.retry(store) == 1
    assert [item.outbox_id for item in await outbox.pending(store, "lastfm", 10)] == [
        second.outbox_id,
        third.outbox_id,
    ]


async def test_plays_are_read_back_in_order_for_exports(store: Store) -> None:
    plays = [make_play(1_700_000_000 + 600 * index, title=f"T{index}", album_artist="Various") for index in range(5)]
    assert await store.add_plays(plays, origin="lastfm") == 5
    records = list(store.read_plays(batch=2))
    assert [record.play.title for record in records] == [f"T{index}" for index in range(5)]
    assert {record.origin for record in records} == {"lastfm"}
    assert records[0].play.album_artist == "Various"
    assert [record.play_id for record in store.read_plays(after=records[2].play_id)] == [
        records[3].play_id,
        records[4].play_id,
    ]


async def test_known_durations_for_imports_without_them(store: Store) -> None:
    await store.add_play(make_play(1_700_000_000, artist="Daft  Punk", duration=320.4))
    await store.add_play(make_play(1_700_000_600, title="Unknown length", duration=0.0))
    assert store.track_durations() == {("daft punk", "one more time"): 320}
