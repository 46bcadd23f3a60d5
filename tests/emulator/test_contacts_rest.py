"""crm.contact.* envelopes, errors and list paging as documented."""

from __future__ import annotations

import pytest

from emulator.client import PortalInfo
from tests.emulator.conftest import World

pytestmark = pytest.mark.anyio

TIME_KEYS = {
    "start",
    "finish",
    "duration",
    "processing",
    "date_start",
    "date_finish",
    "operating",
    "operating_reset_at",
}


async def add_contacts(world: World, portal: PortalInfo, count: int) -> None:
    for number in range(count):
        await world.control.add_contact(portal.member_id, NAME=f"n{number}")


async def test_add_then_get_answers_result_and_a_time_block(world: World) -> None:
    portal, token = await world.installed_portal()
    fields = {"NAME": "иван", "SECOND_NAME": "петрович", "LAST_NAME": "сидоров"}

    added = await world.rest(portal, "crm.contact.add", {"fields": fields}, token)
    got = await world.rest(
        portal, "crm.contact.get", {"id": added.json()["result"]}, token
    )

    contact = got.json()["result"]
    assert added.json()["result"] == 1
    assert set(got.json()["time"]) == TIME_KEYS
    assert contact["ID"] == "1"
    assert (contact["NAME"], contact["SECOND_NAME"], contact["LAST_NAME"]) == (
        "иван",
        "петрович",
        "сидоров",
    )


async def test_get_of_a_missing_contact_is_400_with_empty_code(world: World) -> None:
    portal, token = await world.installed_portal()

    response = await world.rest(portal, "crm.contact.get", {"id": 99}, token)

    assert response.status_code == 400
    assert response.json() == {"error": "", "error_description": "Not found"}


async def test_get_without_a_valid_id_says_so(world: World) -> None:
    portal, token = await world.installed_portal()

    response = await world.rest(portal, "crm.contact.get", {"id": "x"}, token)

    assert response.status_code == 400
    assert response.json()["error_description"] == "ID is not defined or invalid."


async def test_update_answers_true_and_changes_only_given_fields(world: World) -> None:
    portal, token = await world.installed_portal()
    contact_id = await world.control.add_contact(
        portal.member_id, NAME="ivan", LAST_NAME="petrov"
    )
    params = {
        "id": contact_id,
        "fields": {"NAME": "Ivan"},
        "params": {"REGISTER_SONET_EVENT": "N"},
    }

    response = await world.rest(portal, "crm.contact.update", params, token)

    contact = await world.control.get_contact(portal.member_id, contact_id)
    assert response.json()["result"] is True
    assert (contact["NAME"], contact["LAST_NAME"]) == ("Ivan", "petrov")


async def test_update_of_a_missing_contact_is_contact_is_not_found(
    world: World,
) -> None:
    portal, token = await world.installed_portal()
    params = {"id": 5, "fields": {"NAME": "x"}}

    response = await world.rest(portal, "crm.contact.update", params, token)

    assert response.status_code == 400
    assert response.json() == {"error": "", "error_description": "Contact is not found"}


async def test_list_pages_by_fifty_with_total_and_next(world: World) -> None:
    portal, token = await world.installed_portal()
    await add_contacts(world, portal, 120)

    first = (await world.rest(portal, "crm.contact.list", {}, token)).json()
    last = (await world.rest(portal, "crm.contact.list", {"start": 100}, token)).json()

    assert (len(first["result"]), first["next"], first["total"]) == (50, 50, 120)
    assert (len(last["result"]), last["total"]) == (20, 120)
    assert "next" not in last


async def test_list_by_id_cursor_without_count(world: World) -> None:
    portal, token = await world.installed_portal()
    await add_contacts(world, portal, 60)
    params = {
        "order": {"ID": "ASC"},
        "filter": {">ID": 40},
        "select": ["ID", "NAME"],
        "start": -1,
    }

    answer = (await world.rest(portal, "crm.contact.list", params, token)).json()

    assert [row["ID"] for row in answer["result"]] == [str(i) for i in range(41, 61)]
    assert set(answer["result"][0]) == {"ID", "NAME"}
    assert answer["total"] == 0
    assert "next" not in answer


async def test_list_filters_on_field_equality_and_orders_descending(
    world: World,
) -> None:
    portal, token = await world.installed_portal()
    for name in ("anna", "boris", "anna"):
        await world.control.add_contact(portal.member_id, NAME=name)
    params = {"filter": {"NAME": "anna", "<ID": 10}, "order": {"ID": "DESC"}}

    answer = (await world.rest(portal, "crm.contact.list", params, token)).json()

    assert [row["ID"] for row in answer["result"]] == ["3", "1"]


async def test_delete_removes_the_contact(world: World) -> None:
    portal, token = await world.installed_portal()
    contact_id = await world.control.add_contact(portal.member_id, NAME="x")

    deleted = await world.rest(portal, "crm.contact.delete", {"id": contact_id}, token)
    again = await world.rest(portal, "crm.contact.delete", {"id": contact_id}, token)

    assert deleted.json()["result"] is True
    assert again.status_code == 400
    assert await world.control.list_contacts(portal.member_id) == []
