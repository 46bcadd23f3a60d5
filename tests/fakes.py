"""A fake Bitrix24 behind the real `Bitrix24Gateway` port, for use-case tests.

It keeps per-portal contacts, tokens and handler bindings, and answers the few
REST methods the use cases need the way Bitrix24 documents them.
"""

import asyncio
import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from application.errors import (
    AuthRejected,
    Bitrix24Error,
    ExpiredToken,
    RefreshTokenRejected,
    RemoteNotFound,
)
from application.ports import BatchCommand, BatchResponse, Bitrix24Gateway, RestResponse
from domain.portal import Grant, Portal

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def fixed_clock() -> datetime:
    return NOW


class MovableClock:
    """A clock that stands still until a test moves it."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class FakePortal:
    """One portal's state inside the fake."""

    member_id: str
    client_endpoint: str
    contacts: dict[str, dict[str, Any]] = field(default_factory=dict)
    bindings: list[dict[str, str]] = field(default_factory=list)
    access_tokens: set[str] = field(default_factory=set)
    expired_tokens: set[str] = field(default_factory=set)
    refresh_tokens: set[str] = field(default_factory=set)
    event_get_lists_bindings: bool = True
    faults: list[Bitrix24Error] = field(default_factory=list)
    offline_bindings: set[str] = field(default_factory=set)
    offline_allowed: bool = True
    offline_queue: list[dict[str, Any]] = field(default_factory=list)
    users: set[str] = field(default_factory=set)


