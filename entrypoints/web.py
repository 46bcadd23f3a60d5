"""The Starlette application: install and event handlers, the app's page, health.

Handlers translate HTTP into use-case calls and back; every error of the service's
tree is mapped to a status code in one table at the bottom of this module.
"""

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from application.errors import (
    Bitrix24Error,
    InvalidInput,
    NotFound,
    TokensNotProven,
    Unauthorized,
)
from domain.errors import B24NamesError
from entrypoints import pages, payloads
from entrypoints.checkpoints import checkpoints_of
from entrypoints.container import Container, running_workers
from entrypoints.forms import DEFAULT_LIMITS, Form, parse_form, parse_query
from entrypoints.payloads import EventEnvelope, event_envelope

logger = logging.getLogger(__name__)

EventHandler = Callable[[Request, EventEnvelope], Awaitable[Response]]


def create_app(container: Container, workers: int = 0) -> Starlette:
    """The web application over a wired container.

    With `workers` above zero the app also runs that many contact workers for as
    long as it serves; `b24names worker` runs them in processes of their own.
    """

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with running_workers(container, workers):
            yield
        await container.http_client().aclose()

    app = Starlette(
        routes=[
            Route("/", app_page, methods=["GET", "POST"]),
            Route("/install", install, methods=["POST"]),
            Route("/settings", change_settings, methods=["POST"]),
            Route("/events", events, methods=["POST"]),
            Route("/health", health, methods=["GET"]),
        ],
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=lifespan,
    )
    app.state.container = container
    return app


def _container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


async def read_form(request: Request) -> Form:
    """The body as a bracket-key form, refused past the size limit."""
    limit = DEFAULT_LIMITS.max_body_bytes
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(f"body larger than {limit} bytes")

    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            raise BodyTooLarge(f"body larger than {limit} bytes")
    return parse_form(bytes(body))


async def install(request: Request) -> Response:
    """Both install flows: the ONAPPINSTALL event, or the install page (UI)."""
    form = await read_form(request)

    if "event" in form:
        return await _install_event(request, event_envelope(form))

    query = parse_query(request.url.query.encode())
    portal = await _container(request).install_app()(
        payloads.install_from_page(query, form)
    )
    return HTMLResponse(pages.install_finished(portal.domain))


async def events(request: Request) -> Response:
    """Every event Bitrix24 delivers; unknown events are acknowledged and ignored."""
    envelope = event_envelope(await read_form(request))

    handler = EVENT_HANDLERS.get(envelope.name)
    if handler is None:
        logger.info(
            "event ignored event=%s member_id=%s", envelope.name, envelope.member_id
        )
        return JSONResponse({"result": "ignored"})
    return await handler(request, envelope)


async def _install_event(request: Request, envelope: EventEnvelope) -> Response:
    if envelope.name != "ONAPPINSTALL":
        raise InvalidInput(f"event {envelope.name} is not an install")

    await _container(request).install_app()(payloads.install_from_event(envelope))
    return JSONResponse({"result": "installed"})


async def _contact_changed(request: Request, envelope: EventEnvelope) -> Response:
    contact_id = payloads.contact_id(envelope)

    await _container(request).queue_contact_change()(
        envelope.member_id,
        envelope.application_token,
        envelope.access_token,
        contact_id,
    )
    return JSONResponse({"result": "queued"})


async def _app_updated(request: Request, envelope: EventEnvelope) -> Response:
    await _container(request).update_app()(payloads.app_update(envelope))
    return JSONResponse({"result": "updated"})


async def _app_uninstalled(request: Request, envelope: EventEnvelope) -> Response:
    container = _container(request)
    portal = await container.event_gate().admit(
        envelope.member_id, envelope.application_token, None
    )

    clean = payloads.clean_requested(envelope)
    container.uninstall_app()(portal, clean)
    if clean:
        checkpoints_of(container.settings().data_dir).clear(portal.member_id)
    return JSONResponse({"result": "uninstalled"})


EVENT_HANDLERS: dict[str, EventHandler] = {
    "ONAPPINSTALL": _install_event,
    "ONCRMCONTACTADD": _contact_changed,
    "ONCRMCONTACTUPDATE": _contact_changed,
    "ONAPPUPDATE": _app_updated,
    "ONAPPUNINSTALL": _app_uninstalled,
}


async def app_page(request: Request) -> Response:
    """The app's page inside Bitrix24; portal data only for a proven caller."""
    if request.method != "POST":
        return HTMLResponse(pages.app_page(None))

    form = await read_form(request)
    member_id = payloads.optional_member_id(form)
    auth_id = payloads.optional_token(form, "AUTH_ID")
    if not (member_id and auth_id):
        return HTMLResponse(pages.app_page(None))

    container = _container(request)
    view = await container.describe_portal()(member_id, auth_id)
    token = container.page_tokens().issue(member_id) if view.can_change_settings else ""
    return HTMLResponse(pages.app_page(view, token))


async def change_settings(request: Request) -> Response:
    """The settings form of the app's page, accepted only as that page sent it."""
    container = _container(request)
    _require_own_origin(request, container.settings().public_url)
    form = await read_form(request)
    member_id = payloads.member_id(form)
    container.page_tokens().check(payloads.form_token(form), member_id)

    view = container.change_settings()(member_id, payloads.name_settings(form))
    token = container.page_tokens().issue(member_id)
    return HTMLResponse(pages.app_page(view, token, notice="Settings saved."))


def _require_own_origin(request: Request, public_url: str) -> None:
    """Refuse a form posted from another site, when the browser says where from."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return
    expected = urlsplit(public_url)
    if origin.rstrip("/") != f"{expected.scheme}://{expected.netloc}":
        raise CrossSiteRequest("the settings form was posted from another site")


async def health(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


class BodyTooLarge(InvalidInput):
    """The request body exceeds the accepted size."""


class CrossSiteRequest(Unauthorized):
    """A form came from a page the service did not serve."""


def _error(status: int) -> Callable[[Request, Exception], Response]:
    def handle(request: Request, error: Exception) -> Response:
        if status >= 500:
            logger.error("request failed path=%s error=%r", request.url.path, error)
            message = "the service could not complete the request"
            if isinstance(error, Bitrix24Error):
                message = f"Bitrix24 answered: {error.code or 'error'}"
        else:
            message = str(error)
        if "text/html" in request.headers.get("accept", ""):
            # A person in Bitrix24's frame reads this, not a program.
            return HTMLResponse(pages.error_page(message), status_code=status)
        return JSONResponse(
            {"error": type(error).__name__, "error_description": message},
            status_code=status,
        )

    return handle


EXCEPTION_HANDLERS = {
    BodyTooLarge: _error(413),
    InvalidInput: _error(400),
    TokensNotProven: _error(403),
    CrossSiteRequest: _error(403),
    Unauthorized: _error(401),
    NotFound: _error(404),
    Bitrix24Error: _error(502),
    B24NamesError: _error(500),
}
