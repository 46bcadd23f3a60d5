"""ContactNames: a contact's three names formatted and compared as one value."""

from domain.names import ContactNames, NameField


def test_formatting_all_fields_tidies_each_for_its_own_rules() -> None:
    names = ContactNames(first="ANNA", middle="VAN DER", last="VAN DER BERG")

    formatted = names.formatted("nl")

    assert formatted == ContactNames(
        first="Anna", middle="van der", last="van der Berg"
    )


def test_fields_not_asked_for_are_kept_as_they_are() -> None:
    names = ContactNames(first="ANNA", middle="MARIA", last="SMITH")

    formatted = names.formatted("en", [NameField.LAST])

    assert formatted == ContactNames(first="ANNA", middle="MARIA", last="Smith")


def test_missing_names_stay_missing() -> None:
    names = ContactNames(first=None, middle=None, last="smith")

    formatted = names.formatted(None)

    assert formatted == ContactNames(first=None, middle=None, last="Smith")


def test_get_returns_the_value_of_each_field() -> None:
    names = ContactNames(first="Anna", middle=None, last="Berg")

    assert names.get(NameField.FIRST) == "Anna"
    assert names.get(NameField.MIDDLE) is None
    assert names.get(NameField.LAST) == "Berg"


def test_changed_fields_maps_each_differing_field_to_the_new_value() -> None:
    before = ContactNames(first="ANNA", middle=None, last="Berg")
    after = ContactNames(first="Anna", middle=None, last="Berg")

    changes = before.changed_fields(after)

    assert changes == {NameField.FIRST: "Anna"}


def test_a_field_that_becomes_missing_is_a_change_to_none() -> None:
    before = ContactNames(first="Anna", middle="X", last="Berg")
    after = ContactNames(first="Anna", middle=None, last="Berg")

    assert before.changed_fields(after) == {NameField.MIDDLE: None}


def test_tidy_names_format_to_no_changes() -> None:
    names = ContactNames(first="Anna", middle="Maria", last="van der Berg")

    assert names.changed_fields(names.formatted("nl")) == {}
