"""Names compared without case, accents, punctuation or "feat." parts; the best candidate, never the first hit."""

from __future__ import annotations

import pytest

from custom_components.spinstack.plugins.matching import (
    Candidate,
    artist_matches,
    base_title,
    choose,
    discogs_name,
    fold,
    main_artist,
    search_artist,
    split_artists,
    strip_featured,
    title_score,
)


def test_fold() -> None:
    assert fold("Beyoncé feat. JAY\u2010Z") == "beyonce feat jay z"
    assert fold("SIGUR ROS") == fold("Sigur Rós") == "sigur ros"
    assert fold("Mr. Brightside") == "mr brightside"
    assert fold("Røyksopp") == "royksopp"


@pytest.mark.parametrize(
    ("title", "stripped"),
    [
        ("Crazy In Love (feat. Jay-Z)", "Crazy In Love"),
        ("Get Lucky [ft. Pharrell Williams]", "Get Lucky"),
        ("Song feat. Someone", "Song"),
        ("Dancing with Myself", "Dancing with Myself"),
        ("Stay (with Justin Bieber)", "Stay"),
        ("Shower Song (Voice Memo)", "Shower Song (Voice Memo)"),
    ],
)
def test_strip_featured(title: str, stripped: str) -> None:
    assert strip_featured(title) == stripped


def test_titles() -> None:
    assert base_title("Bohemian Rhapsody - Remastered 2011") == "Bohemian Rhapsody"
    assert title_score("Crazy In Love (feat. Jay-Z)", "Crazy in Love") == 2
    assert title_score("Bohemian Rhapsody", "Bohemian Rhapsody (Remastered 2011)") == 1
    assert title_score("Time", "Money") == 0


def test_artists() -> None:
    assert split_artists("Daft Punk, Pharrell Williams") == ["Daft Punk", "Pharrell Williams"]
    assert split_artists("Beyonce feat. Jay-Z") == ["Beyonce", "Jay-Z"]
    assert main_artist("Queen & David Bowie") == "Queen"
    assert search_artist("Beyonce feat. Jay-Z") == "Beyonce"
    assert search_artist("Queen & David Bowie") == "Queen & David Bowie"
    assert discogs_name("Phoenix (2)") == "Phoenix"
    assert artist_matches("Beyonce feat. Jay-Z", ["Beyoncé", "JAY\u2010Z"])
    assert artist_matches("Queen & David Bowie", ["Queen"])
    assert artist_matches("Queen & David Bowie", [], credit="Queen & David Bowie")
    assert artist_matches("Simon & Garfunkel", ["Simon & Garfunkel"])
    assert artist_matches("Pharrell Williams, Daft Punk", ["Daft Punk", "Pharrell Williams"])
    assert not artist_matches("Queen", ["David Bowie"])
    assert not artist_matches("Queen", [])


def test_choose_the_best_not_the_first() -> None:
    hits = [
        Candidate("Bohemian Rhapsody (Live)", ("Queen",), "live", duration=360, album="Live Killers"),
        Candidate("Bohemian Rhapsody", ("Queen Tribute",), "tribute", duration=354),
        Candidate("Bohemian Rhapsody", ("Queen",), "compilation", duration=354, album="Greatest Hits"),
        Candidate("Bohemian Rhapsody", ("Queen",), "album", duration=355, album="A Night at the Opera"),
        Candidate("Bohemian Rhapsody", ("Queen",), "far", duration=500, album="A Night at the Opera"),
    ]
    chosen = choose(hits, artist="Queen", title="Bohemian Rhapsody", album="A Night at the Opera", duration=354)
    assert chosen is not None
    assert chosen.payload == "album"
    chosen = choose(hits, artist="Queen", title="Bohemian Rhapsody", duration=354)
    assert chosen is not None
    assert chosen.payload == "compilation"  # the closest duration
    assert choose(hits, artist="Queen", title="Somebody to Love") is None
    assert choose(hits[:1], artist="Queen", title="Bohemian Rhapsody", duration=200) is None
