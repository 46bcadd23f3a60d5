"""REST calls on behalf of a portal, with the token refresh Bitrix24 requires.

Access tokens live an hour. When a call meets `expired_token`, the portal's
refresh token is traded for a new pair, the pair is stored, and the call is sent
once more. A refresh invalidates the old refresh token, so two refreshes racing
for one portal would leave one caller with a dead token: within a process every
caller that needs a refresh for a portal waits on the one refresh under way.
"""

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

from application.errors import AuthRejected, ExpiredToken, PortalNotFound
from application.ports import Bitrix24Gateway, Clock, RestResponse, TokenRepository
from domain.portal import Portal

logger = logging.getLogger(__name__)


class PortalRest:
    """Calls REST methods for installed portals, keeping their tokens fresh."""

    def __init__(
        self, portals: TokenRepository, gateway: Bitrix24Gateway, clock: Clock
    ) -> None:
        self._portals = portals
        self._gateway = gateway
        self._clock = clock
        self._refreshes: dict[str, asyncio.Future[Portal]] = {}

    async def call(
        self, member_id: str, method: str, params: Mapping[str, Any]
    ) -> RestResponse:
        """Call `method` on the portal with its stored tokens.

        Raises `PortalNotFound` when the portal is not installed, and the gateway's
        `Bitrix24Error` subclasses otherwise. A call refused for its token is sent
        once more with a renewed one.
        """
        portal = self._load(member_id)

        try:
            return await self._gateway.call(portal, method, params)
        except (ExpiredToken, AuthRejected) as error:
            renewed = await self._renewed(portal, error)
            return await self._gateway.call(renewed, method, params)

    async def _renewed(
        self, stale: Portal, error: ExpiredToken | AuthRejected
    ) -> Portal:
        """The portal with tokens newer than `stale`'s, or `error` if there are none.

        A token replaced while the call was under way is refused by the portal as
        invalid rather than expired; the stored portal then has the new one.
        """
        current = self._load(stale.member_id)
        if current.access_token != stale.access_token:
            return current
        if not isinstance(error, ExpiredToken):
            raise error
        return await self._shared_refresh(current)

    async def _shared_refresh(self, portal: Portal) -> Portal:
        """Refresh the portal's tokens, joining a refresh already under way."""
        pending = self._refreshes.get(portal.member_id)
        if pending is None:
            pending = asyncio.ensure_future(self._refresh(portal))
            self._refreshes[portal.member_id] = pending
            pending.add_done_callback(
                lambda _: self._refreshes.pop(portal.member_id, None)
            )
        return await asyncio.shield(pending)

    async def _refresh(self, portal: Portal) -> Portal:
        grant = await self._gateway.refresh(portal.refresh_token)
        if grant.member_id and grant.member_id != portal.member_id:
            raise AuthRejected(
                "wrong_portal", f"refresh answered for member_id={grant.member_id}"
            )

        portal.take_grant(grant, self._clock())
        self._portals.save(portal)
        logger.info("tokens refreshed member_id=%s", portal.member_id)
        return portal

    def _load(self, member_id: str) -> Portal:
        portal = self._portals.get(member_id)
        if portal is None or not portal.is_active:
            raise PortalNotFound(member_id)
        return portal
