"""A contact's three names as one value."""

from collections.abc import Iterable
from dataclasses import dataclass

from domain.names.fields import NameField
from domain.names.formatter import format_name


@dataclass(frozen=True, slots=True)
class ContactNames:
    """The first, middle and last name of a contact; None is a missing name."""

    first: str | None
    middle: str | None
    last: str | None

    def get(self, field: NameField) -> str | None:
        """The value of one field."""
        if field is NameField.FIRST:
            return self.first
        if field is NameField.MIDDLE:
            return self.middle
        return self.last

    def formatted(
        self, lang: str | None, fields: Iterable[NameField] = tuple(NameField)
    ) -> "ContactNames":
        """These names with `fields` formatted for `lang`; the others as they are."""
        chosen = frozenset(fields)

        def pick(field: NameField) -> str | None:
            value = self.get(field)
            return format_name(value, field, lang) if field in chosen else value

        return ContactNames(
            first=pick(NameField.FIRST),
            middle=pick(NameField.MIDDLE),
            last=pick(NameField.LAST),
        )

    def changed_fields(self, other: "ContactNames") -> dict[NameField, str | None]:
        """The fields whose value in `other` differs from this one, with `other`'s."""
        return {
            field: other.get(field)
            for field in NameField
            if other.get(field) != self.get(field)
        }
