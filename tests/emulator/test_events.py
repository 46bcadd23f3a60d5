"""event.bind rules and event delivery exactly as Bitrix24 sends it."""

from __future__ import annotations

import asyncio

import pytest

from tests.emulator.conftest import HANDLER_URL, World

pytestmark = pytest.mark.anyio

#: The bracket keys of samples/oncrmcontactupdate.json, form-encoded.
CONTACT_EVENT_KEYS = {
    "event",
    "event_handler_id",
    "data[FIELDS][ID]",
    "ts",
    "auth[access_token]",
    "auth[expires_in]",
    "auth[scope]",
    "auth[domain]",
    "auth[server_endpoint]",
    "auth[status]",
    "auth[client_endpoint]",
    "auth[member_id]",
    "auth[refresh_token]",
    "auth[application_token]",
}

#: The bracket keys of samples/onappuninstall.json, plus the handler id.
UNINSTALL_KEYS = {
    "event",
    "event_handler_id",
    "data[LANGUAGE_ID]",
    "data[CLEAN]",
    "ts",
    "auth[domain]",
    "auth[server_endpoint]",
    "auth[client_endpoint]",
    "auth[member_id]",
    "auth[application_token]",
}

#: The bracket keys of samples/onappupdate.json, plus the handler id.
UPDATE_KEYS = {
    "event",
    "event_handler_id",
    "data[VERSION]",
    "data[PREVIOUS_VERSION]",
    "data[LANGUAGE_ID]",
    "ts",
    *(key for key in CONTACT_EVENT_KEYS if key.startswith("auth[")),
}


async def test_binding_the_same_handler_twice_is_the_documented_error(
    world: World,
) -> None:
    portal, token = await world.installed_portal()
    params = {"event": "ONCRMCONTACTUPDATE", "handler": HANDLER_URL}
    await world.rest(portal, "event.bind", params, token)

    again = await world.rest(portal, "event.bind", params, token)

    assert again.status_code == 400
    assert again.json() == {
        "error": "ERROR_CORE",
        "error_description": "Unable to set event handler: Handler already binded",
    }


async def test_bind_needs_event_and_handler(world: World) -> None:
    portal, token = await world.installed_portal()

    response = await world.rest(
        portal, "event.bind", {"event": "ONCRMCONTACTADD"}, token
    )

    assert response.status_code == 400
    assert response.json()["error_description"] == "Argument 'HANDLER' is null or empty"


async def test_bind_refuses_unknown_events_and_dotless_hosts(world: World) -> None:
    portal, token = await world.installed_portal()
    unknown = {"event": "ONCRMDEALFLY", "handler": HANDLER_URL}
    dotless = {"event": "ONCRMCONTACTADD", "handler": "http://localhost:8000/e"}

    first = await world.rest(portal, "event.bind", unknown, token)
    second = await world.rest(portal, "event.bind", dotless, token)

    assert first.json()["error"] == "ERROR_EVENT_NOT_FOUND"
    assert second.json()["error"] == "ERROR_WRONG_HANDLER_URL"


async def test_event_get_lists_and_unbind_removes_bindings(world: World) -> None:
    portal, token = await world.installed_portal()
    await world.bind(portal, token, "onCrmContactAdd")

    listed = await world.rest(portal, "event.get", {}, token)
    unbound = await world.rest(
        portal,
        "event.unbind",
        {"event": "ONCRMCONTACTADD", "handler": HANDLER_URL},
        token,
    )

    assert listed.json()["result"] == [
        {
            "event": "ONCRMCONTACTADD",
            "handler": HANDLER_URL,
            "auth_type": "0",
            "offline": 0,
        }
    ]
    assert unbound.json()["result"] == {"count": 1}
    assert (await world.control.portal(portal.member_id))["bindings"] == []


async def test_user_edit_is_delivered_with_the_documented_keys(world: World) -> None:
    portal, token = await world.installed_portal()
    await world.bind(portal, token, "ONCRMCONTACTUPDATE")
    contact_id = await world.control.add_contact(portal.member_id, NAME="ivan")
    state = await world.control.portal(portal.member_id)

    await world.control.edit_contact(portal.member_id, contact_id, NAME="Ivan")
    log = await world.control.wait_for_deliveries()

    [delivery] = world.app_side.events("ONCRMCONTACTUPDATE")
    assert {key for key, _ in delivery.pairs} == CONTACT_EVENT_KEYS
    assert delivery.body["data"] == {"FIELDS": {"ID": contact_id}}
    assert delivery.body["auth"]["application_token"] == state["application_token"]
    assert delivery.body["auth"]["member_id"] == portal.member_id
    assert delivery.body["auth"]["access_token"] != token
    assert [(d["event"], d["status"]) for d in log.records] == [
        ("ONCRMCONTACTUPDATE", 200)
    ]


