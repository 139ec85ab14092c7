"""How the fakes compare text, as the real search engines do: case-insensitive, accent-insensitive (an accent-
sensitive variant for MusicBrainz's ``*accent`` fields), punctuation ignored.

``fold("Beyoncé feat. JAY\u2010Z")`` is ``"beyonce feat jay z"``: the fakes find "Beyoncé" when asked for "beyonce",
like the real services, but a query that keeps Sonos' "feat. Jay-Z" in the artist field does not find the artist
"Beyoncé" (the extra words are not in the name), like the real services either.
"""

from __future__ import annotations

from functools import lru_cache
import re
import unicodedata

_NOT_WORD = re.compile(r"[^\w]+|_")


def strip_accents(text: str) -> str:
    """`text` without its combining marks (``é`` -> ``e``; ``ø``, ``ł`` and ``æ`` are spelled out in ASCII)."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return bare.translate(_SPELLED_OUT)


_SPELLED_OUT = str.maketrans({"ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "æ": "ae", "Æ": "AE", "ß": "ss", "đ": "d"})


def fold(text: str, *, accents: bool = False) -> str:
    """`text` lower-cased, punctuation turned into single spaces, accents removed unless `accents`."""
    if not accents:
        text = strip_accents(text)
    return " ".join(_NOT_WORD.sub(" ", text.casefold()).split())


@lru_cache(maxsize=1 << 17)
def tokens(text: str, *, accents: bool = False) -> tuple[str, ...]:
    """The words of `text`, folded (cached: the fakes fold the same names again and again)."""
    return tuple(fold(text, accents=accents).split())


def contains_phrase(haystack: tuple[str, ...], needle: tuple[str, ...]) -> bool:
    """Whether the words `needle` appear in `haystack` consecutively, in order."""
    if not needle:
        return False
    size = len(needle)
    return any(haystack[index : index + size] == needle for index in range(len(haystack) - size + 1))


def contains_words(haystack: tuple[str, ...], needle: tuple[str, ...]) -> bool:
    """Whether every word of `needle` is in `haystack`, in any order."""
    return bool(needle) and set(needle) <= set(haystack)


def slug(text: str) -> str:
    """A URL slug as Discogs builds them: ``"Phoenix (2) - Wolfgang Amadeus Phoenix"`` ->
    ``"Phoenix-Wolfgang-Amadeus-Phoenix"`` (name numbers, punctuation and accents dropped)."""
    bare = re.sub(r"\(\d+\)", " ", strip_accents(text)).replace("'", "").replace("\u2019", "")
    return "-".join(re.sub(r"[^\w]+|_", " ", bare).split()) or "-"
