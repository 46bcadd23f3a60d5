"""The service against the emulator at Bitrix24's real limits.

The service runs as `b24names serve` in a process of its own (SQLite storage,
workers inside), as it would in production; this process runs the emulator and
the load generator. Two scenarios:

- sustained events: contact events posted straight to `/events` at a fixed rate,
  each answer's latency measured from its scheduled send time;
- a burst: a thousand contacts added at once on one portal draining 2 requests/s,
  timed until every one is formatted, counting the REST requests it cost.
"""

import asyncio
import multiprocessing
import os
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx

from emulator import AppRegistration, EmulatorClient, EmulatorServer

EVENT_RATE = 300
EVENT_SECONDS = 10
BURST = 1000
BURST_TIMEOUT = 180.0


@dataclass(frozen=True)
class Bench:
    emulator: EmulatorClient
    service_url: str


@dataclass(frozen=True)
class AckFigures:
    p50_ms: float
    p99_ms: float
    events_per_s: float
    errors: int


@dataclass(frozen=True)
class BurstFigures:
    contacts_per_s: float
    requests_per_contact: float
    lost: int
    query_limit_exceeded: int


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@asynccontextmanager
async def running_bench(folder: Path) -> AsyncIterator[Bench]:
    """The emulator here, the service in a child process, wired together."""
    port = free_port()
    service_url = f"http://127.0.0.1:{port}"
    registration = AppRegistration(
        client_id="local.bench", install_url=f"{service_url}/install"
    )
    emulator = EmulatorServer(registration)
    emulator_url = await emulator.start()
    environment = {
        **os.environ,
        "B24_CLIENT_ID": registration.client_id,
        "B24_CLIENT_SECRET": registration.client_secret,
        "B24_PUBLIC_URL": service_url,
        "B24_STORAGE_URL": f"sqlite:///{folder / 'bench.sqlite3'}",
        "B24_OAUTH_URL": emulator_url,
        "B24_ALLOW_INSECURE_LOOPBACK": "true",
        "B24_DATA_DIR": str(folder),
    }
    with (folder / "service.log").open("w") as log:
        service = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "entrypoints.cli",
            "serve",
            "--port",
            str(port),
            env=environment,
            stdout=log,
            stderr=asyncio.subprocess.STDOUT,
        )
        try:
            await wait_for_health(service_url)
            async with EmulatorClient(emulator_url) as client:
                yield Bench(client, service_url)
        finally:
            service.terminate()
            await asyncio.wait_for(service.wait(), timeout=30)
            await emulator.stop()


