"""Formatting a contact's names after Bitrix24 says it was added or changed."""

import logging
from enum import StrEnum

from application.errors import RemoteNotFound
from application.rest import PortalRest
from domain.names import ContactNames, NameField
from domain.portal import Portal

logger = logging.getLogger(__name__)

#: Bitrix24's contact field for each of the names.
CONTACT_FIELDS = {
    NameField.FIRST: "NAME",
    NameField.MIDDLE: "SECOND_NAME",
    NameField.LAST: "LAST_NAME",
}


class Outcome(StrEnum):
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    GONE = "gone"
    DISABLED = "disabled"


def names_of(contact: object) -> ContactNames:
    """The three names of a contact as `crm.contact.get` returns it."""
    fields = contact if isinstance(contact, dict) else {}

    def value(field: NameField) -> str | None:
        raw = fields.get(CONTACT_FIELDS[field])
        return raw if isinstance(raw, str) else None

    return ContactNames(
        first=value(NameField.FIRST),
        middle=value(NameField.MIDDLE),
        last=value(NameField.LAST),
    )


class FormatContact:
    """Read a contact, format its names, write back only the fields that changed.

    Writing nothing when nothing changes is what ends the loop: our own update
    fires ONCRMCONTACTUPDATE again, and that second pass finds the names tidy.
    """

    def __init__(self, rest: PortalRest) -> None:
        self._rest = rest

    async def __call__(self, portal: Portal, contact_id: str) -> Outcome:
        if not portal.settings.enabled:
            return Outcome.DISABLED

        try:
            outcome = await self._format(portal, contact_id)
        except RemoteNotFound:
            outcome = Outcome.GONE

        logger.info(
            "contact %s member_id=%s contact_id=%s",
            outcome,
            portal.member_id,
            contact_id,
        )
        return outcome

    async def _format(self, portal: Portal, contact_id: str) -> Outcome:
        response = await self._rest.call(
            portal.member_id, "crm.contact.get", {"id": contact_id}
        )
        before = names_of(response.result)

        after = before.formatted(portal.name_language, portal.settings.fields)
        changes = before.changed_fields(after)
        if not changes:
            return Outcome.UNCHANGED

        fields = {CONTACT_FIELDS[field]: value for field, value in changes.items()}
        await self._rest.call(
            portal.member_id,
            "crm.contact.update",
            {
                "id": contact_id,
                "fields": fields,
                "params": {"REGISTER_SONET_EVENT": "N"},
            },
        )
        return Outcome.UPDATED
