"""Deciding whether a service's candidate is the track a speaker reported, without regard to case, accents,
punctuation or "feat." parts, and picking the best candidate (never merely the first hit).

A candidate matches when its title matches (the same words once "feat." parts are dropped, or failing that the
same words once every bracketed or dashed version note is dropped), its artist matches (the whole credit, or the
main artist, or every reported artist among the credited ones) and, when both durations are known, they differ by
at most `DURATION_TOLERANCE` seconds. Among matches: the exact title first, then the reported album, then the
closest duration, then the service's own order.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
import re
from typing import Final
import unicodedata

DURATION_TOLERANCE: Final = 10  # seconds

_SPELLED_OUT: Final = str.maketrans(
    {"ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ß": "ss", "đ": "d", "Đ": "D"}
)
_NOT_WORD: Final = re.compile(r"[^\w]+|_")
# "(feat. X)", "[ft. X]", "(with X)", and " feat. X" to the end, in titles
_TITLE_FEAT: Final = re.compile(
    r"\s*[(\[]\s*(?:feat\.?|ft\.?|featuring|with)\s[^)\]]*[)\]]|\s+(?:feat\.?|ft\.?|featuring)\s.*$", re.IGNORECASE
)
_VERSION_NOTE: Final = re.compile(r"\s*[(\[][^)\]]*[)\]]|\s+-\s+.*$")
_ARTIST_FEAT: Final = re.compile(r"\s*[(\[]?\s*\b(?:feat\.?|ft\.?|featuring)\s.*$", re.IGNORECASE)
_ARTIST_SEPARATORS: Final = re.compile(
    r"\s*(?:,|;|/|&|\+|\bx\b|\band\b|\bfeat\.?|\bft\.?|\bfeaturing\b|\bwith\b|\bvs\.?)\s*", re.IGNORECASE
)
_DISCOGS_NUMBER: Final = re.compile(r"\s*\(\d+\)$")


@lru_cache(maxsize=4096)
def fold(text: str) -> str:
    """`text` lower-cased, accents removed, punctuation turned into single spaces: ``"Beyoncé feat. JAY-Z"`` ->
    ``"beyonce feat jay z"``."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_SPELLED_OUT))
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(_NOT_WORD.sub(" ", bare.casefold()).split())


def strip_featured(title: str) -> str:
    """A title without its "feat." part: ``"Crazy In Love (feat. Jay-Z)"`` -> ``"Crazy In Love"``."""
    stripped = _TITLE_FEAT.sub("", title).strip()
    return stripped or title


def base_title(title: str) -> str:
    """A title without any bracketed or dashed note: ``"Song (Live) - 2011 Remaster"`` -> ``"Song"``."""
    stripped = _VERSION_NOTE.sub("", strip_featured(title)).strip()
    return stripped or title


def search_artist(artist: str) -> str:
    """The artist to search with: the reported artist without its "feat." part."""
    stripped = _ARTIST_FEAT.sub("", artist).strip()
    return stripped or artist


def main_artist(artist: str) -> str:
    """The first of several reported artists: ``"Daft Punk, Pharrell Williams"`` -> ``"Daft Punk"``."""
    parts = split_artists(artist)
    return parts[0] if parts else artist


def split_artists(artist: str) -> list[str]:
    """The artists named in a reported artist string, in order (not folded)."""
    return [part.strip() for part in _ARTIST_SEPARATORS.split(artist) if part and part.strip()]


def discogs_name(name: str) -> str:
    """A Discogs artist name without its disambiguation number: ``"Phoenix (2)"`` -> ``"Phoenix"``."""
    return _DISCOGS_NUMBER.sub("", name)


def title_score(reported: str, candidate: str) -> int:
    """2: the same title once "feat." parts are dropped; 1: the same once version notes are dropped; 0: not it."""
    if fold(strip_featured(reported)) == fold(strip_featured(candidate)):
        return 2
    if fold(base_title(reported)) == fold(base_title(candidate)):
        return 1
    return 0


def artist_matches(reported: str, names: Sequence[str], credit: str | None = None) -> bool:
    """Whether the reported artist string is the candidate's artists (`names`, main artist first; `credit` the
    candidate's whole credit when it has one)."""
    if not names and credit is None:
        return False
    whole = fold(reported)
    folded = [fold(name) for name in names]
    if whole in folded or (credit is not None and whole == fold(credit)):
        return True
    reported_parts = [fold(part) for part in split_artists(reported)]
    if not reported_parts or not folded:
        return False
    return reported_parts[0] == folded[0] or set(reported_parts) <= set(folded)


def duration_matches(reported: int | None, candidate: float | None, tolerance: float = DURATION_TOLERANCE) -> bool:
    """Whether two durations (seconds) agree, or either is unknown."""
    if reported is None or candidate is None or reported <= 0 or candidate <= 0:
        return True
    return abs(reported - candidate) <= tolerance


@dataclass(frozen=True, slots=True)
class Candidate[T]:
    """One hit of a service's search, in the service's order, with what it is compared by."""

    title: str
    artists: tuple[str, ...]  # main artist first
    payload: T
    credit: str | None = None
    duration: float | None = None  # seconds
    album: str | None = None


def choose[T](
    candidates: Iterable[Candidate[T]],
    *,
    artist: str,
    title: str,
    album: str | None = None,
    duration: int | None = None,
) -> Candidate[T] | None:
    """The best candidate that matches the reported track, or None (see the module's docstring)."""
    best: tuple[tuple[int, int, float, int], Candidate[T]] | None = None
    wanted_album = fold(album) if album else None
    for position, candidate in enumerate(candidates):
        score = title_score(title, candidate.title)
        if not score or not artist_matches(artist, candidate.artists, candidate.credit):
            continue
        if not duration_matches(duration, candidate.duration):
            continue
        same_album = int(
            wanted_album is not None
            and candidate.album is not None
            and fold(base_title(candidate.album)) in {wanted_album, fold(base_title(album or ""))}
        )
        gap = abs(duration - candidate.duration) if duration and candidate.duration else 0.0
        key = (-score, -same_album, gap, position)
        if best is None or key < best[0]:
            best = (key, candidate)
    return best[1] if best is not None else None
