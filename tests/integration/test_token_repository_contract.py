"""What every `TokenRepository` promises, run unchanged against each adapter."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta, timezone

from application.ports import TokenRepository
from domain.portal import NameSettings, PortalStatus
from tests.integration.portals import INSTALLED_AT, a_portal

FIRST = "a223c6b3710f85df22e9377d6c4f7553"
SECOND = "b9e1f0c2d3a4b5c6d7e8f90123456789"


def test_saved_portal_comes_back_with_every_field(
    repository: TokenRepository,
) -> None:
    portal = a_portal(FIRST)

    repository.save(portal)
    stored = repository.get(FIRST)

    assert stored == portal


def test_stored_datetimes_are_timezone_aware_and_the_same_instant(
    repository: TokenRepository,
) -> None:
    moscow = timezone(timedelta(hours=3))
    portal = a_portal(FIRST, expires_at=INSTALLED_AT.astimezone(moscow))

    repository.save(portal)
    stored = repository.get(FIRST)

    assert stored is not None
    for moment in (stored.expires_at, stored.installed_at, stored.updated_at):
        assert moment.utcoffset() is not None
    assert stored.expires_at == INSTALLED_AT


def test_uninstalled_portal_keeps_its_status_and_empty_tokens(
    repository: TokenRepository,
) -> None:
    portal = a_portal(FIRST)
    portal.uninstall(INSTALLED_AT + timedelta(days=1))

    repository.save(portal)
    stored = repository.get(FIRST)

    assert stored is not None
    assert stored.status is PortalStatus.UNINSTALLED
    assert (stored.access_token, stored.refresh_token) == ("", "")
    assert stored.application_token == ""


def test_settings_with_no_fields_and_no_language_survive(
    repository: TokenRepository,
) -> None:
    settings = NameSettings(enabled=True, fields=frozenset(), language=None)

    repository.save(a_portal(FIRST, settings=settings))
    stored = repository.get(FIRST)

    assert stored is not None
    assert stored.settings == settings


def test_unknown_member_id_reads_as_none(repository: TokenRepository) -> None:
    repository.save(a_portal(FIRST))

    assert repository.get(SECOND) is None


def test_reinstall_replaces_the_stored_portal_without_a_duplicate(
    repository: TokenRepository,
) -> None:
    repository.save(a_portal(FIRST))
    reinstalled = a_portal(
        FIRST, access_token="access-new", refresh_token="refresh-new", language="en"
    )

    repository.save(reinstalled)

    assert repository.get(FIRST) == reinstalled
    assert repository.list() == [reinstalled]


def test_second_portal_install_keeps_first_portal_tokens(
    repository: TokenRepository,
) -> None:
    first = a_portal(FIRST)
    repository.save(first)

    repository.save(a_portal(SECOND))

    assert repository.get(FIRST) == first


def test_changing_a_portal_after_saving_leaves_the_stored_one(
    repository: TokenRepository,
) -> None:
    portal = a_portal(FIRST)
    repository.save(portal)

    portal.access_token = "changed-but-not-saved"

    stored = repository.get(FIRST)
    assert stored is not None
    assert stored.access_token == f"access-{FIRST}"


def test_delete_removes_only_that_portal(repository: TokenRepository) -> None:
    repository.save(a_portal(FIRST))
    repository.save(a_portal(SECOND))

    repository.delete(FIRST)

    assert repository.get(FIRST) is None
    assert repository.get(SECOND) == a_portal(SECOND)


def test_delete_twice_or_of_an_unknown_portal_does_nothing(
    repository: TokenRepository,
) -> None:
    repository.save(a_portal(FIRST))
    repository.delete(FIRST)

    repository.delete(FIRST)
    repository.delete(SECOND)

    assert repository.list() == []


def test_list_is_ordered_by_member_id(repository: TokenRepository) -> None:
    for member_id in ("c0ffee", "a11ce0", "b0b000"):
        repository.save(a_portal(member_id))

    listed = [portal.member_id for portal in repository.list()]

    assert listed == ["a11ce0", "b0b000", "c0ffee"]


def test_list_of_an_empty_store_is_empty(repository: TokenRepository) -> None:
    assert repository.list() == []


def test_save_if_refresh_token_saves_when_the_token_is_unchanged(
    repository: TokenRepository,
) -> None:
    repository.save(a_portal(FIRST))
    refreshed = a_portal(FIRST, access_token="access-2", refresh_token="refresh-2")

    saved = repository.save_if_refresh_token(refreshed, expected=f"refresh-{FIRST}")

    assert saved is True
    assert repository.get(FIRST) == refreshed


def test_save_if_refresh_token_with_a_stale_token_saves_nothing(
    repository: TokenRepository,
) -> None:
    repository.save(a_portal(FIRST))
    winner = a_portal(FIRST, access_token="access-2", refresh_token="refresh-2")
    repository.save_if_refresh_token(winner, expected=f"refresh-{FIRST}")
    loser = a_portal(FIRST, access_token="access-3", refresh_token="refresh-3")

    saved = repository.save_if_refresh_token(loser, expected=f"refresh-{FIRST}")

    assert saved is False
    assert repository.get(FIRST) == winner


def test_save_if_refresh_token_of_a_missing_portal_saves_nothing(
    repository: TokenRepository,
) -> None:
    repository.save(a_portal(SECOND))

    saved = repository.save_if_refresh_token(a_portal(FIRST), f"refresh-{FIRST}")

    assert saved is False
    assert repository.get(FIRST) is None


def test_save_if_refresh_token_leaves_other_portals_alone(
    repository: TokenRepository,
) -> None:
    repository.save(a_portal(FIRST))
    repository.save(a_portal(SECOND, refresh_token=f"refresh-{FIRST}"))

    repository.save_if_refresh_token(
        a_portal(FIRST, refresh_token="refresh-2"), expected=f"refresh-{FIRST}"
    )

    assert repository.get(SECOND) == a_portal(SECOND, refresh_token=f"refresh-{FIRST}")


def test_threads_racing_to_save_the_same_refresh_have_exactly_one_winner(
    shared_repository: TokenRepository,
) -> None:
    shared_repository.save(a_portal(FIRST))
    racers = 8
    start = threading.Barrier(racers)

    def race(number: int) -> bool:
        refreshed = a_portal(FIRST, refresh_token=f"refresh-by-{number}")
        start.wait()
        return shared_repository.save_if_refresh_token(refreshed, f"refresh-{FIRST}")

    with ThreadPoolExecutor(max_workers=racers) as pool:
        outcomes = list(pool.map(race, range(racers)))

    assert outcomes.count(True) == 1
    stored = shared_repository.get(FIRST)
    assert stored is not None
    assert stored.refresh_token == f"refresh-by-{outcomes.index(True)}"
