"""The replay tool: python -m custom_components.spinstack.engine replay FILE.jsonl"""

from __future__ import annotations

from collections.abc import Sequence
import io
import json
from pathlib import Path
import subprocess
import sys

import pytest

from custom_components.spinstack.engine import Observation, TransportState
from custom_components.spinstack.engine.__main__ import main
from custom_components.spinstack.engine.replay import ReplayError, read_observations, run

from .test_engine import TRACK

REPO = Path(__file__).resolve().parents[2]

LINES = [
    {
        "t": 1000,
        "speaker": "RINCON_A",
        "coordinator": "RINCON_A",
        "state": "PLAYING",
        "track_uri": TRACK,
        "enqueued_uri": "x-rincon-queue:RINCON_A#0",
        "title": "One More Time",
        "artist": "Daft Punk",
        "album": "Discovery",
        "duration": 320,
        "position": 0,
        "stream_content": None,
    },
    {
        "t": 1300,
        "speaker": "RINCON_A",
        "coordinator": "RINCON_A",
        "state": "PLAYING",
        "track_uri": "x-sonosapi-stream:s24861?sid=254",
        "enqueued_uri": "x-sonosapi-stream:s24861?sid=254",
        "title": "Radio X",
        "artist": None,
        "album": None,
        "duration": 0,
        "position": 0,
        "stream_content": "New Order - Blue Monday",
    },
    {
        "t": 1500,
        "speaker": "RINCON_A",
        "coordinator": "RINCON_A",
        "state": "PLAYING",
        "track_uri": "x-sonosapi-stream:s24861?sid=254",
        "enqueued_uri": "x-sonosapi-stream:s24861?sid=254",
        "title": "Radio X",
        "artist": None,
        "album": None,
        "duration": 0,
        "position": 0,
        "stream_content": "ZPSTR_BUFFERING",
    },
]


def _file(tmp_path: Path, lines: Sequence[object]) -> Path:
    path = tmp_path / "observations.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def test_replay_prints_each_play_as_a_json_line(tmp_path: Path) -> None:
    path = _file(tmp_path, LINES)
    result = subprocess.run(
        [sys.executable, "-m", "custom_components.spinstack.engine", "replay", str(path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    plays = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(p["artist"], p["title"], p["started_at"], p["service"], p["kind"], p["speaker"]) for p in plays] == [
        ("Daft Punk", "One More Time", 1000, "spotify", "on_demand", "RINCON_A"),
        ("New Order", "Blue Monday", 1300, "tunein", "radio", "RINCON_A"),
    ]
    assert plays[0]["album"] == "Discovery"


def test_observations_round_trip_through_the_format() -> None:
    obs = Observation(t=5, speaker="RINCON_A", state=TransportState.PAUSED_PLAYBACK, title="x", position=3)
    assert list(read_observations([json.dumps(obs.to_json())])) == [obs]
    assert tuple(obs.to_json()) == Observation.REPLAY_KEYS


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("not json", "Expecting value"),
        ("[1, 2]", "JSON object"),
        ('{"speaker": "A"}', "missing t"),
        ('{"t": "soon", "speaker": "A"}', "must be numbers"),
        ('{"t": 1, "speaker": "A", "title": 5}', "title must be a string"),
    ],
)
def test_a_bad_line_is_reported_with_its_number(line: str, reason: str) -> None:
    with pytest.raises(ReplayError, match=f"line 2: .*{reason}"):
        list(read_observations(["", line]))


def test_lenient_mode_skips_bad_lines(caplog: pytest.LogCaptureFixture) -> None:
    source = io.StringIO("\n".join([json.dumps(LINES[0]), "garbage", "# a comment", json.dumps(LINES[1])]))
    sink = io.StringIO()
    assert run(source, sink, strict=False) == 1
    assert "line 2" in caplog.text


def test_command_line_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["replay", str(tmp_path / "missing.jsonl")]) == 2
    assert "No such file" in capsys.readouterr().err
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{\n")
    assert main(["replay", str(bad)]) == 2
    assert "line 1" in capsys.readouterr().err
    good = _file(tmp_path, LINES)
    assert main(["replay", str(good), "--radio-min-seconds", "500"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 1
