import pytest

from application.offline import OfflineReconciler
from tests.unit.application.conftest import ALPHA, World

pytestmark = pytest.mark.anyio


def record(n: int, event: str = "ONCRMCONTACTUPDATE") -> dict[str, object]:
    return {
        "ID": str(n),
        "EVENT_NAME": event,
        "EVENT_DATA": {"FIELDS": {"ID": str(100 + n)}},
        "MESSAGE_ID": f"m{n}",
    }


def reconciler(world: World) -> OfflineReconciler:
    return OfflineReconciler(world.portals, world.inbox, world.rest, world.clock)


async def install(world: World) -> None:
    await world.install_app()(world.install_request(ALPHA, "alpha.bitrix24.com"))


async def test_install_subscribes_the_offline_queue_where_allowed(
    world: World,
) -> None:
    await install(world)

    portal = world.portals.get(ALPHA)
    assert portal is not None
    assert portal.offline_events
    assert world.bitrix.portals[ALPHA].offline_bindings == {
        "ONCRMCONTACTADD",
        "ONCRMCONTACTUPDATE",
    }


async def test_portal_refusing_offline_events_is_installed_without_them(
    world: World,
) -> None:
    world.bitrix.add_portal(ALPHA, "alpha.bitrix24.com").offline_allowed = False

    await install(world)

    portal = world.portals.get(ALPHA)
    assert portal is not None
    assert not portal.offline_events


async def test_offline_records_are_queued_then_confirmed(world: World) -> None:
    await install(world)
    world.bitrix.portals[ALPHA].offline_queue = [record(n) for n in range(1, 61)] + [
        record(99, "ONCRMDEALADD")
    ]

    queued = await reconciler(world).reconcile_all()

    assert queued == 60
    assert len(world.inbox.jobs(ALPHA)) == 60
    assert world.bitrix.portals[ALPHA].offline_queue == []


async def test_writes_carry_the_auth_connector(world: World) -> None:
    await install(world)
    world.bitrix.portals[ALPHA].contacts["1"] = {"NAME": "JOHN"}
    await world.queue_change()(ALPHA, "apptok", None, "1")

    await world.worker().run_once()

    [update] = world.bitrix.method_calls(ALPHA, "crm.contact.update")
    assert update["auth_connector"] == "b24names"
