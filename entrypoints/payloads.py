"""Translating Bitrix24's install and event payloads into use-case requests.

Everything a payload carries is checked against its documented format here, so the
use cases receive only well-formed values and every refusal names the bad field.
"""

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from application.errors import InvalidInput
from application.events import AppUpdate
from application.install import InstallRequest
from domain.names import NameField
from domain.portal import NameSettings
from entrypoints.forms import Form, FormValue

MEMBER_ID = re.compile(r"[0-9A-Za-z]{8,64}")
DOMAIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?(?::\d{1,5})?")
TOKEN = re.compile(r"[!-~]{1,512}")
EVENT_NAME = re.compile(r"[A-Za-z0-9_]{1,64}")
ENTITY_ID = re.compile(r"[1-9][0-9]{0,17}")
LANGUAGE = re.compile(r"[A-Za-z]{2,8}(?:[-_][A-Za-z0-9]{1,8}){0,3}")
VERSION = re.compile(r"[0-9A-Za-z._-]{1,32}")
FORM_TOKEN = re.compile(r"[0-9]{1,12}\.[0-9a-f]{64}")

#: Bitrix24 names some interface languages by country, not by BCP 47 language.
BITRIX_LANGUAGES = {
    "ua": "uk",
    "br": "pt-BR",
    "la": "es",
    "sc": "zh-Hans",
    "tc": "zh-Hant",
    "vn": "vi",
    "kz": "kk",
    "in": "en-IN",
}


@dataclass(frozen=True, slots=True)
class EventEnvelope:
    """The parts every event shares: its name and who claims to send it."""

    name: str
    member_id: str
    application_token: str
    data: Form
    auth: Form

    @property
    def access_token(self) -> str | None:
        """The user's access token, present when a user (not a robot) acted."""
        return _optional(self.auth, "access_token", TOKEN, "auth[access_token]")


def event_envelope(form: Form) -> EventEnvelope:
    """The checked envelope of an event form; `InvalidInput` if malformed."""
    auth = _group(form, "auth")
    return EventEnvelope(
        name=_required(form, "event", EVENT_NAME).upper(),
        member_id=_required(auth, "member_id", MEMBER_ID, "auth[member_id]"),
        application_token=_required(
            auth, "application_token", TOKEN, "auth[application_token]"
        ),
        data=_group(form, "data", required=False),
        auth=auth,
    )


def install_from_event(envelope: EventEnvelope) -> InstallRequest:
    """An install request from an ONAPPINSTALL event."""
    auth = envelope.auth
    endpoint = _endpoint(
        _required(auth, "client_endpoint", None, "auth[client_endpoint]")
    )
    return InstallRequest(
        member_id=envelope.member_id,
        domain=_required(auth, "domain", DOMAIN, "auth[domain]").lower(),
        client_endpoint=endpoint,
        refresh_token=_required(auth, "refresh_token", TOKEN, "auth[refresh_token]"),
        application_token=envelope.application_token,
        language=language_tag(_optional(envelope.data, "LANGUAGE_ID", LANGUAGE)),
        app_version=_optional(envelope.data, "VERSION", VERSION) or "",
    )


def install_from_page(query: Form, form: Form) -> InstallRequest:
    """An install request from the install page Bitrix24 opens (the UI flow)."""
    domain = _required(query, "DOMAIN", DOMAIN).lower()
    scheme = (
        "https" if _optional(query, "PROTOCOL", re.compile("[01]")) != "0" else "http"
    )
    return InstallRequest(
        member_id=_required(form, "member_id", MEMBER_ID),
        domain=domain,
        client_endpoint=f"{scheme}://{domain}/rest/",
        refresh_token=_required(form, "REFRESH_ID", TOKEN),
        application_token=_optional(form, "APPLICATION_TOKEN", TOKEN) or "",
        language=language_tag(_optional(query, "LANG", LANGUAGE)),
    )


def app_update(envelope: EventEnvelope) -> AppUpdate:
    """An ONAPPUPDATE event; its refresh token may be missing (robot-fired)."""
    return AppUpdate(
        member_id=envelope.member_id,
        application_token=envelope.application_token,
        refresh_token=_optional(envelope.auth, "refresh_token", TOKEN) or "",
        version=_optional(envelope.data, "VERSION", VERSION) or "",
        language=_language_of(envelope.data),
    )


def _language_of(data: Form) -> str | None:
    language = _optional(data, "LANGUAGE_ID", LANGUAGE)
    return language_tag(language) if language else None


def contact_id(envelope: EventEnvelope) -> str:
    """The contact ID of ONCRMCONTACTADD / ONCRMCONTACTUPDATE."""
    fields = _group(envelope.data, "FIELDS")
    return _required(fields, "ID", ENTITY_ID, "data[FIELDS][ID]")


def clean_requested(envelope: EventEnvelope) -> bool:
    """True when ONAPPUNINSTALL asks to delete the app's data."""
    return _optional(envelope.data, "CLEAN", re.compile("[01]")) == "1"


def member_id(form: Form) -> str:
    """The `member_id` a form must carry."""
    return _required(form, "member_id", MEMBER_ID)


def form_token(form: Form) -> str:
    """The settings form's signed token."""
    return _required(form, "form_token", FORM_TOKEN)


def name_settings(form: Form) -> NameSettings:
    """The settings the app page's form asks for; unknown fields are refused."""
    chosen = form.get("fields", {})
    if not isinstance(chosen, dict):
        raise InvalidInput("fields must be a list")
    try:
        fields = frozenset(NameField(str(value)) for value in chosen.values())
    except ValueError as error:
        raise InvalidInput("fields may hold only first, middle and last") from error

    language = _optional(form, "language", LANGUAGE)
    return NameSettings(
        enabled=_optional(form, "enabled", re.compile("Y")) == "Y",
        fields=fields,
        language=language_tag(language) if language else None,
    )


def optional_member_id(form: Form) -> str | None:
    """The `member_id` of a page request, if it carries one."""
    return _optional(form, "member_id", MEMBER_ID)


def optional_token(form: Form, key: str) -> str | None:
    """A token-shaped value of a page request, if present."""
    return _optional(form, key, TOKEN)


def language_tag(bitrix_language: str | None) -> str:
    """A BCP 47 tag for a Bitrix24 language id (`ua` → `uk`); unknown → `und`."""
    if not bitrix_language:
        return "und"
    code = bitrix_language.replace("_", "-")
    return BITRIX_LANGUAGES.get(code.lower(), code)


def _endpoint(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise InvalidInput("auth[client_endpoint] is not an http(s) URL")
    if not DOMAIN.fullmatch(parts.netloc) or parts.query or parts.fragment:
        raise InvalidInput("auth[client_endpoint] is not a portal's REST address")
    return url


def _group(form: Form, key: str, required: bool = True) -> Form:
    value = form.get(key)
    if isinstance(value, dict):
        return value
    if value is None and not required:
        return {}
    raise InvalidInput(f"{key} is missing or not a group")


def _required(
    form: Form, key: str, pattern: re.Pattern[str] | None, label: str | None = None
) -> str:
    value = _optional(form, key, pattern, label)
    if not value:
        raise InvalidInput(f"{label or key} is missing")
    return value


def _optional(
    form: Form, key: str, pattern: re.Pattern[str] | None, label: str | None = None
) -> str | None:
    value: FormValue | None = form.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"{label or key} must be a single value")
    if pattern is not None and not pattern.fullmatch(value):
        raise InvalidInput(f"{label or key} is not in its documented format")
    return value
