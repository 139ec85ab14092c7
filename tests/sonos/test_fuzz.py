"""Bad input to the Sonos event parsing, through the entry points the listener uses: a NOTIFY body goes through
SoCo's own parsing (``parse_event_xml``: the propertyset and LastChange with the standard library's expat, DIDL-Lite
with lxml) into an `Event`, which the listener's callback merges into its state; a GetPositionInfo reply (a SoCo
dict of strings) is merged by the read that follows each event.

The properties, for malformed XML, entity tricks, non-UTF-8 bytes, huge values, missing fields, wrong types and
mutations of real speakers' payloads:

* nothing raises out of the listener's event handling or its read: a bad event is rejected;
* no observation is half-built: an event is merged whole (every tracked variable it carries, and its metadata read
  whole, the same as the reply that follows reads it, or not at all) or rejected whole (the state left as it was,
  the observation the previous one);
* every rejection is logged once, with its reason: a warning per distinct bad input, none more when the same event
  comes again after a resubscription or the same reply is read again.

What SoCo itself refuses (it raises inside its NOTIFY handler, which answers 500) never reaches the listener: those
bodies are counted. ``SPINSTACK_FUZZ_FIGURES=<file>`` writes the figures of a run (RELIABILITY.md's tables).
"""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
import contextlib
import dataclasses
import functools
import json
import logging
import math
import os
from pathlib import Path
import socket
import threading
import time
from typing import Any
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape, quoteattr

from hypothesis import HealthCheck, given, settings, strategies as st
import pytest
from soco.data_structures import to_didl_string
from soco.data_structures_entry import from_didl_string
from soco.events_base import Event, parse_event_xml
from soco.exceptions import SoCoException

from custom_components.spinstack.engine import Observation, TransportState
from custom_components.spinstack.sonos import didl as didl_module
from custom_components.spinstack.sonos.didl import EMPTY, MAX_DIDL_BYTES, REJECTIONS, TrackMeta, parse_didl
from custom_components.spinstack.sonos.listener import ListenerState, SpeakerListener
from custom_components.spinstack.sonos.state import MAX_VALUE, SpeakerState, parse_duration
from custom_components.spinstack.sonos.topology import parse_zone_group_state
from emulator import ManualClock, Track
from tests.conftest import REAL_SONOS
from tests.emulator.conftest import MakeHousehold
from tests.emulator.helpers import connect, wait_for

UID = "RINCON_FUZZ01400"
EVENT_NS = "urn:schemas-upnp-org:event-1-0"
AVT_NS = "urn:schemas-upnp-org:metadata-1-0/AVT/"
DIDL_HEAD = (
    '<DIDL-Lite xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:upnp="urn:schemas-upnp-org:metadata-1-0/upnp/" '
    'xmlns:r="urn:schemas-rinconnetworks-com:metadata-1-0/" xmlns="urn:schemas-upnp-org:metadata-1-0/DIDL-Lite/">'
)
# The tracked AVTransport variables: SoCo's name, and the LastChange element a speaker sends it as.
TAGS = {
    "transport_state": "TransportState",
    "current_play_mode": "CurrentPlayMode",
    "current_track_uri": "CurrentTrackURI",
    "current_track_duration": "CurrentTrackDuration",
    "current_track_meta_data": "CurrentTrackMetaData",
    "enqueued_transport_uri": "EnqueuedTransportURI",
    "av_transport_uri": "AVTransportURI",
}
PLAIN = tuple(name for name in TAGS if name != "current_track_meta_data")
MAX_TEXT = 1024
SPINSTACK = "custom_components.spinstack"


