"""Memory the service keeps per installed portal that is idle.

Ten thousand portals are installed in an embedded SQLite store and each makes one
REST call through the real gateway (rate limiter, address policy, token care) over
an in-process transport. Once their buckets have drained the portals are idle;
the memory still held by the service's objects, divided by the portal count, is
the figure (Python's `tracemalloc`, so only what the service allocates counts).
"""

import asyncio
import gc
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from adapters.address_policy import AddressPolicy
from adapters.bitrix24_http import HttpxBitrix24Gateway
from adapters.rate_limit import PortalRateLimiter, SystemTimer
from adapters.sqlite import SqliteTokenRepository
from application.rest import PortalRest
from domain.portal import Portal

PORTALS = 10_000


class FastForwardTimer(SystemTimer):
    """The system timer, moved forward on demand so buckets drain at once."""

    def __init__(self) -> None:
        self.offset = 0.0

    def monotonic(self) -> float:
        return time.monotonic() + self.offset


def answer(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"result": {"ID": "1"}, "time": {}})


def portal(n: int, now: datetime) -> Portal:
    member_id = f"{n:032x}"
    return Portal(
        member_id=member_id,
        domain=f"127.0.0.{1 + n % 200}",
        client_endpoint=f"http://127.0.0.{1 + n % 200}/rest/",
        access_token=f"access{n}",
        refresh_token=f"refresh{n}",
        expires_at=now + timedelta(hours=1),
        application_token=f"app{n}",
        scope="crm",
        language="en",
        installed_at=now,
        updated_at=now,
    )


async def measure(folder: Path) -> float:
    now = datetime.now(UTC)
    portals = SqliteTokenRepository(folder / "memory.sqlite3")
    for n in range(PORTALS):
        portals.save(portal(n, now))

    timer = FastForwardTimer()
    async with httpx.AsyncClient(
        transport=httpx.MockTransport(answer), timeout=5.0
    ) as client:
        gateway = HttpxBitrix24Gateway(
            client,
            "https://oauth.example.com",
            "bench",
            "secret",
            limiter=PortalRateLimiter(timer=timer, sweep_every=1.0),
            policy=AddressPolicy(allow_insecure_loopback=True),
        )
        rest = PortalRest(portals, gateway, lambda: datetime.now(UTC))
        await rest.call(f"{0:032x}", "app.info", {})
        gc.collect()
        tracemalloc.start()
        baseline = tracemalloc.take_snapshot()

        for n in range(PORTALS):
            await rest.call(f"{n:032x}", "app.info", {})
        timer.offset += 3600
        await rest.call(f"{0:032x}", "app.info", {})
        gc.collect()
        held = tracemalloc.take_snapshot()
        tracemalloc.stop()

    growth = sum(s.size_diff for s in held.compare_to(baseline, "filename"))
    return max(growth, 0) / PORTALS


def run() -> str:
    with tempfile.TemporaryDirectory(prefix="b24names-memory-") as folder:
        per_portal = asyncio.run(measure(Path(folder)))
    return f"memory: portals={PORTALS} idle_bytes_per_portal={per_portal:.0f}"
