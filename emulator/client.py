"""`EmulatorClient`: the control API as typed async methods.

    async with EmulatorClient(base_url) as emulator:
        portal = await emulator.create_portal(language="ru")
        await emulator.install(portal.member_id, flow="ui")
        contact_id = await emulator.add_contact(portal.member_id, NAME="иван")
        await emulator.wait_for_deliveries()

Pass `transport=httpx.ASGITransport(app)` to talk to an in-process app.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

import httpx

_POLL_INTERVAL = 0.02


class EmulatorControlError(Exception):
    """The control API refused a request (unknown portal, bad body, ...)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message


@dataclass(frozen=True)
class PortalInfo:
    """A newly created portal's identity."""

    member_id: str
    domain: str
    client_endpoint: str


@dataclass(frozen=True)
class MovedPortal:
    """A portal's new address after a move, and the one it left."""

    member_id: str
    domain: str
    client_endpoint: str
    previous_domain: str


@dataclass(frozen=True)
class InstallResult:
    """How an install went: `installed`, and the app's HTTP answer or error."""

    installed: bool
    status: int | None
    error: str | None


@dataclass(frozen=True)
class Deliveries:
    """The delivery log and how many deliveries are still on their way."""

    records: list[dict[str, Any]]
    in_flight: int


class EmulatorClient:
    """Async client of the emulator's control API at `base_url`."""

    def __init__(
        self,
        base_url: str,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 30.0,
    ) -> None:
        self._http = httpx.AsyncClient(
            base_url=base_url, transport=transport, timeout=timeout
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # -- portals and the app ----------------------------------------------------

    async def create_portal(self, language: str = "en") -> PortalInfo:
        body = await self._request("POST", "/control/portals", {"language": language})
        return PortalInfo(body["member_id"], body["domain"], body["client_endpoint"])

    async def portals(self) -> list[dict[str, Any]]:
        """Every portal's state, as `portal` shows one."""
        states: list[dict[str, Any]] = await self._request("GET", "/control/portals")
        return states

    async def portal(self, member_id: str) -> dict[str, Any]:
        """The portal's state: installed, bindings, refreshes, tokens, ..."""
        state: dict[str, Any] = await self._request("GET", _portal(member_id))
        return state

    async def install(self, member_id: str, flow: str = "event") -> InstallResult:
        body = await self._request(
            "POST", _portal(member_id, "install"), {"flow": flow}
        )
        return InstallResult(body["installed"], body["status"], body["error"])

    async def update_app(
        self, member_id: str, version: str, drop_handlers: bool = False
    ) -> int:
        """Publish `version` on the portal; returns ONAPPUPDATE deliveries queued."""
        body = {"version": version, "drop_handlers": drop_handlers}
        answer = await self._request("POST", _portal(member_id, "update-app"), body)
        return int(answer["deliveries"])

    async def uninstall(self, member_id: str, clean: bool = True) -> int:
        """Uninstall the app; returns ONAPPUNINSTALL deliveries queued."""
        answer = await self._request(
            "POST", _portal(member_id, "uninstall"), {"clean": clean}
        )
        return int(answer["deliveries"])

    async def expire_tokens(self, member_id: str) -> int:
        answer = await self._request("POST", _portal(member_id, "expire-tokens"))
        return int(answer["expired"])

    async def app(self) -> dict[str, Any]:
        registration: dict[str, Any] = await self._request("GET", "/control/app")
        return registration

    async def change_app(self, **changes: Any) -> dict[str, Any]:
        registration: dict[str, Any] = await self._request(
            "PUT", "/control/app", changes
        )
        return registration

    async def reset(self) -> None:
        await self._request("POST", "/control/reset")

    # -- contacts -----------------------------------------------------------------

    async def add_contact(
        self, member_id: str, actor: str = "user", **fields: Any
    ) -> str:
        """A user (or `actor="robot"`) adds a contact; returns its ID."""
        path = _portal(member_id, "contacts")
        body = await self._request("POST", path, fields, {"actor": actor})
        return str(body["id"])

    async def edit_contact(
        self, member_id: str, contact_id: str, actor: str = "user", **fields: Any
    ) -> None:
        path = _portal(member_id, f"contacts/{contact_id}")
        await self._request("PATCH", path, fields, {"actor": actor})

    async def get_contact(self, member_id: str, contact_id: str) -> dict[str, Any]:
        contact: dict[str, Any] = await self._request(
            "GET", _portal(member_id, f"contacts/{contact_id}")
        )
        return contact

    async def list_contacts(self, member_id: str) -> list[dict[str, Any]]:
        contacts: list[dict[str, Any]] = await self._request(
            "GET", _portal(member_id, "contacts")
        )
        return contacts

    async def delete_contact(
        self, member_id: str, contact_id: str, silent: bool = False, actor: str = "user"
    ) -> None:
        query = {"actor": actor, "silent": "1" if silent else "0"}
        path = _portal(member_id, f"contacts/{contact_id}")
        await self._request("DELETE", path, None, query)

    async def add_contacts(
        self,
        member_id: str,
        contacts: Sequence[Mapping[str, Any]],
        concurrent: bool = False,
        actor: str = "user",
    ) -> list[str]:
        """Users add every contact at once; returns their IDs in order.

        One ONCRMCONTACTADD each goes out in the background: one after another,
        or all at once with `concurrent` (bounded by the courier).
        """
        body: dict[str, Any] = {
            "contacts": [dict(fields) for fields in contacts],
            "concurrent": concurrent,
        }
        path = _portal(member_id, "contacts/bulk")
        answer = await self._request("POST", path, body, {"actor": actor})
        return [str(contact_id) for contact_id in answer["ids"]]

    # -- limits, addresses and faults ---------------------------------------------

    async def limits(self, member_id: str) -> dict[str, Any]:
        limits: dict[str, Any] = await self._request(
            "GET", _portal(member_id, "limits")
        )
        return limits

    async def change_limits(self, member_id: str, **changes: Any) -> dict[str, Any]:
        """Change the portal's limits (`plan`, `bucket`, `rate`, `block`,
        `operating_cost`, `operating_costs`, `operating_threshold`,
        `auth_connector`); returns them all."""
        limits: dict[str, Any] = await self._request(
            "PUT", _portal(member_id, "limits"), changes
        )
        return limits

    async def default_limits(self) -> dict[str, Any]:
        limits: dict[str, Any] = await self._request("GET", "/control/limits")
        return limits

    async def change_default_limits(self, **changes: Any) -> dict[str, Any]:
        """Change the limits of every portal, and of portals created later."""
        limits: dict[str, Any] = await self._request("PUT", "/control/limits", changes)
        return limits

    async def move_portal(self, member_id: str) -> MovedPortal:
        """Give the portal a new address; the old one answers 302 to it."""
        body = await self._request("POST", _portal(member_id, "move"))
        return MovedPortal(
            body["member_id"],
            body["domain"],
            body["client_endpoint"],
            body["previous_domain"],
        )

    async def set_redirect(
        self, member_id: str, mode: str | None, location: str = ""
    ) -> None:
        """`licence`, `loop`, `elsewhere` (to the REST address `location`), or
        None: how the portal's own address answers."""
        body = {"mode": mode, "location": location}
        await self._request("PUT", _portal(member_id, "redirect"), body)

    async def set_latency(self, member_id: str, seconds: float) -> None:
        await self._request("PUT", _portal(member_id, "latency"), {"seconds": seconds})

    async def inject_fault(
        self,
        member_id: str,
        kind: str,
        count: int = 1,
        method: str | None = None,
        seconds: float | None = None,
    ) -> dict[str, Any]:
        """The next `count` REST requests (of `method`) meet `kind`."""
        body = _fault(kind, count, method, seconds)
        faults: dict[str, Any] = await self._request(
            "POST", _portal(member_id, "faults"), body
        )
        return faults

    async def faults(self, member_id: str) -> dict[str, Any]:
        """The portal's latency and remaining fault rules."""
        faults: dict[str, Any] = await self._request(
            "GET", _portal(member_id, "faults")
        )
        return faults

    async def clear_faults(self, member_id: str) -> None:
        """Remove every fault rule and the added latency."""
        await self._request("DELETE", _portal(member_id, "faults"))

    async def inject_oauth_fault(
        self, kind: str, count: int = 1, seconds: float | None = None
    ) -> dict[str, Any]:
        """The next `count` requests to the OAuth server meet `kind`."""
        body = _fault(kind, count, None, seconds)
        faults: dict[str, Any] = await self._request(
            "POST", "/control/oauth/faults", body
        )
        return faults

    async def clear_oauth_faults(self) -> None:
        await self._request("DELETE", "/control/oauth/faults")

    # -- logs ----------------------------------------------------------------------

    async def offline_events(self, member_id: str) -> list[dict[str, Any]]:
        """The portal's offline queue, as `event.offline.list` shows records."""
        rows: list[dict[str, Any]] = await self._request(
            "GET", _portal(member_id, "offline-events")
        )
        return rows

    async def stats(self, member_id: str | None = None) -> dict[str, Any]:
        """Delivery and REST counters, of all portals or of one."""
        path = _portal(member_id, "stats") if member_id else "/control/stats"
        stats: dict[str, Any] = await self._request("GET", path)
        return stats

    async def calls(self, member_id: str) -> list[dict[str, Any]]:
        """REST calls the portal served: method, params, status, error."""
        calls: list[dict[str, Any]] = await self._request(
            "GET", _portal(member_id, "calls")
        )
        return calls

    async def deliveries(self, member_id: str | None = None) -> Deliveries:
        """Event deliveries of one portal, or of all portals."""
        path = _portal(member_id, "deliveries") if member_id else "/control/deliveries"
        body = await self._request("GET", path)
        return Deliveries(body["deliveries"], int(body["in_flight"]))

    # The timeout bounds polling of a remote queue, not one local await.
    async def wait_for_deliveries(
        self,
        timeout: float = 5.0,  # noqa: ASYNC109
        member_id: str | None = None,
    ) -> Deliveries:
        """Poll until no delivery is in flight; raises TimeoutError after `timeout`.

        Deliveries that the app's handlers cause in turn (its own REST updates
        fire events) are waited for too, as long as they start in time.
        """
        deadline = time.monotonic() + timeout
        while True:
            found = await self.deliveries(member_id)
            if found.in_flight == 0:
                return found
            if time.monotonic() >= deadline:
                raise TimeoutError(f"{found.in_flight} deliveries still in flight")
            await asyncio.sleep(_POLL_INTERVAL)

    # The timeout bounds polling of a remote queue, not one local await.
    async def wait_until_delivered(
        self,
        timeout: float = 30.0,  # noqa: ASYNC109
    ) -> dict[str, Any]:
        """Poll the counters until no delivery is in flight; returns them.

        Cheaper than `wait_for_deliveries` after a burst: it never fetches
        the delivery log. Raises TimeoutError after `timeout` seconds.
        """
        deadline = time.monotonic() + timeout
        while True:
            stats = await self.stats()
            in_flight = int(stats["deliveries"]["in_flight"])
            if in_flight == 0:
                return stats
            if time.monotonic() >= deadline:
                raise TimeoutError(f"{in_flight} deliveries still in flight")
            await asyncio.sleep(_POLL_INTERVAL)

    async def _request(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        query: dict[str, str] | None = None,
    ) -> Any:
        response = await self._http.request(method, path, json=body, params=query)
        if response.status_code >= 400:
            raise EmulatorControlError(response.status_code, _message(response))
        return response.json()


def _portal(member_id: str, tail: str = "") -> str:
    path = f"/control/portals/{member_id}"
    return f"{path}/{tail}" if tail else path


def _fault(
    kind: str, count: int, method: str | None, seconds: float | None
) -> dict[str, Any]:
    body: dict[str, Any] = {"kind": kind, "count": count, "method": method}
    if seconds is not None:
        body["seconds"] = seconds
    return body


def _message(response: httpx.Response) -> str:
    try:
        return str(response.json().get("error", response.text))
    except ValueError:
        return response.text
