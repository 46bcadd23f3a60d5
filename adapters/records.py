"""Translation between a `Portal` and the document that stores it.

SQLite and MongoDB both keep a portal as this one document, so the stored shape is
decided here only. Datetimes leave as timezone-aware UTC cut to the millisecond,
the precision MongoDB keeps, so every store gives back the same instant. They are
read back from aware or naive (taken as UTC) datetimes or from ISO 8601 strings.
"""

import hashlib
from collections.abc import Mapping
from typing import Any

from adapters.instants import read_instant, stored_instant
from adapters.sealing import NO_SEALING, Sealer
from application.errors import StorageUnavailable
from domain.names import NameField
from domain.portal import NameSettings, Portal, PortalStatus

#: The version of the document shape; a reader refuses documents newer than this.
RECORD_VERSION = 1

TOKEN_FIELDS = ("access_token", "refresh_token", "application_token")

#: The SHA-256 of the refresh token, kept beside the protected tokens so a store
#: can compare-and-set on it: a protected token may differ at every save.
REFRESH_DIGEST_FIELD = "refresh_token_sha256"


def portal_to_record(portal: Portal, sealer: Sealer = NO_SEALING) -> dict[str, Any]:
    """The document that stores `portal`, its tokens sealed by `sealer`; its
    datetimes must be timezone-aware."""
    return {
        "version": RECORD_VERSION,
        "member_id": portal.member_id,
        "domain": portal.domain,
        "client_endpoint": portal.client_endpoint,
        **_tokens_to_store(portal, sealer),
        REFRESH_DIGEST_FIELD: refresh_token_digest(portal.refresh_token),
        "expires_at": stored_instant(portal.expires_at),
        "scope": portal.scope,
        "language": portal.language,
        "installed_at": stored_instant(portal.installed_at),
        "updated_at": stored_instant(portal.updated_at),
        "status": portal.status.value,
        "app_version": portal.app_version,
        "settings": _settings_to_record(portal.settings),
        "reinstall_needed": portal.reinstall_needed,
        "offline_events": portal.offline_events,
    }


def portal_from_record(
    record: Mapping[str, Any], sealer: Sealer = NO_SEALING
) -> Portal:
    """The portal a stored document describes; unknown keys (like `_id`) are ignored.

    Raises `StorageUnavailable` for a document that is newer than this code or
    lacks a field or holds a value it cannot read, and `SealingError` for tokens
    that `sealer` cannot unseal (the stored document is left as it is).
    """
    version = record.get("version", RECORD_VERSION)
    if not isinstance(version, int) or version > RECORD_VERSION:
        raise StorageUnavailable(f"stored portal has unknown version {version!r}")

    try:
        return _portal_from(record, sealer)
    except (KeyError, TypeError, ValueError) as exc:
        member_id = record.get("member_id", "?")
        raise StorageUnavailable(f"stored portal {member_id} is unreadable") from exc


def _portal_from(record: Mapping[str, Any], sealer: Sealer) -> Portal:
    tokens = _tokens_from_store(record, sealer)
    return Portal(
        member_id=_text(record["member_id"]),
        domain=_text(record["domain"]),
        client_endpoint=_text(record["client_endpoint"]),
        access_token=tokens["access_token"],
        refresh_token=tokens["refresh_token"],
        application_token=tokens["application_token"],
        expires_at=read_instant(record["expires_at"]),
        scope=_text(record["scope"]),
        language=_text(record["language"]),
        installed_at=read_instant(record["installed_at"]),
        updated_at=read_instant(record["updated_at"]),
        status=PortalStatus(record["status"]),
        app_version=_text(record.get("app_version", "")),
        settings=_settings_from_record(record.get("settings", {})),
        reinstall_needed=record.get("reinstall_needed", False) is True,
        offline_events=record.get("offline_events", False) is True,
    )


def refresh_token_digest(refresh_token: str) -> str:
    """The hex SHA-256 of a refresh token.

    Refresh tokens are long random strings, so their digest reveals nothing usable.
    """
    return hashlib.sha256(refresh_token.encode()).hexdigest()


def _tokens_to_store(portal: Portal, sealer: Sealer) -> dict[str, str]:
    """The tokens as stored, sealed, keyed by field name.

    Every token enters storage here and leaves through `_tokens_from_store`.
    """
    return {name: sealer.seal(getattr(portal, name)) for name in TOKEN_FIELDS}


def _tokens_from_store(record: Mapping[str, Any], sealer: Sealer) -> dict[str, str]:
    return {name: sealer.unseal(_text(record[name])) for name in TOKEN_FIELDS}


def _settings_to_record(settings: NameSettings) -> dict[str, Any]:
    return {
        "enabled": settings.enabled,
        "fields": sorted(field.value for field in settings.fields),
        "language": settings.language,
    }


def _settings_from_record(record: Mapping[str, Any]) -> NameSettings:
    defaults = NameSettings()
    enabled = record.get("enabled", defaults.enabled)
    if not isinstance(enabled, bool):
        raise TypeError(f"settings.enabled is {enabled!r}")

    fields = record.get("fields")
    language = record.get("language")
    return NameSettings(
        enabled=enabled,
        fields=defaults.fields
        if fields is None
        else frozenset(NameField(field) for field in fields),
        language=None if language is None else _text(language),
    )


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    return value
