"""Nothing is lost or done twice when processes die, race or the portal moves."""

import asyncio
from collections import Counter
from pathlib import Path
from random import Random

import pytest

from application.ports import JobState
from emulator import EmulatorClient
from entrypoints.container import Container
from entrypoints.demo import Stack, wait_until_processed
from tests.e2e.support import (
    eventually,
    expected_by_id,
    installed_portal,
    kill,
    messy_ids,
    names_by_id,
    rest_requests,
    running_service,
    typed_contacts,
    updates_per_contact,
    worker_process,
)

pytestmark = [pytest.mark.anyio, pytest.mark.e2e]

#: Short, so a killed worker's portal passes to its successor within seconds.
LEASE_SECONDS = 3.0
KILLS = 3
#: Each request takes this long, so that a kill lands inside the work.
LATENCY = 0.2
#: What a worker logs after each batch of updates.
WRITE_LOGGED = "contacts updated"


def pending_jobs(stack: Stack, member_id: str) -> int:
    return len(stack.container.inbox().jobs(member_id, JobState.PENDING))


async def requests_reach(stack: Stack, member_id: str, target: int) -> None:
    """Wait until the portal has served `target` requests, or has no work left."""

    async def reached() -> bool:
        if await rest_requests(stack.emulator, member_id) >= target:
            return True
        return not pending_jobs(stack, member_id)

    await eventually(reached, timeout=20, what=f"{target} requests")


async def writes_logged(log: Path, count: int) -> None:
    """Wait until the worker writing `log` has finished `count` update batches.

    The worker's own log tells its writes apart from those a killed predecessor
    still had on the wire, which the emulator's counters would mix in.
    """

    async def written() -> bool:
        return writes_in(log) >= count

    await eventually(written, timeout=20, what=f"{count} writes in {log.name}")


def writes_in(log: Path) -> int:
    return log.read_text().count(WRITE_LOGGED) if log.exists() else 0


async def test_workers_killed_at_random_points_lose_and_repeat_nothing(
    tmp_path: Path,
) -> None:
    rng = Random(20240611)
    contacts = typed_contacts(200, rng, tidy_share=0.2)

    async with running_service(tmp_path, lease_seconds=LEASE_SECONDS) as stack:
        emulator = stack.emulator
        settings = stack.container.settings()
        member_id = await installed_portal(emulator)
        await emulator.set_latency(member_id, LATENCY)
        ids = await emulator.add_contacts(
            member_id, [c.fields for c in contacts], concurrent=True
        )

        updated_at_kills = []
        for n in range(KILLS):
            log = tmp_path / f"worker-{n}.log"
            async with worker_process(settings, log) as worker:
                await writes_logged(log, rng.randint(1, 2))
                # The pause is the random kill point, not a wait for a condition.
                await asyncio.sleep(rng.uniform(0.0, 2 * LATENCY))
                await kill(worker)
            updated_at_kills.append(
                sum((await updates_per_contact(emulator, member_id)).values())
            )
        async with worker_process(settings, tmp_path / "worker-last.log"):
            await wait_until_processed(stack, member_id, timeout=40)

        names = await names_by_id(emulator, member_id)
        updated = await updates_per_contact(emulator, member_id)
        leftovers = stack.container.inbox().jobs(member_id)

    messy = messy_ids(ids, contacts)
    assert max(updated_at_kills) < len(messy), "a kill came after all the writes"
    assert names == expected_by_id(ids, contacts)
    assert updated == Counter(messy)
    assert leftovers == []


async def expiry_round(
    emulator: EmulatorClient, member_id: str, sides: tuple[Container, Container]
) -> tuple[int, list[BaseException]]:
    """Expire the portal's tokens and call it from both sides at once, and again
    a moment later; returns the refreshes it took and the calls that failed.

    The later calls leave with the old token but reach the portal after the
    refresh, as a slower process's calls would.
    """
    before = (await emulator.portal(member_id))["refreshes"]
    await emulator.expire_tokens(member_id)

    async def call(side: Container, delay: float) -> object:
        await asyncio.sleep(delay)
        return await side.rest().call(member_id, "app.info", {})

    answers = await asyncio.gather(
        *(call(side, delay) for delay in (0.0, LATENCY / 2) for side in sides),
        return_exceptions=True,
    )

    after = (await emulator.portal(member_id))["refreshes"]
    return after - before, [a for a in answers if isinstance(a, BaseException)]


