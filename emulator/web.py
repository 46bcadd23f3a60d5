"""The emulator's HTTP face: portals' REST, the OAuth server, the control API.

One ASGI app serves everything and dispatches on the request's `Host`
(`host:port`): a portal's own address reaches that portal's REST API
(`POST /rest/{method}` or `/rest/{method}.json`); any other address is the
main one, which serves the OAuth server, the server endpoint and the control
API below. All control bodies and answers are JSON; errors are
`{"error": text}` with 400, 404 or 409.

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
    REST calls: `[{"method", "params" (no auth), "status", "error", "batch_key"}]`.
`GET /control/portals/{member_id}/deliveries` (and `GET /control/deliveries`)
    `{"deliveries": [{"event", "handler", "handler_id", "status", "error",
    "member_id", "at"}], "in_flight": n}`.
`GET /control/app`, `PUT /control/app` `{"install_url": .., ...}`
    Read or change the app registration (client_id, client_secret,
    install_url, version, scope, access_token_lifetime, status).
`POST /control/reset`
    Forget all portals and logs; restore the first registration.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Protocol

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from emulator import phpquery
from emulator.core import Emulator
from emulator.courier import Courier
from emulator.errors import ControlError, OAuthError
from emulator.model import Portal
from emulator.rest import RestApi

logger = logging.getLogger(__name__)

Endpoint = Callable[[Request], Awaitable[Response]]


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
        self._rest = RestApi(emulator)
        self._portal_app = Starlette(
            routes=[
                Route("/rest/{method:path}", self._portal_rest, methods=["GET", "POST"])
            ]
        )
        self._main_app = Starlette(routes=self._main_routes(), lifespan=self._lifespan)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self._portal_of(scope) is not None:
            await self._portal_app(scope, receive, send)
        else:
            await self._main_app(scope, receive, send)

    def _portal_of(self, scope: Scope) -> Portal | None:
        headers = dict(scope.get("headers") or [])
        host = headers.get(b"host", b"").decode("latin-1")
        return self.emulator.portal_at(host)

    @contextlib.asynccontextmanager
    async def _lifespan(self, app: Starlette) -> AsyncIterator[None]:
        yield
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
            ("/control/portals", self._create_portal, ["POST"]),
            ("/control/portals", self._list_portals, ["GET"]),
            (portal, self._portal_state, ["GET"]),
            (portal + "/install", self._install, ["POST"]),
            (portal + "/update-app", self._update_app, ["POST"]),
            (portal + "/uninstall", self._uninstall, ["POST"]),
            (portal + "/expire-tokens", self._expire_tokens, ["POST"]),
            (portal + "/calls", self._calls, ["GET"]),
            (portal + "/deliveries", self._deliveries, ["GET"]),
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
        status, body = self._rest.call(
            portal, _method_name(request), await _params(request)
        )
        return _bitrix_json(body, status)

    async def _server_rest(self, request: Request) -> Response:
        # The server endpoint accepts any portal's token and acts on that portal.
        status, body = self._rest.call(
            None, _method_name(request), await _params(request)
        )
        return _bitrix_json(body, status)

    async def _oauth_token(self, request: Request) -> Response:
        try:
            answer = self.emulator.refresh(await _params(request))
        except OAuthError as error:
            return _bitrix_json(error.envelope(), error.status)
        return _bitrix_json(answer, 200)

    # -- control: app and portals ---------------------------------------------------

    async def _get_app(self, request: Request) -> Response:
        return JSONResponse(self.emulator.registration.as_dict())

    async def _put_app(self, request: Request) -> Response:
        changed = self.emulator.change_registration(await _json_object(request))
        return JSONResponse(changed.as_dict())

    async def _reset(self, request: Request) -> Response:
        self.emulator.reset()
        self.courier.forget()
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

    # -- control: contacts -----------------------------------------------------------

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
