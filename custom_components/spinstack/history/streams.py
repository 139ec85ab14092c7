"""Reading a history file's pieces: archive and folder members, text without decoding errors, JSON arrays entry by
entry, JSON lines with a bound on their length.

Text is decoded as UTF-8 with ``surrogateescape``: a byte that is not UTF-8 becomes a lone surrogate instead of an
exception for the whole file, and the name checks (``fields.name``) reject the one entry that holds it.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
import io
import json
import lzma
from pathlib import Path, PurePosixPath
import re
from typing import IO, Any, Final
import zipfile
import zlib

from .model import Entry, HistoryFormatError, Rejected

# A member bigger than this (uncompressed, as the archive says) is refused: a ZIP bomb, or no history export.
MAX_MEMBER: Final = 2 << 30
# A JSON array entry or a JSON line longer than this (characters) is broken: it is skipped, not loaded.
MAX_ENTRY: Final = 64 << 20
MAX_LINE: Final = 16 << 20
_CHUNK: Final = 1 << 16
# What a damaged archive member or a file that disappears raises while it is read.
READ_ERRORS: Final = (
    OSError,
    EOFError,
    zipfile.BadZipFile,
    zlib.error,
    lzma.LZMAError,
    RuntimeError,
    NotImplementedError,
)

_WHITESPACE = re.compile(r"[ \t\n\r]*")
_NUMBER_TAIL = re.compile(r"[0-9.eE+-]*")
_DECODER = json.JSONDecoder()


def text(stream: IO[bytes], newline: str | None = None) -> io.TextIOWrapper:
    """A binary stream (at its start) as text: UTF-8, a leading byte order mark dropped, bad bytes kept as lone
    surrogates. (Not the ``utf-8-sig`` codec: text I/O decodes plain ``utf-8`` much faster.)"""
    peek = getattr(stream, "peek", None)
    if peek is not None and peek(3)[:3] == codecs.BOM_UTF8:
        stream.read(3)
    return io.TextIOWrapper(stream, encoding="utf-8", errors="surrogateescape", newline=newline)


@dataclass(frozen=True, slots=True)
class Member:
    """One file of an import: a plain file, a member of a ZIP archive, or a file in a folder."""

    name: str  # the name entries are reported with
    inner: str  # its path inside the archive or folder ("" for a plain file)
    size: int
    open: Callable[[], AbstractContextManager[IO[bytes]]]


def plain(path: Path) -> Member:
    """A plain file as a member."""
    return Member(path.name, "", path.stat().st_size, lambda: path.open("rb"))


def _safe(inner: str) -> bool:
    """Whether an archive name is a plain relative path (no traversal, no absolute path, no drive)."""
    if not inner or inner.startswith(("/", "\\")) or "\\" in inner or ":" in inner:
        return False
    return ".." not in PurePosixPath(inner).parts


def members(path: Path) -> list[Member]:
    """The files of a ZIP archive or a folder (safe names only; folders of a ZIP left out). Raises
    HistoryFormatError when the path is neither."""
    if path.is_dir():
        found: list[Member] = []
        for item in sorted(path.rglob("*")):
            if item.is_file():
                inner = item.relative_to(path).as_posix()
                found.append(Member(f"{path.name}/{inner}", inner, item.stat().st_size, _opener(item)))
        return found
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, OverflowError, NotImplementedError) as err:
        raise HistoryFormatError(f"{path.name}: not a readable ZIP archive ({err})") from err
    return [
        Member(f"{path.name}:{info.filename}", info.filename, info.file_size, _zip_opener(path, info.filename))
        for info in infos
        if not info.is_dir() and _safe(info.filename)
    ]


def _opener(item: Path) -> Callable[[], AbstractContextManager[IO[bytes]]]:
    return lambda: item.open("rb")


class _ZipMember(AbstractContextManager[IO[bytes]]):
    """An archive member opened for reading; the archive is closed with it."""

    def __init__(self, path: Path, inner: str) -> None:
        try:
            self._archive = zipfile.ZipFile(path)
        except ValueError as err:  # a name that does not decode, a size out of range: damaged
            raise zipfile.BadZipFile(str(err)) from err
        try:
            self._stream: IO[bytes] = self._archive.open(inner)
        except ValueError as err:
            self._archive.close()
            raise zipfile.BadZipFile(str(err)) from err
        except BaseException:
            self._archive.close()
            raise

    def __enter__(self) -> IO[bytes]:
        return self._stream

    def __exit__(self, *exc: object) -> None:
        try:
            self._stream.close()
        finally:
            self._archive.close()


def _zip_opener(path: Path, inner: str) -> Callable[[], AbstractContextManager[IO[bytes]]]:
    return lambda: _ZipMember(path, inner)


def guarded(member: Member, parse: Callable[[IO[bytes], str], Iterator[Entry]]) -> Iterator[Entry]:
    """A member's entries; a member too big, or one that cannot be opened or breaks off (a damaged archive, an
    encrypted member), is one Rejected, after the entries read before."""
    if member.size > MAX_MEMBER:
        yield too_big(member)
        return
    line = 0
    try:
        with member.open() as stream:
            for entry in parse(stream, member.name):
                line = entry.line
                yield entry
    except READ_ERRORS as err:
        yield broken_off(member, line + 1, err)


def too_big(member: Member) -> Rejected:
    """What a member too big to be read is reported as."""
    return Rejected(member.name, 1, f"larger than {MAX_MEMBER >> 30} GiB uncompressed; not read")


def broken_off(member: Member, line: int, err: BaseException) -> Rejected:
    """What a member that cannot be opened or read on (damaged, encrypted, gone) is reported as."""
    return Rejected(member.name, line, f"cannot be read on from here ({type(err).__name__}: {err})")


def json_lines(stream: IO[str]) -> Iterator[tuple[int, Any, str | None]]:
    """The lines of a JSON lines stream: (line number, value, None) for a line that holds JSON, (line number, None,
    reason) for one that does not. Blank lines are passed over; a line longer than ``MAX_LINE`` is not loaded."""
    number = 0
    while True:
        line = stream.readline(MAX_LINE)
        if not line:
            return
        number += 1
        if len(line) >= MAX_LINE and not line.endswith("\n"):
            while (rest := stream.readline(MAX_LINE)) and not rest.endswith("\n"):
                pass
            yield number, None, f"line longer than {MAX_LINE} characters"
            continue
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except ValueError as err:
            yield number, None, f"not valid JSON ({err})"
            continue
        except RecursionError:
            yield number, None, "not valid JSON (nested too deeply)"
            continue
        yield number, value, None


class JsonArrayError(Exception):
    """A JSON file that cannot be read on: the message says why and where."""


def json_values(stream: IO[str]) -> Iterator[tuple[int, Any]]:
    """The entries of the JSON array a stream holds, one at a time (memory bounded by the largest entry), as
    (1-based index, value); a stream holding one JSON object yields it as entry 1.

    Raises JsonArrayError (after the entries before it) when the JSON breaks: JSON cannot be read on after an
    error, so the rest of the stream is lost.
    """
    reader = _ArrayReader(stream)
    yield from reader.values()


class _ArrayReader:
    __slots__ = ("buf", "eof", "pos", "stream")

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.buf = ""
        self.pos = 0
        self.eof = False

    def _more(self, at_least: int = 0) -> bool:
        """Read more of the stream into the buffer; False at its end."""
        if self.eof:
            return False
        chunk = self.stream.read(max(_CHUNK, at_least))
        if not chunk:
            self.eof = True
            return False
        self.buf = self.buf[self.pos :] + chunk
        self.pos = 0
        return True

    def _peek(self) -> str:
        """The next character that is not white space ("" at the end of the stream)."""
        while True:
            self.pos = _WHITESPACE.match(self.buf, self.pos).end()  # type: ignore[union-attr]
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self._more():
                return ""

    def _value(self, index: int) -> Any:
        while True:
            try:
                value, end = _DECODER.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as err:
                # An error well before the buffer's end is one in the file (only an unterminated string reports
                # where it starts); one at the end may be the buffer cutting the entry: read on and try again.
                broken = err.pos < len(self.buf) - 16 and not err.msg.startswith("Unterminated string")
                reason = err.msg
                if len(self.buf) - self.pos > MAX_ENTRY:
                    raise JsonArrayError(f"entry {index} is longer than {MAX_ENTRY} characters") from None
                if not broken and self._more(len(self.buf) - self.pos):
                    continue
                raise JsonArrayError(f"entry {index} is not valid JSON ({reason})") from None
            except ValueError as err:  # a number too long to be one
                raise JsonArrayError(f"entry {index} is not valid JSON ({err})") from None
            except RecursionError:
                raise JsonArrayError(f"entry {index} is not valid JSON (nested too deeply)") from None
            if self._cut(value, end) and self._more(len(self.buf) - self.pos):
                continue  # a number cut by the buffer's end: read it whole
            self.pos = end
            return value

    def _cut(self, value: Any, end: int) -> bool:
        """Whether a decoded value may be the start of a longer one the buffer cuts: a number that runs to the
        buffer's end (``12`` of ``123``, ``0.`` of ``0.5``, ``1e`` of ``1e5``)."""
        if end >= len(self.buf):
            return True
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        return _NUMBER_TAIL.match(self.buf, end).end() == len(self.buf)  # type: ignore[union-attr]

    def values(self) -> Iterator[tuple[int, Any]]:
        first = self._peek()
        if first == "{":
            yield 1, self._value(1)
            return
        if first != "[":
            raise JsonArrayError("not a JSON array or object")
        self.pos += 1
        index = 0
        while True:
            char = self._peek()
            if char == "]":
                return
            if not char:
                raise JsonArrayError(f"the file ends inside the JSON array, after entry {index}")
            if index:
                if char != ",":
                    raise JsonArrayError(f"entry {index + 1} is not valid JSON (',' or ']' expected)")
                self.pos += 1
                self._peek()
            index += 1
            yield index, self._value(index)
