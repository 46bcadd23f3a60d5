"""The emulated Bitrix24 world in plain logic: portals, OAuth, installs, events.

Nothing here speaks HTTP. What a portal sends to the app leaves through the
`sink` as `Outbound` messages (events are fire-and-forget); the install flows,
which need the app's answer, hand their `Outbound` back to the caller instead.
"""

from __future__ import annotations

import secrets
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from emulator import errors, phpquery
from emulator.errors import ControlError, OAuthError
from emulator.limits import LimitSettings
from emulator.model import (
    ADMIN_USER_ID,
    CALL_LOG_LIMIT,
    EDITOR_USER_ID,
    REDIRECT_MODES,
    Binding,
    CallRecord,
    CallStats,
    Outbound,
    Portal,
)
from emulator.offline import OfflineQueue
from emulator.registration import AppRegistration
from emulator.tokens import Grant, TokenBook

Sink = Callable[[Outbound], None]

FLOWS = ("event", "ui")

#: What the UI install page must contain to count as calling installFinish.
INSTALL_FINISH_MARK = "BX24.installFinish()"

#: Who made a change the control API reports: a user (event carries tokens)
#: or a robot/workflow/agent (event carries no tokens).
ACTORS = ("user", "robot")

#: One bulk request adds at most this many contacts.
BULK_LIMIT = 10_000


