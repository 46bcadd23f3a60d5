"""Offline events: the queue, event.offline.get/clear/error/list, auth_connector."""

from __future__ import annotations

from typing import Any

import pytest

from emulator.client import PortalInfo
from tests.emulator.conftest import World

pytestmark = pytest.mark.anyio

CONNECTOR = "b24names"

#: The keys of an event in samples/rest-responses.json `offline_get`.
EVENT_KEYS = {
    "ID",
    "TIMESTAMP_X",
    "EVENT_NAME",
    "EVENT_DATA",
    "EVENT_ADDITIONAL",
    "MESSAGE_ID",
}


async def offline_portal(world: World, connector: str = "") -> tuple[PortalInfo, str]:
    """An installed portal queueing contact adds and updates offline."""
    portal, token = await world.installed_portal()
    for event in ("ONCRMCONTACTADD", "ONCRMCONTACTUPDATE"):
        params = {"event": event, "event_type": "offline", "auth_connector": connector}
        answer = await world.rest(portal, "event.bind", params, token)
        assert answer.json()["result"] is True, answer.text
    return portal, token


async def call(
    world: World, portal: PortalInfo, token: str, method: str, **params: Any
) -> Any:
    answer = await world.rest(portal, method, params, token)
    assert answer.status_code == 200, answer.text
    return answer.json()["result"]


async def test_offline_binding_needs_no_handler_and_shows_in_event_get(
    world: World,
) -> None:
    portal, token = await offline_portal(world)

    bindings = await call(world, portal, token, "event.get")

    assert [(b["event"], b["offline"]) for b in bindings] == [
        ("ONCRMCONTACTADD", 1),
        ("ONCRMCONTACTUPDATE", 1),
    ]


async def test_only_an_admin_may_bind_offline_events(world: World) -> None:
    portal, token = await world.installed_portal()
    await world.bind(portal, token, "ONCRMCONTACTADD")
    await world.control.add_contact(portal.member_id, NAME="ivan")
    await world.control.wait_for_deliveries()
    [event] = world.app_side.events("ONCRMCONTACTADD")
    editor_token = event.body["auth"]["access_token"]

    params = {"event": "ONCRMCONTACTUPDATE", "event_type": "offline"}
    answer = await world.rest(portal, "event.bind", params, editor_token)

    assert answer.status_code == 403
    assert answer.json()["error"] == "ACCESS_DENIED"


async def test_many_changes_of_one_contact_leave_one_record_per_event(
    world: World,
) -> None:
    portal, _ = await offline_portal(world)
    contact_id = await world.control.add_contact(portal.member_id, NAME="a")

    for name in ("b", "c", "d"):
        world.clock.advance(5)
        await world.control.edit_contact(portal.member_id, contact_id, NAME=name)

    rows = await world.control.offline_events(portal.member_id)
    assert [(r["EVENT_NAME"], r["EVENT_DATA"]) for r in rows] == [
        ("ONCRMCONTACTADD", {"FIELDS": {"ID": contact_id}}),
        ("ONCRMCONTACTUPDATE", {"FIELDS": {"ID": contact_id}}),
    ]


async def test_get_hands_out_records_shaped_like_the_sample_and_clears_them(
    world: World,
) -> None:
    portal, token = await offline_portal(world)
    await world.control.add_contact(portal.member_id, NAME="a")

    result = await call(world, portal, token, "event.offline.get")
    again = await call(world, portal, token, "event.offline.get")

    assert result["process_id"] is None
    [event] = result["events"]
    assert set(event) == EVENT_KEYS
    assert event["EVENT_NAME"] == "ONCRMCONTACTADD"
    assert again == {"process_id": None, "events": []}


async def test_get_without_clear_reserves_records_under_a_process(
    world: World,
) -> None:
    portal, token = await offline_portal(world)
    contact_id = await world.control.add_contact(portal.member_id, NAME="a")

    taken = await call(world, portal, token, "event.offline.get", clear=0)
    other_worker = await call(world, portal, token, "event.offline.get", clear=0)
    await world.control.edit_contact(portal.member_id, contact_id, NAME="b")
    rows = await world.control.offline_events(portal.member_id)

    assert len(taken["process_id"]) == 32
    assert len(taken["events"]) == 1
    assert other_worker["events"] == []
    assert [(r["EVENT_NAME"], r["PROCESS_ID"]) for r in rows] == [
        ("ONCRMCONTACTADD", taken["process_id"]),
        ("ONCRMCONTACTUPDATE", ""),
    ]


async def test_clear_deletes_only_the_processs_records(world: World) -> None:
    portal, token = await offline_portal(world)
    await world.control.add_contact(portal.member_id, NAME="a")
    taken = await call(world, portal, token, "event.offline.get", clear=0)
    await world.control.add_contact(portal.member_id, NAME="b")

    await call(
        world, portal, token, "event.offline.clear", process_id=taken["process_id"]
    )

    rows = await world.control.offline_events(portal.member_id)
    assert [r["EVENT_DATA"]["FIELDS"]["ID"] for r in rows] == ["2"]


async def test_clear_by_message_id_keeps_the_rest_reserved(world: World) -> None:
    portal, token = await offline_portal(world)
    await world.control.add_contact(portal.member_id, NAME="a")
    await world.control.add_contact(portal.member_id, NAME="b")
    taken = await call(world, portal, token, "event.offline.get", clear=0)
    first = taken["events"][0]

    await call(
        world,
        portal,
        token,
        "event.offline.clear",
        process_id=taken["process_id"],
        message_id=[first["MESSAGE_ID"]],
    )

    rows = await world.control.offline_events(portal.member_id)
    assert [r["PROCESS_ID"] for r in rows] == [taken["process_id"]]
    assert rows[0]["ID"] != first["ID"]


