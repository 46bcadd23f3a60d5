"""Both install flows towards the app, and what counts as installed."""

from __future__ import annotations

import httpx
import pytest

from emulator import phpquery
from tests.emulator.conftest import HANDLER_URL, MAIN_ADDRESS, World

pytestmark = pytest.mark.anyio

#: ONAPPINSTALL as Bitrix24 form-encodes it (samples/onappinstall.json).
INSTALL_EVENT_KEYS = {
    "event",
    "data[VERSION]",
    "data[ACTIVE]",
    "data[INSTALLED]",
    "data[LANGUAGE_ID]",
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

#: The form of the UI install POST (samples/ui-install.json).
UI_FORM_KEYS = {
    "AUTH_ID",
    "AUTH_EXPIRES",
    "REFRESH_ID",
    "SERVER_ENDPOINT",
    "member_id",
    "status",
    "PLACEMENT",
    "PLACEMENT_OPTIONS",
    "APPLICATION_TOKEN",
    "APPLICATION_SCOPE",
}


async def test_event_flow_posts_onappinstall_and_installs_at_once(world: World) -> None:
    portal = await world.control.create_portal(language="de")

    result = await world.control.install(portal.member_id, "event")

    [post] = world.app_side.received
    state = await world.control.portal(portal.member_id)
    assert (result.installed, result.status) == (True, 200)
    assert post.url.path == "/install"
    assert {key for key, _ in post.pairs} == INSTALL_EVENT_KEYS
    assert post.body["data"]["LANGUAGE_ID"] == "de"
    assert post.body["auth"]["access_token"] == state["access_token"]
    assert post.body["auth"]["application_token"] == state["application_token"]
    assert post.body["auth"]["domain"] == portal.domain
    assert post.body["auth"]["server_endpoint"] == f"http://{MAIN_ADDRESS}/rest/"


async def test_ui_flow_posts_the_install_page_request(world: World) -> None:
    portal = await world.control.create_portal(language="ru")

    await world.control.install(portal.member_id, "ui")

    [post] = world.app_side.received
    query = dict(post.url.params)
    assert query.keys() == {"DOMAIN", "PROTOCOL", "LANG", "APP_SID"}
    assert (query["DOMAIN"], query["PROTOCOL"], query["LANG"]) == (
        portal.domain,
        "0",
        "ru",
    )
    assert {key for key, _ in post.pairs} == UI_FORM_KEYS
    assert post.body["PLACEMENT"] == "DEFAULT"


async def test_ui_install_counts_only_when_the_page_calls_install_finish(
    world: World,
) -> None:
    portal = await world.control.create_portal()
    world.app_side.install_page = "<html>Something went wrong</html>"

    result = await world.control.install(portal.member_id, "ui")

    assert (result.installed, result.status) == (False, 200)
    assert (await world.control.portal(portal.member_id))["installed"] is False


async def test_no_events_before_install_finish_and_events_after(world: World) -> None:
    portal = await world.control.create_portal()

    async def bind_during_install(request: httpx.Request) -> httpx.Response | None:
        form = phpquery.parse(request.content.decode())
        params = {"event": "ONCRMCONTACTADD", "handler": HANDLER_URL}
        await world.rest(portal, "event.bind", params, form["AUTH_ID"])
        return None

    world.app_side.on_install = bind_during_install
    world.app_side.install_page = "<html>no finish</html>"
    await world.control.install(portal.member_id, "ui")
    await world.control.add_contact(portal.member_id, NAME="before")
    world.app_side.install_page = "<script>BX24.installFinish()</script>"
    await world.control.install(portal.member_id, "ui")
    await world.control.add_contact(portal.member_id, NAME="after")
    await world.control.wait_for_deliveries()

    delivered = world.app_side.events("ONCRMCONTACTADD")
    assert [d.body["data"]["FIELDS"]["ID"] for d in delivered] == ["2"]


async def test_reinstall_replaces_tokens_and_application_token(world: World) -> None:
    portal, old_token = await world.installed_portal()
    before = await world.control.portal(portal.member_id)

    await world.control.install(portal.member_id, "event")

    after = await world.control.portal(portal.member_id)
    old_call = await world.rest(portal, "app.info", {}, old_token)
    assert old_call.status_code == 401
    assert after["application_token"] != before["application_token"]
    assert after["access_token"] != before["access_token"]


async def test_unreachable_install_url_reports_the_error(world: World) -> None:
    portal = await world.control.create_portal()

    async def refuse(request: httpx.Request) -> httpx.Response | None:
        raise httpx.ConnectError("refused", request=request)

    world.app_side.on_install = refuse
    result = await world.control.install(portal.member_id, "ui")

    assert (result.installed, result.status) == (False, None)
    assert result.error is not None
    assert "ConnectError" in result.error
