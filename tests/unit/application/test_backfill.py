import pytest

from application.backfill import BackfillContacts, BackfillProgress
from application.errors import PortalUnavailable
from tests.unit.application.conftest import ALPHA, World

pytestmark = pytest.mark.anyio


async def portal_with_contacts(world: World, count: int) -> None:
    await world.install_app()(world.install_request(ALPHA, "alpha.bitrix24.com"))
    for n in range(1, count + 1):
        name = "JOHN" if n % 2 else "Anna"
        world.bitrix.portals[ALPHA].contacts[str(n)] = {"NAME": name}


def walk(world: World) -> BackfillContacts:
    return BackfillContacts(world.portals, world.rest)


async def test_walk_formats_every_contact_two_requests_per_page(world: World) -> None:
    await portal_with_contacts(world, 120)
    requests_before = world.bitrix.request_count(ALPHA)

    progress = await walk(world)(ALPHA)

    assert (progress.seen, progress.changed, progress.unchanged) == (120, 60, 60)
    assert progress.failed == 0
    assert progress.last_id == 120
    assert world.bitrix.portals[ALPHA].contacts["119"] == {"NAME": "John"}
    # three pages of reads, three batches of writes, one empty page to finish
    assert world.bitrix.request_count(ALPHA) - requests_before == 7


async def test_dry_run_lists_changes_and_writes_nothing(world: World) -> None:
    await portal_with_contacts(world, 4)

    progress = await walk(world)(ALPHA, dry_run=True)

    assert [c.contact_id for c in progress.changes] == ["1", "3"]
    assert progress.changes[0].after == {"NAME": "John"}
    assert world.bitrix.method_calls(ALPHA, "crm.contact.update") == []


async def test_interrupted_walk_of_two_thousand_resumes_after_the_last_page(
    world: World,
) -> None:
    await portal_with_contacts(world, 2000)
    pages: list[int] = []

    def fail_after_fifteen_pages(progress: BackfillProgress) -> None:
        pages.append(progress.last_id)
        if len(pages) == 15:
            world.bitrix.portals[ALPHA].faults.append(
                PortalUnavailable("", "down", 503)
            )

    with pytest.raises(PortalUnavailable):
        await walk(world)(ALPHA, on_page=fail_after_fifteen_pages)
    resumed = await walk(world)(ALPHA, start_after=pages[-1])

    assert pages[-1] == 750
    assert resumed.seen == 1250
    assert resumed.changed + resumed.unchanged == 1250
    updated = [c["id"] for c in world.bitrix.method_calls(ALPHA, "crm.contact.update")]
    assert sorted(updated, key=int) == [str(n) for n in range(1, 2001, 2)]
    assert all(
        c["NAME"] in {"John", "Anna"}
        for c in world.bitrix.portals[ALPHA].contacts.values()
    )
