"""Formatting the contacts a portal had before the app was installed.

Contacts are walked in ID order with the pagination Bitrix24 recommends for large
tables (`order ID ASC`, `filter >ID`, `start=-1`: no total count, so every page
costs the same). Each page of fifty is formatted and its changes written in one
`batch`, so a walk costs about two requests per fifty contacts. After each page
the last ID is reported, which is all it takes to resume an interrupted walk.
"""

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from application.contacts import changed_fields
from application.errors import PortalNotFound
from application.offline import AUTH_CONNECTOR
from application.ports import BatchCommand, TokenRepository
from application.rest import PortalRest

logger = logging.getLogger(__name__)

PAGE_SIZE = 50
SELECT = ["ID", "NAME", "SECOND_NAME", "LAST_NAME"]


@dataclass(frozen=True, slots=True)
class Change:
    """A contact whose names the walk changed (or would change, in a dry run)."""

    contact_id: str
    before: Mapping[str, Any]
    after: Mapping[str, Any]


@dataclass(slots=True)
class BackfillProgress:
    """Counts so far, and the ID to resume after."""

    last_id: int = 0
    seen: int = 0
    changed: int = 0
    unchanged: int = 0
    failed: int = 0
    #: Filled in a dry run only, so a real walk's memory does not grow.
    changes: list[Change] = field(default_factory=list)


class BackfillContacts:
    """Walk every contact of a portal once, formatting as the workers would."""

    def __init__(self, portals: TokenRepository, rest: PortalRest) -> None:
        self._portals = portals
        self._rest = rest

    async def count(self, member_id: str) -> int | None:
        """How many contacts the portal has, if it says (one cheap request)."""
        answer = await self._rest.call(
            member_id, "crm.contact.list", {"select": ["ID"], "start": 0}
        )
        return answer.total

    async def __call__(
        self,
        member_id: str,
        start_after: int = 0,
        dry_run: bool = False,
        on_page: Callable[[BackfillProgress], None] = lambda _: None,
    ) -> BackfillProgress:
        """Walk contacts with IDs above `start_after`; `on_page` hears after each
        page. In a dry run nothing is written and `changes` lists what would be."""
        portal = self._portals.get(member_id)
        if portal is None or not portal.is_active:
            raise PortalNotFound(member_id)

        progress = BackfillProgress(last_id=start_after)
        while page := await self._page(member_id, progress.last_id):
            await self._handle_page(member_id, page, dry_run, progress)
            on_page(progress)
        return progress

    async def _page(self, member_id: str, after: int) -> list[dict[str, Any]]:
        answer = await self._rest.call(
            member_id,
            "crm.contact.list",
            {
                "order": {"ID": "ASC"},
                "filter": {">ID": after},
                "select": SELECT,
                "start": -1,
            },
        )
        result = answer.result if isinstance(answer.result, list) else []
        return [row for row in result if isinstance(row, dict)][:PAGE_SIZE]

    async def _handle_page(
        self,
        member_id: str,
        page: list[dict[str, Any]],
        dry_run: bool,
        progress: BackfillProgress,
    ) -> None:
        """Format and write one page; counts move only once the page is done, so
        a failure leaves the walk resumable from the page before."""
        portal = self._portals.get(member_id)
        if portal is None or not portal.is_active:
            raise PortalNotFound(member_id)

        changes = [
            Change(str(row.get("ID", "")), _names(row), fields)
            for row in page
            if (fields := changed_fields(portal, row))
        ]
        failed = 0 if dry_run else await self._write(member_id, changes)

        progress.seen += len(page)
        progress.unchanged += len(page) - len(changes)
        progress.changed += len(changes) - failed
        progress.failed += failed
        if dry_run:
            progress.changes.extend(changes)
        progress.last_id = max(int(str(row.get("ID", 0))) for row in page)

    async def _write(self, member_id: str, changes: list[Change]) -> int:
        """Write the changes in one batch; returns how many commands failed.

        A failure of the whole request raises, leaving the page to a resumed walk.
        """
        if not changes:
            return 0

        updates = {
            f"set_{c.contact_id}": _update(c.contact_id, c.after) for c in changes
        }
        answer = await self._rest.batch(member_id, updates)
        for key, error in answer.errors.items():
            logger.warning(
                "backfill update failed member_id=%s command=%s error=%s",
                member_id,
                key,
                type(error).__name__,
            )
        return sum(1 for key in updates if key not in answer.results)


def _names(contact: Mapping[str, Any]) -> dict[str, Any]:
    return {key: contact.get(key) for key in SELECT[1:]}


def _update(contact_id: str, fields: Mapping[str, Any]) -> BatchCommand:
    params = {
        "id": contact_id,
        "fields": dict(fields),
        "params": {"REGISTER_SONET_EVENT": "N"},
        "auth_connector": AUTH_CONNECTOR,
    }
    return ("crm.contact.update", params)
