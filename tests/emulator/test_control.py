"""The control API: registration changes, reset, unknown portals."""

from __future__ import annotations

import pytest

from emulator.client import EmulatorControlError
from tests.emulator.conftest import World

pytestmark = pytest.mark.anyio


async def test_changed_token_lifetime_applies_to_the_next_install(
    world: World,
) -> None:
    await world.control.change_app(access_token_lifetime=60)
    portal, token = await world.installed_portal()

    world.clock.advance(61)
    response = await world.rest(portal, "app.info", {}, token)

    assert response.json()["error"] == "expired_token"


async def test_scope_without_crm_refuses_crm_methods(world: World) -> None:
    portal, token = await world.installed_portal()
    await world.control.change_app(scope="user")

    response = await world.rest(portal, "crm.contact.list", {}, token)

    assert response.status_code == 401
    assert response.json()["error"] == "insufficient_scope"


async def test_mistyped_registration_change_is_refused(world: World) -> None:
    with pytest.raises(EmulatorControlError) as refused:
        await world.control.change_app(access_token_lifetime="soon")

    assert refused.value.status == 400


async def test_reset_forgets_portals_and_restores_the_registration(
    world: World,
) -> None:
    portal, _ = await world.installed_portal()
    await world.control.change_app(version="7")

    await world.control.reset()

    assert (await world.control.app())["version"] == "1"
    with pytest.raises(EmulatorControlError) as unknown:
        await world.control.portal(portal.member_id)
    assert unknown.value.status == 404


async def test_update_of_a_portal_without_the_app_is_a_conflict(world: World) -> None:
    portal = await world.control.create_portal()

    with pytest.raises(EmulatorControlError) as refused:
        await world.control.update_app(portal.member_id, "2")

    assert refused.value.status == 409
