"""What every `TokenRepository` promises, run unchanged against each adapter."""

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
