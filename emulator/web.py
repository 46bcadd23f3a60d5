"""The emulator's HTTP face: portals' REST, the OAuth server, the control API.

One ASGI app serves everything and dispatches on the request's `Host`
(`host:port`): a portal's own address reaches that portal's REST API
(`POST /rest/{method}` or `/rest/{method}.json`); an address a portal moved
away from answers 302 to the new one; any other address is the main one,
which serves the OAuth server, the server endpoint and the control API below.
All control bodies and answers are JSON; errors are `{"error": text}` with
400, 404 or 409.

Before a portal's REST method runs: the added latency, then the first
matching fault rule (which may answer instead), then the leaky bucket (503
`QUERY_LIMIT_EXCEEDED`), the token, and the method's operating time (429
`OPERATION_TIME_LIMIT`). Every outcome lands in the call log and counters.

Control API
-----------
`POST /control/portals` `{"language": "en"}`
    Create a portal on a fresh port: `{"member_id", "domain", "client_endpoint"}`.
`GET /control/portals`
    Every portal's state, as a list.
`GET /control/portals/{member_id}`
    State: installed, install_flow, language, app_version, application_token,
    the app's current access/refresh token, bindings, refreshes, counts.
`POST /control/portals/{member_id}/install` `{"flow": "event" | "ui"}`
    Install (or reinstall) the app: `{"installed": bool, "status": int|null,
    "error": str|null}`. The UI flow counts as installed only if the install
    page answers 200 with `BX24.installFinish()` in its body.
`POST /control/portals/{member_id}/update-app`
    `{"version": "2", "drop_handlers": false}`:
    New version, application token and tokens; ONAPPUPDATE to the handlers
    bound before the update: `{"version", "deliveries"}`.
`POST /control/portals/{member_id}/uninstall` `{"clean": true}`
    ONAPPUNINSTALL, then all tokens and bindings die: `{"deliveries"}`.
`POST /control/portals/{member_id}/contacts` `{"NAME": .., "SECOND_NAME": .., ...}`
    A user adds a contact (fires ONCRMCONTACTADD): `{"id": "1"}`.
`GET /control/portals/{member_id}/contacts` and `.../contacts/{id}`
    All contacts, or one, as `crm.contact.get` would show them.
`PATCH /control/portals/{member_id}/contacts/{id}` fields
    A user edits a contact (fires ONCRMCONTACTUPDATE): `{"id": "1"}`.
`DELETE /control/portals/{member_id}/contacts/{id}`
    A user deletes it (fires ONCRMCONTACTDELETE; `?silent=1` fires nothing).
    On POST, PATCH and DELETE, `?actor=robot` sends the event without tokens.
`POST /control/portals/{member_id}/expire-tokens`
    Every access token of the app there expires now: `{"expired": n}`.
`GET /control/portals/{member_id}/calls`
    The last 5,000 REST calls: `[{"method", "params" (no auth), "status",
    "error", "batch_key", "fault"}]`, refusals (503, 429) and faults included.
`GET /control/portals/{member_id}/deliveries` (and `GET /control/deliveries`)
    `{"deliveries": [{"event", "handler", "handler_id", "status", "error",
    "member_id", "at", "latency_ms"}], "in_flight": n}`: the last 100,000.
`GET /control/app`, `PUT /control/app` `{"install_url": .., ...}`
    Read or change the app registration (client_id, client_secret,
    install_url, version, scope, access_token_lifetime, status).
`POST /control/reset`
    Forget all portals, logs and OAuth faults; restore the first registration
    and limits; end every hang.

Limits, addresses, faults, bursts and counters
----------------------------------------------
`GET|PUT /control/portals/{member_id}/limits` (and `/control/limits`)
    Read or change a portal's limits (`/control/limits`: the defaults, and a
    PUT applies the change to every existing portal too). Keys: `plan`
    (`free|basic|standard|professional|enterprise`: sets rate, block and
    auth_connector), `bucket` (on/off), `rate` (drained per second, 2),
    `block` (requests above which it refuses, 50), `operating_cost` (seconds
    a call costs; null: measured), `operating_costs` (`{method: seconds}`),
    `operating_threshold` (480), `auth_connector` (the plan honours it).
`POST /control/portals/{member_id}/move`
    A new port, so a new domain and client_endpoint; the old address answers
    302 to the new one: `{"member_id", "domain", "client_endpoint",
    "previous_domain"}`.
`PUT /control/portals/{member_id}/redirect` `{"mode": ..., "location": url}`
    The portal's own address answers 302: `licence` to a licence page on its
    own host, `loop` to the very URL asked for, `elsewhere` to `location` plus
    the method (any address, internal ones too); null ends it.
`PUT /control/portals/{member_id}/latency` `{"seconds": 0.2}`
    Delay every REST answer of the portal.
`POST /control/portals/{member_id}/faults`
    `{"kind": .., "count": 1, "method": null, "seconds": 15}`: the next `count`
    REST requests (of `method` only, if given) meet the fault: `html_500`,
    `html_502`, `html_503`, `truncated` (the method runs, the JSON is cut),
    `timeout` (hang `seconds`, then 504), `drop` (the connection closes
    without an answer), or an error envelope: `QUERY_LIMIT_EXCEEDED`,
    `OPERATION_TIME_LIMIT`, `OVERLOAD_LIMIT`, `INTERNAL_SERVER_ERROR`,
    `PORTAL_DELETED`. Answers the portal's `{"latency", "rules"}`.
`GET|DELETE /control/portals/{member_id}/faults`
    The rules and latency, or clear both.
`POST|GET|DELETE /control/oauth/faults`
    The same for the OAuth server (`html_5xx`, `truncated`, `timeout`, `drop`).
`POST /control/portals/{member_id}/contacts/bulk`
    `{"contacts": [{fields}, ...], "concurrent": false}`: users add every
    contact at once: 202 `{"ids": [...], "deliveries": n}`. The ONCRMCONTACTADD
    deliveries go out in the background, one after another, or with
    `concurrent` all at once (bounded by the courier's concurrency).
`GET /control/portals/{member_id}/offline-events`
    The offline queue as `event.offline.list` shows it, without paging.
`GET /control/stats` (and `GET /control/portals/{member_id}/stats`)
    Counters that need no log: deliveries (total, by status, in flight) and
    REST calls (requests, by method, status and error, 503 and 429 counts),
    in total and per portal.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Protocol

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from emulator import faults, phpquery
from emulator.core import Emulator
from emulator.courier import Courier
from emulator.errors import ControlError, OAuthError
from emulator.faults import FaultRule, FaultScript, Hangs
from emulator.model import Portal
from emulator.rest import RestApi

logger = logging.getLogger(__name__)

Endpoint = Callable[[Request], Awaitable[Response]]

#: Where a portal in `licence` redirect mode sends every request.
LICENCE_PATH = "/licence_expired.php"
LICENCE_PAGE = "<html><body><h1>The license has expired.</h1></body></html>"


class PortAllocator(Protocol):
    """Gives every new portal a loopback port to answer on."""

    async def open(self) -> int:
        """A port no other portal or the main server uses."""
        ...

    async def close_all(self) -> None:
        """Release every port handed out so far."""
        ...


class CountingPorts:
    """Fake ports for in-process use, where nothing listens on a socket."""

    def __init__(self, first: int = 40000) -> None:
        self._next = first

    async def open(self) -> int:
        port, self._next = self._next, self._next + 1
        return port

    async def close_all(self) -> None:
        return None


class EmulatorApp:
    """The ASGI app; `emulator`, `courier` and `ports` hold all the state."""

    def __init__(
        self, emulator: Emulator, courier: Courier, ports: PortAllocator
    ) -> None:
        self.emulator = emulator
        self.courier = courier
        self.ports = ports
        self.oauth_faults = FaultScript()
        self._hangs = Hangs()
        self._rest = RestApi(emulator)
        self._portal_app = Starlette(
            routes=[
                Route("/rest/{method:path}", self._portal_rest, methods=["GET", "POST"])
            ]
        )
        self._main_app = Starlette(routes=self._main_routes(), lifespan=self._lifespan)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        host = _host(scope) if scope["type"] == "http" else ""
        portal = self.emulator.portal_at(host) if host else None
        moved = self.emulator.moved_from(host) if host else None
        if portal is not None and portal.redirect is not None:
            await _redirected(portal, scope)(scope, receive, send)
        elif portal is not None:
            await self._portal_app(scope, receive, send)
        elif moved is not None:
            await _moved(moved, scope)(scope, receive, send)
        else:
            await self._main_app(scope, receive, send)

    def release_hangs(self) -> None:
        """End every hanging request (a `timeout` fault) now."""
        self._hangs.release()

    @contextlib.asynccontextmanager
    async def _lifespan(self, app: Starlette) -> AsyncIterator[None]:
        yield
        self.release_hangs()
        await self.courier.aclose()

    def _main_routes(self) -> list[Route]:
        portal = "/control/portals/{member_id}"
        contact = portal + "/contacts/{contact_id}"
        table: list[tuple[str, Endpoint, list[str]]] = [
            ("/oauth/token/", self._oauth_token, ["GET", "POST"]),
            ("/rest/{method:path}", self._server_rest, ["GET", "POST"]),
            ("/control/app", self._get_app, ["GET"]),
            ("/control/app", self._put_app, ["PUT"]),
            ("/control/reset", self._reset, ["POST"]),
            ("/control/deliveries", self._all_deliveries, ["GET"]),
            ("/control/stats", self._stats, ["GET"]),
            ("/control/limits", self._default_limits, ["GET"]),
            ("/control/limits", self._change_default_limits, ["PUT"]),
            ("/control/oauth/faults", self._oauth_faults, ["GET"]),
            ("/control/oauth/faults", self._add_oauth_fault, ["POST"]),
            ("/control/oauth/faults", self._clear_oauth_faults, ["DELETE"]),
            ("/control/portals", self._create_portal, ["POST"]),
            ("/control/portals", self._list_portals, ["GET"]),
            (portal, self._portal_state, ["GET"]),
            (portal + "/install", self._install, ["POST"]),
            (portal + "/update-app", self._update_app, ["POST"]),
            (portal + "/uninstall", self._uninstall, ["POST"]),
            (portal + "/expire-tokens", self._expire_tokens, ["POST"]),
            (portal + "/calls", self._calls, ["GET"]),
            (portal + "/deliveries", self._deliveries, ["GET"]),
            (portal + "/stats", self._portal_stats, ["GET"]),
            (portal + "/limits", self._limits, ["GET"]),
            (portal + "/limits", self._change_limits, ["PUT"]),
            (portal + "/move", self._move, ["POST"]),
            (portal + "/redirect", self._redirect, ["PUT"]),
            (portal + "/latency", self._latency, ["PUT"]),
            (portal + "/faults", self._faults, ["GET"]),
            (portal + "/faults", self._add_fault, ["POST"]),
            (portal + "/faults", self._clear_faults, ["DELETE"]),
            (portal + "/offline-events", self._offline_events, ["GET"]),
            (portal + "/contacts/bulk", self._add_contacts, ["POST"]),
            (portal + "/contacts", self._add_contact, ["POST"]),
            (portal + "/contacts", self._list_contacts, ["GET"]),
            (contact, self._get_contact, ["GET"]),
            (contact, self._edit_contact, ["PATCH"]),
            (contact, self._delete_contact, ["DELETE"]),
        ]
        return [
            Route(path, _control(endpoint), methods=methods)
            for path, endpoint, methods in table
        ]

    # -- REST and OAuth ------------------------------------------------------------

    async def _portal_rest(self, request: Request) -> Response:
        portal = self.emulator.portal_at(request.headers.get("host", ""))
        assert portal is not None, "dispatch sends only portal addresses here"
        method, params = _method_name(request), await _params(request)
        await self._hangs.sleep(portal.faults.latency)

        rule = portal.faults.take(method.lower())
        if rule is not None and rule.kind != "truncated":
            self._rest.log_fault(portal, method, params, rule)
            return await faults.respond(rule, self._hangs)
        status, body = self._rest.call(portal, method, params, _kind(rule))
        if rule is not None:
            return faults.truncated(body, status)
        return _bitrix_json(body, status)

    async def _server_rest(self, request: Request) -> Response:
        # The server endpoint accepts any portal's token and acts on that portal.
        status, body = self._rest.call(
            None, _method_name(request), await _params(request)
        )
        return _bitrix_json(body, status)

    async def _oauth_token(self, request: Request) -> Response:
        params = await _params(request)
        rule = self.oauth_faults.take("oauth")
        if rule is not None and rule.kind != "truncated":
            return await faults.respond(rule, self._hangs)
        try:
            status, answer = 200, self.emulator.refresh(params)
        except OAuthError as error:
            status, answer = error.status, error.envelope()
        if rule is not None:
            return faults.truncated(answer, status)
        return _bitrix_json(answer, status)

    # -- control: app and portals ---------------------------------------------------

    async def _get_app(self, request: Request) -> Response:
        return JSONResponse(self.emulator.registration.as_dict())

    async def _put_app(self, request: Request) -> Response:
        changed = self.emulator.change_registration(await _json_object(request))
        return JSONResponse(changed.as_dict())

    async def _reset(self, request: Request) -> Response:
        self.release_hangs()
        self.emulator.reset()
        self.courier.forget()
        self.oauth_faults.clear()
        await self.ports.close_all()
        return JSONResponse({"reset": True})

    async def _create_portal(self, request: Request) -> Response:
        body = await _json_object(request, allow_empty=True)
        language = body.get("language", "en")
        if not isinstance(language, str) or not language:
            raise ControlError(400, "language must be a non-empty string")

        portal = self.emulator.create_portal(await self.ports.open(), language)
        logger.info("created portal %s at %s", portal.member_id, portal.domain)
        return JSONResponse(
            {
                "member_id": portal.member_id,
                "domain": portal.domain,
                "client_endpoint": portal.client_endpoint,
            },
            status_code=201,
        )

    async def _list_portals(self, request: Request) -> Response:
        portals = self.emulator.portals()
        return JSONResponse([self.emulator.state(p.member_id) for p in portals])

    async def _portal_state(self, request: Request) -> Response:
        return JSONResponse(self.emulator.state(_member(request)))

    async def _install(self, request: Request) -> Response:
        member_id = _member(request)
        flow = (await _json_object(request, allow_empty=True)).get("flow", "event")

        outbound = self.emulator.begin_install(member_id, str(flow))
        reply = await self.courier.post(outbound)
        installed = self.emulator.finish_install(member_id, reply.status, reply.body)
        logger.info("installed on %s (%s flow): %s", member_id, flow, installed)
        return JSONResponse(
            {"installed": installed, "status": reply.status, "error": reply.error}
        )

    async def _update_app(self, request: Request) -> Response:
        body = await _json_object(request)
        version = body.get("version")
        if not isinstance(version, str) or not version:
            raise ControlError(400, "version must be a non-empty string")

        drop = bool(body.get("drop_handlers", False))
        sent = self.emulator.update_app(_member(request), version, drop)
        return JSONResponse({"version": version, "deliveries": sent})

    async def _uninstall(self, request: Request) -> Response:
        body = await _json_object(request, allow_empty=True)
        sent = self.emulator.uninstall(_member(request), bool(body.get("clean", True)))
        return JSONResponse({"deliveries": sent})

    async def _expire_tokens(self, request: Request) -> Response:
        return JSONResponse({"expired": self.emulator.expire_tokens(_member(request))})

    async def _calls(self, request: Request) -> Response:
        portal = self.emulator.portal(_member(request))
        return JSONResponse([record.as_dict() for record in portal.calls])

    async def _deliveries(self, request: Request) -> Response:
        member_id = self.emulator.portal(_member(request)).member_id
        return JSONResponse(
            {
                "deliveries": self.courier.records(member_id),
                "in_flight": self.courier.in_flight(member_id),
            }
        )

    async def _all_deliveries(self, request: Request) -> Response:
        return JSONResponse(
            {
                "deliveries": self.courier.records(),
                "in_flight": self.courier.in_flight(),
            }
        )

    async def _stats(self, request: Request) -> Response:
        return JSONResponse(
            {
                "deliveries": self.courier.stats(),
                "rest": self.emulator.call_stats(),
            }
        )

    async def _portal_stats(self, request: Request) -> Response:
        portal = self.emulator.portal(_member(request))
        return JSONResponse(
            {
                "deliveries": {"in_flight": self.courier.in_flight(portal.member_id)},
                "rest": portal.stats.as_dict(),
            }
        )

    # -- control: limits, addresses, faults -----------------------------------------

    async def _default_limits(self, request: Request) -> Response:
        return JSONResponse(self.emulator.default_limits.as_dict())

    async def _change_default_limits(self, request: Request) -> Response:
        self.emulator.change_default_limits(await _json_object(request))
        return JSONResponse(self.emulator.default_limits.as_dict())

    async def _limits(self, request: Request) -> Response:
        return JSONResponse(self.emulator.portal(_member(request)).limits.as_dict())

    async def _change_limits(self, request: Request) -> Response:
        member_id = _member(request)
        self.emulator.change_limits(member_id, await _json_object(request))
        return JSONResponse(self.emulator.portal(member_id).limits.as_dict())

    async def _move(self, request: Request) -> Response:
        member_id = self.emulator.portal(_member(request)).member_id

        previous = self.emulator.move_portal(member_id, await self.ports.open())
        portal = self.emulator.portal(member_id)
        logger.info("moved portal %s to %s", member_id, portal.domain)
        return JSONResponse(
            {
                "member_id": member_id,
                "domain": portal.domain,
                "client_endpoint": portal.client_endpoint,
                "previous_domain": previous,
            }
        )

    async def _redirect(self, request: Request) -> Response:
        body = await _json_object(request)
        mode, location = body.get("mode"), str(body.get("location") or "")
        self.emulator.set_redirect(_member(request), mode, location)
        return JSONResponse({"mode": mode, "location": location})

    async def _latency(self, request: Request) -> Response:
        body = await _json_object(request)
        portal = self.emulator.portal(_member(request))
        portal.faults.latency = faults.parse_seconds(body.get("seconds"), "seconds")
        return JSONResponse(portal.faults.as_dict())

    async def _faults(self, request: Request) -> Response:
        return JSONResponse(self.emulator.portal(_member(request)).faults.as_dict())

    async def _add_fault(self, request: Request) -> Response:
        body = await _json_object(request)
        portal = self.emulator.portal(_member(request))
        portal.faults.add(faults.parse_rule(body, faults.REST_FAULTS))
        return JSONResponse(portal.faults.as_dict(), status_code=201)

    async def _clear_faults(self, request: Request) -> Response:
        portal = self.emulator.portal(_member(request))
        portal.faults.clear()
        return JSONResponse(portal.faults.as_dict())

    async def _oauth_faults(self, request: Request) -> Response:
        return JSONResponse(self.oauth_faults.as_dict())

    async def _add_oauth_fault(self, request: Request) -> Response:
        body = await _json_object(request)
        self.oauth_faults.add(faults.parse_rule(body, faults.OAUTH_FAULTS))
        return JSONResponse(self.oauth_faults.as_dict(), status_code=201)

    async def _clear_oauth_faults(self, request: Request) -> Response:
        self.oauth_faults.clear()
        return JSONResponse(self.oauth_faults.as_dict())

    # -- control: contacts -----------------------------------------------------------

    async def _add_contacts(self, request: Request) -> Response:
        body = await _json_object(request)
        contacts = _contact_list(body.get("contacts"))
        concurrent = body.get("concurrent", False)
        if not isinstance(concurrent, bool):
            raise ControlError(400, "concurrent must be true or false")

        ids, outbounds = self.emulator.add_contacts(
            _member(request), contacts, _actor(request)
        )
        if concurrent:
            for outbound in outbounds:
                self.courier.send(outbound)
        else:
            self.courier.send_in_order(outbounds)
        return JSONResponse(
            {"ids": [str(i) for i in ids], "deliveries": len(outbounds)},
            status_code=202,
        )

    async def _offline_events(self, request: Request) -> Response:
        return JSONResponse(self.emulator.portal(_member(request)).offline.rows())

    async def _add_contact(self, request: Request) -> Response:
        fields = await _json_object(request)
        contact_id = self.emulator.add_contact(
            _member(request), fields, _actor(request)
        )
        return JSONResponse({"id": str(contact_id)}, status_code=201)

    async def _list_contacts(self, request: Request) -> Response:
        portal = self.emulator.portal(_member(request))
        return JSONResponse(portal.contacts.all())

    async def _get_contact(self, request: Request) -> Response:
        portal = self.emulator.portal(_member(request))
        contact = portal.contacts.get(_contact_id(request))
        if contact is None:
            raise ControlError(404, "unknown contact")
        return JSONResponse(contact)

    async def _edit_contact(self, request: Request) -> Response:
        contact_id = _contact_id(request)
        fields = await _json_object(request)
        self.emulator.edit_contact(
            _member(request), contact_id, fields, _actor(request)
        )
        return JSONResponse({"id": str(contact_id)})

    async def _delete_contact(self, request: Request) -> Response:
        contact_id = _contact_id(request)
        silent = request.query_params.get("silent", "") in ("1", "true", "Y")
        self.emulator.delete_contact(
            _member(request), contact_id, _actor(request), silent=silent
        )
        return JSONResponse({"id": str(contact_id)})


def create_app(
    emulator: Emulator, courier: Courier, ports: PortAllocator | None = None
) -> EmulatorApp:
    """The ASGI app over `emulator`; `ports` defaults to fake counting ports."""
    return EmulatorApp(emulator, courier, ports or CountingPorts())


# -- request helpers -----------------------------------------------------------------


def _control(endpoint: Endpoint) -> Endpoint:
    async def guarded(request: Request) -> Response:
        try:
            return await endpoint(request)
        except ControlError as error:
            return JSONResponse({"error": error.message}, status_code=error.status)

    return guarded


def _host(scope: Scope) -> str:
    for name, value in scope.get("headers") or []:
        if name == b"host":
            return bytes(value).decode("latin-1")
    return ""


def _target(scope: Scope) -> str:
    query = scope.get("query_string", b"").decode("latin-1")
    return str(scope["path"]) + (f"?{query}" if query else "")


def _moved(portal: Portal, scope: Scope) -> Response:
    # The new address with the same path: a client that follows the 302
    # re-sends the body only if it knows to (most turn POST into GET).
    return RedirectResponse(f"http://{portal.domain}{_target(scope)}", 302)


def _redirected(portal: Portal, scope: Scope) -> Response:
    if portal.redirect == "elsewhere":
        method = str(scope["path"]).removeprefix("/rest/")
        return RedirectResponse(f"{portal.redirect_location}{method}", 302)
    if portal.redirect == "loop":
        return RedirectResponse(f"http://{portal.domain}{_target(scope)}", 302)
    if scope["path"] == LICENCE_PATH:
        return HTMLResponse(LICENCE_PAGE)
    return RedirectResponse(f"http://{portal.domain}{LICENCE_PATH}", 302)


def _kind(rule: FaultRule | None) -> str | None:
    return rule.kind if rule is not None else None


def _contact_list(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(c, dict) for c in value):
        raise ControlError(400, "contacts must be a list of field objects")
    return value


def _member(request: Request) -> str:
    return str(request.path_params["member_id"])


def _contact_id(request: Request) -> int:
    raw = str(request.path_params["contact_id"])
    if not raw.isdigit():
        raise ControlError(404, "unknown contact")
    return int(raw)


def _actor(request: Request) -> str:
    return request.query_params.get("actor", "user")


def _method_name(request: Request) -> str:
    method = str(request.path_params["method"]).strip("/")
    return method.removesuffix(".json")


async def _json_object(request: Request, allow_empty: bool = False) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip() and allow_empty:
        return {}
    try:
        body = json.loads(raw)
    except ValueError as error:
        raise ControlError(400, "the body must be a JSON object") from error
    if not isinstance(body, dict):
        raise ControlError(400, "the body must be a JSON object")
    return body


async def _params(request: Request) -> dict[str, Any]:
    """Query string, overlaid by the body (JSON or PHP-style form)."""
    params = phpquery.parse(request.url.query)
    raw = (await request.body()).decode("utf-8", errors="replace")
    if not raw.strip():
        return params
    if "json" in request.headers.get("content-type", ""):
        return {**params, **_json_params(raw)}
    return {**params, **phpquery.parse(raw)}


def _json_params(raw: str) -> dict[str, Any]:
    try:
        body = json.loads(raw)
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _bitrix_json(body: Any, status: int) -> Response:
    return JSONResponse(
        body, status_code=status, media_type="application/json; charset=utf-8"
    )
