"""The REST methods a portal answers, with Bitrix24's envelopes and errors.

`RestApi.call` takes already-decoded parameters (JSON, form or query string,
`auth` included) and returns `(HTTP status, JSON body)`. Before a method runs
the portal's leaky bucket admits the request (a `batch` is one request) and
the method's operating time is checked; the method table itself is a plain
dict that knows nothing of limits.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from emulator import errors, phpquery, query
from emulator.contacts import select_page
from emulator.core import Emulator
from emulator.errors import RestError, crm_error
from emulator.faults import FaultRule
from emulator.model import ADMIN_USER_ID, Binding, CallRecord, Portal
from emulator.offline import OFFLINE_PAGE, Selection
from emulator.tokens import Grant

#: `batch` runs at most this many commands.
BATCH_LIMIT = 50

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


@dataclass(frozen=True)
class Timing:
    """When a method started (emulator clock) and the seconds it cost."""

    started: float
    seconds: float


class _Refusal(Exception):
    """A request refused before its method ran, and the portal to log it on."""

    def __init__(self, portal: Portal | None, error: RestError) -> None:
        super().__init__(error.code)
        self.portal = portal
        self.error = error


class RestApi:
    """The REST API of every portal (and of the server endpoint)."""

    def __init__(self, emulator: Emulator) -> None:
        self._emulator = emulator
        self._methods: dict[str, Method] = {
            "crm.contact.add": self._contact_add,
            "crm.contact.get": self._contact_get,
            "crm.contact.update": self._contact_update,
            "crm.contact.delete": self._contact_delete,
            "crm.contact.list": self._contact_list,
            "event.bind": self._event_bind,
            "event.unbind": self._event_unbind,
            "event.get": self._event_get,
            "event.offline.get": self._offline_get,
            "event.offline.clear": self._offline_clear,
            "event.offline.error": self._offline_error,
            "event.offline.list": self._offline_list,
            "app.info": self._app_info,
            "user.admin": self._user_admin,
        }

    def call(
        self,
        portal: Portal | None,
        method: str,
        params: Mapping[str, Any],
        fault: str | None = None,
    ) -> tuple[int, dict[str, Any]]:
        """Run `method` on `portal` (None: the server endpoint, any portal).

        Never raises for Bitrix24 errors: they come back as error envelopes.
        `fault` marks the call's log record with the fault its answer meets.
        """
        name = method.lower()
        visible = {key: value for key, value in params.items() if key != "auth"}
        try:
            target, grant = self._admit(portal, params.get("auth"), name)
            outcome, timing = self._timed(Call(target, grant, visible), name)
        except _Refusal as refusal:
            error = refusal.error
            self._log(refusal.portal, name, visible, error.status, error.code, fault)
            return error.status, error.envelope()

        self._log(target, name, visible, 200, None, fault)
        return 200, self._envelope(target, name, outcome, timing)

    def log_fault(
        self, portal: Portal, method: str, params: Mapping[str, Any], rule: FaultRule
    ) -> None:
        """Log a request that an injected fault answered instead of the method."""
        visible = {key: value for key, value in params.items() if key != "auth"}
        self._log(portal, method.lower(), visible, rule.status, rule.kind, rule.kind)

    def _admit(
        self, portal: Portal | None, token: Any, name: str
    ) -> tuple[Portal, Grant]:
        # A portal's own address counts every request against its bucket; the
        # server endpoint learns the portal only from the token.
        try:
            self._limit(portal)
            target, grant = self._authorize(token, portal)
        except RestError as error:
            raise _Refusal(portal, error) from error
        try:
            if portal is None:
                self._limit(target)
            self._check_operating(target, name)
        except RestError as error:
            raise _Refusal(target, error) from error
        return target, grant

    def _limit(self, portal: Portal | None) -> None:
        if portal is None or not portal.limits.bucket:
            return
        limits = portal.limits
        if not portal.bucket.admit(limits.rate, limits.block, self._emulator.clock()):
            raise RestError(503, "QUERY_LIMIT_EXCEEDED", "Too many requests")

    def _check_operating(self, portal: Portal, name: str) -> None:
        operating, _ = portal.meter.report(name, self._emulator.clock())
        if operating > portal.limits.operating_threshold:
            raise RestError(
                429,
                "OPERATION_TIME_LIMIT",
                "Method is blocked due to operation time limit.",
            )

    def _authorize(self, token: Any, portal: Portal | None) -> tuple[Portal, Grant]:
        if not token or not isinstance(token, str):
            raise errors.no_auth_found()
        return self._emulator.authorize(token, portal)

    def _timed(self, call: Call, name: str) -> tuple[Outcome, Timing]:
        started, clock = self._emulator.clock(), time.perf_counter()
        try:
            outcome = self._run(call, name)
        except RestError as error:
            raise _Refusal(call.portal, error) from error

        spent = call.portal.limits.cost_of(name)
        seconds = time.perf_counter() - clock if spent is None else spent
        return outcome, Timing(started, seconds)

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
        status: int | None,
        code: str | None,
        fault: str | None = None,
        batch_key: str | None = None,
    ) -> None:
        if portal is not None:
            record = CallRecord(name, params, status, code, batch_key, fault)
            self._emulator.log_call(portal, record)

    def _envelope(
        self, portal: Portal, name: str, outcome: Outcome, timing: Timing
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"result": outcome.result}
        if outcome.next is not None:
            body["next"] = outcome.next
        if outcome.total is not None:
            body["total"] = outcome.total
        body["time"] = self._time(portal, name, timing)
        return body

    def _time(self, portal: Portal, name: str, timing: Timing) -> dict[str, Any]:
        started, seconds = timing.started, timing.seconds
        finish = started + seconds
        portal.meter.add(name, finish, seconds)
        operating, reset_at = portal.meter.report(name, finish)
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
        name, _, query_string = command.partition("?")
        name = name.strip().lower()
        params = phpquery.parse(query_string)
        try:
            self._check_batch_method(call.portal, name)
            outcome, timing = self._timed(Call(call.portal, call.grant, params), name)
        except (RestError, _Refusal) as failure:
            error = failure.error if isinstance(failure, _Refusal) else failure
            answers["result_error"][key] = error.envelope()
            self._log(call.portal, name, params, error.status, error.code, None, key)
            return False

        self._log(call.portal, name, params, 200, None, None, key)
        self._record(answers, key, outcome)
        answers["result_time"][key] = self._time(call.portal, name, timing)
        return True

    def _check_batch_method(self, portal: Portal, name: str) -> None:
        if name == "batch":
            raise RestError(
                400,
                "ERROR_BATCH_METHOD_NOT_ALLOWED",
                "Method is not allowed for batch usage.",
            )
        self._check_operating(portal, name)

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
        self._fire(call, "ONCRMCONTACTADD", contact_id)
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
        self._fire(call, "ONCRMCONTACTUPDATE", contact_id)
        return Outcome(True)

    def _contact_delete(self, call: Call) -> Outcome:
        contact_id = _contact_id(call.params)

        if not call.portal.contacts.delete(contact_id):
            # Code and text as the crm.contact.delete page lists them.
            raise RestError(400, "ERROR_CORE", "Element not found")
        self._fire(call, "ONCRMCONTACTDELETE", contact_id)
        return Outcome(True)

    def _fire(self, call: Call, event: str, contact_id: int) -> None:
        connector = _param(call.params, "auth_connector")
        self._emulator.fire(
            call.portal,
            event,
            _contact_data(contact_id),
            call.grant,
            connector=str(connector) if connector else "",
        )

    def _contact_list(self, call: Call) -> Outcome:
        query = {
            name: _param(call.params, name)
            for name in ("filter", "order", "select", "start")
        }
        rows, next_start, total = select_page(call.portal.contacts.all(), query)
        return Outcome(rows, total=total, next=next_start)

    # -- event.* and app.info -----------------------------------------------------

    def _event_bind(self, call: Call) -> Outcome:
        if _is_offline(call.params):
            return self._offline_bind(call)
        event, handler = _event_and_handler(call.params)
        self._check_event(event)
        _check_handler(handler)

        auth_type = _int_or_zero(_param(call.params, "auth_type"))
        self._emulator.bind(call.portal, event, handler, auth_type)
        return Outcome(True)

    def _offline_bind(self, call: Call) -> Outcome:
        event = _event_name(call.params)
        self._check_event(event)
        if call.grant.user_id != ADMIN_USER_ID:
            # The documentation says only that non-admins get an exception;
            # the code and text are those of the REST module's access errors.
            raise RestError(403, "ACCESS_DENIED", "Access denied!")

        connector = str(_param(call.params, "auth_connector") or "")
        self._emulator.bind_offline(call.portal, event, connector)
        return Outcome(True)

    def _check_event(self, event: str) -> None:
        crm = self._emulator.registration.has_scope("crm")
        if event not in BASIC_EVENTS and not (crm and event in CRM_EVENTS):
            raise RestError(400, "ERROR_EVENT_NOT_FOUND", "Event not found")

    def _event_unbind(self, call: Call) -> Outcome:
        if _is_offline(call.params):
            return self._offline_unbind(call)
        event, handler = _event_and_handler(call.params)
        auth_type = _param(call.params, "auth_type")

        def bound(binding: Binding) -> bool:
            return (
                not binding.offline
                and binding.event == event
                and binding.handler == handler
                and (
                    auth_type in (None, "")
                    or binding.auth_type == _int_or_zero(auth_type)
                )
            )

        return Outcome({"count": _unbind(call.portal, bound)})

    def _offline_unbind(self, call: Call) -> Outcome:
        event = _event_name(call.params)
        connector = str(_param(call.params, "auth_connector") or "")

        def bound(binding: Binding) -> bool:
            return (
                binding.offline
                and binding.event == event
                and binding.connector == connector
            )

        return Outcome({"count": _unbind(call.portal, bound)})

    def _event_get(self, call: Call) -> Outcome:
        return Outcome(
            [
                {
                    "event": binding.event,
                    "handler": binding.handler,
                    "auth_type": str(binding.auth_type),
                    "offline": 1 if binding.offline else 0,
                }
                for binding in call.portal.bindings
            ]
        )

    # -- event.offline.* -------------------------------------------------------------

    def _offline_get(self, call: Call) -> Outcome:
        params = call.params
        selection = Selection(
            conditions=query.mapping(_param(params, "filter")),
            order=query.mapping(_param(params, "order")),
            limit=_limit_of(_param(params, "limit")),
            clear=_flag_of(_param(params, "clear"), default=True),
            process_id=_text_or_none(_param(params, "process_id")),
            errors=_flag_of(_param(params, "error"), default=False),
        )
        process_id, rows = call.portal.offline.take(selection)
        return Outcome({"process_id": process_id, "events": rows})

    def _offline_clear(self, call: Call) -> Outcome:
        process_id = _process_id(call.params)
        ids = _texts(_param(call.params, "id"))
        message_ids = _texts(_param(call.params, "message_id"))

        call.portal.offline.clear(process_id, ids, message_ids)
        return Outcome(True)

    def _offline_error(self, call: Call) -> Outcome:
        process_id = _process_id(call.params)
        message_ids = _texts(_param(call.params, "message_id"))

        call.portal.offline.fail(process_id, message_ids)
        return Outcome(True)

    def _offline_list(self, call: Call) -> Outcome:
        conditions = query.mapping(_param(call.params, "filter"))
        order = query.mapping(_param(call.params, "order"))
        start = max(_int_or_zero(_param(call.params, "start")), 0)

        rows, next_start, total = call.portal.offline.page(conditions, order, start)
        return Outcome(rows, total=total, next=next_start)

    def _user_admin(self, call: Call) -> Outcome:
        """Whether the token's user administers the portal (the first user does)."""
        return Outcome(call.grant.user_id == ADMIN_USER_ID)

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


