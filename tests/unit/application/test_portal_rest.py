import asyncio

import pytest

from application.errors import AuthRejected, PortalNotFound
from tests.fakes import NOW
from tests.unit.application.conftest import ALPHA, World

pytestmark = pytest.mark.anyio


async def install(world: World) -> None:
    await world.install_app()(world.install_request(ALPHA, "alpha.bitrix24.com"))


async def test_call_refused_for_a_token_replaced_meanwhile_uses_stored_one(
    world: World,
) -> None:
    await install(world)
    refreshes_at_install = len(world.bitrix.refreshes)
    world.bitrix.call_gate = asyncio.Event()
    call = asyncio.create_task(world.rest.call(ALPHA, "app.info", {}))
    await asyncio.sleep(0)
    # Another worker refreshes while the call above is on its way.
    portal = world.portals.get(ALPHA)
    assert portal is not None
    portal.take_grant(await world.bitrix.refresh(portal.refresh_token), NOW)
    world.portals.save(portal)

    world.bitrix.call_gate.set()
    response = await call

    assert response.result["CODE"] == "local.app"
    assert len(world.bitrix.refreshes) == refreshes_at_install + 1


async def test_token_the_portal_rejects_without_newer_one_is_an_error(
    world: World,
) -> None:
    await install(world)
    world.bitrix.portals[ALPHA].access_tokens.clear()

    with pytest.raises(AuthRejected):
        await world.rest.call(ALPHA, "app.info", {})


async def test_call_for_uninstalled_portal_is_refused(world: World) -> None:
    with pytest.raises(PortalNotFound):
        await world.rest.call(ALPHA, "app.info", {})
