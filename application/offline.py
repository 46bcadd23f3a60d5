"""The safety net for events that never reached the service.

Bitrix24 drops an event whose delivery failed (the service was down, the network
broke). Portals that allow it also keep an offline queue: one record per changed
contact, held until the app confirms it. The reconciler reserves a page of
records (`event.offline.get` with `clear=0`), queues their contacts in the
durable inbox, and only then confirms them (`event.offline.clear`), so a crash in
between leaves them reserved and handed out again, never lost. The app's own
writes carry `auth_connector`, which keeps them out of that queue.
"""

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from typing import Any

from application.errors import Bitrix24Error
from application.handlers import is_already_bound
from application.ports import Clock, ContactInbox, TokenRepository
from application.rest import PortalRest

logger = logging.getLogger(__name__)

#: Marks the app's own writes, so the portal keeps them out of the offline queue.
AUTH_CONNECTOR = "b24names"
CONTACT_EVENTS = ("ONCRMCONTACTADD", "ONCRMCONTACTUPDATE")
PAGE = 50
#: Pages per portal per round, so one busy portal cannot hold a reconciler.
MAX_PAGES = 10


async def bind_offline(rest: PortalRest, member_id: str) -> bool:
    """Subscribe the portal's offline queue to contact changes.

    Only an administrator's token may, and not every plan allows it: a refusal
    is not an error, the portal simply has no safety net. Binding again answers
    "already bound", which counts as bound.
    """
    for event in CONTACT_EVENTS:
        params = {
            "event": event,
            "event_type": "offline",
            "auth_connector": AUTH_CONNECTOR,
        }
        try:
            await rest.call(member_id, "event.bind", params)
        except Bitrix24Error as error:
            if not is_already_bound(error):
                logger.info(
                    "offline events unavailable member_id=%s code=%s",
                    member_id,
                    error.code,
                )
                return False
    return True


class OfflineReconciler:
    """Moves a portal's offline records into the inbox, then confirms them."""

    def __init__(
        self,
        portals: TokenRepository,
        inbox: ContactInbox,
        rest: PortalRest,
        clock: Clock,
    ) -> None:
        self._portals = portals
        self._inbox = inbox
        self._rest = rest
        self._clock = clock

    async def run(self, stop: asyncio.Event, interval: float) -> None:
        """A round every `interval` seconds until `stop` is set."""
        while not stop.is_set():
            try:
                await self.reconcile_all()
            except Exception:
                # A store outage must not end the safety net; the next round retries.
                logger.exception("offline reconcile round failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval)

    async def reconcile_all(self) -> int:
        """One round over every portal with an offline queue; contacts queued."""
        queued = 0
        for portal in self._portals.list():
            if (
                portal.is_active
                and portal.offline_events
                and not portal.reinstall_needed
            ):
                try:
                    queued += await self.reconcile(portal.member_id)
                except Bitrix24Error as error:
                    logger.warning(
                        "offline reconcile failed member_id=%s error=%s",
                        portal.member_id,
                        type(error).__name__,
                    )
        return queued

    async def reconcile(self, member_id: str) -> int:
        """Queue the contacts of the portal's offline records; returns how many."""
        queued = 0
        # A fixed process id per portal: records reserved by a request whose
        # answer was lost (a crash, a dropped connection) come back to the next
        # round instead of staying reserved for a process id nobody knows.
        params = {"clear": 0, "limit": PAGE, "process_id": _process_id(member_id)}
        for _ in range(MAX_PAGES):
            answer = await self._rest.call(member_id, "event.offline.get", params)
            process_id, records = _page(answer.result)
            if not records:
                break
            queued += self._queue(member_id, records)
            ids = [str(record.get("ID")) for record in records]
            await self._rest.call(
                member_id, "event.offline.clear", {"process_id": process_id, "id": ids}
            )
        if queued:
            logger.info(
                "offline events queued member_id=%s count=%d", member_id, queued
            )
        return queued

    def _queue(self, member_id: str, records: list[Mapping[str, Any]]) -> int:
        now = self._clock()
        queued = 0
        for record in records:
            contact_id = _contact_id(record)
            if record.get("EVENT_NAME") in CONTACT_EVENTS and contact_id:
                self._inbox.add(member_id, contact_id, now)
                queued += 1
        return queued


def _process_id(member_id: str) -> str:
    return f"{AUTH_CONNECTOR}{member_id}"[:64]


def _page(result: object) -> tuple[str, list[Mapping[str, Any]]]:
    if not isinstance(result, Mapping):
        return "", []
    events = result.get("events")
    records = (
        [e for e in events if isinstance(e, Mapping)]
        if isinstance(events, list)
        else []
    )
    return str(result.get("process_id") or ""), records


def _contact_id(record: Mapping[str, Any]) -> str | None:
    data = record.get("EVENT_DATA")
    fields = data.get("FIELDS") if isinstance(data, Mapping) else None
    raw = fields.get("ID") if isinstance(fields, Mapping) else None
    text = str(raw) if raw is not None else ""
    return text if text.isdigit() else None
