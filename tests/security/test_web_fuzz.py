"""Hostile requests on the public endpoints of a service with one installed portal.

Whatever the body, query string or content type, the answer is not a server
error, it quotes no stored token, and nothing stored or sent to the portal
changes: generated requests never carry a live token (see `strategies`).
"""

from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from dependency_injector import providers
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.memory import InMemoryTokenRepository
from adapters.memory_inbox import InMemoryContactInbox
from application.ports import ContactJob
from domain.portal import Portal
from entrypoints.container import Container
from entrypoints.settings import Settings
from entrypoints.web import create_app
from tests.fakes import FakeBitrix24, fixed_clock
from tests.samples import encode_form, sample
from tests.security.strategies import (
    MEMBER_ID,
    bodies,
    content_types,
    forged_events,
    forged_settings,
    page_forms,
    queries,
)

pytestmark = pytest.mark.anyio

SETTINGS = Settings(
    client_id="local.app",
    client_secret="secret",
    public_url="https://names.example.com",
    storage_url="memory://",
)
FORM = "application/x-www-form-urlencoded"
PATHS = ["/events", "/install", "/", "/settings"]

#: Each example builds and installs a service of its own.
FUZZ = settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@dataclass(frozen=True)
class Snapshot:
    portals: list[Portal]
    jobs: list[ContactJob]
    calls: list[Any]
    refreshes: list[str]


class Service:
    """The web app over an in-memory store and a fake Bitrix24, one portal installed."""

    def __init__(self) -> None:
        self.bitrix = FakeBitrix24()
        self.portals = InMemoryTokenRepository()
        self.inbox = InMemoryContactInbox()
        container = Container(settings=SETTINGS)
        container.portals.override(providers.Object(self.portals))
        container.inbox.override(providers.Object(self.inbox))
        container.gateway.override(providers.Object(self.bitrix))
        container.clock.override(providers.Object(fixed_clock))
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(create_app(container)),
            base_url="https://names.example.com",
        )

    async def install(self) -> None:
        event = sample("onappinstall")
        portal = self.bitrix.add_portal(MEMBER_ID, event["auth"]["domain"])
        portal.refresh_tokens.add(event["auth"]["refresh_token"])
        response = await self.client.post(
            "/install", content=encode_form(event), headers={"content-type": FORM}
        )
        assert response.status_code == 200

    def snapshot(self) -> Snapshot:
        """What a request must not change: stored portals, queued contacts, REST
        calls and token refreshes."""
        return Snapshot(
            self.portals.list(),
            self.inbox.jobs(),
            list(self.bitrix.calls),
            list(self.bitrix.refreshes),
        )

    def secrets(self) -> list[str]:
        return [
            secret
            for portal in self.portals.list()
            for secret in (
                portal.access_token,
                portal.refresh_token,
                portal.application_token,
            )
        ]


async def answer_changes_nothing(
    method: str,
    path: str,
    query: str,
    body: bytes,
    content_type: str,
    declared_length: bytes | None = None,
) -> None:
    """Send one request to a freshly installed service and check the answer."""
    headers = {b"content-type": content_type.encode()}
    if declared_length is not None:
        headers[b"content-length"] = declared_length

    service = Service()
    async with service.client:
        await service.install()
        before = service.snapshot()

        response = await service.client.request(
            method, f"{path}?{query}" if query else path, content=body, headers=headers
        )

    assert response.status_code < 500, response.text
    assert service.snapshot() == before
    for secret in service.secrets():
        assert secret not in response.text


@FUZZ
@given(
    method=st.sampled_from(["POST", "POST", "GET", "PUT"]),
    path=st.sampled_from(PATHS),
    query=st.one_of(st.just(""), queries()),
    body=bodies(),
    content_type=content_types,
)
async def test_any_request_gets_an_answer_below_500_and_changes_nothing(
    method: str, path: str, query: str, body: bytes, content_type: str
) -> None:
    await answer_changes_nothing(method, path, query, body, content_type)


@FUZZ
@given(event=forged_events())
async def test_events_with_forged_tokens_change_nothing(event: dict[str, Any]) -> None:
    await answer_changes_nothing("POST", "/events", "", encode_form(event), FORM)


@FUZZ
@given(form=forged_settings())
async def test_settings_with_unsigned_form_tokens_change_nothing(
    form: dict[str, Any],
) -> None:
    await answer_changes_nothing("POST", "/settings", "", encode_form(form), FORM)


@FUZZ
@given(path=st.sampled_from(PATHS), query=queries(), form=page_forms())
async def test_forged_page_requests_change_nothing(
    path: str, query: str, form: dict[str, Any]
) -> None:
    await answer_changes_nothing("POST", path, query, encode_form(form), FORM)


@FUZZ
@given(
    path=st.sampled_from(PATHS),
    declared=st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E)),
    body=bodies(),
)
async def test_any_declared_length_gets_an_answer_below_500(
    path: str, declared: str, body: bytes
) -> None:
    await answer_changes_nothing("POST", path, "", body, FORM, declared.encode())


@pytest.mark.parametrize("declared", ["²", "¹²"], ids=["two", "twelve"])
async def test_declared_length_in_other_digits_gets_an_answer_below_500(
    declared: str,
) -> None:
    await answer_changes_nothing(
        "POST", "/events", "", b"a=1", FORM, declared.encode("latin-1")
    )
