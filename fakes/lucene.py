"""The part of Lucene's query syntax that MusicBrainz' search accepts, enough for what clients send:

- ``field:value``, ``field:"a phrase"``, ``field:(a b)``, bare values (the default field), ``\\``-escapes;
- ``AND`` / ``&&``, ``OR`` / ``||``, ``NOT`` / ``!`` / ``-``, ``+``, parentheses; juxtaposition is ``OR``, as in
  Lucene: a document matching more of the clauses scores higher;
- ``[a TO b]`` / ``{a TO b}`` ranges (numbers, or ISO dates), ``*`` and ``?`` wildcards, ``~`` (fuzziness) and
  ``^`` (boosts) accepted and ignored.

A query scores a document (a mapping of field names to their values) between 0 (no match) and 1 (every clause
matching a whole field exactly); the search then scales scores so that the best result gets 100, as MusicBrainz
does: a top score of 100 says "best of these", not "exact".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
import fnmatch
import re

from .text import contains_phrase, tokens

type Document = Mapping[str, Sequence[str]]

EXACT = 1.0


class QueryError(ValueError):
    """The query cannot be parsed."""


@dataclass(frozen=True)
class _Token:
    kind: str  # term, phrase, range, and, or, not, must, open, close
    text: str = ""
    field: str | None = None


_OPERATORS = {"AND": "and", "&&": "and", "OR": "or", "||": "or", "NOT": "not"}


def _tokenize(query: str) -> list[_Token]:
    found: list[_Token] = []
    index = 0
    size = len(query)
    while index < size:
        char = query[index]
        if char.isspace():
            index += 1
            continue
        if char in "()":
            found.append(_Token("open" if char == "(" else "close"))
            index += 1
            continue
        if char == "!" or (char in "+-" and (index + 1 < size and not query[index + 1].isspace())):
            found.append(_Token({"!": "not", "-": "not", "+": "must"}[char]))
            index += 1
            continue
        if char == '"':
            text, index = _read_phrase(query, index)
            found.append(_Token("phrase", text))
            continue
        if char in "[{":
            text, index = _read_range(query, index)
            found.append(_Token("range", text))
            continue
        word, index = _read_word(query, index)
        if word in _OPERATORS:
            found.append(_Token(_OPERATORS[word]))
            continue
        field, colon, rest = _split_field(word)
        if colon:
            if rest:
                found.append(_Token("term", rest, field))
            else:  # the value follows: a phrase, a range or a group
                found.append(_Token("field", "", field))
            continue
        found.append(_Token("term", word))
    return _attach_fields(found)


def _read_phrase(query: str, index: int) -> tuple[str, int]:
    chars: list[str] = []
    index += 1
    while index < len(query):
        char = query[index]
        if char == "\\" and index + 1 < len(query):
            chars.append(query[index + 1])
            index += 2
            continue
        if char == '"':
            index += 1
            while index < len(query) and query[index] in "~^0123456789.":
                index += 1  # proximity or boost
            return "".join(chars), index
        chars.append(char)
        index += 1
    raise QueryError("unterminated phrase")


def _read_range(query: str, index: int) -> tuple[str, int]:
    end = min((position for position in (query.find("]", index), query.find("}", index)) if position >= 0), default=-1)
    if end < 0:
        raise QueryError("unterminated range")
    return query[index : end + 1], end + 1


def _read_word(query: str, index: int) -> tuple[str, int]:
    chars: list[str] = []
    while index < len(query):
        char = query[index]
        if char == "\\" and index + 1 < len(query):
            chars.append("\\" + query[index + 1])
            index += 2
            continue
        if char.isspace() or char in '()"':
            break
        if char in "[{" and chars and chars[-1] == ":":
            break
        chars.append(char)
        index += 1
    return "".join(chars), index


def _split_field(word: str) -> tuple[str | None, bool, str]:
    """``artist:Queen`` -> ("artist", True, "Queen"); an escaped colon is no field separator."""
    index = 0
    while index < len(word):
        if word[index] == "\\":
            index += 2
            continue
        if word[index] == ":" and index > 0:
            return word[:index].lower(), True, _unescape(word[index + 1 :])
        index += 1
    return None, False, _unescape(word)


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def _attach_fields(found: list[_Token]) -> list[_Token]:
    """Give ``field:`` tokens to the phrase or range after them; a group keeps the marker (read by the parser)."""
    attached: list[_Token] = []
    index = 0
    while index < len(found):
        token = found[index]
        if token.kind == "field" and index + 1 < len(found) and found[index + 1].kind in {"phrase", "range"}:
            following = found[index + 1]
            attached.append(_Token(following.kind, following.text, token.field))
            index += 2
            continue
        if token.kind == "term" and token.field is None:
            attached.append(_Token("term", _unescape(token.text)))
        else:
            attached.append(token)
        index += 1
    return attached


# -- the tree ---------------------------------------------------------------------------------------------------


class Index:
    """Inverted indexes of a list of documents, built field by field when a query first needs them: which
    documents hold a folded word in a field (or, for id fields, a whole value)."""

    def __init__(self, documents: Sequence[Document]) -> None:
        self.documents = documents
        self._postings: dict[tuple[str, bool], dict[str, set[int]]] = {}

    def postings(self, field: str, *, accents: bool = False) -> dict[str, set[int]]:
        """Word (or, for id fields, casefolded value) -> the positions of the documents holding it in `field`."""
        key = (field, accents)
        if key not in self._postings:
            found: dict[str, set[int]] = {}
            for position, document in enumerate(self.documents):
                for value in document.get(field, ()):
                    words = (value.casefold(),) if field in EXACT_FIELDS else tokens(value, accents=accents)
                    for word in words:
                        found.setdefault(word, set()).add(position)
            self._postings[key] = found
        return self._postings[key]


class Node:
    """A query node: scores a document in ``[0, 1]``."""

    def score(self, document: Document, default_field: str) -> float:
        """How well `document` matches (0: not at all)."""
        raise NotImplementedError

    def candidates(self, index: Index, default_field: str) -> set[int] | None:
        """The positions of the only documents that can match (None: any document can)."""
        del index, default_field
        return None


@dataclass(frozen=True)
class Term(Node):
    """A word or a phrase on a field (None: the default field)."""

    field: str | None
    text: str
    phrase: bool = False

    def score(self, document: Document, default_field: str) -> float:
        field = self.field or default_field
        values = document.get(field, ())
        text = re.sub(r"[~^][0-9.]*$", "", self.text)
        accents = field.endswith("accent")
        best = 0.0
        for value in values:
            best = max(best, _value_score(value, text, phrase=self.phrase, accents=accents, field=field))
        return best

    def candidates(self, index: Index, default_field: str) -> set[int] | None:
        field = self.field or default_field
        text = re.sub(r"[~^][0-9.]*$", "", self.text)
        if field in NUMERIC_FIELDS or (not self.phrase and any(char in text for char in "*?")):
            return None
        if field in EXACT_FIELDS:
            return set(index.postings(field).get(text.casefold(), ()))
        postings = index.postings(field, accents=field.endswith("accent"))
        words = tokens(text, accents=field.endswith("accent"))
        if not words:
            return set()
        found = set(postings.get(words[0], ()))
        for word in words[1:]:
            found &= postings.get(word, set())
        return found


def _value_score(value: str, text: str, *, phrase: bool, accents: bool, field: str) -> float:
    if field in EXACT_FIELDS:
        return EXACT if value.casefold() == text.casefold() else 0.0
    wanted = tokens(text, accents=accents)
    have = tokens(value, accents=accents)
    if not wanted or not have:
        return EXACT if not wanted and not have and field in NUMERIC_FIELDS and value == text else 0.0
    if not phrase and any(char in text for char in "*?"):
        pattern = text.casefold()
        return 0.6 if any(fnmatch.fnmatchcase(word, pattern) for word in have) else 0.0
    if wanted == have:
        return EXACT
    if contains_phrase(have, wanted):
        return 0.6 + 0.3 * len(wanted) / len(have)
    return 0.0


@dataclass(frozen=True)
class Range(Node):
    """``field:[low TO high]`` (inclusive) or ``{low TO high}`` (exclusive); ``*`` is open."""

    field: str | None
    low: str
    high: str
    inclusive: bool

    def score(self, document: Document, default_field: str) -> float:
        for value in document.get(self.field or default_field, ()):
            if self._within(value):
                return EXACT
        return 0.0

    def _within(self, value: str) -> bool:
        if _is_number(value) and all(bound == "*" or _is_number(bound) for bound in (self.low, self.high)):
            return _ordered(float(value), None if self.low == "*" else float(self.low),
                            None if self.high == "*" else float(self.high), inclusive=self.inclusive)  # fmt: skip
        return _ordered(value, None if self.low == "*" else self.low, None if self.high == "*" else self.high,
                        inclusive=self.inclusive)  # fmt: skip


def _ordered[V: (float, str)](value: V, low: V | None, high: V | None, *, inclusive: bool) -> bool:
    if low is not None and (value < low or (not inclusive and value == low)):
        return False
    return high is None or not (value > high or (not inclusive and value == high))


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class And(Node):
    """Every child must match; the score is their mean."""

    children: tuple[Node, ...]

    def score(self, document: Document, default_field: str) -> float:
        scores = [child.score(document, default_field) for child in self.children]
        return sum(scores) / len(scores) if all(scores) else 0.0

    def candidates(self, index: Index, default_field: str) -> set[int] | None:
        return _intersection(child.candidates(index, default_field) for child in self.children)


@dataclass(frozen=True)
class Or(Node):
    """Lucene's boolean query: `should` children may match (a document must match one of them, unless there are
    `must` children), `must` children must, `must_not` children must not; the score is the mean over the `should`
    and `must` children."""

    should: tuple[Node, ...]
    must: tuple[Node, ...] = ()
    must_not: tuple[Node, ...] = ()

    def score(self, document: Document, default_field: str) -> float:
        if any(child.score(document, default_field) for child in self.must_not):
            return 0.0
        must = [child.score(document, default_field) for child in self.must]
        if not all(must):
            return 0.0
        should = [child.score(document, default_field) for child in self.should]
        if not self.must and not any(should):
            return 0.0
        scores = must + should
        return sum(scores) / len(scores) if scores else EXACT

    def candidates(self, index: Index, default_field: str) -> set[int] | None:
        if self.must:
            return _intersection(child.candidates(index, default_field) for child in self.must)
        if not self.should:
            return None
        found: set[int] = set()
        for child in self.should:
            some = child.candidates(index, default_field)
            if some is None:
                return None
            found |= some
        return found


def _intersection(sets: Iterable[set[int] | None]) -> set[int] | None:
    found: set[int] | None = None
    for some in sets:
        if some is not None:
            found = set(some) if found is None else found & some
    return found


@dataclass(frozen=True)
class Not(Node):
    """Matches when its child does not."""

    child: Node

    def score(self, document: Document, default_field: str) -> float:
        return 0.0 if self.child.score(document, default_field) else EXACT


@dataclass(frozen=True)
class Field(Node):
    """``field:(...)``: the group's default field becomes `field`."""

    field: str
    child: Node

    def score(self, document: Document, default_field: str) -> float:
        del default_field
        return self.child.score(document, self.field)

    def candidates(self, index: Index, default_field: str) -> set[int] | None:
        del default_field
        return self.child.candidates(index, self.field)


