"""A portal's CRM contacts and `crm.contact.list` paging."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from emulator.query import as_list, mapping, matching, ordered

#: crm.contact.list always pages by 50.
PAGE_SIZE = 50

#: Plain fields a contact carries; `UF_*` user fields are accepted as well.
CONTACT_FIELDS = (
    "ID",
    "HONORIFIC",
    "NAME",
    "SECOND_NAME",
    "LAST_NAME",
    "POST",
    "COMMENTS",
    "TYPE_ID",
    "SOURCE_ID",
    "SOURCE_DESCRIPTION",
    "COMPANY_ID",
    "BIRTHDATE",
    "EXPORT",
    "OPENED",
    "HAS_PHONE",
    "HAS_EMAIL",
    "HAS_IMOL",
    "ASSIGNED_BY_ID",
    "CREATED_BY_ID",
    "MODIFY_BY_ID",
    "DATE_CREATE",
    "DATE_MODIFY",
)

_READ_ONLY = frozenset(
    {"ID", "DATE_CREATE", "DATE_MODIFY", "CREATED_BY_ID", "MODIFY_BY_ID"}
    | {"HAS_PHONE", "HAS_EMAIL", "HAS_IMOL"}
)
_NUMERIC = frozenset({"ID", "COMPANY_ID", "ASSIGNED_BY_ID", "CREATED_BY_ID"})

Contact = dict[str, Any]


def _timestamp(now: float) -> str:
    return datetime.fromtimestamp(int(now), UTC).isoformat()


def _is_writable(field: str) -> bool:
    return (field in CONTACT_FIELDS or field.startswith("UF_")) and (
        field not in _READ_ONLY
    )


def _text(value: Any) -> str | None:
    # Bitrix24 stores scalar fields as text and answers with strings.
    if value is None:
        return None
    if isinstance(value, bool):
        return "Y" if value else "N"
    return str(value)


class ContactBook:
    """The contacts of one portal, IDs ascending from 1 and never reused."""

    def __init__(self) -> None:
        self._contacts: dict[int, Contact] = {}
        self._last_id = 0

    def add(self, fields: Mapping[str, Any], user_id: int, now: float) -> int:
        self._last_id += 1
        contact: Contact = dict.fromkeys(CONTACT_FIELDS)
        contact.update(
            ID=str(self._last_id),
            TYPE_ID="CLIENT",
            EXPORT="Y",
            OPENED="Y",
            HAS_PHONE="N",
            HAS_EMAIL="N",
            HAS_IMOL="N",
            ASSIGNED_BY_ID=str(user_id),
            CREATED_BY_ID=str(user_id),
            MODIFY_BY_ID=str(user_id),
            DATE_CREATE=_timestamp(now),
            DATE_MODIFY=_timestamp(now),
        )
        self._write(contact, fields)
        self._contacts[self._last_id] = contact
        return self._last_id

    def get(self, contact_id: int) -> Contact | None:
        contact = self._contacts.get(contact_id)
        return dict(contact) if contact is not None else None

    def update(
        self, contact_id: int, fields: Mapping[str, Any], user_id: int, now: float
    ) -> bool:
        """Write `fields` (unknown ones ignored); False if there is no such contact."""
        contact = self._contacts.get(contact_id)
        if contact is None:
            return False

        self._write(contact, fields)
        contact.update(MODIFY_BY_ID=str(user_id), DATE_MODIFY=_timestamp(now))
        return True

    def delete(self, contact_id: int) -> bool:
        return self._contacts.pop(contact_id, None) is not None

    def all(self) -> list[Contact]:
        return [dict(self._contacts[key]) for key in sorted(self._contacts)]

    def __len__(self) -> int:
        return len(self._contacts)

    @staticmethod
    def _write(contact: Contact, fields: Mapping[str, Any]) -> None:
        for field, value in fields.items():
            name = str(field).upper()
            if _is_writable(name):
                contact[name] = _text(value)


def select_page(
    contacts: list[Contact],
    query: Mapping[str, Any],
) -> tuple[list[Contact], int | None, int]:
    """One `crm.contact.list` page: `(rows, next, total)`.

    `query` holds `filter`, `order`, `select` and `start`. With `start=-1`
    the portal skips counting: total is 0 and there is no `next`.
    """
    start = _start_of(query.get("start"))
    conditions = mapping(query.get("filter"))
    matched = matching(contacts, conditions, _NUMERIC)
    rows_in_order = ordered(matched, mapping(query.get("order")), _NUMERIC)

    offset = max(start, 0)
    page = rows_in_order[offset : offset + PAGE_SIZE]
    rows = [_selected(c, query.get("select")) for c in page]

    if start < 0:
        return rows, None, 0
    has_more = offset + PAGE_SIZE < len(rows_in_order)
    return rows, (offset + PAGE_SIZE if has_more else None), len(rows_in_order)


def _start_of(value: Any) -> int:
    if value in (None, ""):
        return 0
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _selected(contact: Contact, select: Any) -> Contact:
    fields = [str(f).upper() for f in as_list(select)] if select else ["*"]
    if "*" in fields:
        chosen = [name for name in contact if not name.startswith("UF_")]
    else:
        chosen = ["ID"]
    if "UF_*" in fields or not select:
        chosen += [name for name in contact if name.startswith("UF_")]
    chosen += [name for name in fields if name in contact]
    return {name: contact[name] for name in dict.fromkeys(chosen)}