def _event_name(params: Mapping[str, Any]) -> str:
    event = _param(params, "event")
    if not event or not isinstance(event, str):
        raise errors.argument_error("EVENT")
    return event.upper()


def _event_and_handler(params: Mapping[str, Any]) -> tuple[str, str]:
    event = _event_name(params)
    handler = _param(params, "handler")
    if not handler or not isinstance(handler, str):
        raise errors.argument_error("HANDLER")
    return event, handler


def _is_offline(params: Mapping[str, Any]) -> bool:
    value = _param(params, "event_type")
    if value in (None, "", "online"):
        return False
    if value == "offline":
        return True
    raise RestError(400, "ERROR_ARGUMENT", "Value must be one of {online|offline}")


def _unbind(portal: Portal, bound: Callable[[Binding], bool]) -> int:
    kept = [binding for binding in portal.bindings if not bound(binding)]
    removed = len(portal.bindings) - len(kept)
    portal.bindings[:] = kept
    return removed


def _process_id(params: Mapping[str, Any]) -> str:
    process_id = _text_or_none(_param(params, "process_id"))
    if process_id is None:
        raise errors.argument_error("PROCESS_ID")
    return process_id


def _text_or_none(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def _texts(value: Any) -> list[str] | None:
    if value in (None, "", []):
        return None
    return [str(item) for item in query.as_list(value)]


def _limit_of(value: Any) -> int:
    if value in (None, ""):
        return OFFLINE_PAGE
    return min(max(_int_or_zero(value), 1), OFFLINE_PAGE)


def _flag_of(value: Any, default: bool) -> bool:
    if value in (None, ""):
        return default
    return _truthy(value)


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
