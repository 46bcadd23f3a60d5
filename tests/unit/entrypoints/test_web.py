"""The web endpoints with the documented payloads, encoded as Bitrix24 sends them."""

import re
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from dependency_injector import providers

from adapters.memory import InMemoryTokenRepository
from adapters.memory_inbox import InMemoryContactInbox
from domain.names import NameField
from domain.portal import NameSettings
from entrypoints.checkpoints import checkpoints_of
from entrypoints.container import Container
from entrypoints.settings import Settings
from entrypoints.web import create_app
from tests.fakes import FakeBitrix24, MovableClock
from tests.samples import encode_form, sample

pytestmark = pytest.mark.anyio

MEMBER_ID = "a223c6b3710f85df22e9377d6c4f7553"
FORM = {"content-type": "application/x-www-form-urlencoded"}
SETTINGS = Settings(
    client_id="local.app",
    client_secret="secret",
    public_url="https://names.example.com",
    storage_url="memory://",
)


class Service:
    def __init__(self) -> None:
        self.bitrix = FakeBitrix24()
        self.portals = InMemoryTokenRepository()
        self.inbox = InMemoryContactInbox()
        self.container = Container(settings=SETTINGS)
        self.container.portals.override(providers.Object(self.portals))
        self.container.inbox.override(providers.Object(self.inbox))
        self.container.gateway.override(providers.Object(self.bitrix))
        self.clock = MovableClock()
        self.container.clock.override(providers.Object(self.clock))
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(create_app(self.container)),
            base_url="https://names.example.com",
        )

    async def post(
        self, path: str, data: dict[str, Any], query: str = ""
    ) -> httpx.Response:
        url = f"{path}?{query}" if query else path
        return await self.client.post(url, content=encode_form(data), headers=FORM)

    async def install_by_event(self) -> dict[str, Any]:
        event = sample("onappinstall")
        portal = self.bitrix.add_portal(MEMBER_ID, event["auth"]["domain"])
        portal.refresh_tokens.add(event["auth"]["refresh_token"])
        assert (await self.post("/install", event)).status_code == 200
        return event


@pytest.fixture
async def service() -> AsyncIterator[Service]:
    subject = Service()
    async with subject.client:
        yield subject


def contact_event(token: str = "51856fefc120afa4b628cc82d3935cce") -> dict[str, Any]:
    event = sample("oncrmcontactupdate")
    event["auth"]["application_token"] = token
    return event


async def test_install_event_stores_portal_and_binds_handlers(service: Service) -> None:
    await service.install_by_event()

    stored = service.portals.get(MEMBER_ID)
    assert stored is not None
    assert stored.domain == "some-domain.bitrix24.com"
    assert stored.language == "de"
    handlers = {b["handler"] for b in service.bitrix.portals[MEMBER_ID].bindings}
    assert handlers == {"https://names.example.com/events"}


async def test_ui_install_answers_page_that_finishes_install(service: Service) -> None:
    install = sample("ui-install")
    portal = service.bitrix.add_portal(MEMBER_ID, "portal.bitrix24.com")
    portal.refresh_tokens.add(install["form"]["REFRESH_ID"])
    query = "&".join(f"{k}={v}" for k, v in install["query"].items())

    response = await service.post("/install", install["form"], query=query)

    assert response.status_code == 200
    assert "BX24.installFinish()" in response.text
    stored = service.portals.get(MEMBER_ID)
    assert stored is not None
    assert stored.client_endpoint == "https://portal.bitrix24.com/rest/"
    assert stored.application_token == install["form"]["APPLICATION_TOKEN"]
    assert install["form"]["AUTH_ID"] not in response.text


async def test_forged_install_is_refused_with_403(service: Service) -> None:
    service.bitrix.add_portal(MEMBER_ID, "some-domain.bitrix24.com")

    response = await service.post("/install", sample("onappinstall"))

    assert response.status_code == 403
    assert service.portals.get(MEMBER_ID) is None


async def test_contact_event_is_queued_and_answered_without_rest_calls(
    service: Service,
) -> None:
    await service.install_by_event()
    calls_before = len(service.bitrix.calls)

    response = await service.post("/events", contact_event())

    assert response.status_code == 200
    assert len(service.bitrix.calls) == calls_before
    [job] = service.inbox.jobs(MEMBER_ID)
    assert job.contact_id == "82"


