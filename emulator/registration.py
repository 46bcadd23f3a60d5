"""The application's registration with the (emulated) Bitrix24 vendor."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: Bitrix24 documents one hour for access tokens.
DEFAULT_ACCESS_TOKEN_LIFETIME = 3600

#: Refresh tokens live 180 days in the current documentation.
REFRESH_TOKEN_LIFETIME = 180 * 24 * 3600


@dataclass(frozen=True)
class AppRegistration:
    """What the vendor's partner account knows about the app.

    `install_url` is the app's install handler: it receives `ONAPPINSTALL` in
    the event flow and the install page POST in the UI flow. `status` is the
    app's status letter on portals (`F` free, `L` local, `P` paid, ...).
    """

    client_id: str = "app.emulated.0000000001"
    # A placeholder for a local stand-in, not a credential.
    client_secret: str = "emulated-client-secret"  # noqa: S105
    install_url: str = "http://127.0.0.1:8000/install"
    version: str = "1"
    scope: str = "crm"
    access_token_lifetime: int = DEFAULT_ACCESS_TOKEN_LIFETIME
    status: str = "F"

    def changed(self, changes: Mapping[str, Any]) -> AppRegistration:
        """A copy with `changes` applied; unknown or mistyped keys raise ValueError."""
        known = {field.name: field.type for field in dataclasses.fields(self)}
        for key, value in changes.items():
            if key not in known:
                raise ValueError(f"unknown registration field: {key}")
            expected = int if key == "access_token_lifetime" else str
            if not isinstance(value, expected) or isinstance(value, bool):
                raise ValueError(f"{key} must be {expected.__name__}")
        return dataclasses.replace(self, **dict(changes))

    def as_dict(self) -> dict[str, Any]:
        """The registration as plain JSON-ready values, secret included."""
        return dataclasses.asdict(self)

    def has_scope(self, scope: str) -> bool:
        return scope in {part.strip() for part in self.scope.split(",")}