# Fields compared whole and without folding (ids, codes), and numeric ones.
EXACT_FIELDS = frozenset({"arid", "rid", "reid", "rgid", "isrc", "tid", "country", "status", "video"})
NUMERIC_FIELDS = frozenset({"dur", "qdur", "tnum", "tracks", "number", "position"})


class _Parser:
    def __init__(self, found: list[_Token]) -> None:
        self.tokens = found
        self.index = 0

    def peek(self) -> _Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def parse(self) -> Node:
        node = self.disjunction()
        if self.peek() is not None:
            raise QueryError("unbalanced parentheses")
        return node

    def disjunction(self) -> Node:
        should: list[Node] = []
        must: list[Node] = []
        must_not: list[Node] = []
        while (token := self.peek()) is not None and token.kind != "close":
            if token.kind == "or":
                self.take()
                continue
            if token.kind in {"must", "not"}:
                self.take()
                (must if token.kind == "must" else must_not).append(self.unary())
                continue
            should.append(self.conjunction())
        if not (should or must or must_not):
            raise QueryError("empty query")
        if len(should) == 1 and not must and not must_not:
            return should[0]
        return Or(tuple(should), tuple(must), tuple(must_not))

    def conjunction(self) -> Node:
        children = [self.unary()]
        while (token := self.peek()) is not None and token.kind == "and":
            self.take()
            children.append(self.unary())
        return children[0] if len(children) == 1 else And(tuple(children))

    def unary(self) -> Node:
        token = self.peek()
        if token is None:
            raise QueryError("the query ends with an operator")
        if token.kind == "not":
            self.take()
            return Not(self.unary())
        if token.kind == "must":
            self.take()
            return self.unary()
        return self.primary()

    def primary(self) -> Node:
        token = self.take()
        if token.kind == "open":
            node = self.disjunction()
            if self.peek() is None or self.take().kind != "close":
                raise QueryError("unbalanced parentheses")
            return node
        if token.kind == "field":
            following = self.peek()
            if following is None or following.kind != "open":
                raise QueryError(f"nothing after {token.field}:")
            self.take()
            node = self.disjunction()
            if self.peek() is None or self.take().kind != "close":
                raise QueryError("unbalanced parentheses")
            assert token.field is not None
            return Field(token.field, node)
        if token.kind == "phrase":
            return Term(token.field, token.text, phrase=True)
        if token.kind == "range":
            return _range(token)
        if token.kind == "term":
            return Term(token.field, token.text)
        raise QueryError(f"unexpected {token.kind}")