async def test_queued_contact_is_formatted_by_a_worker(service: Service) -> None:
    await service.install_by_event()
    service.bitrix.portals[MEMBER_ID].contacts["82"] = {
        "NAME": "JOHN",
        "LAST_NAME": "smith",
    }
    await service.post("/events", contact_event())
    service.clock.advance(1)  # past the moment jobs wait for their burst

    await service.container.contact_worker(owner="test").run_once()

    assert service.bitrix.portals[MEMBER_ID].contacts["82"] == {
        "NAME": "John",
        "LAST_NAME": "Smith",
    }


@pytest.mark.parametrize("token", ["0" * 32, "", "51856fefc120afa4b628cc82d3935cc"])
async def test_event_with_wrong_application_token_gets_401_and_runs_nothing(
    service: Service, token: str, caplog: pytest.LogCaptureFixture
) -> None:
    await service.install_by_event()
    calls_before = len(service.bitrix.calls)

    response = await service.post("/events", contact_event(token))

    assert response.status_code in {400, 401}
    assert response.json()["error"]
    assert len(service.bitrix.calls) == calls_before
    assert service.inbox.jobs() == []
    if token:
        assert response.status_code == 401
        assert MEMBER_ID in caplog.text
        assert token not in caplog.text


async def test_event_for_unknown_portal_gets_401(service: Service) -> None:
    response = await service.post("/events", contact_event())

    assert response.status_code == 401
    assert service.bitrix.calls == []


async def test_unknown_event_is_acknowledged_and_ignored(service: Service) -> None:
    event = contact_event()
    event["event"] = "ONCRMDEALADD"

    response = await service.post("/events", event)

    assert response.status_code == 200
    assert response.json() == {"result": "ignored"}


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"event=ONCRMCONTACTUPDATE", "auth is missing"),
        (b"event=ONCRMCONTACTUPDATE&auth[member_id]=../../etc", "member_id"),
        (b"auth[member_id]=a223c6b3710f85df22e9377d6c4f7553", "event is missing"),
        (b"event=X&event[a]=1", "group"),
    ],
)
async def test_malformed_event_gets_400_naming_the_problem(
    service: Service, body: bytes, reason: str
) -> None:
    response = await service.client.post("/events", content=body, headers=FORM)

    assert response.status_code == 400
    assert reason in response.json()["error_description"]


async def test_contact_event_without_contact_id_gets_400(service: Service) -> None:
    await service.install_by_event()
    event = contact_event()
    del event["data"]

    response = await service.post("/events", event)

    assert response.status_code == 400


async def test_oversized_body_gets_413(service: Service) -> None:
    response = await service.client.post(
        "/events", content=b"a=" + b"x" * 70_000, headers=FORM
    )

    assert response.status_code == 413


async def test_uninstall_with_clean_deletes_portal_and_its_backfill_checkpoint(
    service: Service, tmp_path: Path
) -> None:
    await service.install_by_event()
    service.container.settings.override(replace(SETTINGS, data_dir=tmp_path))
    checkpoints_of(tmp_path).save(MEMBER_ID, 300)

    response = await service.post("/events", sample("onappuninstall"))

    assert response.status_code == 200
    assert service.portals.get(MEMBER_ID) is None
    assert checkpoints_of(tmp_path).load(MEMBER_ID) == 0


async def test_spoofed_uninstall_changes_nothing(service: Service) -> None:
    await service.install_by_event()
    event = sample("onappuninstall")
    event["auth"]["application_token"] = "f" * 32

    response = await service.post("/events", event)

    assert response.status_code == 401
    assert service.portals.get(MEMBER_ID) is not None


async def test_app_update_takes_new_application_token(service: Service) -> None:
    await service.install_by_event()
    update = sample("onappupdate")
    update["auth"]["member_id"] = MEMBER_ID
    service.bitrix.portals[MEMBER_ID].refresh_tokens.add(
        update["auth"]["refresh_token"]
    )

    response = await service.post("/events", update)

    assert response.status_code == 200
    stored = service.portals.get(MEMBER_ID)
    assert stored is not None
    assert stored.application_token == update["auth"]["application_token"]
    assert stored.app_version == "2"
    assert stored.language == "ru"


async def test_app_page_shows_portal_only_to_a_proven_user(service: Service) -> None:
    await service.install_by_event()
    access, _ = service.bitrix.issue_tokens(MEMBER_ID)

    anonymous = await service.client.get("/")
    proven = await service.post("/", {"member_id": MEMBER_ID, "AUTH_ID": access})
    stranger = await service.post("/", {"member_id": MEMBER_ID, "AUTH_ID": "stolen"})

    assert anonymous.status_code == 200
    assert "some-domain.bitrix24.com" not in anonymous.text
    assert "some-domain.bitrix24.com" in proven.text
    assert access not in proven.text
    assert stranger.status_code == 403


