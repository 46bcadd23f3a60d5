"""Formatting the contacts a portal had before it installed the app."""

import asyncio
import io
from collections import Counter
from pathlib import Path
from random import Random
from typing import Any

import pytest

from application.backfill import PAGE_SIZE
from application.errors import Bitrix24Error
from emulator import EmulatorClient
from entrypoints.checkpoints import Checkpoints, checkpoints_of
from entrypoints.container import Container
from entrypoints.demo import Stack
from entrypoints.operations import backfill
from tests.e2e.support import (
    Names,
    TypedContact,
    eventually,
    expected_by_id,
    messy_ids,
    names_by_id,
    run_command,
    running_service,
    typed_contacts,
    updates_per_contact,
)

pytestmark = [pytest.mark.anyio, pytest.mark.e2e]

CONTACTS = 300
#: Slow enough that a fault can be set up while a page is under way.
LATENCY = 0.2


async def portal_with_old_contacts(
    emulator: EmulatorClient, contacts: list[TypedContact]
) -> tuple[str, list[str]]:
    """A portal whose contacts were all added before the app was installed."""
    portal = await emulator.create_portal(language="en")
    ids = await emulator.add_contacts(portal.member_id, [c.fields for c in contacts])
    result = await emulator.install(portal.member_id, flow="event")

    deliveries = await emulator.deliveries(portal.member_id)
    assert result.installed, result
    assert not [d for d in deliveries.records if d["event"].startswith("ONCRM")]
    return portal.member_id, ids


def checkpoints_in(data_dir: Path) -> Checkpoints:
    return checkpoints_of(data_dir)


def pages_asked(calls: list[dict[str, Any]]) -> list[Any]:
    """The ID each `crm.contact.list` page of a walk started after, in order."""
    return [
        call["params"]["filter"][">ID"]
        for call in calls
        if call["method"] == "crm.contact.list" and "filter" in call["params"]
    ]


async def test_interrupted_backfill_resumes_after_the_last_finished_page(
    tmp_path: Path,
) -> None:
    contacts = typed_contacts(CONTACTS, Random(5), tidy_share=0.3)
    async with running_service(tmp_path) as stack:
        emulator = stack.emulator
        settings = stack.container.settings()
        member_id, ids = await portal_with_old_contacts(emulator, contacts)
        stopped_at, names_when_stopped = await interrupted_walk(stack, member_id, ids)
        calls_before = len(await emulator.calls(member_id))

        out = io.StringIO()
        progress = await backfill(
            Container(settings=settings), member_id, False, False, out
        )

        calls = (await emulator.calls(member_id))[calls_before:]
        names = await names_by_id(emulator, member_id)
        updates = await updates_per_contact(emulator, member_id)

    finished = ids.index(str(stopped_at)) + 1
    left = contacts[finished:]
    messy_left = messy_ids(ids[finished:], left)
    expected = expected_by_id(ids, contacts)
    assert finished % PAGE_SIZE == 0
    assert 0 < finished < CONTACTS
    assert [names_when_stopped[i] for i in ids] == [
        *(expected[i] for i in ids[:finished]),
        *(contact.typed for contact in left),
    ]
    assert f"resuming after contact ID {stopped_at}" in out.getvalue()
    assert pages_asked(calls)[0] == stopped_at
    assert progress.seen == len(left)
    assert (progress.changed, progress.unchanged, progress.failed) == (
        len(messy_left),
        len(left) - len(messy_left),
        0,
    )
    assert names == expected
    assert updates == Counter(messy_ids(ids, contacts))
    # A finished walk leaves nothing to resume: the next run starts over.
    assert checkpoints_in(tmp_path).load(member_id) == 0


async def interrupted_walk(
    stack: Stack, member_id: str, ids: list[str]
) -> tuple[int, dict[str, Names]]:
    """Start a backfill and make the portal fail the write of its third page;
    returns where the walk's checkpoint stopped, and the names at that moment."""
    emulator = stack.emulator
    settings = stack.container.settings()
    await emulator.set_latency(member_id, LATENCY)
    walk = asyncio.create_task(
        backfill(Container(settings=settings), member_id, False, False, io.StringIO())
    )

    async def two_pages_done() -> bool:
        last = checkpoints_in(settings.data_dir).load(member_id)
        return last >= int(ids[2 * PAGE_SIZE - 1])

    try:
        await eventually(two_pages_done, timeout=20, what="two pages done")
        await emulator.inject_fault(member_id, "INTERNAL_SERVER_ERROR", method="batch")
        with pytest.raises(Bitrix24Error):
            await asyncio.wait_for(walk, timeout=20)
    finally:
        walk.cancel()
    await emulator.clear_faults(member_id)

    stopped_at = checkpoints_in(settings.data_dir).load(member_id)
    return stopped_at, await names_by_id(emulator, member_id)


async def test_dry_run_backfill_lists_the_changes_and_writes_nothing(
    tmp_path: Path,
) -> None:
    contacts = typed_contacts(CONTACTS, Random(9), tidy_share=0.3)
    async with running_service(tmp_path) as stack:
        emulator = stack.emulator
        member_id, ids = await portal_with_old_contacts(emulator, contacts)

        run = await run_command(
            stack.container.settings(),
            ["backfill", "--portal", member_id, "--dry-run"],
        )

        names = await names_by_id(emulator, member_id)
        updates = await updates_per_contact(emulator, member_id)

    messy = messy_ids(ids, contacts)
    listed = [line.split(":")[0] for line in run.stdout.splitlines()]
    assert run.returncode == 0, run.stderr
    assert listed[:-1] == [f"contact {contact_id}" for contact_id in messy]
    assert run.stdout.splitlines()[-1] == (
        f"seen {CONTACTS}, would change {len(messy)}, "
        f"unchanged {CONTACTS - len(messy)}, failed 0"
    )
    assert names == {i: c.typed for i, c in zip(ids, contacts, strict=True)}
    assert updates == Counter()
    assert checkpoints_in(tmp_path).load(member_id) == 0
