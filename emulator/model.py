"""The state of emulated portals, and what they send to the app."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from emulator.contacts import ContactBook
from emulator.tokens import Grant

#: The user who installs and administers the app on every portal.
ADMIN_USER_ID = 1

#: The user whose edits the control API stands for.
EDITOR_USER_ID = 2


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
    """An `event.bind` registration."""

    id: int
    event: str
    handler: str
    auth_type: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "event": self.event,
            "handler": self.handler,
            "auth_type": self.auth_type,
        }


@dataclass(frozen=True)
class CallRecord:
    """A REST call as the portal saw it; `params` never holds the token."""

    method: str
    params: dict[str, Any]
    status: int
    error: str | None
    batch_key: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "params": self.params,
            "status": self.status,
            "error": self.error,
            "batch_key": self.batch_key,
        }


@dataclass
class Portal:
    """One Bitrix24 account with the app's installation on it.

    The portal answers on its own loopback port, so `domain` is `host:port`.
    `installed` becomes true at once in the event flow and only after
    `BX24.installFinish()` in the UI flow; events flow only while it is true.
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
    calls: list[CallRecord] = field(default_factory=list)

    @property
    def domain(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def client_endpoint(self) -> str:
        return f"http://{self.domain}/rest/"

    def handlers_for(self, event: str) -> list[Binding]:
        return [binding for binding in self.bindings if binding.event == event]
