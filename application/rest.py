"""REST calls on behalf of a portal, with the token care Bitrix24 requires.

Access tokens live an hour. When a call meets `expired_token`, the portal's
refresh token is traded for a new pair, the pair is stored, and the call is sent
once more. A refresh invalidates the old refresh token, so two refreshes racing
for one portal would leave one caller with a dead token: within a process every
caller that needs a refresh for a portal waits on the one refresh under way, and
across processes the new pair is stored with a compare-and-set, the loser of a
race taking the winner's pair.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

from application.errors import (
    AuthRejected,
    ExpiredToken,
    PortalNotFound,
    RefreshTokenRejected,
)
from application.ports import (
    BatchCommand,
    BatchResponse,
    Bitrix24Gateway,
    Clock,
    RestResponse,
    TokenRepository,
)
from domain.portal import Portal

logger = logging.getLogger(__name__)

Answer = TypeVar("Answer", RestResponse, BatchResponse)

#: Seconds to wait for another process's new token pair before calling it dead;
#: longer in total than an OAuth answer plus a store write normally take.
RACE_WAITS = (0.1, 0.3, 0.6, 1.0)


class PortalRest:
    """Calls REST methods for installed portals, keeping tokens and address fresh."""

    def __init__(
        self,
        portals: TokenRepository,
        gateway: Bitrix24Gateway,
        clock: Clock,
        race_waits: Sequence[float] = RACE_WAITS,
    ) -> None:
        self._portals = portals
        self._gateway = gateway
        self._clock = clock
        self._race_waits = race_waits
        self._refreshes: dict[str, asyncio.Future[Portal]] = {}

    async def call(
        self, member_id: str, method: str, params: Mapping[str, Any]
    ) -> RestResponse:
        """Call `method` on the portal with its stored tokens.

        Raises `PortalNotFound` when the portal is not installed, and the gateway's
        `Bitrix24Error` subclasses otherwise. A call refused for its token is sent
        once more with a renewed one.
        """
        return await self._send(
            member_id, lambda portal: self._gateway.call(portal, method, params)
        )

    async def batch(
        self, member_id: str, commands: Mapping[str, BatchCommand], halt: bool = False
    ) -> BatchResponse:
        """Run up to 50 commands in one request, with the same token care."""
        return await self._send(
            member_id, lambda portal: self._gateway.batch(portal, commands, halt)
        )

    async def _send(
        self, member_id: str, send: Callable[[Portal], Awaitable[Answer]]
    ) -> Answer:
        portal = self._load(member_id)

        try:
            answer = await send(portal)
        except (ExpiredToken, AuthRejected) as error:
            portal = await self._renewed(portal, error)
            answer = await send(portal)

        if answer.moved_to:
            self._store_move(portal, answer.moved_to)
        return answer

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
        used = portal.refresh_token
        try:
            grant = await self._gateway.refresh(used)
        except RefreshTokenRejected:
            return await self._after_lost_race(portal, used)

        if grant.member_id and grant.member_id != portal.member_id:
            raise AuthRejected(
                "wrong_portal", f"refresh answered for member_id={grant.member_id}"
            )
        portal.take_grant(grant, self._clock())
        if not self._portals.save_if_refresh_token(portal, expected=used):
            return await self._after_lost_race(portal, used)

        logger.info("tokens refreshed member_id=%s", portal.member_id)
        return portal

    async def _after_lost_race(self, portal: Portal, used: str) -> Portal:
        """The pair another process stored, or the portal marked for reinstall.

        A refresh token refused as used is fine when another process spent it: its
        new pair shows up in the store, perhaps a moment later, since that process
        stores it only once the OAuth server has answered. When the stored token
        is still the refused one after that wait, the portal's authorisation is
        dead until the app is reinstalled.
        """
        for pause in self._race_waits:
            current = self._load(portal.member_id)
            if current.refresh_token != used:
                logger.info("tokens refreshed elsewhere member_id=%s", portal.member_id)
                return current
            await asyncio.sleep(pause)

        current.require_reinstall(self._clock())
        if not self._portals.save_if_refresh_token(current, expected=used):
            return self._load(portal.member_id)
        logger.error(
            "refresh token dead, reinstall needed member_id=%s", portal.member_id
        )
        raise RefreshTokenRejected("invalid_grant", "the portal must reinstall the app")

    def _store_move(self, portal: Portal, client_endpoint: str) -> None:
        """Keep the renamed portal's new address; its member_id stays."""
        current = self._load(portal.member_id)
        current.move(client_endpoint, self._clock())
        self._portals.save(current)
        logger.info(
            "portal moved member_id=%s domain=%s", portal.member_id, current.domain
        )

    def _load(self, member_id: str) -> Portal:
        portal = self._portals.get(member_id)
        if portal is None or not portal.is_active:
            raise PortalNotFound(member_id)
        return portal
