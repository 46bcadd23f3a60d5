"""The app's page inside Bitrix24: what it shows, and the settings it changes."""

import logging
from dataclasses import dataclass
from datetime import datetime

from application.errors import PortalNotFound, Unauthorized
from application.ports import Bitrix24Gateway, Clock, TokenRepository
from application.proof import user_is_admin
from domain.names import NameField
from domain.portal import NameSettings, Portal

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PortalView:
    """The portal's state as its own users may see it: no tokens."""

    member_id: str
    domain: str
    language: str
    name_language: str
    language_override: str | None
    active: bool
    formatting_enabled: bool
    fields: tuple[NameField, ...]
    installed_at: datetime
    updated_at: datetime
    #: Only the portal's administrators may change its settings.
    can_change_settings: bool = False

    @classmethod
    def of(cls, portal: Portal, can_change_settings: bool = False) -> "PortalView":
        return cls(
            member_id=portal.member_id,
            domain=portal.domain,
            language=portal.language,
            name_language=portal.name_language,
            language_override=portal.settings.language,
            active=portal.is_active,
            formatting_enabled=portal.settings.enabled,
            fields=tuple(f for f in NameField if f in portal.settings.fields),
            installed_at=portal.installed_at,
            updated_at=portal.updated_at,
            can_change_settings=can_change_settings,
        )


class DescribePortal:
    """The view of a portal for a caller who proves they are signed in to it.

    The page is opened with the user's access token (`AUTH_ID`), which the portal
    itself must accept: a member_id alone unlocks nothing. The portal also says
    whether that user administers it, which decides who may change settings.
    """

    def __init__(self, portals: TokenRepository, gateway: Bitrix24Gateway) -> None:
        self._portals = portals
        self._gateway = gateway

    async def __call__(self, member_id: str, access_token: str) -> PortalView:
        portal = self._portals.get(member_id)
        if portal is None or not portal.is_active:
            raise Unauthorized(f"app is not installed for member_id={member_id}")

        admin = await user_is_admin(self._gateway, portal, access_token)
        return PortalView.of(portal, can_change_settings=admin)


class ChangeSettings:
    """Apply the administrator's name-formatting settings to a portal.

    The caller must have established who is asking: the web layer accepts only a
    form it issued to a user the portal confirmed as one of its administrators.
    """

    def __init__(self, portals: TokenRepository, clock: Clock) -> None:
        self._portals = portals
        self._clock = clock

    def __call__(self, member_id: str, settings: NameSettings) -> PortalView:
        portal = self._portals.get(member_id)
        if portal is None or not portal.is_active:
            raise PortalNotFound(member_id)

        portal.change_settings(settings, self._clock())
        self._portals.save(portal)

        logger.info(
            "settings changed member_id=%s enabled=%s fields=%s language=%s",
            portal.member_id,
            settings.enabled,
            ",".join(sorted(settings.fields)),
            settings.language,
        )
        return PortalView.of(portal, can_change_settings=True)
