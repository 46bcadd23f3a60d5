"""The state of emulated portals, and what they send to the app."""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

from emulator.contacts import ContactBook
from emulator.faults import FaultScript
from emulator.limits import LeakyBucket, LimitSettings, OperatingMeter
from emulator.offline import OfflineQueue
from emulator.tokens import Grant

#: The user who installs and administers the app on every portal.
ADMIN_USER_ID = 1

#: The user whose edits the control API stands for.
EDITOR_USER_ID = 2

#: REST calls each portal keeps in its call log; counters keep counting.
CALL_LOG_LIMIT = 5_000

#: What an address that is not a portal's own answers with: the portal moved
#: away, an on-premise licence page on the same host, or a redirect loop.
REDIRECT_MODES = ("licence", "loop", "elsewhere")


@dataclass(frozen=True)
class Outbound:
    """One POST a portal sends to the app: an event or the install page.

    `form` holds the body's form fields in order (PHP bracket keys already
    flattened); `url` may carry a query string (the UI install does).
    """

    member_id: str
    event: str
    url: str
    form: tuple[tuple[str, str], ...]
    handler_id: int | None = None


@dataclass(frozen=True)
class Binding:
    """An `event.bind` registration; offline ones have no handler."""

    id: int
    event: str
    handler: str
    auth_type: int = 0
    offline: bool = False
    connector: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "event": self.event,
            "handler": self.handler,
            "auth_type": self.auth_type,
            "offline": self.offline,
            "auth_connector": self.connector,
        }


@dataclass(frozen=True)
class CallRecord:
    """A REST call as the portal saw it; `params` never holds the token.

    `status` is None when the client got no answer (a dropped connection);
    `fault` names the injected fault that shaped the answer, if any.
    """

    method: str
    params: dict[str, Any]
    status: int | None
    error: str | None
    batch_key: str | None = None
    fault: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "params": self.params,
            "status": self.status,
            "error": self.error,
            "batch_key": self.batch_key,
            "fault": self.fault,
        }


@dataclass
class CallStats:
    """Counters of a portal's REST calls that outlive its bounded call log.

    `requests` counts HTTP requests (a batch is one); the other counters
    count every logged call, batch commands included.
    """

    requests: int = 0
    by_method: Counter[str] = field(default_factory=Counter)
    by_status: Counter[str] = field(default_factory=Counter)
    by_error: Counter[str] = field(default_factory=Counter)

    def count(self, record: CallRecord) -> None:
        if record.batch_key is None:
            self.requests += 1
        self.by_method[record.method] += 1
        self.by_status[str(record.status)] += 1
        if record.error:
            self.by_error[record.error] += 1

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "by_method": dict(self.by_method),
            "by_status": dict(self.by_status),
            "by_error": dict(self.by_error),
            "query_limit_exceeded": self.by_error["QUERY_LIMIT_EXCEEDED"],
            "operation_time_limit": self.by_error["OPERATION_TIME_LIMIT"],
        }


@dataclass
class Portal:
    """One Bitrix24 account with the app's installation on it.

    The portal answers on its own loopback port, so `domain` is `host:port`.
    `installed` becomes true at once in the event flow and only after
    `BX24.installFinish()` in the UI flow; events flow only while it is true.
    `redirect` makes the portal's own address answer 302 (see
    `REDIRECT_MODES`); a move changes `port`, and with it the address.
    """

    member_id: str
    host: str
    port: int
    language: str
    contacts: ContactBook = field(default_factory=ContactBook)
    installed: bool = False
    install_flow: str | None = None
    version: str | None = None
    application_token: str | None = None
    app_grant: Grant | None = None
    editor_grant: Grant | None = None
    bindings: list[Binding] = field(default_factory=list)
    refreshes: int = 0
    calls: deque[CallRecord] = field(
        default_factory=lambda: deque(maxlen=CALL_LOG_LIMIT)
    )
    stats: CallStats = field(default_factory=CallStats)
    limits: LimitSettings = field(default_factory=LimitSettings)
    bucket: LeakyBucket = field(default_factory=LeakyBucket)
    meter: OperatingMeter = field(default_factory=OperatingMeter)
    faults: FaultScript = field(default_factory=FaultScript)
    offline: OfflineQueue = field(default_factory=OfflineQueue)
    redirect: str | None = None
    #: Where an `elsewhere` redirect points: any REST address, even internal.
    redirect_location: str = ""

    @property
    def domain(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def client_endpoint(self) -> str:
        return f"http://{self.domain}/rest/"

    def handlers_for(self, event: str) -> list[Binding]:
        """The online bindings of `event`."""
        return [
            binding
            for binding in self.bindings
            if binding.event == event and not binding.offline
        ]

    def offline_bindings_for(self, event: str) -> list[Binding]:
        return [
            binding
            for binding in self.bindings
            if binding.event == event and binding.offline
        ]
