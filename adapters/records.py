"""Translation between a `Portal` and the document that stores it.

SQLite and MongoDB both keep a portal as this one document, so the stored shape is
decided here only. Datetimes leave as timezone-aware UTC cut to the millisecond,
the precision MongoDB keeps, so every store gives back the same instant. They are
read back from aware or naive (taken as UTC) datetimes or from ISO 8601 strings.
"""

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from application.errors import StorageUnavailable
from domain.names import NameField
from domain.portal import NameSettings, Portal, PortalStatus

#: The version of the document shape; a reader refuses documents newer than this.
RECORD_VERSION = 1

TOKEN_FIELDS = ("access_token", "refresh_token", "application_token")


def portal_to_record(portal: Portal) -> dict[str, Any]:
    """The document that stores `portal`; its datetimes must be timezone-aware."""
    return {
        "version": RECORD_VERSION,
        "member_id": portal.member_id,
        "domain": portal.domain,
        "client_endpoint": portal.client_endpoint,
        **_tokens_to_store(portal),
        "expires_at": _stored_instant(portal.expires_at),
        "scope": portal.scope,
        "language": portal.language,
        "installed_at": _stored_instant(portal.installed_at),
        "updated_at": _stored_instant(portal.updated_at),
        "status": portal.status.value,
        "app_version": portal.app_version,
        "settings": _settings_to_record(portal.settings),
    }


def portal_from_record(record: Mapping[str, Any]) -> Portal:
    """The portal a stored document describes; unknown keys (like `_id`) are ignored.

    Raises `StorageUnavailable` for a document that is newer than this code or
    lacks a field or holds a value it cannot read.
    """
    version = record.get("version", RECORD_VERSION)
    if not isinstance(version, int) or version > RECORD_VERSION:
        raise StorageUnavailable(f"stored portal has unknown version {version!r}")

    try:
        return _portal_from(record)
    except (KeyError, TypeError, ValueError) as exc:
        member_id = record.get("member_id", "?")
        raise StorageUnavailable(f"stored portal {member_id} is unreadable") from exc


def _portal_from(record: Mapping[str, Any]) -> Portal:
    tokens = _tokens_from_store(record)
    return Portal(
        member_id=_text(record["member_id"]),
        domain=_text(record["domain"]),
        client_endpoint=_text(record["client_endpoint"]),
        access_token=tokens["access_token"],
        refresh_token=tokens["refresh_token"],
        application_token=tokens["application_token"],
        expires_at=_read_instant(record["expires_at"]),
        scope=_text(record["scope"]),
        language=_text(record["language"]),
        installed_at=_read_instant(record["installed_at"]),
        updated_at=_read_instant(record["updated_at"]),
        status=PortalStatus(record["status"]),
        app_version=_text(record.get("app_version", "")),
        settings=_settings_from_record(record.get("settings", {})),
    )


def _tokens_to_store(portal: Portal) -> dict[str, str]:
    """The tokens as stored, keyed by field name.

    Every token enters storage here and leaves through `_tokens_from_store`, so
    protecting them at rest changes these two functions only.
    """
    return {name: getattr(portal, name) for name in TOKEN_FIELDS}


def _tokens_from_store(record: Mapping[str, Any]) -> dict[str, str]:
    return {name: _text(record[name]) for name in TOKEN_FIELDS}


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


def _stored_instant(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"refusing to store a naive datetime {moment.isoformat()}")

    utc = moment.astimezone(UTC)
    return utc.replace(microsecond=utc.microsecond // 1000 * 1000)


def _read_instant(value: object) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        raise TypeError(f"expected a datetime, got {type(value).__name__}")

    # MongoDB hands back naive datetimes that mean UTC.
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    return value
