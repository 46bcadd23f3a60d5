"""The REST methods a portal answers, with Bitrix24's envelopes and errors.

`RestApi.call` takes already-decoded parameters (JSON, form or query string,
`auth` included) and returns `(HTTP status, JSON body)`. The method table is a
plain dict, so rate limits, operating-time limits or injected faults can wrap
`call` without touching the methods.
"""

from __future__ import annotations

import time
from collections import defaultdict, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from emulator import errors, phpquery
from emulator.contacts import select_page
from emulator.core import Emulator
from emulator.errors import RestError, crm_error
from emulator.model import CallRecord, Portal
from emulator.tokens import Grant

#: `batch` runs at most this many commands.
BATCH_LIMIT = 50

#: Operating time is summed over a sliding window of ten minutes.
OPERATING_WINDOW = 600.0

#: Events an app with the `crm` scope (or any app) may bind.
CRM_EVENTS = frozenset({"ONCRMCONTACTADD", "ONCRMCONTACTUPDATE", "ONCRMCONTACTDELETE"})
BASIC_EVENTS = frozenset({"ONAPPINSTALL", "ONAPPUPDATE", "ONAPPUNINSTALL"})


@dataclass(frozen=True)
class Call:
    """One method invocation: where, by whom, with what (no `auth`)."""

    portal: Portal
    grant: Grant
    params: Mapping[str, Any]


@dataclass(frozen=True)
class Outcome:
    """A method's result; `total`/`next` only for list methods."""

    result: Any
    total: int | None = None
    next: int | None = None


Method = Callable[[Call], Outcome]


class OperatingMeter:
    """Seconds each method spent per portal over the last ten minutes."""

    def __init__(self) -> None:
        self._spent: dict[tuple[str, str], deque[tuple[float, float]]] = defaultdict(
            deque
        )

    def add(self, member_id: str, method: str, at: float, seconds: float) -> None:
        self._spent[member_id, method].append((at, seconds))

    def report(self, member_id: str, method: str, now: float) -> tuple[float, int]:
        """`(operating, operating_reset_at)` for the method on the portal."""
        spent = self._spent[member_id, method]
        while spent and spent[0][0] <= now - OPERATING_WINDOW:
            spent.popleft()
        oldest = spent[0][0] if spent else now
        return sum(seconds for _, seconds in spent), int(oldest + OPERATING_WINDOW)