async def test_failed_records_come_back_only_when_errors_are_asked_for(
    world: World,
) -> None:
    portal, token = await offline_portal(world)
    await world.control.add_contact(portal.member_id, NAME="a")
    taken = await call(world, portal, token, "event.offline.get", clear=0)
    message_id = taken["events"][0]["MESSAGE_ID"]

    await call(
        world,
        portal,
        token,
        "event.offline.error",
        process_id=taken["process_id"],
        message_id=[message_id],
    )
    plain = await call(world, portal, token, "event.offline.get", clear=0)
    errors = await call(world, portal, token, "event.offline.get", error=1)

    assert plain["events"] == []
    assert [e["MESSAGE_ID"] for e in errors["events"]] == [message_id]


async def test_get_hands_out_at_most_fifty_in_the_asked_order(world: World) -> None:
    portal, token = await offline_portal(world)
    for number in range(60):
        await world.control.add_contact(portal.member_id, NAME=f"n{number}")

    result = await call(
        world, portal, token, "event.offline.get", limit=100, order={"ID": "DESC"}
    )

    ids = [int(event["ID"]) for event in result["events"]]
    assert ids == list(range(60, 10, -1))


async def test_get_filters_by_event_name(world: World) -> None:
    portal, token = await offline_portal(world)
    contact_id = await world.control.add_contact(portal.member_id, NAME="a")
    await world.control.edit_contact(portal.member_id, contact_id, NAME="b")

    result = await call(
        world,
        portal,
        token,
        "event.offline.get",
        filter={"=EVENT_NAME": "ONCRMCONTACTUPDATE"},
    )

    assert [e["EVENT_NAME"] for e in result["events"]] == ["ONCRMCONTACTUPDATE"]
    assert len(await world.control.offline_events(portal.member_id)) == 1


async def test_list_pages_by_fifty_and_changes_nothing(world: World) -> None:
    portal, token = await offline_portal(world)
    for number in range(55):
        await world.control.add_contact(portal.member_id, NAME=f"n{number}")

    answer = await world.rest(portal, "event.offline.list", {"start": 50}, token)

    body = answer.json()
    assert (body["total"], len(body["result"])) == (55, 5)
    assert body["result"][0]["ERROR"] == "0"
    assert len(await world.control.offline_events(portal.member_id)) == 55


async def test_clear_without_process_id_is_an_argument_error(world: World) -> None:
    portal, token = await offline_portal(world)

    answer = await world.rest(portal, "event.offline.clear", {}, token)

    assert answer.status_code == 400
    assert answer.json()["error"] == "ERROR_ARGUMENT"


async def test_writes_through_the_bound_connector_stay_out_of_the_queue(
    world: World,
) -> None:
    portal, token = await offline_portal(world, connector=CONNECTOR)
    contact_id = await world.control.add_contact(portal.member_id, NAME="a")
    await call(world, portal, token, "event.offline.get")
    fields = {"NAME": "A"}

    await call(
        world,
        portal,
        token,
        "crm.contact.update",
        id=contact_id,
        fields=fields,
        auth_connector=CONNECTOR,
    )

    assert await world.control.offline_events(portal.member_id) == []


async def test_writes_through_another_connector_are_queued(world: World) -> None:
    portal, token = await offline_portal(world, connector=CONNECTOR)
    contact_id = await world.control.add_contact(portal.member_id, NAME="a")
    await call(world, portal, token, "event.offline.get")

    await call(
        world,
        portal,
        token,
        "crm.contact.update",
        id=contact_id,
        fields={"NAME": "A"},
        auth_connector="someone-else",
    )

    rows = await world.control.offline_events(portal.member_id)
    assert [r["EVENT_NAME"] for r in rows] == ["ONCRMCONTACTUPDATE"]


async def test_connector_inside_batch_commands_is_honoured(world: World) -> None:
    portal, token = await offline_portal(world, connector=CONNECTOR)
    contact_id = await world.control.add_contact(portal.member_id, NAME="a")
    await call(world, portal, token, "event.offline.get")
    cmd = {
        "fix": f"crm.contact.update?id={contact_id}&fields[NAME]=A"
        f"&auth_connector={CONNECTOR}"
    }

    await call(world, portal, token, "batch", cmd=cmd)

    assert await world.control.offline_events(portal.member_id) == []


async def test_plan_without_connectors_queues_the_apps_own_writes(
    world: World,
) -> None:
    portal, token = await offline_portal(world, connector=CONNECTOR)
    await world.control.change_limits(portal.member_id, plan="standard")
    contact_id = await world.control.add_contact(portal.member_id, NAME="a")
    await call(world, portal, token, "event.offline.get")

    await call(
        world,
        portal,
        token,
        "crm.contact.update",
        id=contact_id,
        fields={"NAME": "A"},
        auth_connector=CONNECTOR,
    )

    assert len(await world.control.offline_events(portal.member_id)) == 1


async def test_online_handlers_keep_receiving_alongside_the_queue(
    world: World,
) -> None:
    portal, token = await offline_portal(world)
    await world.bind(portal, token, "ONCRMCONTACTADD")

    await world.control.add_contact(portal.member_id, NAME="a")
    await world.control.wait_for_deliveries()

    assert len(world.app_side.events("ONCRMCONTACTADD")) == 1
    assert len(await world.control.offline_events(portal.member_id)) == 1


async def test_unbound_offline_event_is_no_longer_queued(world: World) -> None:
    portal, token = await offline_portal(world)
    params = {"event": "ONCRMCONTACTADD", "event_type": "offline"}

    unbound = await call(world, portal, token, "event.unbind", **params)
    await world.control.add_contact(portal.member_id, NAME="a")

    assert unbound == {"count": 1}
    assert await world.control.offline_events(portal.member_id) == []
