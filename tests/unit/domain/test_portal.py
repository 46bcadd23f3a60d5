from datetime import UTC, datetime, timedelta

import pytest

from domain.errors import PortalNotActive
from domain.portal import Grant, NameSettings, Portal, PortalStatus

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def portal(**changes: object) -> Portal:
    values: dict[str, object] = {
        "member_id": "a223c6b3710f85df22e9377d6c4f7553",
        "domain": "portal.bitrix24.com",
        "client_endpoint": "https://portal.bitrix24.com/rest/",
        "access_token": "access",
        "refresh_token": "refresh",
        "expires_at": NOW + timedelta(hours=1),
        "application_token": "51856fefc120afa4b628cc82d3935cce",
        "scope": "crm",
        "language": "ru",
        "installed_at": NOW,
        "updated_at": NOW,
    }
    values.update(changes)
    return Portal(**values)  # type: ignore[arg-type]


def test_access_token_counts_as_expired_shortly_before_expiry() -> None:
    subject = portal()

    assert not subject.access_token_expired(NOW)
    assert subject.access_token_expired(NOW + timedelta(minutes=59, seconds=45))


def test_application_token_matches_only_the_stored_one() -> None:
    subject = portal()

    assert subject.application_token_matches("51856fefc120afa4b628cc82d3935cce")
    assert not subject.application_token_matches("51856fefc120afa4b628cc82d3935ccf")
    assert not subject.application_token_matches("")


def test_portal_without_application_token_matches_nothing() -> None:
    assert not portal(application_token="").application_token_matches("")


def test_taking_a_grant_replaces_tokens_and_endpoint() -> None:
    subject = portal()
    later = NOW + timedelta(hours=2)
    grant = Grant(
        "new-access",
        "new-refresh",
        later + timedelta(hours=1),
        scope="crm,user",
        client_endpoint="https://renamed.bitrix24.com/rest/",
    )

    subject.take_grant(grant, later)

    assert (subject.access_token, subject.refresh_token) == (
        "new-access",
        "new-refresh",
    )
    assert subject.client_endpoint == "https://renamed.bitrix24.com/rest/"
    assert subject.domain == "renamed.bitrix24.com"
    assert subject.scope == "crm,user"
    assert subject.updated_at == later


def test_uninstall_forgets_tokens_and_refuses_events() -> None:
    subject = portal()

    subject.uninstall(NOW)

    assert subject.status is PortalStatus.UNINSTALLED
    assert subject.access_token == subject.refresh_token == ""
    assert not subject.application_token_matches("51856fefc120afa4b628cc82d3935cce")
    with pytest.raises(PortalNotActive):
        subject.take_grant(Grant("a", "r", NOW), NOW)


def test_language_override_wins_over_portal_language() -> None:
    subject = portal(settings=NameSettings(language="uk"))

    assert subject.name_language == "uk"
    assert portal().name_language == "ru"


def test_reinstall_keeps_first_install_time_and_settings() -> None:
    settings = NameSettings(enabled=False)
    old = portal(settings=settings)
    new = portal(access_token="fresh", installed_at=NOW + timedelta(days=3))

    merged = old.reinstalled(new)

    assert merged.access_token == "fresh"
    assert merged.installed_at == NOW
    assert merged.settings == settings


def test_repr_shows_no_token() -> None:
    subject = portal()
    grant = Grant("grant-access", "grant-refresh", NOW)

    shown = repr(subject) + repr(grant)

    for secret in ("access", "refresh", "51856fef", "grant-"):
        assert f"'{secret}" not in shown
