"""Binding the app's event handlers on a portal, idempotently.

Bitrix24 may drop handlers when an app is updated, and a reinstall may find them
still bound, so binding reads what is bound first and adds only what is missing.
"""

import logging

from application.errors import Bitrix24Error
from application.rest import PortalRest

logger = logging.getLogger(__name__)

#: The events the service handles, all sent to its one public events URL.
HANDLED_EVENTS = (
    "ONCRMCONTACTADD",
    "ONCRMCONTACTUPDATE",
    "ONAPPUPDATE",
    "ONAPPUNINSTALL",
)


def is_already_bound(error: Bitrix24Error) -> bool:
    """True for the error `event.bind` answers for a handler bound before."""
    text = f"{error.code} {error.description}".lower()
    return "already" in text and "bind" in text


async def bind_handlers(rest: PortalRest, member_id: str, handler_url: str) -> None:
    """Make sure every handled event is bound to `handler_url`, once."""
    response = await rest.call(member_id, "event.get", {})
    bound = {
        (str(item.get("event", "")).upper(), str(item.get("handler", "")))
        for item in _bindings(response.result)
    }

    for event in HANDLED_EVENTS:
        if (event, handler_url) in bound:
            continue
        await _bind(rest, member_id, event, handler_url)


async def _bind(rest: PortalRest, member_id: str, event: str, handler: str) -> None:
    try:
        await rest.call(member_id, "event.bind", {"event": event, "handler": handler})
    except Bitrix24Error as error:
        if not is_already_bound(error):
            raise
    logger.info("handler bound member_id=%s event=%s", member_id, event)


def _bindings(result: object) -> list[dict[str, object]]:
    if not isinstance(result, list):
        return []
    return [item for item in result if isinstance(item, dict)]
