from typing import Any

import pytest

from application.errors import PortalUnavailable, RateLimited
from application.ports import JobState
from application.worker import REINSTALL_NEEDED, UNINSTALLED
from domain.names import NameField
from domain.portal import NameSettings
from tests.unit.application.conftest import ALPHA, BETA, World

pytestmark = pytest.mark.anyio


async def install(world: World, member_id: str = ALPHA, language: str = "en") -> None:
    domain = f"{member_id[:5]}.bitrix24.com"
    request = world.install_request(member_id, domain, language=language)
    await world.install_app()(request)


def contacts(world: World, member_id: str = ALPHA) -> dict[str, dict[str, Any]]:
    return world.bitrix.portals[member_id].contacts


async def queue(world: World, contact_id: str, member_id: str = ALPHA) -> None:
    await world.queue_change()(member_id, "apptok", None, contact_id)


def updates(world: World, member_id: str = ALPHA) -> list[dict[str, Any]]:
    return world.bitrix.method_calls(member_id, "crm.contact.update")


async def test_fifty_contacts_cost_one_read_and_one_write_request(world: World) -> None:
    await install(world)
    for n in range(1, 51):
        contacts(world)[str(n)] = {"NAME": "JOHN", "LAST_NAME": f"smith{n}"}
        await queue(world, str(n))
    requests_before = world.bitrix.request_count(ALPHA)

    handled = await world.worker().run_once()

    assert handled == 50
    assert world.bitrix.request_count(ALPHA) - requests_before == 2
    assert contacts(world)["7"] == {"NAME": "John", "LAST_NAME": "Smith7"}
    assert world.inbox.jobs(ALPHA) == []


async def test_only_changed_fields_are_written_and_tidy_contacts_not_at_all(
    world: World,
) -> None:
    await install(world)
    contacts(world)["1"] = {"NAME": "JOHN", "SECOND_NAME": "", "LAST_NAME": "Smith"}
    contacts(world)["2"] = {"NAME": "Anna", "LAST_NAME": "Smith"}
    await queue(world, "1")
    await queue(world, "2")

    await world.worker().run_once()

    assert updates(world) == [
        {
            "id": "1",
            "fields": {"NAME": "John"},
            "params": {"REGISTER_SONET_EVENT": "N"},
            "auth_connector": "b24names",
        }
    ]


async def test_echo_of_our_own_update_ends_without_another_write(
    world: World,
) -> None:
    await install(world)
    contacts(world)["1"] = {"NAME": "иван"}
    await queue(world, "1")
    await world.worker().run_once()

    await queue(world, "1")  # the ONCRMCONTACTUPDATE our write fired
    await world.worker().run_once()

    assert len(updates(world)) == 1
    assert world.inbox.jobs(ALPHA) == []


async def test_events_for_one_contact_collapse_into_one_read(world: World) -> None:
    await install(world)
    contacts(world)["1"] = {"NAME": "JOHN"}
    for _ in range(5):
        await queue(world, "1")

    await world.worker().run_once()

    assert len(world.bitrix.method_calls(ALPHA, "crm.contact.get")) == 1


async def test_deleted_contact_ends_its_job_without_retry(world: World) -> None:
    await install(world)
    contacts(world)["1"] = {"NAME": "JOHN"}
    await queue(world, "1")
    await queue(world, "404")

    await world.worker().run_once()

    assert world.inbox.jobs(ALPHA) == []
    assert contacts(world)["1"] == {"NAME": "John"}


async def test_transient_failure_retries_later_then_dead_letters(world: World) -> None:
    await install(world)
    contacts(world)["1"] = {"NAME": "JOHN"}
    await queue(world, "1")
    world.bitrix.portals[ALPHA].faults.extend(
        PortalUnavailable("", "server error", 503) for _ in range(20)
    )

    first_try = world.clock()
    await world.worker().run_once()
    [job] = world.inbox.jobs(ALPHA)
    nothing_due = await world.worker().run_once()
    for _ in range(10):
        world.clock.advance(3600)
        await world.worker().run_once()

    assert (job.state, job.attempts) == (JobState.PENDING, 1)
    assert job.due_at > first_try
    assert nothing_due == 0
    [dead] = world.inbox.jobs(ALPHA)
    assert dead.state is JobState.FAILED
    assert "PortalUnavailable" in dead.last_error
    assert world.inbox.requeue_failed(ALPHA, world.clock()) == 1


