"""Address changes: a moved portal, a licence page on its own host, a loop."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx
import pytest

from emulator.client import EmulatorControlError
from tests.emulator.conftest import HANDLER_URL, World, refresh_query

pytestmark = pytest.mark.anyio


async def test_old_address_answers_302_to_the_same_path_at_the_new_one(
    world: World,
) -> None:
    portal, token = await world.installed_portal()

    moved = await world.control.move_portal(portal.member_id)
    old = await world.http.post(
        portal.client_endpoint + "crm.contact.list?start=0", json={"auth": token}
    )

    assert old.status_code == 302
    assert old.headers["location"] == moved.client_endpoint + "crm.contact.list?start=0"
    assert moved.previous_domain == portal.domain
    assert moved.member_id == portal.member_id
    assert moved.domain != portal.domain


async def test_moved_portal_keeps_tokens_and_data_at_the_new_address(
    world: World,
) -> None:
    portal, token = await world.installed_portal()
    contact_id = await world.control.add_contact(portal.member_id, NAME="ivan")

    moved = await world.control.move_portal(portal.member_id)
    answer = await world.http.post(
        moved.client_endpoint + "crm.contact.get",
        json={"auth": token, "id": contact_id},
    )

    assert answer.json()["result"]["NAME"] == "ivan"


async def test_following_the_redirect_loses_the_post_body(world: World) -> None:
    portal, token = await world.installed_portal()
    await world.control.move_portal(portal.member_id)

    answer = await world.http.post(
        portal.client_endpoint + "app.info",
        json={"auth": token},
        follow_redirects=True,
    )

    assert answer.status_code == 401
    assert answer.json()["error"] == "NO_AUTH_FOUND"


async def test_refresh_and_events_report_the_new_client_endpoint(
    world: World,
) -> None:
    portal, token = await world.installed_portal()
    await world.bind(portal, token, "ONCRMCONTACTADD")
    state = await world.control.portal(portal.member_id)

    moved = await world.control.move_portal(portal.member_id)
    refreshed = await world.http.get(
        "/oauth/token/", params=refresh_query(state["refresh_token"])
    )
    await world.control.add_contact(portal.member_id, NAME="ivan")
    await world.control.wait_for_deliveries()

    [event] = world.app_side.events("ONCRMCONTACTADD")
    assert refreshed.json()["client_endpoint"] == moved.client_endpoint
    assert refreshed.json()["member_id"] == portal.member_id
    assert event.body["auth"]["client_endpoint"] == moved.client_endpoint
    assert event.body["auth"]["domain"] == moved.domain


async def test_second_move_sends_every_old_address_to_the_latest(
    world: World,
) -> None:
    portal, _ = await world.installed_portal()
    await world.control.move_portal(portal.member_id)

    latest = await world.control.move_portal(portal.member_id)
    first = await world.http.post(portal.client_endpoint + "app.info")

    assert first.headers["location"] == latest.client_endpoint + "app.info"


async def test_licence_mode_redirects_to_a_page_on_the_portals_own_host(
    world: World,
) -> None:
    portal, token = await world.installed_portal()
    await world.control.set_redirect(portal.member_id, "licence")

    answer = await world.http.post(
        portal.client_endpoint + "app.info", json={"auth": token}
    )
    page = await world.http.get(answer.headers["location"])

    assert answer.status_code == 302
    assert urlsplit(answer.headers["location"]).netloc == portal.domain
    assert page.status_code == 200
    assert "html" in page.headers["content-type"]


async def test_redirect_loop_never_reaches_an_answer(world: World) -> None:
    portal, token = await world.installed_portal()
    await world.control.set_redirect(portal.member_id, "loop")

    with pytest.raises(httpx.TooManyRedirects):
        await world.http.post(
            portal.client_endpoint + "app.info",
            json={"auth": token},
            follow_redirects=True,
        )


async def test_redirect_mode_off_serves_rest_again(world: World) -> None:
    portal, token = await world.installed_portal()
    await world.control.set_redirect(portal.member_id, "loop")

    await world.control.set_redirect(portal.member_id, None)
    answer = await world.rest(portal, "app.info", {}, token)

    assert answer.status_code == 200


async def test_unknown_redirect_mode_is_refused(world: World) -> None:
    portal = await world.control.create_portal()

    with pytest.raises(EmulatorControlError) as refused:
        await world.control.set_redirect(portal.member_id, "elsewhere")

    assert refused.value.status == 400


async def test_binding_made_before_a_move_still_delivers(world: World) -> None:
    portal, token = await world.installed_portal()
    await world.bind(portal, token, "ONCRMCONTACTUPDATE")
    contact_id = await world.control.add_contact(portal.member_id, NAME="a")

    await world.control.move_portal(portal.member_id)
    await world.control.edit_contact(portal.member_id, contact_id, NAME="b")
    await world.control.wait_for_deliveries()

    [event] = world.app_side.events("ONCRMCONTACTUPDATE")
    assert event.url == httpx.URL(HANDLER_URL)