async def test_two_processes_refreshing_one_expired_token_spend_one_refresh(
    tmp_path: Path,
) -> None:
    async with running_service(tmp_path) as stack:
        emulator = stack.emulator
        member_id = await installed_portal(emulator)
        await emulator.set_latency(member_id, LATENCY)
        settings = stack.container.settings()
        sides = Container(settings=settings), Container(settings=settings)
        try:
            rounds = [await expiry_round(emulator, member_id, sides) for _ in range(3)]
        finally:
            for side in sides:
                await side.http_client().aclose()
        stored = stack.container.portals().get(member_id)

    assert rounds == [(1, [])] * 3
    assert stored is not None
    assert not stored.reinstall_needed


async def test_portal_renamed_mid_burst_keeps_working_at_its_new_address(
    stack: Stack,
) -> None:
    emulator = stack.emulator
    contacts = typed_contacts(150, Random(7), tidy_share=0.2)
    member_id = await installed_portal(emulator)
    await emulator.set_latency(member_id, LATENCY)
    start = await rest_requests(emulator, member_id)
    ids = await emulator.add_contacts(
        member_id, [c.fields for c in contacts], concurrent=True
    )

    await requests_reach(stack, member_id, start + 2)
    moved = await emulator.move_portal(member_id)
    pending_at_move = pending_jobs(stack, member_id)
    await wait_until_processed(stack, member_id, timeout=30)

    stored = stack.container.portals().get(member_id)
    assert pending_at_move > 0
    assert await names_by_id(emulator, member_id) == expected_by_id(ids, contacts)
    assert await updates_per_contact(emulator, member_id) == Counter(
        messy_ids(ids, contacts)
    )
    assert stored is not None
    assert (stored.client_endpoint, stored.domain) == (
        moved.client_endpoint,
        moved.domain,
    )


async def test_portal_renamed_as_its_tokens_expire_is_stored_at_its_new_address(
    stack: Stack,
) -> None:
    emulator = stack.emulator
    contacts = typed_contacts(100, Random(11), tidy_share=0.2)
    member_id = await installed_portal(emulator)
    await emulator.set_latency(member_id, LATENCY)
    start = await rest_requests(emulator, member_id)
    ids = await emulator.add_contacts(
        member_id, [c.fields for c in contacts], concurrent=True
    )

    await requests_reach(stack, member_id, start + 2)
    await emulator.expire_tokens(member_id)
    moved = await emulator.move_portal(member_id)
    await wait_until_processed(stack, member_id, timeout=30)

    stored = stack.container.portals().get(member_id)
    assert await names_by_id(emulator, member_id) == expected_by_id(ids, contacts)
    assert stored is not None
    assert (stored.client_endpoint, stored.domain) == (
        moved.client_endpoint,
        moved.domain,
    )


async def test_offline_records_whose_reservation_answer_was_lost_come_back(
    tmp_path: Path,
) -> None:
    async with running_service(tmp_path) as stack:
        emulator = stack.emulator
        member_id = await installed_portal(emulator)
        await drop_online_contact_events(stack, member_id)
        ids = await emulator.add_contacts(
            member_id, [{"NAME": "JOHN", "LAST_NAME": "smith"}] * 20
        )
        reconciler = stack.container.offline_reconciler()
        # The portal reserves the records, and the answer naming them is lost.
        await emulator.inject_fault(member_id, "truncated", method="event.offline.get")
        await reconciler.reconcile_all()

        await reconciler.reconcile_all()

        queued = stack.container.inbox().jobs(member_id, JobState.PENDING)
        offline = await emulator.offline_events(member_id)

    held = [(record["ID"], record["PROCESS_ID"]) for record in offline]
    assert sorted(job.contact_id for job in queued) == sorted(ids), held


async def drop_online_contact_events(stack: Stack, member_id: str) -> None:
    """Unbind the service's contact handlers, so that only the portal's offline
    queue hears of contact changes, as when deliveries fail."""
    events_url = stack.container.settings().events_url
    for event in ("ONCRMCONTACTADD", "ONCRMCONTACTUPDATE"):
        await stack.container.rest().call(
            member_id, "event.unbind", {"event": event, "handler": events_url}
        )
