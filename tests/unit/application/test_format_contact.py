import asyncio

import pytest

from application.contacts import Outcome
from domain.names import NameField
from domain.portal import NameSettings, Portal
from tests.fakes import NOW
from tests.unit.application.conftest import ALPHA, World

pytestmark = pytest.mark.anyio


async def installed(world: World, language: str = "en") -> Portal:
    request = world.install_request(ALPHA, "alpha.bitrix24.com", language=language)
    return await world.install_app()(request)


async def test_changed_names_are_written_back_alone(world: World) -> None:
    portal = await installed(world)
    world.bitrix.portals[ALPHA].contacts["7"] = {
        "ID": "7",
        "NAME": "JOHN",
        "SECOND_NAME": "",
        "LAST_NAME": "Smith",
    }

    outcome = await world.format_contact()(portal, "7")

    assert outcome is Outcome.UPDATED
    [update] = world.bitrix.method_calls(ALPHA, "crm.contact.update")
    assert update == {
        "id": "7",
        "fields": {"NAME": "John"},
        "params": {"REGISTER_SONET_EVENT": "N"},
    }


async def test_tidy_contact_is_not_written(world: World) -> None:
    portal = await installed(world)
    world.bitrix.portals[ALPHA].contacts["7"] = {"NAME": "Иван", "LAST_NAME": "Иванов"}

    outcome = await world.format_contact()(portal, "7")

    assert outcome is Outcome.UNCHANGED
    assert world.bitrix.method_calls(ALPHA, "crm.contact.update") == []


async def test_second_pass_after_own_update_writes_nothing(world: World) -> None:
    portal = await installed(world)
    world.bitrix.portals[ALPHA].contacts["7"] = {"NAME": "иван", "LAST_NAME": "иванов"}

    first = await world.format_contact()(portal, "7")
    echo = await world.format_contact()(portal, "7")

    assert (first, echo) == (Outcome.UPDATED, Outcome.UNCHANGED)
    assert len(world.bitrix.method_calls(ALPHA, "crm.contact.update")) == 1


async def test_deleted_contact_ends_quietly(world: World) -> None:
    portal = await installed(world)

    outcome = await world.format_contact()(portal, "404")

    assert outcome is Outcome.GONE


async def test_portal_language_decides_rules(world: World) -> None:
    portal = await installed(world, language="es")
    world.bitrix.portals[ALPHA].contacts["7"] = {"LAST_NAME": "DE LA CRUZ"}

    await world.format_contact()(portal, "7")

    assert world.bitrix.portals[ALPHA].contacts["7"]["LAST_NAME"] == "de la Cruz"


async def test_settings_limit_fields_and_switch_off(world: World) -> None:
    portal = await installed(world)
    world.bitrix.portals[ALPHA].contacts["7"] = {"NAME": "JOHN", "LAST_NAME": "SMITH"}
    portal.change_settings(NameSettings(fields=frozenset({NameField.LAST})), NOW)

    await world.format_contact()(portal, "7")
    portal.change_settings(NameSettings(enabled=False), NOW)
    disabled = await world.format_contact()(portal, "7")

    assert world.bitrix.portals[ALPHA].contacts["7"] == {
        "NAME": "JOHN",
        "LAST_NAME": "Smith",
    }
    assert disabled is Outcome.DISABLED


async def test_expired_token_is_refreshed_stored_and_call_retried(world: World) -> None:
    portal = await installed(world)
    world.bitrix.portals[ALPHA].contacts["7"] = {"NAME": "JOHN"}
    world.bitrix.expire_all(ALPHA)
    refreshes_before = len(world.bitrix.refreshes)

    outcome = await world.format_contact()(portal, "7")

    stored = world.portals.get(ALPHA)
    assert outcome is Outcome.UPDATED
    assert len(world.bitrix.refreshes) == refreshes_before + 1
    assert stored is not None
    assert stored.access_token in world.bitrix.portals[ALPHA].access_tokens


async def test_concurrent_expired_calls_share_one_refresh(world: World) -> None:
    portal = await installed(world)
    for n in range(10):
        world.bitrix.portals[ALPHA].contacts[str(n)] = {"NAME": f"NAME{n}"}
    world.bitrix.expire_all(ALPHA)
    refreshes_before = len(world.bitrix.refreshes)
    world.bitrix.refresh_gate = asyncio.Event()

    jobs = [
        asyncio.create_task(world.format_contact()(portal, str(n))) for n in range(10)
    ]
    await asyncio.sleep(0.01)
    world.bitrix.refresh_gate.set()
    outcomes = await asyncio.gather(*jobs)

    assert outcomes == [Outcome.UPDATED] * 10
    assert len(world.bitrix.refreshes) == refreshes_before + 1
