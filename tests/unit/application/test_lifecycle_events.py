import pytest

from application.errors import TokensNotProven, Unauthorized
from application.events import AppUpdate, authenticate
from application.handlers import HANDLED_EVENTS
from domain.portal import PortalStatus
from tests.unit.application.conftest import ALPHA, BETA, World

pytestmark = pytest.mark.anyio


async def install(world: World, member_id: str = ALPHA) -> None:
    domain = f"{member_id[:5]}.bitrix24.com"
    await world.install_app()(world.install_request(member_id, domain))


async def test_event_with_stored_application_token_is_accepted(world: World) -> None:
    await install(world)

    portal = authenticate(world.portals, ALPHA, "apptok")

    assert portal.member_id == ALPHA


@pytest.mark.parametrize(
    ("member_id", "token"),
    [(ALPHA, "wrong"), (BETA, "apptok"), (ALPHA, ""), (ALPHA, "apptok\x00")],
)
async def test_event_not_matching_a_stored_portal_is_refused(
    world: World, member_id: str, token: str
) -> None:
    await install(world)

    with pytest.raises(Unauthorized):
        authenticate(world.portals, member_id, token)


async def test_update_takes_new_token_after_proof_and_rebinds(world: World) -> None:
    await install(world)
    world.bitrix.portals[ALPHA].bindings.clear()
    _, refresh = world.bitrix.issue_tokens(ALPHA)

    await world.update_app()(AppUpdate(ALPHA, "newtok", refresh, "2"))

    stored = world.portals.get(ALPHA)
    assert stored is not None
    assert (stored.application_token, stored.app_version) == ("newtok", "2")
    assert len(world.bitrix.portals[ALPHA].bindings) == len(HANDLED_EVENTS)


async def test_update_with_unproven_tokens_keeps_old_token(world: World) -> None:
    await install(world)

    with pytest.raises(TokensNotProven):
        await world.update_app()(AppUpdate(ALPHA, "evil", "bogus", "2"))

    stored = world.portals.get(ALPHA)
    assert stored is not None
    assert stored.application_token == "apptok"


async def test_uninstall_without_clean_forgets_tokens_only(world: World) -> None:
    await install(world)
    portal = authenticate(world.portals, ALPHA, "apptok")

    world.uninstall_app()(portal, clean=False)

    stored = world.portals.get(ALPHA)
    assert stored is not None
    assert stored.status is PortalStatus.UNINSTALLED
    assert (stored.access_token, stored.refresh_token) == ("", "")
    with pytest.raises(Unauthorized):
        authenticate(world.portals, ALPHA, "apptok")


async def test_uninstall_with_clean_deletes_the_portal(world: World) -> None:
    await install(world)
    await install(world, BETA)
    portal = authenticate(world.portals, ALPHA, "apptok")

    world.uninstall_app()(portal, clean=True)

    assert world.portals.get(ALPHA) is None
    assert world.portals.get(BETA) is not None
