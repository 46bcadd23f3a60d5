"""The emulator over real loopback sockets, every portal on its own port."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from starlette.types import Receive, Scope, Send

from emulator import phpquery
from emulator.client import EmulatorClient
from emulator.registration import AppRegistration
from emulator.server import EmulatorServer, LoopbackServer

pytestmark = [pytest.mark.anyio, pytest.mark.e2e]


class StubApp:
    """A raw ASGI app standing in for the service: keeps every form it gets."""

    def __init__(self) -> None:
        self.forms: list[dict[str, Any]] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        self.forms.append(phpquery.parse(body.decode()))

        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"OK"})


@pytest.fixture
async def stub() -> AsyncIterator[tuple[StubApp, int]]:
    app = StubApp()
    server = LoopbackServer(app)
    port = await server.start()
    yield app, port
    await server.stop()


async def test_portal_answers_rest_on_its_own_loopback_port(
    stub: tuple[StubApp, int],
) -> None:
    app, app_port = stub
    registration = AppRegistration(install_url=f"http://127.0.0.1:{app_port}/install")
    server = EmulatorServer(registration)
    base_url = await server.start()
    try:
        async with EmulatorClient(base_url) as control:
            portal = await control.create_portal()
            installed = await control.install(portal.member_id, "event")
            token = app.forms[0]["auth"]["access_token"]

            async with httpx.AsyncClient() as http:
                response = await http.post(
                    portal.client_endpoint + "app.info", json={"auth": token}
                )
    finally:
        await server.stop()

    assert installed.installed is True
    assert urlsplit(portal.client_endpoint).port != urlsplit(base_url).port
    assert response.json()["result"]["INSTALLED"] is True
