"""Starting the fakes: one at a time, all four at once, and from the command line (``python -m fakes``)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
import signal
import sys

import pytest

from fakes import Catalogue, FakeDeezer, FakeMusicBrainz, FakeServices
from fakes.__main__ import main, parse_args

from .conftest import Client

REPO = Path(__file__).resolve().parents[2]


async def test_all_four_on_their_own_ports(client: Client) -> None:
    async with FakeServices() as services:
        urls = services.base_urls
        assert set(urls) == {"deezer", "musicbrainz", "discogs", "odesli"}
        assert len(set(urls.values())) == 4
        assert all(url.startswith("http://127.0.0.1:") for url in urls.values())
        assert [service.name for service in services] == ["deezer", "musicbrainz", "discogs", "odesli"]
        assert (await client.get(f"{services.discogs.base_url}/")).json["hello"] == "Welcome to the Discogs API."
    assert not any(service.listening for service in services)


async def test_one_fake_alone_with_its_own_catalogue(client: Client) -> None:
    deezer = FakeDeezer(Catalogue.synthetic(50), rate_limit=False)
    with pytest.raises(RuntimeError, match="not been started"):
        _ = deezer.base_url
    async with deezer:
        body = (await client.get(f"{deezer.base_url}/search", params={"q": 'track:"amber harbour"'})).json
        assert body["total"] == 1
        assert body["data"][0]["title"] == "Amber Harbour No. 0"


async def test_a_catalogue_swapped_at_run_time(client: Client) -> None:
    async with FakeMusicBrainz(rate_limit=False) as mb:
        url = f"{mb.base_url}/ws/2/recording"
        assert (await client.get(url, params={"query": "amber", "fmt": "json"})).json["count"] == 0
        mb.catalogue = Catalogue.synthetic(20)
        assert (await client.get(url, params={"query": "amber", "fmt": "json"})).json["count"] == 1


async def test_backfill_sized_catalogue_answers_quickly(client: Client) -> None:
    catalogue = Catalogue.default() + Catalogue.synthetic(10_000)
    async with FakeServices(catalogue, rate_limit=False) as services:
        track = catalogue.track("synthetic-9876")
        found = (
            await client.get(
                f"{services.deezer.base_url}/search",
                params={"q": f'artist:"{track.main_artist.name}" track:"{track.title}"'},
            )
        ).json
        assert [item["id"] for item in found["data"]] == [track.deezer_id]
        mb = (
            await client.get(
                f"{services.musicbrainz.base_url}/ws/2/recording",
                params={"query": f'recording:"{track.title}" AND artist:"{track.main_artist.name}"', "fmt": "json"},
            )
        ).json
        assert mb["recordings"][0]["id"] == track.mbid


def test_the_command_line() -> None:
    args = parse_args(["--port", "8700", "--synthetic", "10", "--no-rate-limit", "--json"])
    assert (args.port, args.synthetic, args.no_rate_limit, args.json) == (8700, 10, True, True)
    with pytest.raises(SystemExit):
        parse_args(["--synthetic", "-1"])


def test_main_serves_for_a_while(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--duration", "0.2", "--synthetic", "5"]) == 0
    out = capsys.readouterr().out
    for name in ("deezer", "musicbrainz", "discogs", "odesli"):
        assert f"{name}: http://127.0.0.1:" in out
    assert "catalogue: 35 tracks" in out


async def test_python_dash_m_fakes(client: Client) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "fakes",
        "--json",
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), 30)
        urls = json.loads(line)
        assert urls["discogs_token"]
        body = (await client.get(f"{urls['deezer']}/track/3135556")).json
        assert body["title"] == "Harder, Better, Faster, Stronger"
    finally:
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 30) == 0
