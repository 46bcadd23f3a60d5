"""Installing the app on a portal, from either documented install flow."""

import logging
from dataclasses import dataclass

from application.handlers import bind_handlers
from application.offline import bind_offline
from application.ports import Bitrix24Gateway, Clock, ContactInbox, TokenRepository
from application.proof import prove_grant
from application.rest import PortalRest
from domain.portal import Portal

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class InstallRequest:
    """What an install (UI page or ONAPPINSTALL event) tells about the portal."""

    member_id: str
    domain: str
    client_endpoint: str
    refresh_token: str
    application_token: str
    language: str
    app_version: str = ""


class InstallApp:
    """Store the portal with proven tokens, then bind the event handlers.

    The offered tokens are proven at the OAuth server before anything is stored, so
    a forged install cannot replace a real portal's tokens. A reinstall replaces
    tokens and address but keeps the administrator's settings, and sends the jobs
    parked while the portal had no working tokens back to the queue; another
    portal's record is never read or written.
    """

    def __init__(
        self,
        portals: TokenRepository,
        inbox: ContactInbox,
        gateway: Bitrix24Gateway,
        rest: PortalRest,
        events_url: str,
        clock: Clock,
    ) -> None:
        self._portals = portals
        self._inbox = inbox
        self._gateway = gateway
        self._rest = rest
        self._events_url = events_url
        self._clock = clock

    async def __call__(self, request: InstallRequest) -> Portal:
        grant = await prove_grant(
            self._gateway,
            request.refresh_token,
            request.member_id,
            request.client_endpoint,
        )
        now = self._clock()
        portal = Portal(
            member_id=request.member_id,
            domain=request.domain,
            client_endpoint=grant.client_endpoint or request.client_endpoint,
            access_token=grant.access_token,
            refresh_token=grant.refresh_token,
            expires_at=grant.expires_at,
            application_token=request.application_token,
            scope=grant.scope,
            language=request.language,
            installed_at=now,
            updated_at=now,
            app_version=request.app_version,
        )

        existing = self._portals.get(request.member_id)
        if existing is not None:
            portal = existing.reinstalled(portal)
        self._portals.save(portal)
        if existing is not None:
            self._inbox.requeue_failed(portal.member_id, now)

        await bind_handlers(self._rest, portal.member_id, self._events_url)
        await self._note_offline_queue(portal.member_id)
        logger.info(
            "app installed member_id=%s domain=%s reinstall=%s",
            portal.member_id,
            portal.domain,
            existing is not None,
        )
        return portal

    async def _note_offline_queue(self, member_id: str) -> None:
        offline = await bind_offline(self._rest, member_id)

        # Re-read: the binding calls may have refreshed and stored new tokens.
        current = self._portals.get(member_id)
        if current is not None and current.offline_events != offline:
            current.offline_events = offline
            self._portals.save(current)
