"""Bursts of contacts, bounded concurrent delivery, the delivery log and counters."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pytest

from emulator.core import Emulator
from emulator.courier import Courier
from emulator.model import CallRecord, Outbound
from emulator.registration import AppRegistration
from tests.emulator.conftest import HANDLER_URL, MAIN_ADDRESS, AppSide, World

pytestmark = pytest.mark.anyio


async def settle(condition: Callable[[], bool]) -> None:
    """Let background tasks run until `condition` holds (or give up)."""
    for _ in range(500):
        if condition():
            return
        await asyncio.sleep(0)


def outbound(number: int) -> Outbound:
    form = (("event", "ONCRMCONTACTADD"), ("data[FIELDS][ID]", str(number)))
    return Outbound("m" * 32, "ONCRMCONTACTADD", HANDLER_URL, form, 1)


async def test_bulk_add_fires_one_event_per_contact(world: World) -> None:
    portal, token = await world.installed_portal()
    await world.bind(portal, token, "ONCRMCONTACTADD")
    contacts = [{"NAME": f"n{number}"} for number in range(1000)]

    ids = await world.control.add_contacts(portal.member_id, contacts)
    stats = await world.control.wait_until_delivered()

    delivered = world.app_side.events("ONCRMCONTACTADD")
    assert ids == [str(number) for number in range(1, 1001)]
    assert [d.body["data"]["FIELDS"]["ID"] for d in delivered] == ids
    assert stats["deliveries"]["by_status"] == {"200": 1000}
    assert stats["deliveries"]["total"] == 1000


async def test_every_delivery_is_logged_with_its_latency(world: World) -> None:
    portal, token = await world.installed_portal()
    await world.bind(portal, token, "ONCRMCONTACTADD")

    await world.control.add_contacts(portal.member_id, [{"NAME": "a"}, {"NAME": "b"}])
    log = await world.control.wait_for_deliveries()

    assert len(log.records) == 2
    assert all(record["latency_ms"] >= 0 for record in log.records)


async def test_bulk_events_go_one_after_another_by_default(world: World) -> None:
    portal, token = await world.installed_portal()
    await world.bind(portal, token, "ONCRMCONTACTADD")
    world.app_side.gate = asyncio.Event()
    contacts = [{"NAME": f"n{number}"} for number in range(5)]

    await world.control.add_contacts(portal.member_id, contacts)
    await settle(lambda: world.app_side.waiting > 0)

    deliveries = await world.control.deliveries(portal.member_id)
    assert world.app_side.waiting == 1
    assert deliveries.in_flight == 5
    world.app_side.gate.set()
    assert (await world.control.wait_for_deliveries()).in_flight == 0


async def test_concurrent_bulk_fires_every_event_at_once(world: World) -> None:
    portal, token = await world.installed_portal()
    await world.bind(portal, token, "ONCRMCONTACTADD")
    world.app_side.gate = asyncio.Event()
    contacts = [{"NAME": f"n{number}"} for number in range(5)]

    await world.control.add_contacts(portal.member_id, contacts, concurrent=True)
    await settle(lambda: world.app_side.waiting == 5)

    assert world.app_side.waiting == 5
    world.app_side.gate.set()
    assert len((await world.control.wait_for_deliveries()).records) == 5


async def test_bulk_of_something_else_than_a_list_is_refused(world: World) -> None:
    portal = await world.control.create_portal()
    path = f"/control/portals/{portal.member_id}/contacts/bulk"

    answer = await world.http.post(path, json={"contacts": "NAME=a"})

    assert answer.status_code == 400


async def test_courier_keeps_at_most_its_concurrency_on_the_wire() -> None:
    gate = asyncio.Event()
    app_side = AppSide(gate=gate)
    courier = Courier(transport=httpx.MockTransport(app_side.handle), concurrency=3)

    for number in range(10):
        courier.send(outbound(number))
    await settle(lambda: app_side.waiting == 3)
    await settle(lambda: app_side.waiting > 3)

    assert app_side.waiting == 3
    assert courier.in_flight() == 10
    gate.set()
    await settle(lambda: courier.in_flight() == 0)
    assert courier.stats()["total"] == 10
    await courier.aclose()


async def test_delivery_log_is_bounded_but_counters_keep_counting() -> None:
    app_side = AppSide()
    courier = Courier(transport=httpx.MockTransport(app_side.handle), log_limit=5)

    for number in range(8):
        courier.send(outbound(number))
    await settle(lambda: courier.in_flight() == 0)

    assert len(courier.records()) == 5
    assert courier.stats() == {"total": 8, "by_status": {"200": 8}, "in_flight": 0}
    await courier.aclose()


async def test_failed_deliveries_are_counted_by_status(world: World) -> None:
    portal, token = await world.installed_portal()
    await world.bind(portal, token, "ONCRMCONTACTADD")
    world.app_side.event_status = 503

    await world.control.add_contacts(portal.member_id, [{"NAME": "a"}])
    stats = await world.control.wait_until_delivered()

    assert stats["deliveries"]["by_status"] == {"503": 1}


async def test_stats_count_rest_calls_by_portal_method_and_status(
    world: World,
) -> None:
    first, first_token = await world.installed_portal()
    second, second_token = await world.installed_portal()

    await world.rest(first, "app.info", {}, first_token)
    await world.rest(first, "crm.contact.get", {"id": 9}, first_token)
    await world.rest(second, "app.info", {}, second_token)
    stats = (await world.control.stats())["rest"]

    assert stats["requests"] == 3
    assert stats["by_method"] == {"app.info": 2, "crm.contact.get": 1}
    assert stats["by_status"] == {"200": 2, "400": 1}
    assert stats["portals"][first.member_id]["requests"] == 2
    assert stats["query_limit_exceeded"] == 0


async def test_call_log_is_bounded_but_counters_are_not() -> None:
    emulator = Emulator(AppRegistration(), MAIN_ADDRESS, call_log_limit=3)
    portal = emulator.create_portal(40000)

    for _ in range(5):
        emulator.log_call(portal, CallRecord("app.info", {}, 200, None))

    assert len(portal.calls) == 3
    assert portal.stats.requests == 5