async def test_user_tokens_in_events_are_valid(world: World) -> None:
    portal, token = await world.installed_portal()
    await world.bind(portal, token, "ONCRMCONTACTADD")

    await world.control.add_contact(portal.member_id, NAME="ivan")
    await world.control.wait_for_deliveries()

    [delivery] = world.app_side.events("ONCRMCONTACTADD")
    user_token = delivery.body["auth"]["access_token"]
    assert (await world.rest(portal, "app.info", {}, user_token)).status_code == 200


async def test_robot_changes_are_delivered_without_tokens(world: World) -> None:
    portal, token = await world.installed_portal()
    await world.bind(portal, token, "ONCRMCONTACTADD")

    await world.control.add_contact(portal.member_id, actor="robot", NAME="x")
    await world.control.wait_for_deliveries()

    [delivery] = world.app_side.events("ONCRMCONTACTADD")
    assert "access_token" not in delivery.body["auth"]
    assert "refresh_token" not in delivery.body["auth"]


async def test_the_apps_own_rest_update_fires_the_event_again(world: World) -> None:
    portal, token = await world.installed_portal()
    await world.bind(portal, token, "ONCRMCONTACTUPDATE")
    contact_id = await world.control.add_contact(portal.member_id, NAME="ivan")
    params = {"id": contact_id, "fields": {"NAME": "Ivan"}}

    await world.rest(portal, "crm.contact.update", params, token)
    await world.control.wait_for_deliveries()

    [delivery] = world.app_side.events("ONCRMCONTACTUPDATE")
    assert delivery.body["auth"]["access_token"] == token
    assert delivery.body["event_handler_id"] == str(
        (await world.control.portal(portal.member_id))["bindings"][0]["id"]
    )


async def test_rest_call_answers_before_the_event_is_delivered(world: World) -> None:
    portal, token = await world.installed_portal()
    await world.bind(portal, token, "ONCRMCONTACTADD")
    world.app_side.gate = asyncio.Event()

    response = await world.rest(portal, "crm.contact.add", {"fields": {"N": 1}}, token)

    assert response.status_code == 200
    assert (await world.control.deliveries(portal.member_id)).in_flight == 1
    world.app_side.gate.set()
    assert (await world.control.wait_for_deliveries()).in_flight == 0
    assert len(world.app_side.events("ONCRMCONTACTADD")) == 1


async def test_delete_fires_unless_silent(world: World) -> None:
    portal, token = await world.installed_portal()
    await world.bind(portal, token, "ONCRMCONTACTDELETE")
    loud = await world.control.add_contact(portal.member_id, NAME="a")
    quiet = await world.control.add_contact(portal.member_id, NAME="b")

    await world.control.delete_contact(portal.member_id, loud)
    await world.control.delete_contact(portal.member_id, quiet, silent=True)
    await world.control.wait_for_deliveries()

    deliveries = world.app_side.events("ONCRMCONTACTDELETE")
    assert [d.body["data"]["FIELDS"]["ID"] for d in deliveries] == [loud]


async def test_failed_delivery_is_logged_and_not_retried(world: World) -> None:
    portal, token = await world.installed_portal()
    await world.bind(portal, token, "ONCRMCONTACTADD")
    world.app_side.event_status = 500

    await world.control.add_contact(portal.member_id, NAME="x")
    log = await world.control.wait_for_deliveries()

    assert [d["status"] for d in log.records] == [500]
    assert len(world.app_side.events("ONCRMCONTACTADD")) == 1


async def test_update_app_sends_new_application_token_and_can_drop_handlers(
    world: World,
) -> None:
    portal, token = await world.installed_portal()
    await world.bind(portal, token, "ONAPPUPDATE")
    before = await world.control.portal(portal.member_id)

    await world.control.update_app(portal.member_id, "2", drop_handlers=True)
    await world.control.wait_for_deliveries()

    [delivery] = world.app_side.events("ONAPPUPDATE")
    after = await world.control.portal(portal.member_id)
    assert {key for key, _ in delivery.pairs} == UPDATE_KEYS
    assert delivery.body["data"]["VERSION"] == "2"
    assert delivery.body["data"]["PREVIOUS_VERSION"] == "1"
    assert delivery.body["auth"]["application_token"] == after["application_token"]
    assert after["application_token"] != before["application_token"]
    assert after["bindings"] == []


async def test_uninstall_sends_no_tokens_then_kills_tokens_and_bindings(
    world: World,
) -> None:
    portal, token = await world.installed_portal()
    await world.bind(portal, token, "ONAPPUNINSTALL")
    await world.bind(portal, token, "ONCRMCONTACTADD")

    await world.control.uninstall(portal.member_id, clean=True)
    await world.control.add_contact(portal.member_id, NAME="x")
    await world.control.wait_for_deliveries()

    [delivery] = world.app_side.events("ONAPPUNINSTALL")
    state = await world.control.portal(portal.member_id)
    assert {key for key, _ in delivery.pairs} == UNINSTALL_KEYS
    assert delivery.body["data"]["CLEAN"] == "1"
    assert world.app_side.events("ONCRMCONTACTADD") == []
    assert (state["installed"], state["bindings"]) == (False, [])
    assert (await world.rest(portal, "app.info", {}, token)).status_code == 401
