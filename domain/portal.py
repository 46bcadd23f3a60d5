"""The `Portal` entity: one Bitrix24 account that installed the application.

A portal is identified by its `member_id`, never by its address: the owner of a
portal can rename it, and the address then changes while `member_id` stays.
"""

import hmac
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from urllib.parse import urlsplit

from domain.errors import ApplicationTokenAlreadySet, PortalNotActive
from domain.names.fields import NameField

#: Refresh a little before the announced expiry so a call never leaves with a token
#: that dies on its way to the portal.
EXPIRY_MARGIN = timedelta(seconds=30)


class PortalStatus(StrEnum):
    ACTIVE = "active"
    UNINSTALLED = "uninstalled"


@dataclass(frozen=True, slots=True)
class Grant:
    """An OAuth token pair issued for one portal, with what the issuer said of it.

    `member_id` and `client_endpoint` are set when the grant comes from the OAuth
    server, which names the portal it issued the tokens for.
    """

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_at: datetime
    scope: str = ""
    member_id: str | None = None
    client_endpoint: str | None = None


@dataclass(frozen=True, slots=True)
class NameSettings:
    """What the portal's administrator chose for name formatting.

    `language` overrides the portal's own language when set.
    """

    enabled: bool = True
    fields: frozenset[NameField] = frozenset(NameField)
    language: str | None = None


@dataclass(slots=True)
class Portal:
    """A portal that installed the app, with the tokens to act on it."""

    member_id: str
    domain: str
    client_endpoint: str
    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_at: datetime
    application_token: str = field(repr=False)
    scope: str
    language: str
    installed_at: datetime
    updated_at: datetime
    status: PortalStatus = PortalStatus.ACTIVE
    app_version: str = ""
    settings: NameSettings = field(default_factory=NameSettings)
    reinstall_needed: bool = False
    #: Whether the portal keeps an offline queue of contact changes for us.
    offline_events: bool = False

    @property
    def is_active(self) -> bool:
        return self.status is PortalStatus.ACTIVE

    @property
    def name_language(self) -> str:
        """The language name rules use: the override if set, else the portal's."""
        return self.settings.language or self.language

    @property
    def awaits_application_token(self) -> bool:
        """True for an active portal whose install sent no application token."""
        return self.is_active and not self.application_token

    def pin_application_token(self, token: str, now: datetime) -> None:
        """Keep the first proven event's application token; never replace one."""
        if not self.awaits_application_token:
            raise ApplicationTokenAlreadySet(self.member_id)
        self.application_token = token
        self.updated_at = now

    def access_token_expired(self, now: datetime) -> bool:
        """True when the access token is past (or within a margin of) its expiry."""
        return now >= self.expires_at - EXPIRY_MARGIN

    def application_token_matches(self, candidate: str) -> bool:
        """Compare `candidate` with the stored application token in constant time.

        An uninstalled portal, or one that never received a token, matches nothing.
        """
        if not self.is_active or not self.application_token:
            return False

        return hmac.compare_digest(self.application_token.encode(), candidate.encode())

    def take_grant(self, grant: Grant, now: datetime) -> None:
        """Replace the token pair with a newer one for this same portal."""
        if not self.is_active:
            raise PortalNotActive(self.member_id)

        self.access_token = grant.access_token
        self.refresh_token = grant.refresh_token
        self.expires_at = grant.expires_at
        if grant.scope:
            self.scope = grant.scope
        if grant.client_endpoint and grant.client_endpoint != self.client_endpoint:
            # The OAuth server names the portal's current address: it was renamed.
            self.move(grant.client_endpoint, now)
        self.updated_at = now

    def require_reinstall(self, now: datetime) -> None:
        """Note that the refresh token is dead: only a reinstall brings new tokens."""
        self.reinstall_needed = True
        self.updated_at = now

    def move(self, client_endpoint: str, now: datetime) -> None:
        """Take the new REST address of a renamed portal, and the domain it
        names; the portal's identity (member_id) stays."""
        self.client_endpoint = client_endpoint
        self.domain = urlsplit(client_endpoint).netloc
        self.updated_at = now

    def update_app(
        self,
        application_token: str,
        version: str,
        now: datetime,
        language: str | None = None,
    ) -> None:
        """Take the application token, version and the portal's language as a
        newer app release reports them."""
        if not self.is_active:
            raise PortalNotActive(self.member_id)

        if application_token:
            self.application_token = application_token
        if language:
            self.language = language
        self.app_version = version
        self.updated_at = now

    def change_settings(self, settings: NameSettings, now: datetime) -> None:
        self.settings = settings
        self.updated_at = now

    def uninstall(self, now: datetime) -> None:
        """Forget every token: after an uninstall Bitrix24 has revoked them all."""
        self.status = PortalStatus.UNINSTALLED
        self.access_token = ""
        self.refresh_token = ""
        self.application_token = ""
        self.updated_at = now

    def reinstalled(self, other: "Portal") -> "Portal":
        """The portal as a new install `other` leaves it, keeping its history.

        Tokens, address and language come from the new install; the first install
        time and the administrator's settings stay.
        """
        return replace(
            other,
            installed_at=self.installed_at,
            settings=self.settings,
        )
