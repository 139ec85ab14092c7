"""The HTTP side of one emulated speaker (aiohttp): device description, SCPDs, SOAP control and GENA endpoints on
``<ip>:1400``, and going offline (connection refused, or requests left unanswered) and back.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
import logging
from typing import TYPE_CHECKING
import xml.etree.ElementTree as ET

from aiohttp import web

from . import didl
from .description import SERVICES, ServiceSpec
from .gena import SERVER_HEADER, GenaError
from .speaker import INVALID_ARGS, UPnPError

if TYPE_CHECKING:
    from .household import EmulatedSpeaker

_LOGGER = logging.getLogger(__name__)

INVALID_ACTION = 401
XML_HEADERS = {"Content-Type": 'text/xml; charset="utf-8"', "Server": SERVER_HEADER}

# Services a controller may subscribe to beyond those with actions here (Home Assistant subscribes to several);
# each gets a small initial event.
EVENT_ONLY_SERVICES = {
    "/MediaServer/ContentDirectory/Event": "ContentDirectory",
    "/MediaRenderer/Queue/Event": "Queue",
    "/MediaRenderer/GroupRenderingControl/Event": "GroupRenderingControl",
    "/AudioIn/Event": "AudioIn",
    "/SystemProperties/Event": "SystemProperties",
    "/MusicServices/Event": "MusicServices",
    "/GroupManagement/Event": "GroupManagement",
}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class SpeakerServer:
    """aiohttp application and site serving one emulated speaker."""

    def __init__(self, speaker: EmulatedSpeaker, port: int = 1400) -> None:
        self.speaker = speaker
        self.port = port
        self.silent = False
        # Off the network: new connections are refused, and requests on connections opened before are cut.
        self.refusing = False
        self._awake = asyncio.Event()
        self._awake.set()
        self.app = web.Application(middlewares=[self._offline_middleware])
        self._add_routes()
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self.requests: list[tuple[str, str]] = []  # (method, path) of every request answered, for tests

    def _add_routes(self) -> None:
        router = self.app.router
        router.add_get("/xml/device_description.xml", self._device_description)
        for spec in SERVICES:
            router.add_get(spec.scpd_url, self._scpd_handler(spec))
            router.add_post(spec.control_url, self._control_handler(spec))
            router.add_route("SUBSCRIBE", spec.event_url, self._subscribe_handler(spec.name))
            router.add_route("UNSUBSCRIBE", spec.event_url, self._unsubscribe_handler(spec.name))
        for path, name in EVENT_ONLY_SERVICES.items():
            router.add_route("SUBSCRIBE", path, self._subscribe_handler(name))
            router.add_route("UNSUBSCRIBE", path, self._unsubscribe_handler(name))

    # -- lifecycle ---------------------------------------------------------------------------------------------------
    @property
    def listening(self) -> bool:
        """Whether the speaker accepts connections."""
        return self._site is not None

    async def start(self) -> None:
        """Start listening on ``<ip>:<port>``."""
        if self._runner is None:
            self._runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=0.5)
            await self._runner.setup()
        if self._site is None:
            site = web.TCPSite(self._runner, self.speaker.ip, self.port, reuse_address=True)
            await site.start()
            self._site = site
        self.refusing = False

    async def stop_listening(self) -> None:
        """Stop accepting connections (clients get "connection refused"; a request on a connection kept alive from
        before is cut: the client sees the connection reset)."""
        self.refusing = True
        if self._site is not None:
            site, self._site = self._site, None
            await site.stop()

    def go_silent(self) -> None:
        """Keep accepting connections but answer nothing (clients time out)."""
        self.silent = True
        self._awake.clear()

    def wake(self) -> None:
        """Answer requests again (held requests are answered now)."""
        self.silent = False
        self._awake.set()

    async def close(self) -> None:
        """Stop serving altogether."""
        self.wake()
        await self.stop_listening()
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    # -- middleware --------------------------------------------------------------------------------------------------
    @web.middleware
    async def _offline_middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if self.refusing:
            if request.transport is not None:
                request.transport.abort()
            raise web.HTTPServiceUnavailable  # never reaches the client: its connection is gone
        if self.silent:
            await self._awake.wait()
        response = await handler(request)
        self.requests.append((request.method, request.path))
        return response

    # -- descriptions ------------------------------------------------------------------------------------------------
    async def _device_description(self, request: web.Request) -> web.Response:
        del request
        return web.Response(text=self.speaker.device_description(), headers=XML_HEADERS)

    def _scpd_handler(self, spec: ServiceSpec) -> Handler:
        async def scpd(request: web.Request) -> web.Response:
            del request
            return web.Response(text=spec.scpd(), headers=XML_HEADERS)

        return scpd

    # -- SOAP --------------------------------------------------------------------------------------------------------
    def _control_handler(self, spec: ServiceSpec) -> Handler:
        async def control(request: web.Request) -> web.Response:
            body = await request.read()
            soap_action = request.headers.get("SOAPACTION", "").strip().strip('"')
            service_type, _, action_name = soap_action.partition("#")
            try:
                arguments = _checked_arguments(spec, service_type, action_name, body)
                values = await self.speaker.perform(spec.name, action_name, arguments)
            except UPnPError as error:
                _LOGGER.debug("%s %s: %s", self.speaker.name, action_name, error)
                return web.Response(
                    status=500, text=didl.soap_fault(error.code, error.description), headers=XML_HEADERS
                )
            return web.Response(text=didl.soap_response(spec.service_type, action_name, values), headers=XML_HEADERS)

        return control

    # -- GENA --------------------------------------------------------------------------------------------------------
    def _subscribe_handler(self, service: str) -> Handler:
        async def subscribe(request: web.Request) -> web.Response:
            gena = self.speaker.gena
            headers = request.headers
            try:
                sid = headers.get("SID")
                if sid:
                    has_extra = "CALLBACK" in headers or "NT" in headers
                    subscription = gena.renew(service, sid, headers.get("TIMEOUT"), has_callback_or_nt=has_extra)
                else:
                    subscription = gena.subscribe(
                        service, headers.get("CALLBACK"), headers.get("NT"), headers.get("TIMEOUT")
                    )
            except GenaError as error:
                return web.Response(status=error.status, reason=error.reason, headers={"Server": SERVER_HEADER})
            return web.Response(
                headers={
                    "SID": subscription.sid,
                    "TIMEOUT": f"Second-{subscription.timeout}",
                    "Server": SERVER_HEADER,
                }
            )

        return subscribe

    def _unsubscribe_handler(self, service: str) -> Handler:
        async def unsubscribe(request: web.Request) -> web.Response:
            try:
                await self.speaker.gena.unsubscribe(service, request.headers.get("SID", ""))
            except GenaError as error:
                return web.Response(status=error.status, reason=error.reason, headers={"Server": SERVER_HEADER})
            return web.Response(headers={"Server": SERVER_HEADER})

        return unsubscribe


def _checked_arguments(spec: ServiceSpec, service_type: str, action_name: str, body: bytes) -> dict[str, str]:
    """The arguments of a SOAP request, checked against the service's SCPD (401 Invalid Action, 402 Invalid Args);
    arguments the action does not declare are ignored, as real speakers do (SoCo sends ``Speed`` with Pause)."""
    if service_type != spec.service_type:
        raise UPnPError(INVALID_ACTION, "wrong service type")
    action = spec.action(action_name)
    if action is None:
        raise UPnPError(INVALID_ACTION, f"no action {action_name}")
    arguments = _soap_arguments(body, action_name)
    missing = [name for name in action.inputs if name not in arguments]
    if missing:
        raise UPnPError(INVALID_ARGS, f"missing {', '.join(missing)}")
    return arguments


def _soap_arguments(body: bytes, action_name: str) -> dict[str, str]:
    """The arguments of a SOAP request for `action_name` (the body's action element must match)."""
    try:
        # The request comes from a client on the loopback interface: a test or a controller under test.
        envelope = ET.fromstring(body)  # noqa: S314
    except ET.ParseError:
        raise UPnPError(INVALID_ACTION, "unreadable SOAP body") from None
    soap_body = envelope.find(f"{{{didl.SOAP_ENV_NS}}}Body")
    if soap_body is None or len(soap_body) == 0:
        raise UPnPError(INVALID_ACTION, "no SOAP body")
    action_element = soap_body[0]
    if action_element.tag.rsplit("}", 1)[-1] != action_name:
        raise UPnPError(INVALID_ACTION, "SOAPACTION and body differ")
    return {child.tag.rsplit("}", 1)[-1]: child.text or "" for child in action_element}
