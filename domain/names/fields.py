"""The three name fields of a contact."""

import enum


class NameField(enum.StrEnum):
    """Which of a contact's names a value is; rules differ between them."""

    FIRST = "first"
    MIDDLE = "middle"
    LAST = "last"
