"""Writing accepted events to the inbox in groups.

Each acknowledged event must be on disk before Bitrix24 hears "200". One disk
write per event makes a burst queue up behind the disk; instead, events that
arrive while a write is under way wait for the next one, which takes them all
in one transaction. The write runs in a thread, so the event loop keeps
accepting requests meanwhile.
"""

import asyncio
import logging

from application.ports import Clock, ContactInbox

logger = logging.getLogger(__name__)

#: Changes written in one transaction at most.
MAX_GROUP = 500


class InboxIntake:
    """Adds contact changes to the inbox; `add` returns once they are stored."""

    def __init__(self, inbox: ContactInbox, clock: Clock) -> None:
        self._inbox = inbox
        self._clock = clock
        self._waiting: list[tuple[str, str, asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def add(self, member_id: str, contact_id: str) -> None:
        """Store the change; raises what the store raised if it could not."""
        stored = asyncio.get_running_loop().create_future()
        self._waiting.append((member_id, contact_id, stored))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_all())
        await stored

    async def _write_all(self) -> None:
        while self._waiting:
            group = self._waiting[:MAX_GROUP]
            del self._waiting[:MAX_GROUP]
            await self._write(group)

    async def _write(self, group: list[tuple[str, str, asyncio.Future[None]]]) -> None:
        changes = [(member_id, contact_id) for member_id, contact_id, _ in group]
        try:
            await asyncio.to_thread(self._inbox.add_all, changes, self._clock())
        except Exception as error:
            # Every waiting request answers with the store's failure, not 200.
            for _, _, stored in group:
                if not stored.done():
                    stored.set_exception(error)
            return

        for _, _, stored in group:
            if not stored.done():
                stored.set_result(None)