async def test_rate_limited_batch_comes_back_when_the_limit_resets(
    world: World,
) -> None:
    await install(world)
    contacts(world)["1"] = {"NAME": "JOHN"}
    await queue(world, "1")
    reset_at = world.clock.now.replace(minute=9)
    world.bitrix.portals[ALPHA].faults.append(
        RateLimited("OPERATION_TIME_LIMIT", "blocked", 429, retry_at=reset_at)
    )

    await world.worker().run_once()

    [job] = world.inbox.jobs(ALPHA)
    assert job.due_at >= reset_at


async def test_dead_refresh_token_parks_jobs_until_reinstall(world: World) -> None:
    await install(world)
    contacts(world)["1"] = {"NAME": "JOHN"}
    await queue(world, "1")
    world.bitrix.expire_all(ALPHA)
    world.bitrix.portals[ALPHA].refresh_tokens.clear()

    await world.worker().run_once()
    [parked] = world.inbox.jobs(ALPHA)
    portal = world.portals.get(ALPHA)
    await install(world)
    await world.worker().run_once()

    assert parked.state is JobState.FAILED
    assert parked.last_error == REINSTALL_NEEDED
    assert portal is not None
    assert portal.reinstall_needed
    assert contacts(world)["1"] == {"NAME": "John"}


async def test_jobs_of_uninstalled_portal_are_parked(world: World) -> None:
    await install(world)
    await queue(world, "1")
    portal = world.portals.get(ALPHA)
    assert portal is not None
    world.uninstall_app()(portal, clean=False)

    await world.worker().run_once()

    [parked] = world.inbox.jobs(ALPHA)
    assert (parked.state, parked.last_error) == (JobState.FAILED, UNINSTALLED)


async def test_clean_uninstall_forgets_the_portals_jobs(world: World) -> None:
    await install(world)
    await queue(world, "1")
    portal = world.portals.get(ALPHA)
    assert portal is not None

    world.uninstall_app()(portal, clean=True)

    assert world.inbox.jobs(ALPHA) == []


async def test_expired_token_is_refreshed_once_for_the_batch(world: World) -> None:
    await install(world)
    for n in range(1, 11):
        contacts(world)[str(n)] = {"NAME": "PETER"}
        await queue(world, str(n))
    world.bitrix.expire_all(ALPHA)
    refreshes = len(world.bitrix.refreshes)

    await world.worker().run_once()

    assert len(world.bitrix.refreshes) == refreshes + 1
    assert all(c == {"NAME": "Peter"} for c in contacts(world).values())


async def test_portal_language_and_field_settings_are_honoured(world: World) -> None:
    await install(world, language="es")
    portal = world.portals.get(ALPHA)
    assert portal is not None
    portal.change_settings(
        NameSettings(fields=frozenset({NameField.LAST})), world.clock()
    )
    world.portals.save(portal)
    contacts(world)["1"] = {"NAME": "JUAN", "LAST_NAME": "DE LA CRUZ"}
    await queue(world, "1")

    await world.worker().run_once()

    assert contacts(world)["1"] == {"NAME": "JUAN", "LAST_NAME": "de la Cruz"}


async def test_switched_off_portal_writes_nothing(world: World) -> None:
    await install(world)
    portal = world.portals.get(ALPHA)
    assert portal is not None
    portal.change_settings(NameSettings(enabled=False), world.clock())
    world.portals.save(portal)
    contacts(world)["1"] = {"NAME": "JOHN"}
    await queue(world, "1")

    await world.worker().run_once()

    assert updates(world) == []
    assert world.inbox.jobs(ALPHA) == []


async def test_each_portal_is_drained_with_its_own_tokens(world: World) -> None:
    await install(world, ALPHA)
    await install(world, BETA)
    contacts(world, ALPHA)["1"] = {"NAME": "JOHN"}
    contacts(world, BETA)["1"] = {"NAME": "MARY"}
    await queue(world, "1", ALPHA)
    await queue(world, "1", BETA)

    await world.worker().run_once()
    await world.worker().run_once()

    assert contacts(world, ALPHA)["1"] == {"NAME": "John"}
    assert contacts(world, BETA)["1"] == {"NAME": "Mary"}


async def test_jobs_settle_before_they_are_taken_so_bursts_share_a_batch(
    world: World,
) -> None:
    await install(world)
    await queue(world, "1")
    world.clock.advance(0.3)
    await queue(world, "2")

    too_early = await world.worker(settle=0.5).run_once()
    world.clock.advance(0.3)
    first_settled = await world.worker(settle=0.5).run_once()
    world.clock.advance(0.3)
    second_settled = await world.worker(settle=0.5).run_once()

    assert (too_early, first_settled, second_settled) == (0, 1, 1)