def _range(token: _Token) -> Range:
    inner = token.text[1:-1]
    low, separator, high = inner.partition(" TO ")
    if not separator:
        raise QueryError("a range needs TO")
    return Range(token.field, low.strip().strip('"'), high.strip().strip('"'), token.text[0] == "[")


def parse(query: str) -> Node:
    """The tree of `query` (QueryError when it cannot be parsed)."""
    return _Parser(_tokenize(query)).parse()


def ranked[T](
    query: Node, documents: Sequence[tuple[T, Document]], default_field: str, index: Index | None = None
) -> list[tuple[T, int]]:
    """The items whose document matches `query`, best first, with MusicBrainz-style scores (best = 100); `index`
    (of the same documents, in the same order) narrows the documents scored."""
    positions: Iterable[int] = range(len(documents))
    if index is not None:
        candidates = query.candidates(index, default_field)
        if candidates is not None:
            positions = sorted(candidates)
    scored = [(position, query.score(documents[position][1], default_field)) for position in positions]
    matching = [(position, score) for position, score in scored if score > 0]
    if not matching:
        return []
    best = max(score for _, score in matching)
    matching.sort(key=lambda entry: (-entry[1], entry[0]))
    return [(documents[position][0], max(1, round(100 * score / best))) for position, score in matching]
