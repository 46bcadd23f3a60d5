"""How a Bitrix24 contact's names map onto the domain's `ContactNames`."""

from collections.abc import Mapping
from typing import Any

from domain.names import ContactNames, NameField
from domain.portal import Portal

#: Bitrix24's contact field for each of the names.
CONTACT_FIELDS = {
    NameField.FIRST: "NAME",
    NameField.MIDDLE: "SECOND_NAME",
    NameField.LAST: "LAST_NAME",
}


def names_of(contact: object) -> ContactNames:
    """The three names of a contact as `crm.contact.get` returns it.

    A field that is absent or not text counts as missing.
    """
    fields = contact if isinstance(contact, Mapping) else {}

    def value(field: NameField) -> str | None:
        raw = fields.get(CONTACT_FIELDS[field])
        return raw if isinstance(raw, str) else None

    return ContactNames(
        first=value(NameField.FIRST),
        middle=value(NameField.MIDDLE),
        last=value(NameField.LAST),
    )


def changed_fields(portal: Portal, contact: object) -> dict[str, Any]:
    """The contact fields whose formatted value differs, as Bitrix24 names them.

    Follows the portal's settings: its language and the fields it formats. Empty
    when nothing would change, which is what keeps our own update's echo event
    from causing another update.
    """
    before = names_of(contact)
    after = before.formatted(portal.name_language, portal.settings.fields)
    changes = before.changed_fields(after)
    return {CONTACT_FIELDS[field]: value for field, value in changes.items()}
