"""Failures scripted per portal (and for the OAuth server) by the control API.

A `FaultScript` holds rules such as "the next 3 requests to crm.contact.get
answer 502 with an HTML page" and an added latency. The REST and OAuth
endpoints ask it before serving a request; `respond` turns a rule into what a
broken proxy or portal sends. Hangs wait on the real clock (they stand for a
client's timeout), bounded by `MAX_HANG` and released early by `Hangs.release`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from starlette.responses import HTMLResponse, Response
from starlette.types import Receive, Scope, Send

from emulator.errors import ControlError

#: REST error answers a fault can force: code -> (HTTP status, description),
#: as samples/rest-responses.json quotes them.
REST_ERRORS: dict[str, tuple[int, str]] = {
    "QUERY_LIMIT_EXCEEDED": (503, "Too many requests"),
    "OPERATION_TIME_LIMIT": (429, "Method is blocked due to operation time limit."),
    "OVERLOAD_LIMIT": (503, "REST API is blocked due to overload."),
    "INTERNAL_SERVER_ERROR": (500, "Internal server error"),
    "PORTAL_DELETED": (500, "Portal was deleted"),
}

#: Faults of the transport or of a proxy in front of the portal.
HTML_STATUSES = {"html_500": 500, "html_502": 502, "html_503": 503}
TRANSPORT_FAULTS = frozenset({"truncated", "timeout", "drop"})

REST_FAULTS = frozenset(REST_ERRORS) | frozenset(HTML_STATUSES) | TRANSPORT_FAULTS
OAUTH_FAULTS = frozenset(HTML_STATUSES) | TRANSPORT_FAULTS

#: A hang lasts this long unless the rule says otherwise; 60 s is the most a
#: Bitrix24 request may run, so no hang is longer.
DEFAULT_HANG = 15.0
MAX_HANG = 60.0

_REASONS = {
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Time-out",
}


class DroppedConnection(httpx.RemoteProtocolError):
    """Raised by the app to close the connection without a complete answer.

    Over uvicorn the client sees the connection close mid-answer; in process,
    through `httpx.ASGITransport`, it sees this very exception, which is the
    same `httpx.RemoteProtocolError` a real dropped connection raises.
    """


@dataclass
class FaultRule:
    """Answer the next `count` requests (of `method`, if given) with `kind`."""

    kind: str
    count: int = 1
    method: str | None = None
    seconds: float = DEFAULT_HANG

    @property
    def status(self) -> int | None:
        """The HTTP status the client gets; None when no answer arrives."""
        if self.kind in REST_ERRORS:
            return REST_ERRORS[self.kind][0]
        if self.kind in HTML_STATUSES:
            return HTML_STATUSES[self.kind]
        return {"timeout": 504, "truncated": 200}.get(self.kind)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "count": self.count,
            "method": self.method,
            "seconds": self.seconds,
        }


class FaultScript:
    """The fault rules of one portal (or of the OAuth server), and its latency."""

    def __init__(self) -> None:
        self.latency = 0.0
        self._rules: list[FaultRule] = []

    def add(self, rule: FaultRule) -> None:
        self._rules.append(rule)

    def take(self, method: str) -> FaultRule | None:
        """The first rule that applies to `method`, used up by one request."""
        for rule in self._rules:
            if rule.method in (None, method):
                rule.count -= 1
                if rule.count <= 0:
                    self._rules.remove(rule)
                return rule
        return None

    def clear(self) -> None:
        self._rules.clear()
        self.latency = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "latency": self.latency,
            "rules": [rule.as_dict() for rule in self._rules],
        }


def parse_rule(body: Mapping[str, Any], allowed: frozenset[str]) -> FaultRule:
    """A rule from a control body; raises ControlError 400 for bad values."""
    kind = body.get("kind")
    if kind not in allowed:
        raise ControlError(400, f"kind must be one of {', '.join(sorted(allowed))}")
    count = body.get("count", 1)
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ControlError(400, "count must be a positive integer")
    method = body.get("method")
    if method is not None and (not isinstance(method, str) or not method):
        raise ControlError(400, "method must be a method name")
    seconds = parse_seconds(body.get("seconds", DEFAULT_HANG), "seconds")
    return FaultRule(kind, count, method.lower() if method else None, seconds)


def parse_seconds(value: Any, name: str) -> float:
    """A duration from 0 to `MAX_HANG` seconds; raises ControlError 400."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ControlError(400, f"{name} must be a number of seconds")
    if not 0 <= value <= MAX_HANG:
        raise ControlError(400, f"{name} must be between 0 and {MAX_HANG:g}")
    return float(value)


class Hangs:
    """Sleeps that stand for a slow portal; `release` ends every one early."""

    def __init__(self) -> None:
        self._released = asyncio.Event()

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            return
        released = self._released
        try:
            await asyncio.wait_for(released.wait(), seconds)
        except TimeoutError:
            return

    def release(self) -> None:
        self._released.set()
        self._released = asyncio.Event()


async def respond(rule: FaultRule, hangs: Hangs) -> Response:
    """What the client gets for `rule` (every kind but `truncated`)."""
    if rule.kind == "drop":
        return _DroppedResponse()
    if rule.kind == "timeout":
        await hangs.sleep(rule.seconds)
        return html_error(504)
    if rule.kind in HTML_STATUSES:
        return html_error(HTML_STATUSES[rule.kind])
    status, description = REST_ERRORS[rule.kind]
    return json_answer({"error": rule.kind, "error_description": description}, status)


def truncated(body: Any, status: int) -> Response:
    """`body` as JSON cut off halfway, as a broken connection or proxy leaves it."""
    raw = json.dumps(body, ensure_ascii=False).encode()
    return Response(
        raw[: len(raw) // 2],
        status_code=status,
        media_type="application/json; charset=utf-8",
    )


def json_answer(body: Any, status: int) -> Response:
    """A JSON answer as Bitrix24 sends it (UTF-8, non-ASCII unescaped)."""
    raw = json.dumps(body, ensure_ascii=False).encode()
    return Response(
        raw, status_code=status, media_type="application/json; charset=utf-8"
    )


def html_error(status: int) -> HTMLResponse:
    """The kind of HTML error page a proxy in front of a portal answers."""
    title = f"{status} {_REASONS.get(status, 'Error')}"
    page = (
        f"<html><head><title>{title}</title></head><body>"
        f"<center><h1>{title}</h1></center><hr><center>nginx</center>"
        "</body></html>"
    )
    return HTMLResponse(page, status_code=status)


class _DroppedResponse(Response):
    """Starts an answer, then closes the connection before any body."""

    def __init__(self) -> None:
        super().__init__(b"", status_code=200, media_type="application/json")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # uvicorn answers 500 for an app that fails before starting its answer,
        # and closes the connection for one that fails after: so start first.
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        raise DroppedConnection("the portal closed the connection")
