"""The emulator over real loopback sockets, every portal on its own port."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from starlette.types import Receive, Scope, Send

from emulator import phpquery
from emulator.client import EmulatorClient, PortalInfo
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


@pytest.fixture
async def served(
    stub: tuple[StubApp, int],
) -> AsyncIterator[tuple[EmulatorClient, PortalInfo, str]]:
    """A running emulator with one installed portal, and the app's token."""
    app, app_port = stub
    registration = AppRegistration(install_url=f"http://127.0.0.1:{app_port}/install")
    server = EmulatorServer(registration)
    try:
        async with EmulatorClient(await server.start()) as control:
            portal = await control.create_portal()
            await control.install(portal.member_id, "event")
            yield control, portal, app.forms[0]["auth"]["access_token"]
    finally:
        await server.stop()


async def test_dropped_connection_reaches_the_client_as_a_protocol_error(
    served: tuple[EmulatorClient, PortalInfo, str],
) -> None:
    control, portal, token = served
    await control.inject_fault(portal.member_id, "drop")

    async with httpx.AsyncClient() as http:
        with pytest.raises(httpx.RemoteProtocolError):
            await http.post(portal.client_endpoint + "app.info", json={"auth": token})
        after = await http.post(
            portal.client_endpoint + "app.info", json={"auth": token}
        )

    assert after.status_code == 200


async def test_hanging_portal_outlasts_the_clients_timeout(
    served: tuple[EmulatorClient, PortalInfo, str],
) -> None:
    control, portal, token = served
    await control.inject_fault(portal.member_id, "timeout", seconds=30)

    async with httpx.AsyncClient(timeout=0.2) as http:
        with pytest.raises(httpx.ReadTimeout):
            await http.post(portal.client_endpoint + "app.info", json={"auth": token})


async def test_moved_portal_answers_on_its_new_port_and_redirects_from_the_old(
    served: tuple[EmulatorClient, PortalInfo, str],
) -> None:
    control, portal, token = served

    moved = await control.move_portal(portal.member_id)
    async with httpx.AsyncClient() as http:
        old = await http.post(portal.client_endpoint + "app.info", json={"auth": token})
        new = await http.post(moved.client_endpoint + "app.info", json={"auth": token})

    assert old.status_code == 302
    assert old.headers["location"] == moved.client_endpoint + "app.info"
    assert new.json()["result"]["INSTALLED"] is True
