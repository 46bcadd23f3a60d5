"""An in-process emulator, a fake app side that records what it receives."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest

from emulator import phpquery
from emulator.client import EmulatorClient, PortalInfo
from emulator.core import Emulator
from emulator.courier import Courier
from emulator.registration import AppRegistration
from emulator.web import create_app

MAIN_ADDRESS = "127.0.0.1:9000"
INSTALL_URL = "http://app.test:8000/install"
HANDLER_URL = "http://app.test:8000/events"
FINISH_PAGE = "<html><script>BX24.init(); BX24.installFinish();</script></html>"

Hook = Callable[[httpx.Request], Awaitable[httpx.Response | None]]


def refresh_query(refresh_token: str, secret: str | None = None) -> dict[str, Any]:
    """The OAuth refresh request of the default registration."""
    registration = AppRegistration()
    return {
        "grant_type": "refresh_token",
        "client_id": registration.client_id,
        "client_secret": secret or registration.client_secret,
        "refresh_token": refresh_token,
    }


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = 1_780_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Received:
    """One POST the app side got: where, the raw form pairs, parsed nesting."""

    url: httpx.URL
    pairs: list[tuple[str, str]]
    body: dict[str, Any]


@dataclass
class AppSide:
    """Stands in for the service: records POSTs and answers as configured."""

    received: list[Received] = field(default_factory=list)
    install_page: str = FINISH_PAGE
    event_status: int = 200
    gate: asyncio.Event | None = None
    on_install: Hook | None = None
    waiting: int = 0

    async def handle(self, request: httpx.Request) -> httpx.Response:
        if self.gate is not None and request.url.path != "/install":
            self.waiting += 1
            await self.gate.wait()
            self.waiting -= 1
        raw = request.content.decode()
        self.received.append(
            Received(
                request.url, parse_qsl(raw, keep_blank_values=True), phpquery.parse(raw)
            )
        )
        if self.on_install is not None and request.url.path == "/install":
            answer = await self.on_install(request)
            if answer is not None:
                return answer
        if request.url.path == "/install":
            return httpx.Response(200, html=self.install_page)
        return httpx.Response(self.event_status, text="OK")

    def events(self, name: str) -> list[Received]:
        return [item for item in self.received if item.body.get("event") == name]


@dataclass
class World:
    """The emulator in process, its control client and a REST helper."""

    emulator: Emulator
    clock: FakeClock
    app_side: AppSide
    http: httpx.AsyncClient
    control: EmulatorClient

    async def rest(
        self, portal: PortalInfo, method: str, params: dict[str, Any], token: str | None
    ) -> httpx.Response:
        body = dict(params) if token is None else {**params, "auth": token}
        return await self.http.post(portal.client_endpoint + method, json=body)

    async def installed_portal(self, flow: str = "event") -> tuple[PortalInfo, str]:
        """A portal with the app installed, and the app's access token."""
        portal = await self.control.create_portal()
        await self.control.install(portal.member_id, flow)
        state = await self.control.portal(portal.member_id)
        return portal, str(state["access_token"])

    async def bind(self, portal: PortalInfo, token: str, event: str) -> None:
        params = {"event": event, "handler": HANDLER_URL}
        response = await self.rest(portal, "event.bind", params, token)
        assert response.status_code == 200, response.text


@pytest.fixture
async def world() -> AsyncIterator[World]:
    clock = FakeClock()
    app_side = AppSide()
    courier = Courier(transport=httpx.MockTransport(app_side.handle), clock=clock)
    registration = AppRegistration(install_url=INSTALL_URL)
    emulator = Emulator(registration, MAIN_ADDRESS, sink=courier.send, clock=clock)
    transport = httpx.ASGITransport(app=create_app(emulator, courier))
    base_url = f"http://{MAIN_ADDRESS}"

    async with (
        httpx.AsyncClient(transport=transport, base_url=base_url) as http,
        EmulatorClient(base_url, transport=transport) as control,
    ):
        yield World(emulator, clock, app_side, http, control)
    await courier.aclose()