async def wait_for_health(url: str, timeout: float = 30.0) -> None:  # noqa: ASYNC109
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient() as client:
        while time.monotonic() < deadline:
            try:
                if (await client.get(f"{url}/health")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise TimeoutError("the service did not start")


async def installed_portal(emulator: EmulatorClient) -> str:
    portal = await emulator.create_portal(language="en")
    result = await emulator.install(portal.member_id, flow="event")
    if not result.installed:
        raise RuntimeError(f"install failed: {result}")
    return portal.member_id


def event_body(state: dict[str, Any], contact_id: str) -> bytes:
    pairs = {
        "event": "ONCRMCONTACTUPDATE",
        "data[FIELDS][ID]": contact_id,
        "ts": str(int(time.time())),
        "auth[domain]": state["domain"],
        "auth[client_endpoint]": state["client_endpoint"],
        "auth[member_id]": state["member_id"],
        "auth[application_token]": state["application_token"],
    }
    return urlencode(pairs).encode()


async def sustained_events(bench: Bench) -> AckFigures:
    """Post EVENT_RATE events a second for EVENT_SECONDS; answer latencies.

    The load comes from a process of its own, so that the emulator's work in this
    process does not delay the sends and inflate the figures.
    """
    member_id = await installed_portal(bench.emulator)
    state = await bench.emulator.portal(member_id)
    ids = await bench.emulator.add_contacts(
        member_id, [{"NAME": "Tidy", "LAST_NAME": "Name"}] * 200, actor="robot"
    )
    bodies = [event_body(state, contact_id) for contact_id in ids]

    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        latencies, errors, elapsed = await asyncio.get_running_loop().run_in_executor(
            pool, generate_load, bench.service_url, bodies
        )

    ordered = sorted(latencies)
    return AckFigures(
        p50_ms=statistics.median(ordered) * 1000,
        p99_ms=ordered[int(len(ordered) * 0.99) - 1] * 1000,
        events_per_s=len(ordered) / elapsed,
        errors=errors,
    )


def generate_load(url: str, bodies: list[bytes]) -> tuple[list[float], int, float]:
    """In a process of its own: send the events on schedule, time the answers."""
    return asyncio.run(_send_all(url, bodies))


async def _send_all(url: str, bodies: list[bytes]) -> tuple[list[float], int, float]:
    # A general HTTP client spends more CPU per request than the service does;
    # plain keep-alive HTTP/1.1 over asyncio streams keeps the generator light.
    target = urlsplit(url)
    host, port = target.hostname or "127.0.0.1", target.port or 80
    requests = [_request(host, port, body) for body in bodies]
    idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
    latencies: list[float] = []
    statuses: list[int] = []

    async def send(at: float, request: bytes) -> None:
        await asyncio.sleep(max(0.0, at - time.monotonic()))
        reader, writer = (
            idle.pop() if idle else await asyncio.open_connection(host, port)
        )
        writer.write(request)
        statuses.append(await _read_answer(reader))
        latencies.append(time.monotonic() - at)
        idle.append((reader, writer))

    start = time.monotonic() + 0.5
    total = EVENT_RATE * EVENT_SECONDS
    await asyncio.gather(
        *(
            send(start + n / EVENT_RATE, requests[n % len(requests)])
            for n in range(total)
        )
    )
    elapsed = time.monotonic() - start
    for _, writer in idle:
        writer.close()
    return latencies, sum(1 for status in statuses if status != 200), elapsed


def _request(host: str, port: int, body: bytes) -> bytes:
    head = (
        f"POST /events HTTP/1.1\r\nHost: {host}:{port}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def _read_answer(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    length = next(
        (
            int(line.split(":", 1)[1])
            for line in lines
            if line.lower().startswith("content-length:")
        ),
        0,
    )
    await reader.readexactly(length)
    return int(lines[0].split()[1])


async def burst(bench: Bench) -> BurstFigures:
    """A thousand messy contacts at once on one portal, until all are tidy."""
    member_id = await installed_portal(bench.emulator)
    before = await bench.emulator.stats(member_id)
    started = time.monotonic()

    ids = await bench.emulator.add_contacts(
        member_id, [{"NAME": "JOHN", "LAST_NAME": "SMITH"}] * BURST, concurrent=True
    )
    formatted = await wait_formatted(bench.emulator, member_id, set(ids))
    elapsed = time.monotonic() - started
    after = await bench.emulator.stats(member_id)

    requests = _requests(after) - _requests(before)
    return BurstFigures(
        contacts_per_s=formatted / elapsed,
        requests_per_contact=requests / BURST,
        lost=BURST - formatted,
        query_limit_exceeded=_limit_errors(after) - _limit_errors(before),
    )


async def wait_formatted(
    emulator: EmulatorClient, member_id: str, ids: set[str]
) -> int:
    deadline = time.monotonic() + BURST_TIMEOUT
    done = 0
    while time.monotonic() < deadline:
        contacts = await emulator.list_contacts(member_id)
        done = sum(
            1 for c in contacts if str(c.get("ID")) in ids and c.get("NAME") == "John"
        )
        if done == len(ids):
            break
        await asyncio.sleep(0.25)
    return done


def _requests(stats: dict[str, Any]) -> int:
    rest = stats.get("rest", stats)
    return int(rest.get("requests", 0))


def _limit_errors(stats: dict[str, Any]) -> int:
    rest = stats.get("rest", stats)
    return int(rest.get("by_error", {}).get("QUERY_LIMIT_EXCEEDED", 0))


async def measure() -> list[str]:
    with tempfile.TemporaryDirectory(prefix="b24names-bench-") as folder:
        async with running_bench(Path(folder)) as bench:
            ack = await sustained_events(bench)
            spike = await burst(bench)
    return [
        f"events: ack_p50_ms={ack.p50_ms:.1f} ack_p99_ms={ack.p99_ms:.1f} "
        f"events_per_s={ack.events_per_s:.0f} errors={ack.errors}",
        f"burst: contacts={BURST} contacts_per_s_per_portal={spike.contacts_per_s:.1f} "
        f"rest_calls_per_contact={spike.requests_per_contact:.3f} "
        f"query_limit_exceeded={spike.query_limit_exceeded} lost={spike.lost}",
        f"bench: ack_p99_ms={ack.p99_ms:.1f} events_per_s={ack.events_per_s:.0f} "
        f"contacts_per_s_per_portal={spike.contacts_per_s:.1f} "
        f"rest_calls_per_contact={spike.requests_per_contact:.3f} "
        f"lost={spike.lost + ack.errors}",
    ]


def run() -> str:
    return "\n".join(asyncio.run(measure()))