class RestApi:
    """The REST API of every portal (and of the server endpoint)."""

    def __init__(self, emulator: Emulator) -> None:
        self._emulator = emulator
        self._meter = OperatingMeter()
        self._methods: dict[str, Method] = {
            "crm.contact.add": self._contact_add,
            "crm.contact.get": self._contact_get,
            "crm.contact.update": self._contact_update,
            "crm.contact.delete": self._contact_delete,
            "crm.contact.list": self._contact_list,
            "event.bind": self._event_bind,
            "event.unbind": self._event_unbind,
            "event.get": self._event_get,
            "app.info": self._app_info,
        }

    def call(
        self, portal: Portal | None, method: str, params: Mapping[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        """Run `method` on `portal` (None: the server endpoint, any portal).

        Never raises for Bitrix24 errors: they come back as error envelopes.
        """
        name = method.lower()
        started, clock = self._emulator.clock(), time.perf_counter()
        token = params.get("auth")
        visible = {key: value for key, value in params.items() if key != "auth"}
        try:
            target, grant = self._authorize(token, portal)
            outcome = self._run(Call(target, grant, visible), name)
        except RestError as error:
            self._log(portal, name, visible, error.status, error.code)
            return error.status, error.envelope()

        self._log(target, name, visible, 200, None)
        return 200, self._envelope(target, name, outcome, started, clock)

    def _authorize(self, token: Any, portal: Portal | None) -> tuple[Portal, Grant]:
        if not token or not isinstance(token, str):
            raise errors.no_auth_found()
        return self._emulator.authorize(token, portal)

    def _run(self, call: Call, name: str) -> Outcome:
        if name == "batch":
            return self._batch(call)
        return self._method(name)(call)

    def _method(self, name: str) -> Method:
        method = self._methods.get(name)
        if method is None:
            raise errors.method_not_found()
        if name.startswith("crm.") and not self._emulator.registration.has_scope("crm"):
            raise errors.insufficient_scope()
        return method

    def _log(
        self,
        portal: Portal | None,
        name: str,
        params: dict[str, Any],
        status: int,
        code: str | None,
        batch_key: str | None = None,
    ) -> None:
        if portal is not None:
            record = CallRecord(name, params, status, code, batch_key)
            self._emulator.log_call(portal, record)

    def _envelope(
        self, portal: Portal, name: str, outcome: Outcome, started: float, clock: float
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"result": outcome.result}
        if outcome.next is not None:
            body["next"] = outcome.next
        if outcome.total is not None:
            body["total"] = outcome.total
        body["time"] = self._time(portal, name, started, time.perf_counter() - clock)
        return body

    def _time(
        self, portal: Portal, name: str, started: float, seconds: float
    ) -> dict[str, Any]:
        finish = started + seconds
        self._meter.add(portal.member_id, name, finish, seconds)
        operating, reset_at = self._meter.report(portal.member_id, name, finish)
        return {
            "start": started,
            "finish": finish,
            "duration": seconds,
            "processing": seconds,
            "date_start": _iso(started),
            "date_finish": _iso(finish),
            "operating_reset_at": reset_at,
            "operating": operating,
        }

    # -- batch -----------------------------------------------------------------

    def _batch(self, call: Call) -> Outcome:
        commands = _commands(_param(call.params, "cmd"))
        halt = _truthy(_param(call.params, "halt"))
        if len(commands) > BATCH_LIMIT:
            raise RestError(
                400, "ERROR_BATCH_LENGTH_EXCEEDED", "Max batch length exceeded"
            )

        answers: dict[str, dict[str, Any]] = {
            part: {}
            for part in (
                "result",
                "result_error",
                "result_total",
                "result_next",
                "result_time",
            )
        }
        for key, command in commands:
            if not self._batch_command(call, key, command, answers) and halt:
                break
        return Outcome({part: _php_map(found) for part, found in answers.items()})

    def _batch_command(
        self, call: Call, key: str, command: str, answers: dict[str, dict[str, Any]]
    ) -> bool:
        name, _, query = command.partition("?")
        name = name.strip().lower()
        params = phpquery.parse(query)
        started, clock = self._emulator.clock(), time.perf_counter()
        try:
            outcome = self._batch_method(name)(Call(call.portal, call.grant, params))
        except RestError as error:
            answers["result_error"][key] = error.envelope()
            self._log(call.portal, name, params, error.status, error.code, key)
            return False

        self._log(call.portal, name, params, 200, None, key)
        self._record(answers, key, outcome)
        seconds = time.perf_counter() - clock
        answers["result_time"][key] = self._time(call.portal, name, started, seconds)
        return True

    def _batch_method(self, name: str) -> Method:
        if name == "batch":
            raise RestError(
                400,
                "ERROR_BATCH_METHOD_NOT_ALLOWED",
                "Method is not allowed for batch usage.",
            )
        return self._method(name)

    @staticmethod
    def _record(answers: dict[str, dict[str, Any]], key: str, outcome: Outcome) -> None:
        answers["result"][key] = outcome.result
        if outcome.total is not None:
            answers["result_total"][key] = outcome.total
        if outcome.next is not None:
            answers["result_next"][key] = outcome.next

    # -- crm.contact.* -----------------------------------------------------------

    def _contact_add(self, call: Call) -> Outcome:
        fields = _fields(call.params, required=True)

        contacts = call.portal.contacts
        contact_id = contacts.add(fields, call.grant.user_id, self._emulator.clock())
        self._emulator.fire(
            call.portal, "ONCRMCONTACTADD", _contact_data(contact_id), call.grant
        )
        return Outcome(contact_id)

    def _contact_get(self, call: Call) -> Outcome:
        contact = call.portal.contacts.get(_contact_id(call.params))
        if contact is None:
            raise crm_error("Not found")
        return Outcome(contact)

    def _contact_update(self, call: Call) -> Outcome:
        contact_id = _contact_id(call.params)
        fields = _fields(call.params, required=True)
        _options(call.params)

        now = self._emulator.clock()
        if not call.portal.contacts.update(contact_id, fields, call.grant.user_id, now):
            raise crm_error("Contact is not found")
        # Every update fires the event, even one that changes nothing.
        self._emulator.fire(
            call.portal, "ONCRMCONTACTUPDATE", _contact_data(contact_id), call.grant
        )
        return Outcome(True)

    def _contact_delete(self, call: Call) -> Outcome:
        contact_id = _contact_id(call.params)

        if not call.portal.contacts.delete(contact_id):
            # Code and text as the crm.contact.delete page lists them.
            raise RestError(400, "ERROR_CORE", "Element not found")
        self._emulator.fire(
            call.portal, "ONCRMCONTACTDELETE", _contact_data(contact_id), call.grant
        )
        return Outcome(True)

    def _contact_list(self, call: Call) -> Outcome:
        query = {
            name: _param(call.params, name)
            for name in ("filter", "order", "select", "start")
        }
        rows, next_start, total = select_page(call.portal.contacts.all(), query)
        return Outcome(rows, total=total, next=next_start)

    # -- event.* and app.info -----------------------------------------------------

    def _event_bind(self, call: Call) -> Outcome:
        event, handler = _event_and_handler(call.params)
        _check_event_type(_param(call.params, "event_type"))
        self._check_event(event)
        _check_handler(handler)

        auth_type = _int_or_zero(_param(call.params, "auth_type"))
        self._emulator.bind(call.portal, event, handler, auth_type)
        return Outcome(True)

    def _check_event(self, event: str) -> None:
        crm = self._emulator.registration.has_scope("crm")
        if event not in BASIC_EVENTS and not (crm and event in CRM_EVENTS):
            raise RestError(400, "ERROR_EVENT_NOT_FOUND", "Event not found")

    def _event_unbind(self, call: Call) -> Outcome:
        event, handler = _event_and_handler(call.params)
        auth_type = _param(call.params, "auth_type")

        bindings = call.portal.bindings
        kept = [
            binding
            for binding in bindings
            if not (
                binding.event == event
                and binding.handler == handler
                and (
                    auth_type in (None, "")
                    or binding.auth_type == _int_or_zero(auth_type)
                )
            )
        ]
        removed = len(bindings) - len(kept)
        bindings[:] = kept
        return Outcome({"count": removed})

    def _event_get(self, call: Call) -> Outcome:
        return Outcome(
            [
                {
                    "event": binding.event,
                    "handler": binding.handler,
                    "auth_type": str(binding.auth_type),
                    "offline": 0,
                }
                for binding in call.portal.bindings
            ]
        )

    def _app_info(self, call: Call) -> Outcome:
        portal = call.portal
        registration = self._emulator.registration
        version = portal.version or registration.version
        return Outcome(
            {
                "ID": 1,
                "CODE": registration.client_id,
                "VERSION": int(version) if version.isdigit() else version,
                "STATUS": registration.status,
                "INSTALLED": portal.installed,
                "PAYMENT_EXPIRED": "N",
                "DAYS": None,
                "LANGUAGE_ID": portal.language,
                "LICENSE": f"{portal.language}_project",
                "LICENSE_TYPE": "project",
                "LICENSE_FAMILY": "project",
            }
        )


# -- parameter helpers ------------------------------------------------------------


def _param(params: Mapping[str, Any], name: str) -> Any:
    # Bitrix24 reads method parameters case-insensitively (`id` or `ID`).
    if name in params:
        return params[name]
    for key, value in params.items():
        if key.lower() == name:
            return value
    return None


def _contact_id(params: Mapping[str, Any]) -> int:
    value = _param(params, "id")
    if isinstance(value, bool):
        raise crm_error("ID is not defined or invalid.")
    if isinstance(value, int) and value > 0:
        return value
    if isinstance(value, str) and value.isdigit() and int(value) > 0:
        return int(value)
    raise crm_error("ID is not defined or invalid.")


def _fields(params: Mapping[str, Any], required: bool) -> Mapping[str, Any]:
    fields = _param(params, "fields")
    if fields is None and not required:
        return {}
    if not isinstance(fields, Mapping):
        raise crm_error("Parameter 'fields' must be array")
    return fields


def _options(params: Mapping[str, Any]) -> None:
    options = _param(params, "params")
    if options not in (None, "", []) and not isinstance(options, Mapping):
        raise crm_error("Parameter 'params' must be array")


def _contact_data(contact_id: int) -> dict[str, Any]:
    return {"FIELDS": {"ID": str(contact_id)}}


def _event_and_handler(params: Mapping[str, Any]) -> tuple[str, str]:
    event = _param(params, "event")
    if not event or not isinstance(event, str):
        raise errors.argument_error("EVENT")
    handler = _param(params, "handler")
    if not handler or not isinstance(handler, str):
        raise errors.argument_error("HANDLER")
    return event.upper(), handler


def _check_event_type(value: Any) -> None:
    if value in (None, "", "online"):
        return
    if value == "offline":
        # Offline events are not emulated; say so rather than bind silently.
        raise RestError(400, "ERROR_ARGUMENT", "Offline events are not emulated")
    raise RestError(400, "ERROR_ARGUMENT", "Value must be one of {online|offline}")


def _check_handler(handler: str) -> None:
    parts = urlsplit(handler)
    if parts.scheme not in ("http", "https"):
        raise RestError(
            400, "ERROR_UNSUPPORTED_PROTOCOL", "Unsupported handler protocol"
        )
    # The documentation requires a dot in the host name: `localhost` is refused.
    if not parts.hostname or "." not in parts.hostname:
        raise RestError(400, "ERROR_WRONG_HANDLER_URL", "Wrong handler URL")


def _int_or_zero(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().upper() in ("1", "Y", "TRUE")
    return bool(value)


def _commands(cmd: Any) -> list[tuple[str, str]]:
    if cmd in (None, ""):
        return []
    if isinstance(cmd, list):
        return [(str(index), str(command)) for index, command in enumerate(cmd)]
    if isinstance(cmd, Mapping):
        return [(str(key), str(command)) for key, command in cmd.items()]
    raise RestError(400, "ERROR_ARGUMENT", "Parameter 'cmd' must be array")


def _php_map(found: dict[str, Any]) -> Any:
    # PHP's json_encode turns an empty array, or one keyed 0..n-1, into a list.
    if list(found) == [str(index) for index in range(len(found))]:
        return list(found.values())
    return found


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(int(moment), UTC).isoformat()
