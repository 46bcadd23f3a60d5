"""How portals reject calls: missing, unknown, expired and foreign tokens."""

from __future__ import annotations

import pytest

from tests.emulator.conftest import World

pytestmark = pytest.mark.anyio


async def test_call_without_auth_is_no_auth_found(world: World) -> None:
    portal, _ = await world.installed_portal()

    response = await world.rest(portal, "app.info", {}, None)

    assert response.status_code == 401
    assert response.json() == {
        "error": "NO_AUTH_FOUND",
        "error_description": "Wrong authorization data",
    }


async def test_unknown_token_is_invalid_token(world: World) -> None:
    portal, _ = await world.installed_portal()

    response = await world.rest(portal, "app.info", {}, "f" * 32)

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"


async def test_token_is_expired_after_its_lifetime(world: World) -> None:
    portal, token = await world.installed_portal()
    world.clock.advance(3600)

    response = await world.rest(portal, "app.info", {}, token)

    assert response.status_code == 401
    assert response.json() == {
        "error": "expired_token",
        "error_description": "The access token provided has expired.",
    }


async def test_expire_tokens_expires_them_at_once(world: World) -> None:
    portal, token = await world.installed_portal()

    await world.control.expire_tokens(portal.member_id)
    response = await world.rest(portal, "app.info", {}, token)

    assert response.json()["error"] == "expired_token"


async def test_token_of_another_portal_is_rejected(world: World) -> None:
    first, _ = await world.installed_portal()
    _, foreign_token = await world.installed_portal()

    response = await world.rest(first, "app.info", {}, foreign_token)

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"


async def test_unknown_method_is_method_not_found(world: World) -> None:
    portal, token = await world.installed_portal()

    response = await world.rest(portal, "crm.deal.teleport", {}, token)

    assert response.status_code == 404
    assert response.json()["error"] == "ERROR_METHOD_NOT_FOUND"


async def test_method_answers_with_json_suffix_form_body_and_query_string(
    world: World,
) -> None:
    portal, token = await world.installed_portal()

    form = await world.http.post(
        portal.client_endpoint + "app.info.json", data={"auth": token}
    )
    query = await world.http.get(
        portal.client_endpoint + "app.info", params={"auth": token}
    )

    assert form.json()["result"]["INSTALLED"] is True
    assert query.json()["result"]["INSTALLED"] is True


async def test_server_endpoint_serves_the_portal_of_the_token(world: World) -> None:
    portal, token = await world.installed_portal()

    response = await world.http.post("/rest/app.info", json={"auth": token})

    assert response.json()["result"]["LANGUAGE_ID"] == "en"
    assert len(await world.control.calls(portal.member_id)) == 1


async def test_calls_are_logged_without_tokens(world: World) -> None:
    portal, token = await world.installed_portal()
    await world.rest(portal, "crm.contact.get", {"id": 7}, token)

    calls = await world.control.calls(portal.member_id)

    assert calls == [
        {
            "method": "crm.contact.get",
            "params": {"id": 7},
            "status": 400,
            "error": "",
            "batch_key": None,
            "fault": None,
        }
    ]


async def test_user_admin_is_true_only_for_the_installing_administrator(
    world: World,
) -> None:
    portal, admin_token = await world.installed_portal()
    await world.bind(portal, admin_token, "ONCRMCONTACTADD")
    await world.control.add_contact(portal.member_id, NAME="x")
    await world.control.wait_for_deliveries()
    [event] = world.app_side.events("ONCRMCONTACTADD")
    editor_token = event.body["auth"]["access_token"]

    admin = await world.rest(portal, "user.admin", {}, admin_token)
    editor = await world.rest(portal, "user.admin", {}, editor_token)

    assert (admin.json()["result"], editor.json()["result"]) == (True, False)
