"""Sends what portals POST to the app, and logs every delivery.

Events go out as background tasks: the REST or control call that caused them
answers first, as on Bitrix24, whose queue server delivers later. A delivery
is tried once (Bitrix24 never re-sends) and given up after `timeout` seconds.
At most `concurrency` deliveries are on the wire at once; the rest wait their
turn. Each finished delivery is logged with the app's answer time
(`latency_ms`, wall clock); the log keeps the last `log_limit` records and
counters keep counting past it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter, deque
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx

from emulator.model import Outbound

logger = logging.getLogger(__name__)

#: The handler timeout is not documented; a few seconds is plausible.
DEFAULT_DELIVERY_TIMEOUT = 5.0

#: Deliveries on the wire at once, and finished ones kept in the log.
DEFAULT_CONCURRENCY = 100
DEFAULT_LOG_LIMIT = 100_000

_HEADERS = {
    "Content-Type": "application/x-www-form-urlencoded",
    "User-Agent": "Bitrix24 Webhook Engine",
}


@dataclass(frozen=True)
class Reply:
    """The app's answer to one POST: a status and body, or a transport error."""

    status: int | None
    body: str
    error: str | None


class Courier:
    """Posts `Outbound` messages with one shared httpx client.

    `transport` replaces the network (an `httpx.MockTransport` or an
    `httpx.ASGITransport` around the app) in tests.
    """

    def __init__(
        self,
        timeout: float = DEFAULT_DELIVERY_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.time,
        concurrency: int = DEFAULT_CONCURRENCY,
        log_limit: int = DEFAULT_LOG_LIMIT,
    ) -> None:
        self._timeout = timeout
        self._transport = transport
        self._clock = clock
        self._concurrency = concurrency
        self._slots = asyncio.Semaphore(concurrency)
        self._client: httpx.AsyncClient | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._in_flight: Counter[str] = Counter()
        self._records: deque[dict[str, Any]] = deque(maxlen=log_limit)
        self._total = 0
        self._by_status: Counter[str] = Counter()

    def send(self, outbound: Outbound) -> None:
        """Deliver `outbound` in the background; needs a running event loop."""
        self._in_flight[outbound.member_id] += 1
        self._start(self._deliver(outbound))

    def send_in_order(self, outbounds: Iterable[Outbound]) -> None:
        """Deliver `outbounds` one after another, in the background."""
        queued = deque(outbounds)
        for outbound in queued:
            self._in_flight[outbound.member_id] += 1
        self._start(self._deliver_in_order(queued))

    async def post(self, outbound: Outbound) -> Reply:
        """POST `outbound` now and return the app's answer; never raises."""
        try:
            response = await self._http().post(
                outbound.url, content=urlencode(outbound.form), headers=_HEADERS
            )
        except httpx.TimeoutException:
            return Reply(None, "", "timeout")
        except httpx.HTTPError as error:
            return Reply(None, "", f"{type(error).__name__}: {error}")
        return Reply(response.status_code, response.text, None)

    def records(self, member_id: str | None = None) -> list[dict[str, Any]]:
        """Finished deliveries, oldest first, of one portal or of all."""
        return [
            record
            for record in self._records
            if member_id is None or record["member_id"] == member_id
        ]

    def in_flight(self, member_id: str | None = None) -> int:
        if member_id is None:
            return sum(self._in_flight.values())
        return self._in_flight[member_id]

    def stats(self) -> dict[str, Any]:
        """Deliveries finished (in total and by status or error) and in flight.

        A status key is the HTTP status, or `timeout` or `error` when the app
        gave no answer.
        """
        return {
            "total": self._total,
            "by_status": dict(self._by_status),
            "in_flight": self.in_flight(),
        }

    def forget(self) -> None:
        """Drop the delivery log and counters (deliveries in flight finish)."""
        self._records.clear()
        self._total = 0
        self._by_status.clear()

    async def aclose(self) -> None:
        """Cancel deliveries in flight and close the HTTP client."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def _start(self, job: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(job)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver_in_order(self, queued: deque[Outbound]) -> None:
        try:
            while queued:
                await self._deliver(queued[0])
                queued.popleft()
        finally:
            # Cancelled: the one being delivered was counted off already.
            for outbound in list(queued)[1:]:
                self._in_flight[outbound.member_id] -= 1

    async def _deliver(self, outbound: Outbound) -> None:
        try:
            async with self._slots:
                started = time.perf_counter()
                reply = await self.post(outbound)
                latency = (time.perf_counter() - started) * 1000
        finally:
            self._in_flight[outbound.member_id] -= 1

        self._log(outbound, reply, latency)

    def _log(self, outbound: Outbound, reply: Reply, latency_ms: float) -> None:
        self._records.append(
            {
                "member_id": outbound.member_id,
                "event": outbound.event,
                "handler": outbound.url,
                "handler_id": outbound.handler_id,
                "status": reply.status,
                "error": reply.error,
                "at": self._clock(),
                "latency_ms": round(latency_ms, 3),
            }
        )
        self._total += 1
        self._by_status[_status_key(reply)] += 1
        logger.debug(
            "delivered %s to %s for %s: %s",
            outbound.event,
            outbound.url,
            outbound.member_id,
            reply.status if reply.error is None else reply.error,
        )

    def _http(self) -> httpx.AsyncClient:
        # Created on first use so that it belongs to the running event loop.
        if self._client is None:
            self._client = httpx.AsyncClient(
                timeout=httpx.Timeout(self._timeout),
                transport=self._transport,
                follow_redirects=False,
                limits=httpx.Limits(max_connections=self._concurrency + 10),
            )
        return self._client


def _status_key(reply: Reply) -> str:
    if reply.status is not None:
        return str(reply.status)
    return "timeout" if reply.error == "timeout" else "error"
