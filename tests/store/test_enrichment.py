"""The metadata plugins' work list and cache in the store: what is due, what a plugin found, and retries."""

from __future__ import annotations

import json

from custom_components.spinstack.store import Store, enrichment

from .conftest import make_play

NOW = 1_800_000_000


async def _tracks(store: Store) -> list[int]:
    await store.add_play(make_play(NOW - 1000, artist="Daft Punk", title="One More Time"))
    await store.add_play(make_play(NOW - 500, artist="Air", title="La Femme d'Argent", album="Moon Safari"))
    return [row[0] for row in await store.rows("SELECT id FROM tracks ORDER BY id")]


async def test_work_is_listed_once_per_plugin_and_track(store: Store) -> None:
    ids = await _tracks(store)
    assert await enrichment.enqueue(store, ["deezer"], NOW, ids[:1]) == 1
    assert await enrichment.enqueue(store, ["deezer", "musicbrainz"], NOW) == 3  # a backfill: the rest
    assert await enrichment.enqueue(store, ["deezer", "musicbrainz"], NOW) == 0
    jobs = await enrichment.due(store, ["deezer"], NOW)
    assert [(job.plugin, job.artist, job.title) for job in jobs] == [
        ("deezer", "Daft Punk", "One More Time"),
        ("deezer", "Air", "La Femme d'Argent"),
    ]
    assert jobs[1].album == "Moon Safari"
    assert await enrichment.due(store, ["deezer"], NOW - 1) == []
    assert await enrichment.due(store, [], NOW) == []
    assert await enrichment.next_due(store, ["musicbrainz"]) == NOW
    assert await enrichment.counts(store) == {
        "deezer": {"pending": 2, "found": 0, "not_found": 0, "failed": 0},
        "musicbrainz": {"pending": 2, "found": 0, "not_found": 0, "failed": 0},
    }


async def test_what_a_plugin_finds_lands_on_the_track_and_its_artist(store: Store) -> None:
    ids = await _tracks(store)
    await enrichment.enqueue(store, ["musicbrainz"], NOW)
    job = (await enrichment.due(store, ["musicbrainz"], NOW))[0]
    await enrichment.record_found(
        store,
        job,
        {
            "found": True,
            "isrc": "GBDUW0000053",
            "mbid": "6d8b1f62-d6f0-4a3c-9d60-fd26b31e8d63",
            "artist_mbids": ("056e4f3e-d505-4dad-8ec1-d04f521cbb56",),
            "genres": ("House", "french house", "house"),
            "country": "FR",
            "year": 2001,
            "styles": ("French House",),
        },
        NOW,
        keep_for=86400,
    )
    row = await store.rows("SELECT isrc, mbid, meta FROM tracks WHERE id = ?", (ids[0],))
    assert row[0][:2] == ("GBDUW0000053", "6d8b1f62-d6f0-4a3c-9d60-fd26b31e8d63")
    assert json.loads(row[0][2]) == {"year": 2001, "styles": ["French House"]}
    assert await store.rows("SELECT mbid, country FROM artists WHERE name = 'Daft Punk'") == [
        ("056e4f3e-d505-4dad-8ec1-d04f521cbb56", "FR")
    ]
    assert await store.rows("SELECT genre, source FROM artist_genres ORDER BY genre") == [
        ("french house", "musicbrainz"),
        ("house", "musicbrainz"),
    ]
    # Answered: not due again before the cache expires.
    assert [j.track_id for j in await enrichment.due(store, ["musicbrainz"], NOW + 3600)] == [ids[1]]
    assert ids[0] in [j.track_id for j in await enrichment.due(store, ["musicbrainz"], NOW + 86400)]
    # A later answer replaces the plugin's genres, not another plugin's (a genre is the artist's, whoever said it).
    await store.execute("INSERT INTO artist_genres (artist_id, genre, source) VALUES (1, 'electronic', 'discogs')")
    await enrichment.record_found(store, job, {"genres": ("electronic", "disco")}, NOW, keep_for=86400)
    assert await store.rows("SELECT genre, source FROM artist_genres ORDER BY genre") == [
        ("disco", "musicbrainz"),
        ("electronic", "discogs"),
    ]


async def test_failures_are_retried_later_and_not_found_is_kept(store: Store) -> None:
    await _tracks(store)
    await enrichment.enqueue(store, ["deezer"], NOW)
    first, second = await enrichment.due(store, ["deezer"], NOW)
    await enrichment.record_failure(store, first, NOW, retry_in=60, error="503 Service Unavailable")
    await enrichment.record_not_found(store, second, NOW, keep_for=7 * 86400)
    assert await enrichment.due(store, ["deezer"], NOW + 59) == []
    again = await enrichment.due(store, ["deezer"], NOW + 60)
    assert [(job.track_id, job.attempts) for job in again] == [(first.track_id, 1)]
    assert await enrichment.counts(store) == {"deezer": {"pending": 0, "found": 0, "not_found": 1, "failed": 1}}
    assert await enrichment.next_due(store, ["deezer"]) == NOW + 60
    assert await enrichment.next_due(store, []) is None
