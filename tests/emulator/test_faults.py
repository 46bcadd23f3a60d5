"""Scripted failures of portals and of the OAuth server, in process."""

from __future__ import annotations

import json

import httpx
import pytest

from emulator.client import EmulatorControlError
from tests.emulator.conftest import World, refresh_query

pytestmark = pytest.mark.anyio


async def test_next_requests_get_an_html_error_page_then_recover(
    world: World,
) -> None:
    portal, token = await world.installed_portal()
    await world.control.inject_fault(portal.member_id, "html_502", count=2)

    answers = [await world.rest(portal, "app.info", {}, token) for _ in range(3)]

    assert [a.status_code for a in answers] == [502, 502, 200]
    assert answers[0].headers["content-type"].startswith("text/html")
    assert "502 Bad Gateway" in answers[0].text


async def test_fault_for_one_method_leaves_other_methods_alone(
    world: World,
) -> None:
    portal, token = await world.installed_portal()
    await world.control.inject_fault(
        portal.member_id, "INTERNAL_SERVER_ERROR", method="crm.contact.get"
    )

    other = await world.rest(portal, "app.info", {}, token)
    hit = await world.rest(portal, "crm.contact.get", {"id": 1}, token)

    assert other.status_code == 200
    assert hit.status_code == 500
    assert hit.json() == {
        "error": "INTERNAL_SERVER_ERROR",
        "error_description": "Internal server error",
    }


@pytest.mark.parametrize(
    ("kind", "status", "description"),
    [
        ("OVERLOAD_LIMIT", 503, "REST API is blocked due to overload."),
        ("PORTAL_DELETED", 500, "Portal was deleted"),
        ("QUERY_LIMIT_EXCEEDED", 503, "Too many requests"),
    ],
)
async def test_error_envelope_faults_answer_as_documented(
    world: World, kind: str, status: int, description: str
) -> None:
    portal, token = await world.installed_portal()
    await world.control.inject_fault(portal.member_id, kind)

    answer = await world.rest(portal, "app.info", {}, token)

    assert answer.status_code == status
    assert answer.json() == {"error": kind, "error_description": description}


async def test_truncated_answer_hides_an_update_that_happened(world: World) -> None:
    portal, token = await world.installed_portal()
    contact_id = await world.control.add_contact(portal.member_id, NAME="ivan")
    await world.control.inject_fault(portal.member_id, "truncated")
    params = {"id": contact_id, "fields": {"NAME": "Ivan"}}

    answer = await world.rest(portal, "crm.contact.update", params, token)

    with pytest.raises(json.JSONDecodeError):
        answer.json()
    contact = await world.control.get_contact(portal.member_id, contact_id)
    assert contact["NAME"] == "Ivan"


async def test_timeout_fault_hangs_then_answers_gateway_timeout(
    world: World,
) -> None:
    portal, token = await world.installed_portal()
    await world.control.inject_fault(portal.member_id, "timeout", seconds=0.01)

    answer = await world.rest(portal, "app.info", {}, token)

    assert answer.status_code == 504


async def test_dropped_connection_is_a_transport_error(world: World) -> None:
    portal, token = await world.installed_portal()
    await world.control.inject_fault(portal.member_id, "drop")

    with pytest.raises(httpx.RemoteProtocolError):
        await world.rest(portal, "app.info", {}, token)
    after = await world.rest(portal, "app.info", {}, token)

    assert after.status_code == 200


async def test_faults_are_logged_with_their_kind(world: World) -> None:
    portal, token = await world.installed_portal()
    await world.control.inject_fault(portal.member_id, "html_503")
    await world.control.inject_fault(portal.member_id, "truncated")

    await world.rest(portal, "app.info", {}, token)
    await world.rest(portal, "app.info", {}, token)

    calls = await world.control.calls(portal.member_id)
    assert [(c["status"], c["fault"]) for c in calls] == [
        (503, "html_503"),
        (200, "truncated"),
    ]


async def test_cleared_faults_and_latency_are_gone(world: World) -> None:
    portal, token = await world.installed_portal()
    await world.control.inject_fault(portal.member_id, "html_500", count=5)
    await world.control.set_latency(portal.member_id, 0.0)

    await world.control.clear_faults(portal.member_id)
    answer = await world.rest(portal, "app.info", {}, token)

    assert answer.status_code == 200
    assert await world.control.faults(portal.member_id) == {
        "latency": 0.0,
        "rules": [],
    }


async def test_latency_is_part_of_the_portals_fault_script(world: World) -> None:
    portal = await world.control.create_portal()

    await world.control.set_latency(portal.member_id, 0.25)

    assert (await world.control.faults(portal.member_id))["latency"] == 0.25


async def test_unknown_fault_kind_is_refused(world: World) -> None:
    portal = await world.control.create_portal()

    with pytest.raises(EmulatorControlError) as refused:
        await world.control.inject_fault(portal.member_id, "meteor")

    assert refused.value.status == 400


async def test_oauth_server_fails_then_refreshes(world: World) -> None:
    portal, _ = await world.installed_portal()
    state = await world.control.portal(portal.member_id)
    await world.control.inject_oauth_fault("html_503")
    query = refresh_query(state["refresh_token"])

    failed = await world.http.get("/oauth/token/", params=query)
    refreshed = await world.http.get("/oauth/token/", params=query)

    assert failed.status_code == 503
    assert refreshed.status_code == 200
    assert refreshed.json()["member_id"] == portal.member_id


async def test_truncated_refresh_answer_still_rotates_the_tokens(
    world: World,
) -> None:
    portal, _ = await world.installed_portal()
    state = await world.control.portal(portal.member_id)
    await world.control.inject_oauth_fault("truncated")
    query = refresh_query(state["refresh_token"])

    garbled = await world.http.get("/oauth/token/", params=query)
    retried = await world.http.get("/oauth/token/", params=query)

    with pytest.raises(json.JSONDecodeError):
        garbled.json()
    assert retried.json()["error"] == "invalid_grant"


async def test_oauth_timeout_fault_answers_after_hanging(world: World) -> None:
    await world.control.inject_oauth_fault("timeout", seconds=0.01)

    answer = await world.http.get("/oauth/token/", params=refresh_query("x"))

    assert answer.status_code == 504


async def test_oauth_server_refuses_rest_only_fault_kinds(world: World) -> None:
    with pytest.raises(EmulatorControlError) as refused:
        await world.control.inject_oauth_fault("PORTAL_DELETED")

    assert refused.value.status == 400
