"""The leaky bucket and the per-method operating-time limit, on the fake clock."""

from __future__ import annotations

import httpx
import pytest

from emulator.client import EmulatorControlError, PortalInfo
from tests.emulator.conftest import World

pytestmark = pytest.mark.anyio

QUERY_LIMIT = {
    "error": "QUERY_LIMIT_EXCEEDED",
    "error_description": "Too many requests",
}


async def burst(
    world: World, portal: PortalInfo, token: str, count: int
) -> list[httpx.Response]:
    return [await world.rest(portal, "app.info", {}, token) for _ in range(count)]


async def test_request_above_fifty_queued_is_refused_with_503(world: World) -> None:
    portal, token = await world.installed_portal()

    answers = await burst(world, portal, token, 51)

    assert [a.status_code for a in answers[:50]] == [200] * 50
    assert answers[50].status_code == 503
    assert answers[50].json() == QUERY_LIMIT


async def test_bucket_drains_two_requests_a_second(world: World) -> None:
    portal, token = await world.installed_portal()
    await burst(world, portal, token, 50)

    world.clock.advance(1.0)
    answers = await burst(world, portal, token, 3)

    assert [a.status_code for a in answers] == [200, 200, 503]


async def test_client_at_the_drain_rate_never_meets_the_limit(world: World) -> None:
    portal, token = await world.installed_portal()

    statuses = []
    for _ in range(60):
        statuses += [a.status_code for a in await burst(world, portal, token, 2)]
        world.clock.advance(1.0)

    assert set(statuses) == {200}


async def test_batch_of_fifty_commands_counts_as_one_request(world: World) -> None:
    portal, token = await world.installed_portal()
    await burst(world, portal, token, 49)
    cmd = {f"c{number}": "app.info" for number in range(50)}

    batch = await world.rest(portal, "batch", {"cmd": cmd}, token)
    after = await world.rest(portal, "app.info", {}, token)

    assert batch.status_code == 200
    assert len(batch.json()["result"]["result"]) == 50
    assert after.status_code == 503


async def test_refusals_are_logged_and_counted(world: World) -> None:
    portal, token = await world.installed_portal()

    await burst(world, portal, token, 52)

    calls = await world.control.calls(portal.member_id)
    stats = await world.control.stats(portal.member_id)
    assert [c["status"] for c in calls].count(503) == 2
    assert calls[-1]["error"] == "QUERY_LIMIT_EXCEEDED"
    assert stats["rest"]["query_limit_exceeded"] == 2
    assert stats["rest"]["by_status"] == {"200": 50, "503": 2}


async def test_enterprise_plan_blocks_above_250(world: World) -> None:
    portal, token = await world.installed_portal()
    limits = await world.control.change_limits(portal.member_id, plan="enterprise")

    answers = await burst(world, portal, token, 251)

    assert (limits["rate"], limits["block"]) == (5.0, 250)
    assert [a.status_code for a in answers].count(200) == 250
    assert answers[-1].status_code == 503


async def test_bucket_switched_off_lets_every_request_through(world: World) -> None:
    portal, token = await world.installed_portal()
    await world.control.change_limits(portal.member_id, bucket=False)

    answers = await burst(world, portal, token, 80)

    assert {a.status_code for a in answers} == {200}


async def test_each_portal_has_its_own_bucket(world: World) -> None:
    busy, busy_token = await world.installed_portal()
    quiet, quiet_token = await world.installed_portal()
    await burst(world, busy, busy_token, 51)

    answer = await world.rest(quiet, "app.info", {}, quiet_token)

    assert answer.status_code == 200


async def test_server_endpoint_counts_against_the_tokens_portal(world: World) -> None:
    portal, token = await world.installed_portal()
    await burst(world, portal, token, 50)

    answer = await world.http.post("/rest/app.info", json={"auth": token})

    assert answer.status_code == 503


async def test_default_limits_apply_to_existing_and_new_portals(world: World) -> None:
    before, _ = await world.installed_portal()

    await world.control.change_default_limits(bucket=False, rate=3)
    after = await world.control.create_portal()

    assert (await world.control.limits(before.member_id))["bucket"] is False
    assert (await world.control.limits(after.member_id))["rate"] == 3.0


async def test_unknown_limit_setting_is_refused(world: World) -> None:
    portal = await world.control.create_portal()

    with pytest.raises(EmulatorControlError) as refused:
        await world.control.change_limits(portal.member_id, speed=9)

    assert refused.value.status == 400


async def test_time_block_reports_operating_time_of_the_method(world: World) -> None:
    portal, token = await world.installed_portal()
    await world.control.change_limits(portal.member_id, operating_cost=2.5)

    first = await world.rest(portal, "app.info", {}, token)
    second = await world.rest(portal, "app.info", {}, token)
    other = await world.rest(portal, "crm.contact.list", {}, token)

    finished = first.json()["time"]["finish"]
    assert second.json()["time"]["operating"] == 5.0
    assert second.json()["time"]["processing"] == 2.5
    assert second.json()["time"]["operating_reset_at"] == int(finished) + 600
    assert other.json()["time"]["operating"] == 2.5


async def test_method_over_its_operating_time_is_blocked_alone(world: World) -> None:
    portal, token = await world.installed_portal()
    await world.control.change_limits(
        portal.member_id, operating_costs={"crm.contact.list": 200.0}
    )
    for _ in range(3):
        await world.rest(portal, "crm.contact.list", {}, token)

    blocked = await world.rest(portal, "crm.contact.list", {}, token)
    other = await world.rest(portal, "app.info", {}, token)

    assert blocked.status_code == 429
    assert blocked.json() == {
        "error": "OPERATION_TIME_LIMIT",
        "error_description": "Method is blocked due to operation time limit.",
    }
    assert other.status_code == 200


async def test_blocked_method_works_again_after_the_window(world: World) -> None:
    portal, token = await world.installed_portal()
    await world.control.change_limits(
        portal.member_id, operating_cost=3.0, operating_threshold=5.0
    )
    first = await world.rest(portal, "app.info", {}, token)
    await world.rest(portal, "app.info", {}, token)
    assert (await world.rest(portal, "app.info", {}, token)).status_code == 429

    world.clock.now = first.json()["time"]["operating_reset_at"] + 1.0
    again = await world.rest(portal, "app.info", {}, token)

    assert again.status_code == 200


async def test_blocked_method_inside_batch_is_a_command_error(world: World) -> None:
    portal, token = await world.installed_portal()
    await world.control.change_limits(
        portal.member_id, operating_costs={"crm.contact.get": 500.0}
    )
    contact_id = await world.control.add_contact(portal.member_id, NAME="ivan")
    cmd = {"a": f"crm.contact.get?id={contact_id}", "b": "crm.contact.get?id=1"}

    response = await world.rest(portal, "batch", {"cmd": cmd}, token)

    result = response.json()["result"]
    assert list(result["result"]) == ["a"]
    assert result["result_error"]["b"]["error"] == "OPERATION_TIME_LIMIT"
    stats = await world.control.stats(portal.member_id)
    assert stats["rest"]["operation_time_limit"] == 1


async def test_portal_state_shows_how_full_the_bucket_is(world: World) -> None:
    portal, token = await world.installed_portal()
    await burst(world, portal, token, 10)

    world.clock.advance(2.0)
    state = await world.control.portal(portal.member_id)

    assert state["bucket_level"] == 6.0
    assert state["limits"]["block"] == 50