def fast(examples: int) -> settings:
    """``examples`` a property in a normal run (the module stays well under a minute); the thorough profile's own
    count when it is loaded (SPINSTACK_HYPOTHESIS=thorough)."""
    default = settings.default
    assert default is not None
    return settings(
        max_examples=default.max_examples if default.max_examples > 1000 else examples,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


# -- figures ---------------------------------------------------------------------------------------------------------
@dataclasses.dataclass
class Figures:
    """One input class's figures: what a run tried and what came of it."""

    examples: int = 0
    refused_by_soco: int = 0
    crashes: int = 0
    half_written: int = 0
    rejected: int = 0
    metadata_unread: int = 0
    cut: int = 0
    accepted: int = 0
    warnings: int = 0
    distinct_rejections: int = 0
    repeated_lines: int = 0
    notes: Counter[str] = dataclasses.field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        return {field.name: getattr(self, field.name) for field in dataclasses.fields(self)}


FIGURES: defaultdict[str, Figures] = defaultdict(Figures)


@pytest.fixture(scope="module", autouse=True)
def write_figures() -> Iterator[None]:
    """The figures of this run, written where SPINSTACK_FUZZ_FIGURES says (nothing is written otherwise)."""
    yield
    target = os.environ.get("SPINSTACK_FUZZ_FIGURES")
    if target:
        Path(target).write_text(
            json.dumps({name: figures.as_dict() for name, figures in sorted(FIGURES.items())}, indent=2)
        )


@pytest.fixture(autouse=True)
def fresh_rejections() -> Iterator[None]:
    REJECTIONS.clear()
    yield
    REJECTIONS.clear()


@pytest.fixture(scope="module")
def runner() -> Iterator[asyncio.Runner]:
    """One event loop for every example of a module (the listener's reads are tasks)."""
    with asyncio.Runner(loop_factory=asyncio.new_event_loop) as made:
        yield made


# -- building payloads -----------------------------------------------------------------------------------------------
def quote(text: str) -> str:
    return quoteattr(text, {"\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})


def last_change(elements: list[str]) -> str:
    """A LastChange document of AVTransport variable elements."""
    return f'<Event xmlns="{AVT_NS}" xmlns:r="urn:schemas-rinconnetworks-com:metadata-1-0/"><InstanceID val="0">' + (
        "".join(elements) + "</InstanceID></Event>"
    )


def element(name: str, value: str, shape: str = "val") -> str:
    """A LastChange variable: its value in ``val`` (as Sonos sends it), as text, or with a ``channel``."""
    tag = TAGS.get(name, name)
    if shape == "text":
        return f"<{tag}>{escape(value)}</{tag}>"
    if shape == "channel":
        return f'<{tag} channel="Master" val={quote(value)}/>'
    return f"<{tag} val={quote(value)}/>"


def notify_body(change: str) -> bytes:
    """The NOTIFY body carrying a LastChange document (escaped, as the speakers send it)."""
    return (
        f'<e:propertyset xmlns:e="{EVENT_NS}"><e:property><LastChange>{escape(change)}</LastChange>'
        "</e:property></e:propertyset>"
    ).encode()


def didl_item(fields: dict[str, str], *, container: bool = False, with_id: bool = True, raw: bool = False) -> str:
    """A DIDL-Lite document of one item; ``raw`` leaves its text unescaped (as some services send it)."""
    tag = "container" if container else "item"
    attributes = ' id="-1" parentID="-1" restricted="true"' if with_id else ""
    body = ""
    for name, value in fields.items():
        if name == "res":
            body += f'<res protocolInfo="sonos.com-http:*:audio/mp4:*" duration={quote(value)}>x-file:1</res>'
        else:
            body += f"<{name}>{value if raw else escape(value)}</{name}>"
    return f"{DIDL_HEAD}<{tag}{attributes}>{body}</{tag}></DIDL-Lite>"


# -- strategies ------------------------------------------------------------------------------------------------------
# Text that XML can carry (what a speaker can send), and the odd values speakers and services have been seen to send.
xml_char = st.characters(codec="utf-8", exclude_characters="\x00\ufffe\uffff", min_codepoint=0x09).filter(
    lambda c: c in "\t\n\r" or ord(c) >= 0x20
)
ODD_TEXT = (
    "",
    " ",
    "Tom & Jerry",
    "a < b > c",
    "]]>",
    "&amp;amp;",
    "\"quoted\" 'single'",
    "Sigur R\u00f3s \u2013 Hopp\u00edpolla",
    "\u202eevil\u202c",
    "\U0001f3b5 emoji",
    "line\nbreak\ttab",
    "NOT_IMPLEMENTED",
    "ZPSTR_CONNECTING",
    "<DIDL-Lite",
    "x" * 5000,
)
xml_text = st.one_of(st.sampled_from(ODD_TEXT), st.text(xml_char, max_size=40))
STATES = [*(state.value for state in TransportState), "playing", " PLAYING ", "BOGUS", ""]
URIS = [
    "x-sonos-spotify:spotify%3atrack%3a4uLU6hMCjMI75M1A2tKUQC?sid=9&flags=8224&sn=1",
    "x-rincon-queue:RINCON_FUZZ01400#0",
    "x-rincon:RINCON_OTHER01400",
    "x-rincon-stream:RINCON_FUZZ01400",
    "x-sonosapi-stream:s24861?sid=254&flags=8224&sn=0",
    "x-file-cifs://nas/music/a%20b.mp3",
    "aac://http://example.invalid/stream",
    "u" * (MAX_VALUE + 1),
]
DURATIONS = [
    "0:03:12",
    "0:00:00",
    "",
    "NOT_IMPLEMENTED",
    "3:12",
    "-1:00:00",
    "0:60:00",
    "0:00:60",
    "nan:0:0",
    "0:0:inf",
    "1" + "0" * 400 + ":00:00",
    "9" * 5000 + ":00:00",
    "²:00:00",
    "1_0:00:00",
]
didl_fields = st.fixed_dictionaries(
    {},
    optional={
        "dc:title": xml_text,
        "dc:creator": xml_text,
        "upnp:album": xml_text,
        "r:albumArtist": xml_text,
        "r:streamContent": xml_text,
        "upnp:class": st.sampled_from(
            ["object.item.audioItem.musicTrack", "object.item", "object.container.radioShow", "bogus"]
        ),
        "res": st.one_of(st.sampled_from(DURATIONS), xml_text),
    },
)


@st.composite
def didl_texts(draw: st.DrawFn) -> str:
    """A DIDL-Lite item: generated, or a real one; either mutated or not."""
    if draw(st.booleans()):
        text = didl_item(
            draw(didl_fields),
            container=draw(st.booleans()),
            with_id=draw(st.integers(0, 9)) > 0,
            raw=draw(st.integers(0, 4)) == 0,
        )
    else:
        text = draw(st.sampled_from(real_didl()))
    if draw(st.integers(0, 2)) == 0:
        text = draw(mutated(text))
    return text


@st.composite
def mutated(draw: st.DrawFn, text: str) -> str:
    """``text`` with one to three edits: cut short, a slice dropped, a slice repeated, characters put in."""
    for _ in range(draw(st.integers(1, 3))):
        if not text:
            break
        at = draw(st.integers(0, len(text)))
        edit = draw(st.sampled_from(["cut", "drop", "repeat", "insert", "replace"]))
        if edit == "cut":
            text = text[:at]
        elif edit == "drop":
            text = text[:at] + text[at + draw(st.integers(1, 40)) :]
        elif edit == "repeat":
            text = text[:at] + text[at : at + draw(st.integers(1, 80))] * 2 + text[at:]
        else:
            extra = draw(st.one_of(st.sampled_from(["<", ">", "&", '"', "</item>", "<!--", "&#0;", "\x01"]), xml_text))
            text = text[:at] + extra + text[at + (1 if edit == "replace" else 0) :]
    return text


@st.composite
def lastchange_variables(draw: st.DrawFn) -> list[str]:
    """Elements of a LastChange: any subset of the tracked variables, in any shape, with any values."""
    elements: list[str] = []
    for name in draw(st.lists(st.sampled_from(list(TAGS)), unique=True, max_size=len(TAGS))):
        if name == "transport_state":
            value = draw(st.one_of(st.sampled_from(STATES), xml_text))
        elif name == "current_track_duration":
            value = draw(st.one_of(st.sampled_from(DURATIONS), xml_text))
        elif name == "current_track_meta_data":
            value = draw(st.one_of(didl_texts(), st.sampled_from(["", "NOT_IMPLEMENTED"]), xml_text))
        elif name == "current_play_mode":
            value = draw(st.one_of(st.sampled_from(["NORMAL", "SHUFFLE", "REPEAT_ALL"]), xml_text))
        else:
            value = draw(st.one_of(st.sampled_from(URIS), xml_text))
        shape = draw(st.sampled_from(["val"] * 8 + ["text", "channel"]))
        elements.append(element(name, value, shape))
    # Variables SpinStack does not track, as real events carry them.
    if draw(st.booleans()):
        elements.append(element("NumberOfTracks", "1"))
    return elements


# -- the listener, fed by hand ---------------------------------------------------------------------------------------
class FakeAVTransport:
    """A speaker's AVTransport as SoCo's SOAP calls answer (dicts of strings), for the reads after each event."""

    def __init__(self) -> None:
        self.transport: dict[str, Any] = {"CurrentTransportState": "PLAYING"}
        self.media: dict[str, Any] = {"CurrentURI": ""}
        self.position: dict[str, Any] = {"RelTime": "0:00:10"}

    def GetTransportInfo(self, args: Any) -> dict[str, Any]:  # noqa: N802 - SoCo's name
        return self.transport

    def GetPositionInfo(self, args: Any) -> dict[str, Any]:  # noqa: N802 - SoCo's name
        return self.position

    def GetMediaInfo(self, args: Any) -> dict[str, Any]:  # noqa: N802 - SoCo's name
        return self.media

    def mirror(self, variables: dict[str, Any], raw_metadata: Any) -> None:
        """Answer what the event said, as a speaker would (its replies are text: what was not is left out)."""

        def text(name: str) -> str | None:
            value = variables.get(name)
            return value if isinstance(value, str) else None

        self.transport = {"CurrentTransportState": text("transport_state") or "PLAYING"}
        self.media = {"CurrentURI": text("av_transport_uri")}
        self.position = {"RelTime": "0:00:10"}
        for key, name in (("TrackURI", "current_track_uri"), ("TrackDuration", "current_track_duration")):
            if text(name) is not None:
                self.position[key] = text(name)
        if raw_metadata is not None:
            self.position["TrackMetaData"] = raw_metadata


class FakeDevice:
    def __init__(self) -> None:
        self.avTransport = FakeAVTransport()  # SoCo's name


async def run_now[T](func: Callable[[], T]) -> T:
    return func()


async def in_thread[T](func: Callable[[], T]) -> T:
    return await asyncio.to_thread(func)


class Harness:
    """A listener on a fake speaker: events are handed to its callback as SoCo would, and the read each event
    starts is awaited."""

    def __init__(self, caplog: pytest.LogCaptureFixture) -> None:
        self.caplog = caplog
        self.device = FakeDevice()
        self.observations: list[Observation] = []
        self.clock = 1_000.0
        self.listener = SpeakerListener(
            self.device,
            uid=UID,
            room="Kitchen",
            on_observation=self.observations.append,
            on_topology=lambda members: None,
            now=self.now,
            run_blocking=run_now,
        )
        REJECTIONS.clear()
        parse_event_xml.cache_clear()
        from_didl_string.cache_clear()
        caplog.clear()

    def now(self) -> float:
        self.clock += 1
        return self.clock

    @property
    def state(self) -> SpeakerState:
        return self.listener.state

    def snapshot(self) -> tuple[dict[str, str], TrackMeta]:
        return dict(self.state.variables), self.state.meta

    async def deliver(self, variables: Any, seq: int) -> tuple[Observation | None, tuple[dict[str, str], TrackMeta]]:
        """Hand an event to the listener; returns the observation it made of it and the state it left, both before
        the read that follows."""
        before = len(self.observations)
        self.listener._on_av_event(Event("uuid:fuzz", str(seq), "AVTransport", 0.0, variables))
        made = self.observations[before] if len(self.observations) > before else None
        state = self.snapshot()
        await self.settle()
        return made, state

    async def settle(self) -> None:
        task = self.listener._refresh_task
        if task is not None:
            await task

    def warnings(self) -> list[str]:
        records = [r for r in self.caplog.records if r.name.startswith(SPINSTACK) and r.levelno >= logging.WARNING]
        # The listener's own "could not be read" path logs an error with a traceback: it must never be reached.
        assert not [r for r in records if r.levelno >= logging.ERROR], [r.getMessage() for r in records]
        return [record.getMessage() for record in records]


def assert_valid(observation: Observation) -> None:
    """A whole observation: every field of its type, within its bounds, text that can be stored."""
    assert isinstance(observation, Observation)
    assert observation.speaker == UID
    assert isinstance(observation.state, TransportState)
    assert math.isfinite(observation.t)
    for name in ("track_uri", "enqueued_uri", "coordinator", "room"):
        value = getattr(observation, name)
        assert value is None or (isinstance(value, str) and 0 < len(value) <= MAX_VALUE), (name, value)
    for name in ("title", "artist", "album", "album_artist", "stream_content"):
        value = getattr(observation, name)
        assert value is None or (isinstance(value, str) and 0 < len(value) <= MAX_TEXT and value == value.strip())
    for value in vars_text(observation):
        value.encode("utf-8")  # no lone surrogates: SQLite must be able to store it
    assert isinstance(observation.duration, float)
    assert math.isfinite(observation.duration)
    assert observation.duration >= 0
    assert observation.position is None or (math.isfinite(observation.position) and observation.position >= 0)


def vars_text(observation: Observation) -> list[str]:
    return [value for value in dataclasses.asdict(observation).values() if isinstance(value, str)]


def same_but_time(first: Observation, second: Observation) -> bool:
    return dataclasses.replace(first, t=0.0, position=None) == dataclasses.replace(second, t=0.0, position=None)


BASELINE = {
    "transport_state": "PLAYING",
    "current_track_uri": URIS[0],
    "current_track_duration": "0:03:20",
    "current_play_mode": "NORMAL",
    "current_track_meta_data": didl_item(
        {
            "dc:title": "One More Time",
            "dc:creator": "Daft Punk",
            "upnp:album": "Discovery",
            "upnp:class": "object.item.audioItem.musicTrack",
            "res": "0:03:20",
        }
    ),
}


def raw_metadata_of(value: Any) -> Any:
    """The metadata text a GetPositionInfo reply would carry for an event's parsed metadata value."""
    if value is None or isinstance(value, str):
        return value
    raw = getattr(vars(value).get("exception"), "metadata", None) if hasattr(value, "__dict__") else None
    if isinstance(raw, str):
        return raw
    try:
        return str(to_didl_string(value))
    except Exception:  # noqa: BLE001 - not a SoCo object: no metadata in the reply
        return None


def item_less(meta: Any) -> bool:
    """A well-formed DIDL-Lite document with no item, or only empty ones (``<item></item>``): no metadata, and
    nothing wrong with it. An event's metadata is SoCo's object: its text is read as the reply would carry it."""
    if meta is not None and not isinstance(meta, (str, bytes)):
        meta = raw_metadata_of(meta)
    try:
        root = ET.fromstring(meta) if isinstance(meta, (str, bytes)) else None
    except ET.ParseError, ValueError:
        return False
    if root is None or not root.tag.endswith("DIDL-Lite"):
        return False
    items = [child for child in root if child.tag.rpartition("}")[2] in {"item", "container"}]
    return all(len(item) == 0 and not (item.text or "").strip() for item in items)


def expected_rejection(variables: Any) -> bool:
    """The oracle: an event is rejected when a tracked variable is neither text nor absent/None, or not Unicode."""
    if not isinstance(variables, dict):
        return True
    for name in PLAIN:
        value = variables.get(name)
        if value is None:
            continue
        if not isinstance(value, str):
            return True
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
    return False


async def check_event(
    harness: Harness, variables: Any, raw_metadata: Any, figures: Figures, *, baseline: bool = True
) -> None:
    """Deliver one event twice (the second as after a resubscription, SEQ 0), each followed by its read, and check
    the properties; the figures of the class are counted."""
    figures.examples += 1
    if baseline:
        await harness.deliver(dict(BASELINE), seq=1)
        assert harness.warnings() == []
    previous = harness.observations[-1] if harness.observations else None
    before = harness.snapshot()
    if isinstance(variables, dict):
        harness.device.avTransport.mirror(variables, raw_metadata)
    try:
        made, after_event = await harness.deliver(variables, seq=2)
    except Exception:
        figures.crashes += 1
        raise
    first_lines = harness.warnings()
    await harness.deliver(variables, seq=0)
    lines = harness.warnings()

    assert made is not None
    for observation in harness.observations:
        assert_valid(observation)
    rejected = expected_rejection(variables)
    if rejected:
        figures.rejected += 1
        if after_event != before or (previous is not None and not same_but_time(previous, made)):
            figures.half_written += 1
        assert after_event == before, "a rejected event changed the state"
        assert previous is None or same_but_time(previous, made)
        assert any("Ignoring an AVTransport event" in line for line in first_lines), first_lines
    else:
        figures.accepted += 1
        for name in PLAIN:
            if name in variables:
                value = variables[name] or ""
                whole = after_event[0].get(name) == value[:MAX_VALUE]
                figures.half_written += not whole
                assert whole, f"{name} was not merged whole"
                if len(value) > MAX_VALUE:
                    figures.cut += 1
                    assert any(f"Cut the {name}" in line for line in first_lines), first_lines
        if "current_track_meta_data" in variables:
            meta = variables["current_track_meta_data"]
            # The metadata is what parse_didl reads of it, whole, or none at all (never partly the last track's).
            assert after_event[1] == parse_didl(meta, speaker=UID)
            if after_event[1] == EMPTY and meta not in (None, "", "NOT_IMPLEMENTED") and not item_less(meta):
                figures.metadata_unread += 1
                assert first_lines, "unreadable metadata was not logged"
        else:
            assert after_event[1] == before[1]
    # Logged once: the same event again (and its read) adds no line; no line is said twice.
    figures.warnings += len(lines)
    figures.distinct_rejections += len(set(lines))
    figures.repeated_lines += (len(lines) - len(first_lines)) + (len(lines) - len(set(lines)))
    assert lines == first_lines, "the same bad input was logged again"
    assert len(set(lines)) == len(lines), lines
    # The event and the read after it carry the same item: one line for it, not one each.
    assert len([line for line in lines if "track metadata" in line]) <= 1, lines


def soco_variables(body: bytes, figures: Figures) -> dict[str, Any] | None:
    """SoCo's reading of a NOTIFY body (as its event server does), or None when SoCo refuses it (the listener never
    hears of it: SoCo's handler raises and answers 500)."""
    parse_event_xml.cache_clear()
    try:
        variables: dict[str, Any] = parse_event_xml(body)
    except Exception as err:  # noqa: BLE001 - what SoCo raises is what is counted
        figures.refused_by_soco += 1
        figures.examples += 1
        figures.notes[type(err).__name__] += 1
        return None
    return variables


# -- 1. LastChange events, generated -------------------------------------------------------------------------------
@fast(250)
@given(change=lastchange_variables(), edit=st.data())
def test_generated_events(
    runner: asyncio.Runner,
    caplog: pytest.LogCaptureFixture,
    change: list[str],
    edit: st.DataObject,
) -> None:
    text = last_change(change)
    figures = FIGURES["LastChange, generated"]
    if edit.draw(st.integers(0, 4)) == 0:
        text = edit.draw(mutated(text))
        figures = FIGURES["LastChange, generated and mutated"]
    harness = Harness(caplog)
    variables = soco_variables(notify_body(text), figures)
    if variables is None:
        return
    runner.run(check_event(harness, variables, raw_metadata_of(variables.get("current_track_meta_data")), figures))


# -- 2. real speakers' payloads, mutated -----------------------------------------------------------------------------
def real_body() -> bytes:
    return (REAL_SONOS / "source_linein.xml").read_bytes()


@functools.cache
def real_didl() -> list[str]:
    texts = [json.loads(path.read_text())["input"]["TrackMetaData"] for path in sorted(REAL_SONOS.glob("*.json"))]
    texts += [(REAL_SONOS / name).read_text() for name in ("track.xml", "radio_show.xml", "audio_broadcast.xml")]
    return texts


def real_lastchange() -> str:
    node = ET.fromstring(real_body()).find(f".//{{{EVENT_NS}}}property/LastChange")
    assert node is not None
    assert node.text is not None
    return node.text


@fast(200)
@given(edit=st.data())
def test_real_notify_bodies_mutated(
    runner: asyncio.Runner, caplog: pytest.LogCaptureFixture, edit: st.DataObject
) -> None:
    """source_linein.xml, mutated as bytes (the body), as a LastChange document, or in its DIDL-Lite."""
    level = edit.draw(st.sampled_from(["body", "LastChange", "DIDL-Lite"]))
    figures = FIGURES[f"real NOTIFY, mutated {level}"]
    if level == "body":
        body = real_body()
        at = edit.draw(st.integers(0, len(body)))
        action = edit.draw(st.sampled_from(["cut", "flip", "insert"]))
        if action == "cut":
            body = body[:at]
        elif action == "flip" and at < len(body):
            body = body[:at] + bytes([body[at] ^ edit.draw(st.integers(1, 255))]) + body[at + 1 :]
        else:
            body = body[:at] + edit.draw(st.binary(min_size=1, max_size=8)) + body[at:]
    elif level == "LastChange":
        body = notify_body(edit.draw(mutated(real_lastchange())))
    else:
        change = ET.fromstring(real_lastchange())
        meta = change.find(f".//{{{AVT_NS}}}CurrentTrackMetaData")
        assert meta is not None
        meta.set("val", edit.draw(mutated(meta.get("val") or "")))
        body = notify_body(ET.tostring(change, encoding="unicode"))
    harness = Harness(caplog)
    variables = soco_variables(body, figures)
    if variables is None:
        return
    runner.run(check_event(harness, variables, raw_metadata_of(variables.get("current_track_meta_data")), figures))


# -- 3. wrong types and missing fields, straight into the callback ---------------------------------------------------
class NotText:
    def __str__(self) -> str:
        raise RuntimeError("no text")


odd_values = st.one_of(
    st.none(),
    xml_text,
    st.text(st.characters(categories=["Cs", "Ll"]), min_size=1, max_size=5),  # lone surrogates
    st.integers(),
    st.floats(),
    st.booleans(),
    st.binary(max_size=10),
    st.dictionaries(st.sampled_from(["Master", "LF"]), st.sampled_from(["PLAYING", "1"]), min_size=1),
    st.lists(st.integers(), max_size=3),
    st.builds(NotText),
)


@fast(200)
@given(
    variables=st.dictionaries(st.sampled_from([*TAGS, "volume", "next_track_uri"]), odd_values, max_size=8),
)
def test_wrong_types_and_missing_fields(
    runner: asyncio.Runner, caplog: pytest.LogCaptureFixture, variables: dict[str, Any]
) -> None:
    """Whatever SoCo could hand over (and what it could not): dicts from a ``channel`` attribute, numbers, bytes,
    objects, text with lone surrogates, variables missing."""
    figures = FIGURES["event variables of wrong types / missing"]
    harness = Harness(caplog)
    meta = variables.get("current_track_meta_data")
    runner.run(check_event(harness, variables, meta if isinstance(meta, (str, bytes)) else None, figures))


@fast(150)
@given(
    reply=st.dictionaries(
        st.sampled_from(["TrackURI", "TrackDuration", "TrackMetaData", "RelTime", "Track"]),
        st.one_of(odd_values, didl_texts(), st.sampled_from(DURATIONS)),
    ),
    transport=st.one_of(odd_values, st.sampled_from(STATES)),
)
def test_position_replies(
    runner: asyncio.Runner, caplog: pytest.LogCaptureFixture, reply: dict[str, Any], transport: Any
) -> None:
    """The read after an event: GetPositionInfo and GetTransportInfo replies with anything in them."""
    figures = FIGURES["GetPositionInfo replies, any values"]
    figures.examples += 1
    harness = Harness(caplog)

    async def read_twice() -> None:
        await harness.deliver(dict(BASELINE), seq=1)
        harness.caplog.clear()
        REJECTIONS.clear()
        before = harness.snapshot()
        harness.device.avTransport.transport = {"CurrentTransportState": transport}
        harness.device.avTransport.position = reply
        first = await harness.listener.refresh()
        first_lines = harness.warnings()
        second = await harness.listener.refresh()
        assert harness.warnings() == first_lines
        assert len(set(first_lines)) == len(first_lines)
        assert_valid(first)
        assert_valid(second)
        bad = [key for key in ("TrackURI", "TrackDuration") if key in reply and not _is_text(reply[key])]
        if not _is_text(transport) or bad:
            figures.rejected += 1
            assert first_lines, "a rejected reply was not logged"
        if bad:
            kept = ("current_track_uri", "current_track_duration")
            after = harness.snapshot()
            assert [after[0].get(k) for k in kept] == [before[0].get(k) for k in kept]
            assert after[1] == before[1], "a rejected reply changed the metadata"
        figures.warnings += len(first_lines)
        figures.distinct_rejections += len(set(first_lines))

    try:
        runner.run(read_twice())
    except Exception:
        figures.crashes += 1
        raise


def _is_text(value: Any) -> bool:
    if value is None:
        return True
    if not isinstance(value, str):
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@fast(150)
@given(edit=st.data())
def test_real_position_replies_mutated(
    runner: asyncio.Runner, caplog: pytest.LogCaptureFixture, edit: st.DataObject
) -> None:
    """The real GetPositionInfo replies (cifs, pandora, tunein, ...), a field mutated or dropped."""
    figures = FIGURES["real GetPositionInfo replies, mutated"]
    figures.examples += 1
    path = edit.draw(st.sampled_from(sorted(REAL_SONOS.glob("*.json"))))
    reply: dict[str, Any] = dict(json.loads(path.read_text())["input"])
    key = edit.draw(st.sampled_from(sorted(reply)))
    if edit.draw(st.booleans()):
        del reply[key]
    else:
        reply[key] = edit.draw(mutated(str(reply[key])))
    harness = Harness(caplog)
    harness.device.avTransport.position = reply

    async def read_twice() -> None:
        first = await harness.listener.refresh()
        lines = harness.warnings()
        second = await harness.listener.refresh()
        assert harness.warnings() == lines
        assert_valid(first)
        assert_valid(second)
        figures.warnings += len(lines)
        figures.distinct_rejections += len(set(lines))
        if lines:
            figures.metadata_unread += 1

    try:
        runner.run(read_twice())
    except Exception:
        figures.crashes += 1
        raise


# -- 4. DIDL-Lite: the event path and the read path agree ------------------------------------------------------------
@fast(250)
@given(text=didl_texts())
def test_metadata_reads_the_same_in_events_and_replies(caplog: pytest.LogCaptureFixture, text: str) -> None:
    """One item reads the same whether it came in an event (parsed by SoCo) or in a reply (text): otherwise a
    listen would stop at the read after each event and start again at the next event."""
    figures = FIGURES["DIDL-Lite, generated / real, mutated"]
    figures.examples += 1
    REJECTIONS.clear()
    from_didl_string.cache_clear()
    caplog.clear()
    from_reply = parse_didl(text, speaker=UID)
    lines = [r.getMessage() for r in caplog.records if r.name.startswith(SPINSTACK)]
    assert len(lines) <= 1, lines  # one line at most, and only for what is not read
    assert not lines or from_reply == EMPTY
    figures.warnings += len(lines)
    figures.distinct_rejections += len(lines)
    if lines:
        figures.metadata_unread += 1
    else:
        figures.accepted += 1
    if not text.startswith("<DIDL-Lite"):
        return  # SoCo hands such a value over as text: read exactly as the reply is
    try:
        items = from_didl_string(text)
        in_event: Any = items[0]
    except SoCoException as err:
        # SoCo's event parsing hands a SoCoFault carrying the text: read as the reply is.
        figures.notes[type(err).__name__] += 1
        return
    except Exception as err:  # noqa: BLE001 - SoCo's parse_event_xml would raise it: the event never arrives
        figures.refused_by_soco += 1
        figures.notes[type(err).__name__] += 1
        return
    from_event = parse_didl(in_event, speaker=UID)
    # The event never says otherwise than the reply; it may say less: SoCo's objects keep only the fields of their
    # class (r:albumArtist never, upnp:album not for object.item, ...).
    for name, said in dataclasses.asdict(from_event).items():
        told = getattr(from_reply, name)
        assert said is None or said == told, (name, said, told)
        if said is None and told is not None:
            figures.notes[f"SoCo drops {name} ({from_reply.upnp_class})"] += 1
    for value in dataclasses.asdict(from_reply).values():
        assert value is None or (0 < len(value) <= MAX_TEXT and value == value.strip())
    # SoCo's reading of it is read without a line more.
    assert len([r for r in caplog.records if r.name.startswith(SPINSTACK)]) == len(lines)


@fast(150)
@given(data=st.binary(max_size=300), didl=st.booleans())
def test_bytes_that_are_not_utf8(caplog: pytest.LogCaptureFixture, data: bytes, didl: bool) -> None:
    """Metadata as bytes: UTF-8 is read, anything else is refused (not read with replacement characters)."""
    figures = FIGURES["bytes, not UTF-8"]
    figures.examples += 1
    REJECTIONS.clear()
    caplog.clear()
    if didl:
        data = DIDL_HEAD.encode() + b"<item id='1' parentID='0'><dc:title>" + data + b"</dc:title></item></DIDL-Lite>"
    meta = parse_didl(data, speaker=UID)
    parse_didl(data, speaker=UID)
    lines = [r.getMessage() for r in caplog.records if r.name.startswith(SPINSTACK)]
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        figures.rejected += 1
        assert meta == EMPTY
        assert len(lines) == 1
        assert "not UTF-8" in lines[0]
    else:
        assert len(lines) <= 1
    figures.warnings += len(lines)
    figures.distinct_rejections += len(set(lines))


def test_bodies_that_are_not_utf8_are_refused_by_soco() -> None:
    """A NOTIFY body that is not UTF-8 never reaches the listener (SoCo's expat refuses it; aiohttp's ``text()``
    would refuse it before that)."""
    figures = FIGURES["bytes, not UTF-8"]
    body = notify_body(last_change([element("transport_state", "PLAYING")])).replace(b"PLAYING", b"PL\xffAYING")
    assert soco_variables(body, figures) is None


# -- 5. huge values --------------------------------------------------------------------------------------------------
TEN_MB = 10 * 1024 * 1024


def test_a_ten_megabyte_title_is_refused_once(runner: asyncio.Runner, caplog: pytest.LogCaptureFixture) -> None:
    """In a reply (the read after each event; a NOTIFY body is capped at 1 MiB by SoCo's event server): refused
    unparsed, logged once however often it is read, and quickly."""
    figures = FIGURES["huge values (10 MB)"]
    harness = Harness(caplog)
    huge = didl_item({"dc:title": "t" * TEN_MB, "upnp:class": "object.item.audioItem.musicTrack"})

    async def read() -> None:
        await harness.deliver(dict(BASELINE), seq=1)
        harness.device.avTransport.position = {"TrackURI": URIS[0], "TrackMetaData": huge, "RelTime": "0:00:10"}
        started = time.perf_counter()
        for _ in range(5):
            assert_valid(await harness.listener.refresh())
        assert time.perf_counter() - started < 5
        assert harness.observations[-1].title is None

    runner.run(read())
    lines = harness.warnings()
    figures.examples += 1
    figures.metadata_unread += 1
    figures.warnings += len(lines)
    figures.distinct_rejections += len(set(lines))
    assert len(lines) == 1
    assert f"over {MAX_DIDL_BYTES}" in lines[0]
    assert len(lines[0]) < 1000  # the message quotes an excerpt, not the item


@pytest.mark.parametrize("name", [*PLAIN, "current_track_meta_data"])
def test_ten_megabyte_variables(runner: asyncio.Runner, caplog: pytest.LogCaptureFixture, name: str) -> None:
    """A 10 MB value in each variable: cut to 4 096 characters (metadata refused), logged once."""
    figures = FIGURES["huge values (10 MB)"]
    harness = Harness(caplog)
    value = "x" * TEN_MB if name != "current_track_meta_data" else didl_item({"dc:title": "t" * TEN_MB})
    variables = {**BASELINE, name: value}
    runner.run(check_event(harness, variables, value if name == "current_track_meta_data" else None, figures))
    lines = harness.warnings()
    assert len(lines) == 1, lines
    assert max(len(line) for line in lines) < 1000


def test_a_huge_lastchange_is_parsed_in_bounded_time() -> None:
    """A 900 kB LastChange (under the 1 MiB body cap) goes through SoCo's parsing in well under a second."""
    figures = FIGURES["huge values (10 MB)"]
    body = notify_body(last_change([element("current_track_uri", "u" * 900_000)]))
    started = time.perf_counter()
    variables = soco_variables(body, figures)
    assert variables is not None
    assert time.perf_counter() - started < 1
    state = SpeakerState(UID)
    assert state.apply_avtransport(variables)
    assert len(state.variables["current_track_uri"]) == MAX_VALUE


# -- 6. entities and DTDs: never expanded without bound, never fetched -----------------------------------------------
def bomb(levels: int, root: str, width: int = 10) -> str:
    """The "billion laughs" DTD: entity a0 is "lol", each next one ten of the one before (a{levels-1} is
    3 * 10 ** (levels - 1) characters)."""
    declared = ['<!ENTITY a0 "lol">'] + [f'<!ENTITY a{i} "{f"&a{i - 1};" * width}">' for i in range(1, levels)]
    return f"<!DOCTYPE {root} [{''.join(declared)}]>"


@contextlib.contextmanager
def tripwire() -> Iterator[tuple[str, list[str]]]:
    """A local TCP port that records every connection made to it (an external entity fetched would be one)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.05)
    hits: list[str] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            hits.append(conn.recv(200).decode(errors="replace"))
            conn.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}", hits
    finally:
        stop.set()
        thread.join()
        server.close()


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    path = tmp_path / "secret.txt"
    path.write_text("SPINSTACK-SECRET-MARKER")
    return path


def external_documents(url: str, secret: Path) -> dict[str, str]:
    """DTDs and entities pointing outside: a URL (the tripwire) and a local file."""
    item = (
        '<item id="1" parentID="0"><dc:title>&x;</dc:title>'
        "<upnp:class>object.item.audioItem.musicTrack</upnp:class></item>"
    )
    return {
        "external entity (http)": f'<!DOCTYPE DIDL-Lite [<!ENTITY x SYSTEM "{url}/entity">]>'
        f"{DIDL_HEAD}{item}</DIDL-Lite>",
        "external entity (file)": f'<!DOCTYPE DIDL-Lite [<!ENTITY x SYSTEM "{secret.as_uri()}">]>'
        f"{DIDL_HEAD}{item}</DIDL-Lite>",
        "external DTD": f'<!DOCTYPE DIDL-Lite SYSTEM "{url}/dtd">{DIDL_HEAD}{item}</DIDL-Lite>',
        "parameter entity": f'<!DOCTYPE DIDL-Lite [<!ENTITY % p SYSTEM "{url}/param"> %p;]>'
        f"{DIDL_HEAD}{item}</DIDL-Lite>",
    }


def test_external_entities_are_never_fetched(
    runner: asyncio.Runner, caplog: pytest.LogCaptureFixture, secret_file: Path
) -> None:
    """In a reply's metadata, in an event's metadata (SoCo's lxml), in the LastChange document and in the body
    (SoCo's expat): no connection is made, no file read; the reply's metadata is refused before parsing."""
    figures = FIGURES["DTDs and external entities"]
    with tripwire() as (url, hits):
        for name, text in external_documents(url, secret_file).items():
            # A reply: refused before any parser sees it, logged once.
            harness = Harness(caplog)
            figures.examples += 1
            figures.rejected += 1
            assert parse_didl(text, speaker=UID) == EMPTY
            assert parse_didl(text, speaker=UID) == EMPTY
            assert len(harness.warnings()) == 1
            assert "declares a DTD" in harness.warnings()[0], name
            # An event's metadata: SoCo parses (with lxml) only values that start with <DIDL-Lite, which a document
            # with a DTD cannot: it hands the text over, and the listener refuses it as the reply above.
            harness = Harness(caplog)
            variables = soco_variables(notify_body(last_change([element("current_track_meta_data", text)])), figures)
            assert variables is not None
            assert variables["current_track_meta_data"] == text
            runner.run(check_event(harness, variables, text, figures))
            assert harness.state.meta == EMPTY
            # The LastChange document, and the body, declaring the same: expat does not fetch, the entity is
            # undefined, SoCo refuses the event.
            declared = text.split(DIDL_HEAD)[0]
            change = declared.replace("DIDL-Lite", "Event") + last_change(["<TransportState>&x;</TransportState>"])
            assert soco_variables(notify_body(change), figures) is None
            body = (
                declared.replace("DIDL-Lite", "e:propertyset")
                + f'<e:propertyset xmlns:e="{EVENT_NS}"><e:property><ZoneName>&x;</ZoneName></e:property>'
                + "</e:propertyset>"
            )
            assert soco_variables(body.encode(), figures) is None
        time.sleep(0.2)
    assert hits == []
    assert "SPINSTACK-SECRET-MARKER" not in caplog.text


@pytest.mark.parametrize("levels", [3, 5, 7, 9, 12])
def test_entity_bombs_are_refused_or_bounded(
    runner: asyncio.Runner, caplog: pytest.LogCaptureFixture, levels: int
) -> None:
    """The billion laughs at each parser the listener relies on. SpinStack's own reading of metadata text refuses
    any DTD before parsing; SoCo's lxml (DIDL-Lite in events) stops the expansion; SoCo's expat (the body and the
    LastChange document) expands up to its amplification limit and refuses beyond. Each in bounded time and size,
    and the listener cuts what gets through to 4 096 characters, logged once."""
    figures = FIGURES["entity expansion (billion laughs)"]
    last = f"&a{levels - 1};"
    item = (
        f'<item id="1" parentID="0"><dc:title>{last}</dc:title>'
        "<upnp:class>object.item.audioItem.musicTrack</upnp:class></item>"
    )
    started = time.perf_counter()
    # 1. Metadata text (a reply): refused unparsed.
    harness = Harness(caplog)
    assert parse_didl(bomb(levels, "DIDL-Lite") + DIDL_HEAD + item + "</DIDL-Lite>", speaker=UID) == EMPTY
    assert len(harness.warnings()) == 1
    figures.examples += 1
    figures.rejected += 1
    # 2. Metadata in an event: handed over as text by SoCo (it parses only values that start with <DIDL-Lite, which
    # a document with a DTD cannot), refused as the reply is.
    harness = Harness(caplog)
    text = bomb(levels, "DIDL-Lite") + DIDL_HEAD + item + "</DIDL-Lite>"
    variables = soco_variables(notify_body(last_change([element("current_track_meta_data", text)])), figures)
    assert variables is not None
    runner.run(check_event(harness, variables, text, figures))
    assert harness.state.meta == EMPTY
    # 3. The LastChange document: SoCo's expat.
    harness = Harness(caplog)
    change = bomb(levels, "Event") + last_change([f'<TransportState val="{last}"/>'])
    variables = soco_variables(notify_body(change), figures)
    if variables is not None:
        runner.run(check_event(harness, variables, None, figures))
        assert len(harness.state.variables.get("transport_state", "")) <= MAX_VALUE
    # 4. The body's own DTD, expanding into the LastChange text.
    harness = Harness(caplog)
    body = (
        bomb(levels, "e:propertyset")
        + f'<e:propertyset xmlns:e="{EVENT_NS}"><e:property><LastChange>'
        + escape(last_change(['<CurrentPlayMode val="X'])).replace("X", last, 1)
        + escape('"/>')
        + "</LastChange></e:property></e:propertyset>"
    )
    variables = soco_variables(body.encode(), figures)
    if variables is not None:
        runner.run(check_event(harness, variables, None, figures))
    elapsed = time.perf_counter() - started
    assert elapsed < 10, elapsed


# -- 7. duration arithmetic ------------------------------------------------------------------------------------------
@fast(200)
@given(
    value=st.one_of(
        st.none(),
        st.integers(),
        st.text(max_size=40),
        st.builds(
            "{}:{}:{}".format,
            st.one_of(st.integers(-5, 10**400), st.text("0123456789\u00b2\u0661_+- ", max_size=8)),
            st.one_of(st.integers(-5, 99), st.just("nan")),
            st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-5, 99)),
        ),
    )
)
def test_parse_duration_never_raises(value: Any) -> None:
    FIGURES["durations"].examples += 1
    seconds = parse_duration(value)
    assert seconds is None or (math.isfinite(seconds) and seconds >= 0)


# -- 8. SoCo's own refusals, and what the listener does then: real SoCo, real HTTP -----------------------------------
SONG = Track.spotify("4uLU6hMCjMI75M1A2tKUQC", "One More Time", "Daft Punk", "Discovery", 200)


@pytest.mark.parametrize(
    ("fault", "value"),
    [("malformed_notifies", True), ("oversized_metadata", 2 * 1024 * 1024), ("oversized_metadata", TEN_MB)],
)
async def test_what_soco_refuses_leaves_the_listener_subscribed(
    make_household: MakeHousehold, clock: ManualClock, caplog: pytest.LogCaptureFixture, fault: str, value: Any
) -> None:
    """Cut-short NOTIFY bodies (not well-formed) and bodies over 1 MiB never reach the listener: SoCo's event server
    answers 500 (its parser raised) or 413 (aiohttp's cap). The listener stays subscribed, does not crash, and hears
    the next good event."""
    household = await make_household("Living Room")
    living = household.by_name("Living Room")
    observations: list[Observation] = []
    device = await connect(living.ip)
    listener = SpeakerListener(
        device,
        uid=device.uid,
        room=None,
        on_observation=observations.append,
        on_topology=lambda members: None,
        now=clock.now,
        run_blocking=in_thread,
    )
    listener.start()
    try:
        await wait_for(lambda: listener.health.state is ListenerState.SUBSCRIBED)
        # The first event of each subscription (AVTransport and ZoneGroupTopology), then quiet.
        await wait_for(lambda: listener.health.events >= 2)
        await household.settle()
        await asyncio.sleep(0.2)
        events = listener.health.events
        setattr(living.faults, fault, value)
        await living.play_queue([SONG])
        await household.settle()
        await asyncio.sleep(0.3)
        assert listener.health.events == events  # nothing reached the listener
        assert listener.health.state is ListenerState.SUBSCRIBED
        living.faults.clear()
        await living.pause()
        await household.settle()
        await wait_for(lambda: listener.health.events > events)
        await wait_for(lambda: any(o.title == "One More Time" for o in observations))
        assert listener.health.state is ListenerState.SUBSCRIBED
        assert not [r for r in caplog.records if r.name.startswith(SPINSTACK) and r.levelno >= logging.WARNING]
        refused = [r for r in caplog.records if r.levelno >= logging.ERROR]
        FIGURES[f"SoCo's event server: {fault}"].examples += 1
        FIGURES[f"SoCo's event server: {fault}"].warnings += len(refused)
    finally:
        await listener.async_stop()


# -- 9. ZoneGroupState (topology.py, not fixed here) -----------------------------------------------------------------
def zgs(member: str) -> str:
    return (
        '<ZoneGroupState><ZoneGroups><ZoneGroup Coordinator="RINCON_A" ID="RINCON_A:1">'
        f"{member}</ZoneGroup></ZoneGroups></ZoneGroupState>"
    )


@fast(150)
@given(
    room=xml_text,
    boot=st.one_of(st.text("0123456789", max_size=6), st.text("0123456789\u00b2\u0661", max_size=3), st.just("-1")),
    location=st.sampled_from(
        ["http://192.168.1.2:1400/xml/device_description.xml", "", "not a url", "http://h/", "http://[fe80::1/"]
    ),
    edit=st.data(),
)
def test_zone_group_states(room: str, boot: str, location: str, edit: st.DataObject) -> None:
    """ZoneGroupState (the topology events): generated members, some mutated. Crashes are counted, not failed: the
    ones found are topology.py's (see test_known_zone_group_state_crashes); anything else fails."""
    figures = FIGURES["ZoneGroupState, generated and mutated"]
    figures.examples += 1
    member = (
        f'<ZoneGroupMember UUID="RINCON_A" ZoneName={quote(room)} BootSeq={quote(boot)} Location={quote(location)}/>'
    )
    text = zgs(member)
    if edit.draw(st.booleans()):
        text = edit.draw(mutated(text))
    members = parse_zone_group_state(text)
    for found in members.values():
        assert found.uid
        assert found.boot_seq is None or found.boot_seq >= 0


@pytest.mark.parametrize(
    "member",
    [
        '<ZoneGroupMember UUID="RINCON_A" ZoneName="A" BootSeq="²"/>',
        f'<ZoneGroupMember UUID="RINCON_A" ZoneName="A" BootSeq="{"9" * 5000}"/>',
        '<ZoneGroupMember UUID="RINCON_A" ZoneName="A" Location="http://[::1/xml"/>',
    ],
)
def test_members_with_broken_values_are_kept_without_them(member: str) -> None:
    """Found by this fuzzing (they used to raise out of the listener's topology callback): a boot sequence that is
    not a plain number and a Location that is not a URL are left out; the member is kept."""
    members = parse_zone_group_state(zgs(member))
    assert members["RINCON_A"].room == "A"
    assert members["RINCON_A"].boot_seq is None
    assert members["RINCON_A"].host is None


def test_the_rejection_log_is_bounded() -> None:
    log = didl_module.RejectionLog(size=3)
    assert [log.first(("k", str(i))) for i in range(5)] == [True] * 5
    assert log.first(("k", "4")) is False
    assert log.first(("k", "0")) is True  # forgotten: only the last three are kept