class Emulator:
    """All portals of the emulated Bitrix24 cloud and the vendor's OAuth server.

    `main_address` is `host:port` of the OAuth server and server endpoint;
    portals live on `host` at the ports the caller gives `create_portal`.
    `limits` are the limit settings new portals start with; each portal keeps
    its last `call_log_limit` REST calls.
    """

    def __init__(
        self,
        registration: AppRegistration,
        main_address: str,
        sink: Sink | None = None,
        clock: Callable[[], float] = time.time,
        host: str = "127.0.0.1",
        limits: LimitSettings | None = None,
        call_log_limit: int = CALL_LOG_LIMIT,
    ) -> None:
        self.main_address = main_address
        self.host = host
        self.clock = clock
        self.tokens = TokenBook()
        self._initial_registration = registration
        self._registration = registration
        self._initial_limits = limits or LimitSettings()
        self._limits = self._initial_limits
        self._call_log_limit = call_log_limit
        self._sink: Sink = sink if sink is not None else _discard
        self._portals: dict[str, Portal] = {}
        self._by_domain: dict[str, str] = {}
        self._moved_from: dict[str, str] = {}
        self._last_binding_id = 0

    # -- registration and portals -------------------------------------------

    @property
    def registration(self) -> AppRegistration:
        return self._registration

    def change_registration(self, changes: Mapping[str, Any]) -> AppRegistration:
        try:
            self._registration = self._registration.changed(changes)
        except ValueError as error:
            raise ControlError(400, str(error)) from error
        return self._registration

    @property
    def server_endpoint(self) -> str:
        return f"http://{self.main_address}/rest/"

    def create_portal(self, port: int, language: str = "en") -> Portal:
        portal = Portal(
            member_id=secrets.token_hex(16),
            host=self.host,
            port=port,
            language=language,
            calls=deque(maxlen=self._call_log_limit),
            limits=self._limits,
        )
        self._portals[portal.member_id] = portal
        self._by_domain[portal.domain] = portal.member_id
        return portal

    def portal(self, member_id: str) -> Portal:
        """The portal `member_id`; raises ControlError 404 for unknown ones."""
        portal = self._portals.get(member_id)
        if portal is None:
            raise errors.unknown_portal(member_id)
        return portal

    def portals(self) -> list[Portal]:
        return list(self._portals.values())

    def portal_at(self, domain: str) -> Portal | None:
        """The portal answering at `domain` (`host:port`), if any."""
        member_id = self._by_domain.get(domain)
        return self._portals.get(member_id) if member_id else None

    def moved_from(self, domain: str) -> Portal | None:
        """The portal that answered at `domain` before it moved, if any."""
        member_id = self._moved_from.get(domain)
        return self._portals.get(member_id) if member_id else None

    def reset(self) -> list[int]:
        """Forget every portal; restore the first registration and limits.

        Returns the ports the forgotten portals answered on.
        """
        ports = [portal.port for portal in self._portals.values()]
        for member_id in list(self._portals):
            self.tokens.revoke_portal(member_id)
        self._portals.clear()
        self._by_domain.clear()
        self._moved_from.clear()
        self._registration = self._initial_registration
        self._limits = self._initial_limits
        return ports

    # -- addresses and limits ----------------------------------------------------

    def move_portal(self, member_id: str, port: int) -> str:
        """Give the portal a new port; returns the domain it leaves.

        The old address keeps answering, with 302 to the new one; member_id,
        tokens and data stay.
        """
        portal = self.portal(member_id)
        previous = portal.domain

        del self._by_domain[previous]
        portal.port = port
        self._by_domain[portal.domain] = member_id
        self._moved_from[previous] = member_id
        return previous

    def set_redirect(
        self, member_id: str, mode: str | None, location: str = ""
    ) -> None:
        """Make the portal's own address answer 302 (`licence`, `loop`, or
        `elsewhere`: to the REST address `location`, as a hijacked or hostile
        portal could) or not."""
        if mode is not None and mode not in REDIRECT_MODES:
            raise ControlError(400, f"mode must be null or one of {REDIRECT_MODES}")
        if mode == "elsewhere" and not location.startswith(("http://", "https://")):
            raise ControlError(400, "an elsewhere redirect needs an http(s) location")
        portal = self.portal(member_id)
        portal.redirect = mode
        portal.redirect_location = location if mode == "elsewhere" else ""

    @property
    def default_limits(self) -> LimitSettings:
        return self._limits

    def change_limits(self, member_id: str, changes: Mapping[str, Any]) -> None:
        portal = self.portal(member_id)
        portal.limits = portal.limits.changed(changes)

    def change_default_limits(self, changes: Mapping[str, Any]) -> None:
        """Apply `changes` to every portal and to portals created later."""
        self._limits = self._limits.changed(changes)
        for portal in self._portals.values():
            portal.limits = portal.limits.changed(changes)

    # -- OAuth ----------------------------------------------------------------

    def refresh(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """Answer `grant_type=refresh_token`, rotating the pair.

        Raises OAuthError: `invalid_request` for a malformed request,
        `invalid_client` for a wrong client id or secret, `invalid_grant` for
        an unknown, used or revoked refresh token.
        """
        # The documentation lists the codes, not the HTTP statuses; these follow
        # RFC 6749: 400 for request and grant errors, 401 for client errors.
        if params.get("grant_type") != "refresh_token" or not params.get(
            "refresh_token"
        ):
            raise OAuthError(400, "invalid_request", "Invalid request")
        self._check_client(params)

        grant = self._rotate(str(params["refresh_token"]))
        portal = self.portal(grant.member_id)
        portal.refreshes += 1
        return self._token_answer(portal, grant)

    def _check_client(self, params: Mapping[str, Any]) -> None:
        registration = self._registration
        if params.get("client_id") != registration.client_id or params.get(
            "client_secret"
        ) != (registration.client_secret):
            raise OAuthError(401, "invalid_client", "Invalid client credentials")

    def _rotate(self, refresh_token: str) -> Grant:
        lifetime = self._registration.access_token_lifetime
        old = self.tokens.find_refresh(refresh_token)
        grant = self.tokens.refresh(refresh_token, lifetime, self.clock())

        portal = self.portal(grant.member_id)
        if portal.app_grant is old:
            portal.app_grant = grant
        if portal.editor_grant is old:
            portal.editor_grant = grant
        return grant

    def _token_answer(self, portal: Portal, grant: Grant) -> dict[str, Any]:
        lifetime = self._registration.access_token_lifetime
        return {
            "access_token": grant.access_token,
            "expires": int(grant.expires_at),
            "expires_in": lifetime,
            "scope": self._registration.scope,
            "domain": self.main_address,
            "server_endpoint": self.server_endpoint,
            "status": self._registration.status,
            "client_endpoint": portal.client_endpoint,
            "member_id": portal.member_id,
            "user_id": grant.user_id,
            "refresh_token": grant.refresh_token,
        }

    def expire_tokens(self, member_id: str) -> int:
        """Expire every access token of the app on the portal; returns how many."""
        self.portal(member_id)
        return self.tokens.expire_portal(member_id, self.clock())

    # -- installation ---------------------------------------------------------

    def begin_install(self, member_id: str, flow: str) -> Outbound:
        """Mint fresh tokens and application token; return what to POST.

        The event flow counts as installed at once; the UI flow waits for
        `finish_install`. Reinstalling replaces every token and keeps bindings.
        """
        if flow not in FLOWS:
            raise ControlError(400, f"flow must be one of {', '.join(FLOWS)}")
        portal = self.portal(member_id)

        self.tokens.revoke_portal(member_id)
        portal.editor_grant = None
        portal.app_grant = self._mint(portal, ADMIN_USER_ID)
        portal.application_token = secrets.token_hex(16)
        portal.version = self._registration.version
        portal.install_flow = flow
        portal.installed = flow == "event"

        if flow == "event":
            return self._install_event(portal, portal.app_grant)
        return self._install_page(portal, portal.app_grant)

    def finish_install(self, member_id: str, status: int | None, body: str) -> bool:
        """Record the app's answer to the install POST; returns `installed`.

        The emulator runs no JavaScript: a UI install page that answers 200
        with `BX24.installFinish()` in its HTML stands for that call.
        """
        portal = self.portal(member_id)
        if portal.install_flow == "ui" and not portal.installed:
            portal.installed = status == 200 and INSTALL_FINISH_MARK in body
        return portal.installed

    def _install_event(self, portal: Portal, grant: Grant) -> Outbound:
        data = {
            "VERSION": portal.version,
            "ACTIVE": "Y",
            "INSTALLED": "Y",
            "LANGUAGE_ID": portal.language,
        }
        body = {"event": "ONAPPINSTALL", "data": data, "ts": self._ts()}
        body["auth"] = self._auth_block(portal, grant)
        return self._outbound(
            portal, "ONAPPINSTALL", self._registration.install_url, body
        )

    def _install_page(self, portal: Portal, grant: Grant) -> Outbound:
        query = {
            "DOMAIN": portal.domain,
            "PROTOCOL": "0",
            "LANG": portal.language,
            "APP_SID": secrets.token_hex(16),
        }
        form = {
            "AUTH_ID": grant.access_token,
            "AUTH_EXPIRES": str(self._registration.access_token_lifetime),
            "REFRESH_ID": grant.refresh_token,
            "SERVER_ENDPOINT": self.server_endpoint,
            "member_id": portal.member_id,
            "status": self._registration.status,
            "PLACEMENT": "DEFAULT",
            "PLACEMENT_OPTIONS": "{}",
            "APPLICATION_TOKEN": portal.application_token,
            "APPLICATION_SCOPE": self._registration.scope,
        }
        url = _with_query(self._registration.install_url, query)
        return self._outbound(portal, "INSTALL_PAGE", url, form)

    def update_app(self, member_id: str, version: str, drop_handlers: bool) -> int:
        """Install a new app version: new application token and tokens.

        ONAPPUPDATE goes to the handlers bound before the update; then, if
        `drop_handlers`, every binding is gone (the documentation disagrees on
        whether updates keep handlers, so the caller picks). Returns how many
        deliveries were queued.
        """
        portal = self._installed(member_id)

        previous, portal.version = portal.version, version
        portal.application_token = secrets.token_hex(16)
        portal.app_grant = self._mint(portal, ADMIN_USER_ID)
        data = {
            "VERSION": version,
            "PREVIOUS_VERSION": previous,
            "LANGUAGE_ID": portal.language,
        }
        sent = self.fire(portal, "ONAPPUPDATE", data, portal.app_grant)

        if drop_handlers:
            portal.bindings.clear()
        return sent

    def uninstall(self, member_id: str, clean: bool) -> int:
        """Remove the app: ONAPPUNINSTALL (no tokens), then every token,
        binding and offline record of the app on the portal is gone. Returns
        deliveries queued."""
        portal = self.portal(member_id)
        if portal.application_token is None:
            raise ControlError(409, "the app is not installed on this portal")

        data = {"LANGUAGE_ID": portal.language, "CLEAN": "1" if clean else "0"}
        sent = self.fire(portal, "ONAPPUNINSTALL", data, None, bare=True)

        self.tokens.revoke_portal(member_id)
        portal.bindings.clear()
        portal.offline = OfflineQueue()
        portal.installed = False
        portal.install_flow = portal.version = portal.application_token = None
        portal.app_grant = portal.editor_grant = None
        return sent

    def _installed(self, member_id: str) -> Portal:
        portal = self.portal(member_id)
        if not portal.installed:
            raise ControlError(409, "the app is not installed on this portal")
        return portal

    # -- events ---------------------------------------------------------------

    def bind(self, portal: Portal, event: str, handler: str, auth_type: int) -> None:
        """Register a handler; raises RestError ERROR_CORE if already bound."""
        for binding in portal.handlers_for(event):
            if binding.handler == handler and binding.auth_type == auth_type:
                raise _already_bound()
        self._last_binding_id += 1
        portal.bindings.append(
            Binding(self._last_binding_id, event, handler, auth_type)
        )

    def bind_offline(self, portal: Portal, event: str, connector: str) -> None:
        """Queue `event` offline; raises RestError ERROR_CORE if already bound."""
        for binding in portal.offline_bindings_for(event):
            if binding.connector == connector:
                raise _already_bound()
        self._last_binding_id += 1
        portal.bindings.append(
            Binding(self._last_binding_id, event, "", 0, True, connector)
        )

    def fire(
        self,
        portal: Portal,
        event: str,
        data: Mapping[str, Any],
        by: Grant | None,
        bare: bool = False,
        connector: str = "",
        sink: Sink | None = None,
    ) -> int:
        """Queue `event` to every handler bound for it; returns how many.

        `by` is the grant of whoever made the change; its tokens go into the
        auth block (None: a robot did it, no tokens). `bare` leaves only the
        portal's identity and application token, as ONAPPUNINSTALL has it.
        Offline bindings get a queue record unless the change came through
        their `connector`. `sink` replaces the emulator's sink for this call.
        Nothing is sent or queued while the app is not installed.
        """
        if not portal.installed:
            return 0

        self._queue_offline(portal, event, data, connector)
        handlers = portal.handlers_for(event)
        for binding in handlers:
            body: dict[str, Any] = {
                "event": event,
                "event_handler_id": str(binding.id),
                "data": data,
                "ts": self._ts(),
                "auth": self._auth_block(portal, by, bare),
            }
            outbound = self._outbound(portal, event, binding.handler, body, binding.id)
            (sink or self._sink)(outbound)
        return len(handlers)

    def _queue_offline(
        self, portal: Portal, event: str, data: Mapping[str, Any], connector: str
    ) -> None:
        # A connector only counts on plans that support it.
        via = connector if portal.limits.auth_connector else ""
        bindings = portal.offline_bindings_for(event)
        if any(not via or binding.connector != via for binding in bindings):
            key = phpquery.encode(data)
            portal.offline.push(event, key, dict(data), self.clock())

    def _auth_block(
        self, portal: Portal, grant: Grant | None, bare: bool = False
    ) -> dict[str, Any]:
        registration = self._registration
        if bare:
            return {
                "domain": portal.domain,
                "server_endpoint": self.server_endpoint,
                "client_endpoint": portal.client_endpoint,
                "member_id": portal.member_id,
                "application_token": portal.application_token,
            }
        if grant is None:
            return {
                "domain": portal.domain,
                "scope": registration.scope,
                "server_endpoint": self.server_endpoint,
                "status": registration.status,
                "client_endpoint": portal.client_endpoint,
                "member_id": portal.member_id,
                "application_token": portal.application_token,
            }
        return {
            "access_token": grant.access_token,
            "expires_in": str(max(0, int(grant.expires_at - self.clock()))),
            "scope": registration.scope,
            "domain": portal.domain,
            "server_endpoint": self.server_endpoint,
            "status": registration.status,
            "client_endpoint": portal.client_endpoint,
            "member_id": portal.member_id,
            "refresh_token": grant.refresh_token,
            "application_token": portal.application_token,
        }

    # -- contacts changed by people on the portal ------------------------------

    def add_contact(
        self, member_id: str, fields: Mapping[str, Any], actor: str = "user"
    ) -> int:
        """A person adds a contact in the portal UI; fires ONCRMCONTACTADD."""
        portal = self.portal(member_id)
        by = self._actor_grant(portal, actor)

        contact_id = portal.contacts.add(fields, EDITOR_USER_ID, self.clock())
        self.fire(portal, "ONCRMCONTACTADD", _contact_data(contact_id), by)
        return contact_id

    def add_contacts(
        self,
        member_id: str,
        contacts: Sequence[Mapping[str, Any]],
        actor: str = "user",
    ) -> tuple[list[int], list[Outbound]]:
        """People add many contacts at once; returns the IDs and the
        ONCRMCONTACTADD messages, which the caller sends as it likes."""
        if len(contacts) > BULK_LIMIT:
            raise ControlError(400, f"at most {BULK_LIMIT} contacts a request")
        portal = self.portal(member_id)
        by = self._actor_grant(portal, actor)

        ids: list[int] = []
        outbounds: list[Outbound] = []
        for fields in contacts:
            contact_id = portal.contacts.add(fields, EDITOR_USER_ID, self.clock())
            data = _contact_data(contact_id)
            self.fire(portal, "ONCRMCONTACTADD", data, by, sink=outbounds.append)
            ids.append(contact_id)
        return ids, outbounds

    def edit_contact(
        self,
        member_id: str,
        contact_id: int,
        fields: Mapping[str, Any],
        actor: str = "user",
    ) -> None:
        """A person edits a contact; fires ONCRMCONTACTUPDATE."""
        portal = self.portal(member_id)
        by = self._actor_grant(portal, actor)

        if not portal.contacts.update(contact_id, fields, EDITOR_USER_ID, self.clock()):
            raise ControlError(404, f"unknown contact: {contact_id}")
        self.fire(portal, "ONCRMCONTACTUPDATE", _contact_data(contact_id), by)

    def delete_contact(
        self, member_id: str, contact_id: int, actor: str = "user", silent: bool = False
    ) -> None:
        """A person deletes a contact; fires ONCRMCONTACTDELETE unless `silent`."""
        portal = self.portal(member_id)
        by = self._actor_grant(portal, actor)

        if not portal.contacts.delete(contact_id):
            raise ControlError(404, f"unknown contact: {contact_id}")
        if not silent:
            self.fire(portal, "ONCRMCONTACTDELETE", _contact_data(contact_id), by)

    def _actor_grant(self, portal: Portal, actor: str) -> Grant | None:
        if actor not in ACTORS:
            raise ControlError(400, f"actor must be one of {', '.join(ACTORS)}")
        if actor == "robot" or portal.application_token is None:
            return None
        return self._editor_grant(portal)

    def _editor_grant(self, portal: Portal) -> Grant:
        # The editor's own valid pair, kept while it lives, as a browser would.
        grant = portal.editor_grant
        if (
            grant is None
            or not self.tokens.is_alive(grant)
            or (grant.expires_at <= self.clock())
        ):
            grant = self._mint(portal, EDITOR_USER_ID)
            portal.editor_grant = grant
        return grant

    # -- REST support ----------------------------------------------------------

    def authorize(
        self, access_token: str, portal: Portal | None
    ) -> tuple[Portal, Grant]:
        """The portal and grant of a live token; `portal` None accepts any portal.

        Raises RestError `invalid_token` or `expired_token`.
        """
        member_id = portal.member_id if portal is not None else None
        grant = self.tokens.authorize(access_token, member_id, self.clock())
        return self.portal(grant.member_id), grant

    def log_call(self, portal: Portal, record: CallRecord) -> None:
        portal.calls.append(record)
        portal.stats.count(record)

    # -- reporting -------------------------------------------------------------

    def state(self, member_id: str) -> dict[str, Any]:
        """What the control API reports about a portal, tokens included."""
        portal = self.portal(member_id)
        grant = portal.app_grant
        alive = grant is not None and self.tokens.is_alive(grant)
        return {
            "member_id": portal.member_id,
            "domain": portal.domain,
            "client_endpoint": portal.client_endpoint,
            "language": portal.language,
            "installed": portal.installed,
            "install_flow": portal.install_flow,
            "app_version": portal.version,
            "application_token": portal.application_token,
            "access_token": grant.access_token if alive and grant else None,
            "refresh_token": grant.refresh_token if alive and grant else None,
            "bindings": [binding.as_dict() for binding in portal.bindings],
            "refreshes": portal.refreshes,
            "contacts": len(portal.contacts),
            "calls": len(portal.calls),
            "limits": portal.limits.as_dict(),
            "bucket_level": portal.bucket.level(portal.limits.rate, self.clock()),
            "redirect": portal.redirect,
            "faults": portal.faults.as_dict(),
            "offline_events": len(portal.offline),
        }

    def call_stats(self) -> dict[str, Any]:
        """REST counters summed over every portal, and each portal's own."""
        totals = CallStats()
        portals: dict[str, Any] = {}
        for portal in self._portals.values():
            totals.requests += portal.stats.requests
            totals.by_method.update(portal.stats.by_method)
            totals.by_status.update(portal.stats.by_status)
            totals.by_error.update(portal.stats.by_error)
            portals[portal.member_id] = portal.stats.as_dict()
        return {**totals.as_dict(), "portals": portals}

    # -- helpers ---------------------------------------------------------------

    def _mint(self, portal: Portal, user_id: int) -> Grant:
        lifetime = self._registration.access_token_lifetime
        return self.tokens.mint(portal.member_id, user_id, lifetime, self.clock())

    def _ts(self) -> str:
        return str(int(self.clock()))

    @staticmethod
    def _outbound(
        portal: Portal,
        event: str,
        url: str,
        body: Mapping[str, Any],
        handler_id: int | None = None,
    ) -> Outbound:
        form = tuple(phpquery.flatten(body))
        return Outbound(portal.member_id, event, url, form, handler_id)


def _discard(outbound: Outbound) -> None:
    del outbound


def _already_bound() -> errors.RestError:
    return errors.RestError(
        400, "ERROR_CORE", "Unable to set event handler: Handler already binded"
    )


def _contact_data(contact_id: int) -> dict[str, Any]:
    return {"FIELDS": {"ID": str(contact_id)}}


def _with_query(url: str, query: Mapping[str, str]) -> str:
    parts = urlsplit(url)
    joined = "&".join(part for part in (parts.query, urlencode(query)) if part)
    return urlunsplit(parts._replace(query=joined))
