"""The service and the emulator over real loopback sockets."""

import asyncio
from pathlib import Path

import httpx
import pytest

from adapters.sqlite import SqliteTokenRepository
from emulator import EmulatorClient
from entrypoints.demo import Stack, wait_until_processed
from tests.samples import encode_form

pytestmark = [pytest.mark.anyio, pytest.mark.e2e]


async def installed_portal(
    emulator: EmulatorClient, language: str = "en", flow: str = "event"
) -> str:
    portal = await emulator.create_portal(language=language)
    result = await emulator.install(portal.member_id, flow=flow)
    assert result.installed, result
    return portal.member_id


async def updates_of(emulator: EmulatorClient, member_id: str) -> list[str]:
    calls = await emulator.calls(member_id)
    return [
        str(call["params"]["id"])
        for call in calls
        if call["method"] == "crm.contact.update"
    ]


async def test_two_portals_get_their_names_formatted_apart(
    stack: Stack, tmp_path: Path
) -> None:
    emulator = stack.emulator
    english = await installed_portal(emulator, "en", flow="ui")
    russian = await installed_portal(emulator, "ru", flow="event")

    john = await emulator.add_contact(english, NAME="JOHN", LAST_NAME="smith")
    ivan = await emulator.add_contact(russian, NAME="иван", LAST_NAME="иванов")
    await wait_until_processed(stack, english)
    await wait_until_processed(stack, russian)

    en_contact = await emulator.get_contact(english, john)
    ru_contact = await emulator.get_contact(russian, ivan)
    assert (en_contact["NAME"], en_contact["LAST_NAME"]) == ("John", "Smith")
    assert (ru_contact["NAME"], ru_contact["LAST_NAME"]) == ("Иван", "Иванов")
    stored = SqliteTokenRepository(tmp_path / "b24names.sqlite3")
    en_portal, ru_portal = stored.get(english), stored.get(russian)
    assert en_portal is not None
    assert ru_portal is not None
    assert en_portal.access_token != ru_portal.access_token
    assert en_portal.client_endpoint != ru_portal.client_endpoint


async def test_second_install_leaves_first_portal_working(stack: Stack) -> None:
    emulator = stack.emulator
    first = await installed_portal(emulator)
    await installed_portal(emulator)

    contact = await emulator.add_contact(first, NAME="mary-jane", LAST_NAME="o'neil")
    await wait_until_processed(stack, first)

    names = await emulator.get_contact(first, contact)
    assert (names["NAME"], names["LAST_NAME"]) == ("Mary-Jane", "O'Neil")


async def test_each_changed_contact_is_updated_once_and_tidy_ones_never(
    stack: Stack,
) -> None:
    emulator = stack.emulator
    member_id = await installed_portal(emulator)

    messy = await emulator.add_contact(member_id, NAME="JOHN", LAST_NAME="SMITH")
    tidy = await emulator.add_contact(member_id, NAME="Anna", LAST_NAME="Smith")
    await wait_until_processed(stack, member_id)

    assert await updates_of(emulator, member_id) == [messy]
    deliveries = await emulator.deliveries(member_id)
    echoes = [d for d in deliveries.records if d["event"] == "ONCRMCONTACTUPDATE"]
    assert len(echoes) == 1
    assert tidy not in await updates_of(emulator, member_id)


async def test_concurrent_events_after_expiry_share_exactly_one_refresh(
    stack: Stack,
) -> None:
    emulator = stack.emulator
    member_id = await installed_portal(emulator)
    ids = [
        await emulator.add_contact(member_id, actor="robot", NAME="Tidy")
        for _ in range(8)
    ]
    await wait_until_processed(stack, member_id)
    refreshes = (await emulator.portal(member_id))["refreshes"]
    await emulator.expire_tokens(member_id)

    await asyncio.gather(
        *(emulator.edit_contact(member_id, i, NAME="PETER") for i in ids)
    )
    await wait_until_processed(stack, member_id)

    assert (await emulator.portal(member_id))["refreshes"] == refreshes + 1
    for contact_id in ids:
        assert (await emulator.get_contact(member_id, contact_id))["NAME"] == "Peter"


async def test_events_after_uninstall_are_refused(stack: Stack) -> None:
    member_id = await installed_portal(stack.emulator)
    portal = await stack.emulator.portal(member_id)
    event = {
        "event": "ONCRMCONTACTUPDATE",
        "data": {"FIELDS": {"ID": "1"}},
        "auth": {
            "member_id": member_id,
            "domain": portal["domain"],
            "application_token": portal["application_token"],
        },
    }

    await stack.emulator.uninstall(member_id, clean=False)
    await stack.emulator.wait_for_deliveries(member_id=member_id)
    async with httpx.AsyncClient(base_url=stack.service_url) as client:
        answer = await client.post(
            "/events",
            content=encode_form(event),
            headers={"content-type": "application/x-www-form-urlencoded"},
        )

    uninstall = (await stack.emulator.deliveries(member_id)).records[-1]
    assert (uninstall["event"], uninstall["status"]) == ("ONAPPUNINSTALL", 200)
    assert answer.status_code == 401
