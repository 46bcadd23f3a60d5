"""Test doubles for the httpx gateway: a scripted portal, fake time, fake DNS."""

import asyncio
import socket
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from domain.portal import Portal

ACCESS_TOKEN = "acc3ss+tok/en=91bc"
REFRESH_TOKEN = "refr3sh+tok/en=4d2e"
APPLICATION_TOKEN = "app-token-51856fef"
CLIENT_SECRET = "cli3nt+secr/et=7f3a"
SECRETS = (ACCESS_TOKEN, REFRESH_TOKEN, CLIENT_SECRET)

OAUTH_URL = "https://oauth.example.test"
NOW = datetime(2026, 5, 14, 10, 0, tzinfo=UTC)

MEMBER_ID = "a223c6b3710f85df22e9377d6c4f7553"
DOMAIN = "some-domain.bitrix24.com"
ENDPOINT = f"https://{DOMAIN}/rest/"

#: Public addresses the fake DNS hands out; nothing ever connects to them.
PUBLIC_ADDRESSES = {
    DOMAIN: ["46.4.119.10"],
    "other-domain.bitrix24.com": ["46.4.119.11"],
    "renamed.bitrix24.com": ["46.4.119.12", "2a01:4f8:141:1::12"],
    "third.bitrix24.com": ["46.4.119.13"],
    "fourth.bitrix24.com": ["46.4.119.14"],
    "fifth.bitrix24.com": ["46.4.119.15"],
    "x.test": ["46.4.119.16"],
}

Failure = Callable[[httpx.Request], Exception]
Answer = httpx.Response | Failure


def make_portal(
    member_id: str = MEMBER_ID, domain: str = DOMAIN, endpoint: str | None = None
) -> Portal:
    return Portal(
        member_id=member_id,
        domain=domain,
        client_endpoint=endpoint or f"https://{domain}/rest/",
        access_token=ACCESS_TOKEN,
        refresh_token=REFRESH_TOKEN,
        expires_at=NOW + timedelta(hours=1),
        application_token=APPLICATION_TOKEN,
        scope="crm",
        language="de",
        installed_at=NOW,
        updated_at=NOW,
    )


def ok(result: Any = True, **extra: Any) -> httpx.Response:
    return httpx.Response(200, json={"result": result, "time": {}, **extra})


def moved(location: str, status: int = 302) -> httpx.Response:
    return httpx.Response(status, headers={"location": location})


class FakeTimer:
    """Monotonic and wall time that move only when told to, or when slept on.

    With `auto` a sleep moves time forward at once by its length, which suits
    one sleeper at a time. Without it a sleep waits for `advance`.
    """

    def __init__(self, auto: bool = True) -> None:
        self.auto = auto
        self.elapsed = 0.0
        self.sleeps: list[float] = []
        self._sleepers: list[tuple[float, asyncio.Future[None]]] = []

    def monotonic(self) -> float:
        return self.elapsed

    def now(self) -> datetime:
        return NOW + timedelta(seconds=self.elapsed)

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        if self.auto:
            self.elapsed += seconds
            await asyncio.sleep(0)
            return

        wake = asyncio.get_running_loop().create_future()
        self._sleepers.append((self.elapsed + seconds, wake))
        await wake

    def advance(self, seconds: float) -> None:
        """Move time on and wake the sleepers whose time has come."""
        self.elapsed += seconds
        waiting = []
        for wake_at, wake in self._sleepers:
            if wake_at <= self.elapsed and not wake.done():
                wake.set_result(None)
            elif not wake.done():
                waiting.append((wake_at, wake))
        self._sleepers = waiting

    @property
    def sleeping(self) -> int:
        return len(self._sleepers)


class FakeDns:
    """Answers host lookups from a table; unknown hosts fail like getaddrinfo."""

    def __init__(self, table: Mapping[str, Iterable[str]] | None = None) -> None:
        self.table = {host: list(found) for host, found in (table or {}).items()}
        self.lookups: list[str] = []

    async def __call__(self, host: str) -> list[str]:
        self.lookups.append(host)
        if host not in self.table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return self.table[host]


class ScriptedServer:
    """Gives each request the next queued answer, else the standing one.

    Records every request, and with a timer the fake time it arrived at.
    """

    def __init__(self, timer: FakeTimer | None = None) -> None:
        self.answer: Answer = httpx.Response(200, json={"result": True})
        self.queue: list[Answer] = []
        self.requests: list[httpx.Request] = []
        self.times: list[float] = []
        self._timer = timer

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self._timer is not None:
            self.times.append(self._timer.monotonic())
        answer = self.queue.pop(0) if self.queue else self.answer
        if isinstance(answer, httpx.Response):
            return answer
        raise answer(request)

    def answers(self, status: int, body: Any) -> None:
        self.answer = httpx.Response(status, json=body)

    def answers_raw(self, status: int, content: bytes, content_type: str) -> None:
        self.answer = httpx.Response(
            status, content=content, headers={"content-type": content_type}
        )

    def then(self, *answers: Answer) -> None:
        """Queue answers for the next requests, in order."""
        self.queue.extend(answers)

    @property
    def last(self) -> httpx.Request:
        return self.requests[-1]

    def hosts(self) -> list[str]:
        return [request.url.host for request in self.requests]
