from dataclasses import replace

import pytest

from application.errors import TokensNotProven
from application.handlers import HANDLED_EVENTS
from domain.names import NameField
from domain.portal import NameSettings, PortalStatus
from tests.fakes import NOW
from tests.unit.application.conftest import ALPHA, BETA, EVENTS_URL, World

pytestmark = pytest.mark.anyio


async def test_install_stores_portal_with_proven_tokens(world: World) -> None:
    request = world.install_request(ALPHA, "alpha.bitrix24.com", language="ru")

    await world.install_app()(request)

    stored = world.portals.get(ALPHA)
    assert stored is not None
    assert stored.domain == "alpha.bitrix24.com"
    assert stored.client_endpoint == "https://alpha.bitrix24.com/rest/"
    assert stored.language == "ru"
    assert stored.status is PortalStatus.ACTIVE
    assert stored.application_token == "apptok"
    assert stored.refresh_token != request.refresh_token
    assert stored.access_token in world.bitrix.portals[ALPHA].access_tokens
    assert stored.installed_at == NOW


async def test_install_binds_every_handled_event_to_events_url(world: World) -> None:
    await world.install_app()(world.install_request(ALPHA, "alpha.bitrix24.com"))

    bindings = world.bitrix.portals[ALPHA].bindings
    assert sorted(b["event"] for b in bindings) == sorted(HANDLED_EVENTS)
    assert {b["handler"] for b in bindings} == {EVENTS_URL}


async def test_reinstall_binds_nothing_twice(world: World) -> None:
    await world.install_app()(world.install_request(ALPHA, "alpha.bitrix24.com"))

    await world.install_app()(world.install_request(ALPHA, "alpha.bitrix24.com"))

    assert len(world.bitrix.portals[ALPHA].bindings) == len(HANDLED_EVENTS)
    handler_binds = [
        call
        for call in world.bitrix.method_calls(ALPHA, "event.bind")
        if "handler" in call
    ]
    assert len(handler_binds) == len(HANDLED_EVENTS)


async def test_bind_answering_already_bound_is_not_an_error(world: World) -> None:
    world.bitrix.add_portal(
        ALPHA, "alpha.bitrix24.com"
    ).event_get_lists_bindings = False
    world.bitrix.portals[ALPHA].bindings.append(
        {"event": "ONCRMCONTACTADD", "handler": EVENTS_URL}
    )

    await world.install_app()(world.install_request(ALPHA, "alpha.bitrix24.com"))

    assert len(world.bitrix.portals[ALPHA].bindings) == len(HANDLED_EVENTS)


async def test_reinstall_replaces_tokens_and_keeps_settings(world: World) -> None:
    await world.install_app()(world.install_request(ALPHA, "alpha.bitrix24.com"))
    first = world.portals.get(ALPHA)
    assert first is not None
    settings = NameSettings(fields=frozenset({NameField.LAST}))
    first.change_settings(settings, NOW)
    world.portals.save(first)

    await world.install_app()(
        world.install_request(ALPHA, "alpha.bitrix24.com", token="newtok")
    )

    again = world.portals.get(ALPHA)
    assert again is not None
    assert again.application_token == "newtok"
    assert again.refresh_token != first.refresh_token
    assert again.settings == settings


async def test_second_portal_install_keeps_first_portal_tokens(world: World) -> None:
    await world.install_app()(world.install_request(ALPHA, "alpha.bitrix24.com"))
    before = world.portals.get(ALPHA)

    await world.install_app()(world.install_request(BETA, "beta.bitrix24.com"))

    assert world.portals.get(ALPHA) == before
    assert [p.member_id for p in world.portals.list()] == [ALPHA, BETA]


async def test_install_with_another_portals_tokens_is_refused(world: World) -> None:
    await world.install_app()(world.install_request(ALPHA, "alpha.bitrix24.com"))
    before = world.portals.get(ALPHA)
    beta = world.install_request(BETA, "beta.bitrix24.com")
    forged = replace(
        beta, member_id=ALPHA, client_endpoint="https://alpha.bitrix24.com/rest/"
    )

    with pytest.raises(TokensNotProven):
        await world.install_app()(forged)

    assert world.portals.get(ALPHA) == before


async def test_install_with_unknown_refresh_token_is_refused(world: World) -> None:
    request = replace(
        world.install_request(ALPHA, "alpha.bitrix24.com"), refresh_token="bogus"
    )

    with pytest.raises(TokensNotProven):
        await world.install_app()(request)

    assert world.portals.get(ALPHA) is None
