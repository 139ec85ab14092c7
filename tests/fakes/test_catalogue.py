"""The shared catalogue: deterministic, well-formed ids, the special cases the plugins need, synthetic tracks."""

from __future__ import annotations

import re
import uuid

import pytest

from emulator import scenario
from fakes import Catalogue, synthetic_tracks
from fakes.text import fold

ISRC = re.compile(r"^[A-Z]{2}[A-Z0-9]{3}[0-9]{7}$")


def _uuid(text: str | None) -> bool:
    return text is not None and str(uuid.UUID(text)) == text


def test_the_curated_catalogue_is_about_thirty_well_formed_tracks() -> None:
    catalogue = Catalogue.default()
    assert len(catalogue) == 30
    assert len({track.key for track in catalogue}) == 30
    for track in catalogue:
        assert track.duration > 0
        assert track.isrc is None or ISRC.match(track.isrc), track.key
        assert track.mbid is None or _uuid(track.mbid), track.key
        assert track.album.mbid is None or _uuid(track.album.mbid)
        for artist in track.artists:
            assert artist.mbid is None or _uuid(artist.mbid)
            assert artist.country is None or len(artist.country) == 2
    assert all(_uuid(vote.genre_id) for track in catalogue for vote in track.genres)


def test_the_catalogue_is_the_same_on_every_run() -> None:
    first = Catalogue.default()
    again = Catalogue([*first.tracks])
    assert [(t.key, t.mbid, t.deezer_id, t.isrc, t.spotify_id) for t in first] == [
        (t.key, t.mbid, t.deezer_id, t.isrc, t.spotify_id) for t in again
    ]
    assert synthetic_tracks(20) == synthetic_tracks(20)


def test_two_artists_and_a_featured_artist() -> None:
    catalogue = Catalogue.default()
    duet = catalogue.track("under-pressure")
    assert [artist.name for artist in duet.artists] == ["Queen", "David Bowie"]
    assert duet.artist_credit == "Queen & David Bowie"
    lucky = catalogue.track("get-lucky")
    assert lucky.artist_credit == "Daft Punk feat. Pharrell Williams"
    assert lucky.on_deezer == "Get Lucky (feat. Pharrell Williams)"


def test_what_sonos_reports_differs_from_the_databases_in_case_accents_and_feat() -> None:
    crazy = Catalogue.default().track("crazy-in-love")
    assert crazy.reported_artist == "Beyonce feat. Jay-Z"
    assert crazy.reported_title == "Crazy In Love (feat. Jay-Z)"
    assert crazy.artist_credit == "Beyoncé feat. JAY\u2010Z"  # MusicBrainz' credit, with its U+2010 hyphen
    assert crazy.title == "Crazy in Love"
    assert crazy.main_artist.name == "Beyoncé"
    assert crazy.reported_artist != crazy.artist_credit
    assert fold(crazy.reported_artist) == fold(crazy.artist_credit)  # equal once folded
    hoppipolla = Catalogue.default().track("hoppipolla")
    assert (hoppipolla.reported_artist, hoppipolla.reported_title) == ("SIGUR ROS", "Hoppipolla")
    assert (hoppipolla.artist_credit, hoppipolla.title) == ("Sigur Rós", "Hoppípolla")


def test_who_knows_what() -> None:
    catalogue = Catalogue.default()
    assert catalogue.track("kitchen-demo").known_by == {"musicbrainz"}
    assert catalogue.track("kitchen-demo").musicbrainz_isrcs == ()
    assert catalogue.track("shower-song").known_by == frozenset()
    assert catalogue.track("juice").known_by == {"deezer", "musicbrainz", "odesli"}
    assert catalogue.track("says").musicbrainz_isrcs == ()
    assert catalogue.track("says").isrc is not None
    assert len(catalogue.known_by("deezer")) == 28
    assert len(catalogue.known_by("musicbrainz")) == 29
    teardrop = catalogue.track("teardrop")
    assert teardrop.link("tidal") is None
    assert teardrop.link("amazonMusic") is not None


def test_a_recording_deezer_holds_twice() -> None:
    catalogue = Catalogue.default()
    rhapsody = catalogue.track("bohemian-rhapsody")
    (copy,) = rhapsody.deezer_copies
    assert catalogue.by_deezer_id(copy.id) == (rhapsody, copy)
    assert copy.rank < rhapsody.deezer_rank
    assert catalogue.by_isrc(rhapsody.isrc or "") == [rhapsody]


def test_discogs_spells_some_artists_its_own_way() -> None:
    catalogue = Catalogue.default()
    assert catalogue.track("1901").main_artist.on_discogs == "Phoenix (2)"
    assert catalogue.track("sexy-boy").main_artist.on_discogs == "AIR"
    assert catalogue.track("juice").album.discogs is None


def test_every_track_the_demo_plays_is_in_the_catalogue() -> None:
    """The emulator's demo day and the fakes share their music: a plugin enriches every play of `make demo`."""
    known = {(fold(track.reported_artist), fold(track.reported_title)) for track in Catalogue.default()}
    played = [(track.artist, track.title) for track in (*scenario.MORNING_QUEUE, *scenario.EVENING_QUEUE)]
    for song in scenario.STATION.program:
        if song.content.startswith("TYPE=SNG|TITLE ") and "Spot Block" not in song.content:
            fields = dict(part.split(" ", 1) for part in song.content.split("|")[1:3])
            played.append((fields["ARTIST"], fields["TITLE"]))
        elif " - " in song.content:
            artist, title = song.content.split(" - ", 1)
            played.append((artist, title))
    assert len(played) == 16
    for artist, title in played:
        assert (fold(artist), fold(title)) in known, (artist, title)


def test_ten_thousand_synthetic_tracks_are_distinct() -> None:
    made = Catalogue.synthetic(10_000)
    assert len(made) == 10_000
    for values in (
        [track.key for track in made],
        [track.title for track in made],
        [track.isrc for track in made],
        [track.mbid for track in made],
        [track.deezer_id for track in made],
        [track.spotify_id for track in made],
        [track.apple_id for track in made],
        [track.tidal_id for track in made],
    ):
        assert len(set(values)) == 10_000
    assert len({artist.name for artist in made.artists}) == 1_000
    assert len({album.discogs.id for album in made.albums if album.discogs}) == 1_000
    assert all(ISRC.match(track.isrc or "") for track in made)
    assert all(track.known_by == {"deezer", "musicbrainz", "discogs", "odesli"} for track in made)


def test_synthetic_tracks_join_the_curated_ones() -> None:
    both = Catalogue.default() + Catalogue.synthetic(100) + Catalogue.synthetic(100, start=100)
    assert len(both) == 230
    assert "synthetic-199" in both


def test_a_catalogue_refuses_ids_twice() -> None:
    tracks = synthetic_tracks(2)
    with pytest.raises(ValueError, match="key"):
        Catalogue((*tracks, tracks[0]))
    with pytest.raises(ValueError, match="negative"):
        synthetic_tracks(-1)