async def test_health_answers_ok(service: Service) -> None:
    assert (await service.client.get("/health")).json() == {"status": "ok"}


async def open_page(service: Service) -> str:
    """The proven app page's settings form token."""
    access, _ = service.bitrix.issue_tokens(MEMBER_ID)
    page = await service.post("/", {"member_id": MEMBER_ID, "AUTH_ID": access})
    found = re.search(r'name="form_token" value="([^"]+)"', page.text)
    assert found is not None
    return found.group(1)


def settings_form(token: str, **extra: Any) -> dict[str, Any]:
    return {
        "member_id": MEMBER_ID,
        "form_token": token,
        "fields": {"0": "last"},
        "language": "ua",
        **extra,
    }


async def test_settings_form_from_the_proven_page_changes_settings(
    service: Service,
) -> None:
    await service.install_by_event()
    token = await open_page(service)

    response = await service.post("/settings", settings_form(token, enabled="Y"))

    assert response.status_code == 200
    stored = service.portals.get(MEMBER_ID)
    assert stored is not None
    assert stored.settings == NameSettings(
        enabled=True, fields=frozenset({NameField.LAST}), language="uk"
    )


@pytest.mark.parametrize(
    ("token", "status"),
    [
        ("", 400),
        ("9999999999." + "0" * 64, 401),
        ("1." + "0" * 64, 401),
    ],
)
async def test_settings_form_without_a_valid_token_changes_nothing(
    service: Service, token: str, status: int
) -> None:
    await service.install_by_event()

    response = await service.post("/settings", settings_form(token))

    assert response.status_code == status
    stored = service.portals.get(MEMBER_ID)
    assert stored is not None
    assert stored.settings == NameSettings()


async def test_settings_form_token_of_another_portal_is_refused(
    service: Service,
) -> None:
    await service.install_by_event()
    other = service.container.page_tokens().issue("b" * 32)

    response = await service.post("/settings", settings_form(other))

    assert response.status_code == 401


async def test_settings_form_posted_from_another_site_is_refused(
    service: Service,
) -> None:
    await service.install_by_event()
    token = await open_page(service)

    response = await service.client.post(
        "/settings",
        content=encode_form(settings_form(token)),
        headers={**FORM, "origin": "https://evil.example"},
    )

    assert response.status_code == 403
    stored = service.portals.get(MEMBER_ID)
    assert stored is not None
    assert stored.settings == NameSettings()


async def test_page_of_a_user_who_is_not_admin_has_no_settings_form(
    service: Service,
) -> None:
    await service.install_by_event()
    access, _ = service.bitrix.issue_tokens(MEMBER_ID, admin=False)

    page = await service.post("/", {"member_id": MEMBER_ID, "AUTH_ID": access})

    assert page.status_code == 200
    assert "some-domain.bitrix24.com" in page.text
    assert "form_token" not in page.text


async def test_expired_settings_form_is_refused(service: Service) -> None:
    await service.install_by_event()
    token = await open_page(service)
    service.clock.advance(31 * 60)

    response = await service.post("/settings", settings_form(token))

    assert response.status_code == 401


async def test_install_without_application_token_pins_first_proven_event(
    service: Service,
) -> None:
    install = sample("ui-install")
    del install["form"]["APPLICATION_TOKEN"]
    portal = service.bitrix.add_portal(MEMBER_ID, "portal.bitrix24.com")
    portal.refresh_tokens.add(install["form"]["REFRESH_ID"])
    query = "&".join(f"{k}={v}" for k, v in install["query"].items())
    await service.post("/install", install["form"], query=query)
    user_access, _ = service.bitrix.issue_tokens(MEMBER_ID)
    forged = contact_event("f" * 32)
    forged["auth"]["access_token"] = "stolen"
    genuine = contact_event("c" * 32)
    genuine["auth"]["access_token"] = user_access

    refused = await service.post("/events", forged)
    pinned = await service.post("/events", genuine)
    later = await service.post("/events", contact_event("c" * 32))
    other = await service.post("/events", contact_event("d" * 32))

    assert (refused.status_code, pinned.status_code) == (403, 200)
    assert (later.status_code, other.status_code) == (200, 401)


async def test_refusal_shown_in_the_frame_is_an_html_page(service: Service) -> None:
    response = await service.client.post(
        "/settings",
        content=b"member_id=a223c6b3710f85df22e9377d6c4f7553",
        headers={**FORM, "accept": "text/html,application/xhtml+xml"},
    )

    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/html")
    assert "form_token is missing" in response.text
