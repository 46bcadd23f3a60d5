"""A portal with every field set, for storage tests."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from domain.names import NameField
from domain.portal import NameSettings, Portal, PortalStatus

#: Millisecond precision: the finest that every store keeps.
INSTALLED_AT = datetime(2026, 5, 14, 10, 26, 32, 910_000, tzinfo=UTC)


def a_portal(
    member_id: str = "a223c6b3710f85df22e9377d6c4f7553", **changes: Any
) -> Portal:
    portal = Portal(
        member_id=member_id,
        domain=f"{member_id[:8]}.bitrix24.de",
        client_endpoint=f"https://{member_id[:8]}.bitrix24.de/rest/",
        access_token=f"access-{member_id}",
        refresh_token=f"refresh-{member_id}",
        expires_at=INSTALLED_AT + timedelta(hours=1),
        application_token=f"application-{member_id}",
        scope="crm,user_brief",
        language="de",
        installed_at=INSTALLED_AT,
        updated_at=INSTALLED_AT + timedelta(minutes=5, milliseconds=123),
        status=PortalStatus.ACTIVE,
        app_version="1.2.0",
        settings=NameSettings(
            enabled=False,
            fields=frozenset({NameField.FIRST, NameField.LAST}),
            language="ru",
        ),
        reinstall_needed=True,
        offline_events=True,
    )
    return replace(portal, **changes)
