"""Fixtures of the fakes' tests: a clock moved by hand, the four fakes on it, and an HTTP client that names
itself as SpinStack does."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
import json
from typing import Any

import aiohttp
from multidict import CIMultiDictProxy
import pytest
import pytest_socket

from fakes import FakeClock, FakeServices

USER_AGENT = "SpinStack/0.1 ( https://github.com/spinstack/spinstack )"


@dataclass
class Answer:
    """What a fake answered: status, headers, raw body (and the body as JSON, when it is JSON)."""

    status: int
    headers: CIMultiDictProxy[str]
    body: bytes

    @property
    def text(self) -> str:
        """The body as text."""
        return self.body.decode()

    @property
    def json(self) -> Any:
        """The body as JSON."""
        return json.loads(self.body)


class Client:
    """A small HTTP client for the tests: ``await client.get(url, params=..., headers=...)`` -> `Answer`."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self.session = session

    async def get(self, url: str, **kwargs: Any) -> Answer:
        """GET `url` (aiohttp's keyword arguments), never following redirects."""
        kwargs.setdefault("allow_redirects", False)
        async with self.session.get(url, **kwargs) as response:
            return Answer(response.status, response.headers, await response.read())


@pytest.fixture(autouse=True)
def loopback_sockets(socket_enabled: None) -> None:
    """The fakes listen on 127.0.0.1 only: allowed, and nothing else, with or without Home Assistant's test plugin
    (which blocks sockets)."""
    pytest_socket.socket_allow_hosts(["127.0.0.1", "localhost"], allow_unix_socket=True)


@pytest.fixture
def clock() -> FakeClock:
    """The fakes' clock, moved by hand."""
    return FakeClock()


@pytest.fixture
async def services(clock: FakeClock) -> AsyncIterator[FakeServices]:
    """The four fakes on the test's clock, with their real rate limits."""
    async with FakeServices(clock=clock) as started:
        yield started


@pytest.fixture
async def client() -> AsyncIterator[Client]:
    """An HTTP client whose User-Agent names SpinStack."""
    async with aiohttp.ClientSession(headers={"User-Agent": USER_AGENT}) as session:
        yield Client(session)
