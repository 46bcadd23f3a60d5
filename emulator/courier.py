"""Sends what portals POST to the app, and logs every delivery.

Events go out as background tasks: the REST or control call that caused them
answers first, as on Bitrix24, whose queue server delivers later. A delivery
is tried once (Bitrix24 never re-sends) and given up after `timeout` seconds.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx

from emulator.model import Outbound

logger = logging.getLogger(__name__)

#: The handler timeout is not documented; a few seconds is plausible.
DEFAULT_DELIVERY_TIMEOUT = 5.0

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
    ) -> None:
        self._timeout = timeout
        self._transport = transport
        self._clock = clock
        self._client: httpx.AsyncClient | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._in_flight: Counter[str] = Counter()
        self._records: list[dict[str, Any]] = []

    def send(self, outbound: Outbound) -> None:
        """Deliver `outbound` in the background; needs a running event loop."""
        self._in_flight[outbound.member_id] += 1
        task = asyncio.get_running_loop().create_task(self._deliver(outbound))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

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

    def forget(self) -> None:
        """Drop the delivery log (deliveries in flight still finish)."""
        self._records.clear()

    async def aclose(self) -> None:
        """Cancel deliveries in flight and close the HTTP client."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def _deliver(self, outbound: Outbound) -> None:
        try:
            reply = await self.post(outbound)
        finally:
            self._in_flight[outbound.member_id] -= 1

        self._records.append(
            {
                "member_id": outbound.member_id,
                "event": outbound.event,
                "handler": outbound.url,
                "handler_id": outbound.handler_id,
                "status": reply.status,
                "error": reply.error,
                "at": self._clock(),
            }
        )
        logger.info(
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
            )
        return self._client
