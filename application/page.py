"""What the app's page inside Bitrix24 shows about the portal that opened it."""

import logging
from dataclasses import dataclass, replace
from datetime import datetime

from application.errors import AuthRejected, ExpiredToken, Unauthorized
from application.ports import Bitrix24Gateway, TokenRepository
from domain.names import NameField

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PortalView:
    """The portal's state as its own users may see it: no tokens."""

    member_id: str
    domain: str
    language: str
    name_language: str
    active: bool
    formatting_enabled: bool
    fields: tuple[NameField, ...]
    installed_at: datetime
    updated_at: datetime


class DescribePortal:
    """The view of a portal for a caller who proves they are signed in to it.

    The page is opened with the user's access token (`AUTH_ID`). It is tried on
    the portal's stored REST address, never on one taken from the request, so only
    a token the portal itself accepts unlocks its data.
    """

    def __init__(self, portals: TokenRepository, gateway: Bitrix24Gateway) -> None:
        self._portals = portals
        self._gateway = gateway

    async def __call__(self, member_id: str, access_token: str) -> PortalView:
        portal = self._portals.get(member_id)
        if portal is None or not portal.is_active:
            raise Unauthorized(f"app is not installed for member_id={member_id}")

        try:
            await self._gateway.call(
                replace(portal, access_token=access_token), "app.info", {}
            )
        except (AuthRejected, ExpiredToken) as error:
            logger.warning("page access refused member_id=%s", member_id)
            raise Unauthorized(f"not signed in to member_id={member_id}") from error

        return PortalView(
            member_id=portal.member_id,
            domain=portal.domain,
            language=portal.language,
            name_language=portal.name_language,
            active=portal.is_active,
            formatting_enabled=portal.settings.enabled,
            fields=tuple(f for f in NameField if f in portal.settings.fields),
            installed_at=portal.installed_at,
            updated_at=portal.updated_at,
        )