class FakeBitrix24(Bitrix24Gateway):
    """Portals and an OAuth server in memory; records every call it answers."""

    def __init__(self) -> None:
        self.portals: dict[str, FakePortal] = {}
        self.calls: list[tuple[str, str, dict[str, Any]]] = []
        self.requests: list[tuple[str, str]] = []
        self.refreshes: list[str] = []
        self.refresh_gate: asyncio.Event | None = None
        self.call_gate: asyncio.Event | None = None
        self._serial = itertools.count(1)

    def add_portal(self, member_id: str, domain: str) -> FakePortal:
        portal = FakePortal(member_id, f"https://{domain}/rest/")
        self.portals[member_id] = portal
        return portal

    def issue_tokens(self, member_id: str, admin: bool = True) -> tuple[str, str]:
        """A new valid (access, refresh) pair for the portal, as an install gives;
        with `admin` False, a pair of a user who does not administer it."""
        n = next(self._serial)
        access, refresh = f"access{n}{member_id}", f"refresh{n}{member_id}"
        self.portals[member_id].access_tokens.add(access)
        if not admin:
            self.portals[member_id].users.add(access)
        self.portals[member_id].refresh_tokens.add(refresh)
        return access, refresh

    def expire_all(self, member_id: str) -> None:
        portal = self.portals[member_id]
        portal.expired_tokens |= portal.access_tokens
        portal.access_tokens.clear()

    def method_calls(self, member_id: str, method: str) -> list[dict[str, Any]]:
        return [p for m, name, p in self.calls if m == member_id and name == method]

    async def call(
        self, portal: Portal, method: str, params: Mapping[str, Any]
    ) -> RestResponse:
        state = await self._authorized(portal, method)

        self.calls.append((portal.member_id, method, dict(params)))
        if method == "user.admin":
            return RestResponse(portal.access_token not in state.users)
        return RestResponse(self._answer(state, method, params))

    async def batch(
        self,
        portal: Portal,
        commands: Mapping[str, BatchCommand],
        halt: bool = False,
    ) -> BatchResponse:
        state = await self._authorized(portal, "batch")

        results: dict[str, Any] = {}
        errors: dict[str, Bitrix24Error] = {}
        for key, (method, params) in commands.items():
            self.calls.append((portal.member_id, method, dict(params)))
            try:
                results[key] = self._answer(state, method, params)
            except Bitrix24Error as error:
                errors[key] = error
                if halt:
                    break
        return BatchResponse(results, errors)

    def request_count(self, member_id: str) -> int:
        return sum(1 for m, _ in self.requests if m == member_id)

    async def _authorized(self, portal: Portal, method: str) -> FakePortal:
        if self.call_gate is not None:
            await self.call_gate.wait()

        state = self.portals[portal.member_id]
        if state.faults:
            raise state.faults.pop(0)
        if portal.access_token in state.expired_tokens:
            raise ExpiredToken(
                "expired_token", "The access token provided has expired.", 401
            )
        if portal.access_token not in state.access_tokens:
            raise AuthRejected("NO_AUTH_FOUND", "Wrong authorization data", 401)

        await asyncio.sleep(0)
        self.requests.append((portal.member_id, method))
        return state

    async def refresh(self, refresh_token: str) -> Grant:
        if self.refresh_gate is not None:
            await self.refresh_gate.wait()

        state = next(
            (p for p in self.portals.values() if refresh_token in p.refresh_tokens),
            None,
        )
        if state is None:
            raise RefreshTokenRejected(
                "invalid_grant", "refresh token is not valid", 400
            )

        # A refresh kills the old refresh token and every access token issued
        # before it, as Bitrix24 documents.
        state.refresh_tokens.discard(refresh_token)
        state.access_tokens.clear()
        state.expired_tokens.clear()
        self.refreshes.append(state.member_id)
        access, refresh = self.issue_tokens(state.member_id)
        return Grant(
            access_token=access,
            refresh_token=refresh,
            expires_at=NOW + timedelta(hours=1),
            scope="crm",
            member_id=state.member_id,
            client_endpoint=state.client_endpoint,
        )

    def _answer(self, state: FakePortal, method: str, params: Mapping[str, Any]) -> Any:
        if method == "crm.contact.get":
            return dict(self._contact(state, params))
        if method == "crm.contact.list":
            return self._list(state, params)
        if method == "crm.contact.update":
            self._contact(state, params).update(params["fields"])
            return True
        if method == "event.get":
            return list(state.bindings) if state.event_get_lists_bindings else []
        if method == "event.bind" and params.get("event_type") == "offline":
            return self._bind_offline(state, str(params["event"]))
        if method == "event.offline.get":
            return self._offline_get(state)
        if method == "event.offline.clear":
            ids = set(params["id"])
            state.offline_queue = [r for r in state.offline_queue if r["ID"] not in ids]
            return True
        if method == "event.bind":
            binding = {"event": params["event"], "handler": params["handler"]}
            if binding in state.bindings:
                raise Bitrix24Error("", "Handler already binded", 400)
            state.bindings.append(binding)
            return True
        if method == "app.info":
            return {"ID": "1", "CODE": "local.app", "STATUS": "F"}
        raise Bitrix24Error("ERROR_METHOD_NOT_FOUND", "Method not found!", 404)

    def _bind_offline(self, state: FakePortal, event: str) -> bool:
        if not state.offline_allowed:
            raise AuthRejected("ACCESS_DENIED", "Access denied", 403)
        if event in state.offline_bindings:
            raise Bitrix24Error("ERROR_CORE", "Handler already binded", 400)
        state.offline_bindings.add(event)
        return True

    def _offline_get(self, state: FakePortal) -> dict[str, Any]:
        page = state.offline_queue[:50]
        return {"process_id": "p1" if page else None, "events": page}

    def _list(
        self, state: FakePortal, params: Mapping[str, Any]
    ) -> list[dict[str, Any]]:
        after = int(params.get("filter", {}).get(">ID", 0))
        select = params.get("select") or ["*"]
        ids = sorted(int(i) for i in state.contacts if int(i) > after)[:50]
        return [
            {
                key: value
                for key, value in {"ID": str(i), **state.contacts[str(i)]}.items()
                if key in select or "*" in select
            }
            for i in ids
        ]

    def _contact(self, state: FakePortal, params: Mapping[str, Any]) -> dict[str, Any]:
        contact = state.contacts.get(str(params["id"]))
        if contact is None:
            raise RemoteNotFound("", "Not found", 400)
        return contact
