"""A portal's queue of offline events (`event.bind` with `event_type=offline`).

Bitrix24 keeps one record per changed object and event name: changing the
same contact a thousand times leaves one record, stamped with the last change.
`event.offline.get` takes records (deleting them, or with `clear=0` reserving
them under a `process_id`), `event.offline.clear` deletes reserved ones,
`event.offline.error` marks them failed, `event.offline.list` only reads.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from emulator.query import matching, ordered

#: `event.offline.get` hands out at most this many records a call, and
#: `event.offline.list` pages by it.
OFFLINE_PAGE = 50

_NUMERIC = frozenset({"ID", "ERROR"})

Row = dict[str, Any]


@dataclass
class OfflineRecord:
    """One queued change: the event, what changed, and who holds it."""

    id: int
    event: str
    message_id: str
    data: dict[str, Any]
    at: float
    process_id: str = ""
    error: bool = False

    def row(self) -> Row:
        """The record with every field `event.offline.list` shows."""
        return {
            "ID": str(self.id),
            "TIMESTAMP_X": datetime.fromtimestamp(int(self.at), UTC).isoformat(),
            "EVENT_NAME": self.event,
            "EVENT_DATA": self.data,
            "EVENT_ADDITIONAL": False,
            "MESSAGE_ID": self.message_id,
            "PROCESS_ID": self.process_id,
            "ERROR": "1" if self.error else "0",
        }


@dataclass(frozen=True)
class Selection:
    """What `event.offline.get` asks for."""

    conditions: Mapping[str, Any]
    order: Mapping[str, Any]
    limit: int = OFFLINE_PAGE
    clear: bool = True
    process_id: str | None = None
    errors: bool = False


class OfflineQueue:
    """The offline event records of one portal, IDs ascending from 1."""

    def __init__(self) -> None:
        self._records: dict[int, OfflineRecord] = {}
        self._open: dict[tuple[str, str], int] = {}
        self._last_id = 0

    def push(self, event: str, key: str, data: dict[str, Any], now: float) -> None:
        """Record that the object `key` changed; collapses onto an open record.

        A record already reserved by a process or marked failed is left
        alone, so the change gets a new record rather than being lost.
        """
        message_id = hashlib.md5(f"{event}|{key}".encode()).hexdigest()  # noqa: S324
        open_id = self._open.get((event, message_id))
        if open_id is not None:
            record = self._records[open_id]
            record.data, record.at = data, now
            return

        self._last_id += 1
        self._records[self._last_id] = OfflineRecord(
            self._last_id, event, message_id, data, now
        )
        self._open[event, message_id] = self._last_id

    def take(self, selection: Selection) -> tuple[str | None, list[Row]]:
        """Hand out records; returns the process_id (None when cleared)."""
        chosen = self._select(selection)
        if selection.clear:
            for record in chosen:
                self._drop(record)
            return None, [_get_row(record) for record in chosen]

        process_id = selection.process_id or secrets.token_hex(16)
        for record in chosen:
            self._close(record)
            record.process_id = process_id
        return process_id, [_get_row(record) for record in chosen]

    def clear(
        self, process_id: str, ids: list[str] | None, message_ids: list[str] | None
    ) -> int:
        """Delete the process's records (only `ids`, else only `message_ids`)."""
        held = self._held_by(process_id, ids, message_ids)
        for record in held:
            self._drop(record)
        return len(held)

    def fail(self, process_id: str, message_ids: list[str] | None) -> int:
        """Mark the process's records failed and give them back to the queue."""
        held = self._held_by(process_id, None, message_ids)
        for record in held:
            record.error, record.process_id = True, ""
        return len(held)

    def page(
        self, conditions: Mapping[str, Any], order: Mapping[str, Any], start: int
    ) -> tuple[list[Row], int | None, int]:
        """One `event.offline.list` page: `(rows, next, total)`."""
        rows = matching(self.rows(), conditions, _NUMERIC)
        rows = ordered(rows, order or {"ID": "ASC"}, _NUMERIC)
        page = rows[start : start + OFFLINE_PAGE]
        more = start + OFFLINE_PAGE < len(rows)
        return page, (start + OFFLINE_PAGE if more else None), len(rows)

    def rows(self) -> list[Row]:
        return [record.row() for record in self._records.values()]

    def __len__(self) -> int:
        return len(self._records)

    def _select(self, selection: Selection) -> list[OfflineRecord]:
        wanted = {"", selection.process_id or ""}
        candidates = [
            record.row()
            for record in self._records.values()
            if record.process_id in wanted and (selection.errors or not record.error)
        ]
        rows = matching(candidates, selection.conditions, _NUMERIC)
        rows = ordered(rows, selection.order or {"TIMESTAMP_X": "ASC"}, _NUMERIC)
        return [self._records[int(row["ID"])] for row in rows[: selection.limit]]

    def _held_by(
        self, process_id: str, ids: list[str] | None, message_ids: list[str] | None
    ) -> list[OfflineRecord]:
        held = [r for r in self._records.values() if r.process_id == process_id]
        if ids:
            return [record for record in held if str(record.id) in ids]
        if message_ids:
            return [record for record in held if record.message_id in message_ids]
        return held

    def _close(self, record: OfflineRecord) -> None:
        if self._open.get((record.event, record.message_id)) == record.id:
            del self._open[record.event, record.message_id]

    def _drop(self, record: OfflineRecord) -> None:
        self._close(record)
        del self._records[record.id]


def _get_row(record: OfflineRecord) -> Row:
    row = record.row()
    del row["PROCESS_ID"], row["ERROR"]
    return row
