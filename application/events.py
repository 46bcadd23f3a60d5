"""Authenticating the events Bitrix24 sends, and the app lifecycle events.

Bitrix24 signs nothing: the application token in the body, issued at install, is
the only proof that an event comes from the portal it names. No use case runs
before that proof, and a failed proof says which member_id, never which token.
"""

import logging
from dataclasses import dataclass

from application.errors import Unauthorized
from application.handlers import bind_handlers
from application.intake import InboxIntake
from application.ports import Bitrix24Gateway, Clock, ContactInbox, TokenRepository
from application.proof import prove_access_token, prove_grant
from application.rest import PortalRest
from domain.portal import Portal

logger = logging.getLogger(__name__)


def authenticate(
    portals: TokenRepository, member_id: str, application_token: str
) -> Portal:
    """The active portal that sent an event, or `Unauthorized`."""
    portal = portals.get(member_id)
    if portal is None or not portal.application_token_matches(application_token):
        logger.warning("event refused member_id=%s", member_id)
        raise Unauthorized(f"event not accepted for member_id={member_id}")
    return portal


class EventGate:
    """Admits an event only from the installed portal it names.

    Normally the stored application token decides. A portal installed through an
    older install page never sent one: its first event is admitted only if the
    portal itself accepts the event's access token, and that event's application
    token is then pinned for every later one.
    """

    def __init__(
        self, portals: TokenRepository, gateway: Bitrix24Gateway, clock: Clock
    ) -> None:
        self._portals = portals
        self._gateway = gateway
        self._clock = clock

    async def admit(
        self, member_id: str, application_token: str, access_token: str | None
    ) -> Portal:
        """The portal that sent the event, or `Unauthorized`."""
        portal = self._portals.get(member_id)
        if portal is not None and portal.awaits_application_token and access_token:
            await prove_access_token(self._gateway, portal, access_token)
            portal.pin_application_token(application_token, self._clock())
            self._portals.save(portal)
            logger.info("application token pinned member_id=%s", member_id)
        return authenticate(self._portals, member_id, application_token)


class QueueContactChange:
    """Accept a contact event: prove its origin, then queue the contact.

    Only a durable write happens here, so Bitrix24 gets its answer at once; the
    REST work is the workers' (Bitrix24 never re-sends an event it timed out on).
    """

    def __init__(self, gate: EventGate, intake: InboxIntake) -> None:
        self._gate = gate
        self._intake = intake

    async def __call__(
        self,
        member_id: str,
        application_token: str,
        access_token: str | None,
        contact_id: str,
    ) -> None:
        portal = await self._gate.admit(member_id, application_token, access_token)
        await self._intake.add(portal.member_id, contact_id)


@dataclass(frozen=True, slots=True)
class AppUpdate:
    """An ONAPPUPDATE event: the new release's token and the user's tokens."""

    member_id: str
    application_token: str
    refresh_token: str
    version: str
    language: str | None = None


class UpdateApp:
    """Take a new app release's application token and version, re-bind handlers.

    A new release brings a NEW application token, which cannot match the stored
    one; the event's refresh token is then proven at the OAuth server instead, and
    only after that proof is the new token accepted.
    """

    def __init__(
        self,
        portals: TokenRepository,
        gateway: Bitrix24Gateway,
        rest: PortalRest,
        events_url: str,
        clock: Clock,
    ) -> None:
        self._portals = portals
        self._gateway = gateway
        self._rest = rest
        self._events_url = events_url
        self._clock = clock

    async def __call__(self, update: AppUpdate) -> Portal:
        portal = self._portals.get(update.member_id)
        if portal is None or not portal.is_active:
            raise Unauthorized(f"update for unknown member_id={update.member_id}")

        now = self._clock()
        if not portal.application_token_matches(update.application_token):
            grant = await prove_grant(
                self._gateway,
                update.refresh_token,
                portal.member_id,
                portal.client_endpoint,
            )
            portal.take_grant(grant, now)
        portal.update_app(
            update.application_token, update.version, now, update.language
        )
        self._portals.save(portal)

        await bind_handlers(self._rest, portal.member_id, self._events_url)
        logger.info(
            "app updated member_id=%s version=%s", portal.member_id, update.version
        )
        return portal


class UninstallApp:
    """Forget a portal's tokens; with `clean`, forget everything about it.

    Without `clean` the settings and the jobs stay for a reinstall (the workers
    park the jobs: no token can run them).
    """

    def __init__(
        self, portals: TokenRepository, inbox: ContactInbox, clock: Clock
    ) -> None:
        self._portals = portals
        self._inbox = inbox
        self._clock = clock

    def __call__(self, portal: Portal, clean: bool) -> None:
        if clean:
            self._inbox.purge(portal.member_id)
            self._portals.delete(portal.member_id)
        else:
            portal.uninstall(self._clock())
            self._portals.save(portal)
        logger.info("app uninstalled member_id=%s clean=%s", portal.member_id, clean)
