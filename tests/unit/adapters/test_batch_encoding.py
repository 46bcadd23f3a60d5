"""Batch commands as Bitrix24 reads them: PHP query strings inside `cmd`.

Round trips go through the emulator's PHP-style parser, an independent reading
of the same format.
"""

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.batch_encoding import (
    encode_commands,
    encode_query,
    error_parts,
    php_map,
    require_method_name,
)
from application.errors import InvalidInput
from application.ports import BatchCommand
from emulator import phpquery


def pairs(query: str) -> list[tuple[str, str]]:
    return parse_qsl(query, keep_blank_values=True, strict_parsing=True)


# Encoding


def test_a_command_is_its_method_and_query_string() -> None:
    commands = {"get": ("crm.contact.get", {"id": 82})}

    assert encode_commands(commands) == {"get": "crm.contact.get?id=82"}


def test_a_command_without_parameters_is_its_method_alone() -> None:
    assert encode_commands({"info": ("app.info", {})}) == {"info": "app.info"}


def test_nested_parameters_become_bracket_keys() -> None:
    params = {
        "id": 82,
        "fields": {"NAME": "Ivan", "LAST_NAME": "Petrov"},
        "params": {"REGISTER_SONET_EVENT": "N"},
    }

    query = encode_query(params)

    assert query == (
        "id=82&fields[NAME]=Ivan&fields[LAST_NAME]=Petrov"
        "&params[REGISTER_SONET_EVENT]=N"
    )


def test_lists_become_indexed_keys() -> None:
    query = encode_query({"id": [1, 2], "filter": {"@ID": ("7", "9")}})

    assert query == "id[0]=1&id[1]=2&filter[%40ID][0]=7&filter[%40ID][1]=9"


def test_booleans_travel_as_y_and_n() -> None:
    query = encode_query({"params": {"REGISTER_SONET_EVENT": False}, "flag": True})

    assert pairs(query) == [("params[REGISTER_SONET_EVENT]", "N"), ("flag", "Y")]


def test_none_and_empty_values_are_kept_as_empty_values() -> None:
    params: dict[str, Any] = {
        "fields": {"SECOND_NAME": None, "HONORIFIC": "", "PHONE": []}
    }

    query = encode_query(params)

    assert query == "fields[SECOND_NAME]=&fields[HONORIFIC]=&fields[PHONE]="


def test_unicode_and_reserved_characters_are_percent_encoded() -> None:
    params = {"fields": {"NAME": "Анна-Мария & Co = 100% + €"}}

    query = encode_query(params)

    assert query.isascii()
    assert " " not in query
    assert "+" not in query
    assert pairs(query) == [("fields[NAME]", "Анна-Мария & Co = 100% + €")]


def test_reserved_characters_in_keys_are_percent_encoded() -> None:
    query = encode_query({"filter": {">ID": 5, "a&b=c": 1}})

    assert query == "filter[%3EID]=5&filter[a%26b%3Dc]=1"


def test_numbers_dates_and_decimals_use_their_plain_text() -> None:
    moment = datetime(2026, 5, 14, 10, 0, tzinfo=UTC)
    params = {"n": 1.5, "d": Decimal("2.50"), "day": date(2026, 5, 14), "at": moment}

    assert pairs(encode_query(params)) == [
        ("n", "1.5"),
        ("d", "2.50"),
        ("day", "2026-05-14"),
        ("at", "2026-05-14T10:00:00+00:00"),
    ]


def test_a_value_without_a_query_form_is_refused() -> None:
    with pytest.raises(InvalidInput, match="fields\\[X\\]"):
        encode_query({"fields": {"X": b"bytes"}})


# Commands that cannot be sent


def test_more_than_fifty_commands_are_refused() -> None:
    commands: dict[str, BatchCommand] = {f"c{n}": ("app.info", {}) for n in range(51)}

    with pytest.raises(InvalidInput, match="50"):
        encode_commands(commands)


def test_fifty_commands_are_accepted() -> None:
    commands: dict[str, BatchCommand] = {f"c{n}": ("app.info", {}) for n in range(50)}

    assert len(encode_commands(commands)) == 50


@pytest.mark.parametrize("key", ["0", "12", "-3", ""])
def test_numeric_or_empty_keys_are_refused(key: str) -> None:
    with pytest.raises(InvalidInput):
        encode_commands({key: ("app.info", {})})


@pytest.mark.parametrize("key", ["a[b]", "x]"])
def test_keys_with_brackets_are_refused(key: str) -> None:
    with pytest.raises(InvalidInput):
        encode_commands({key: ("app.info", {})})


@pytest.mark.parametrize("key", ["c1", "1c", "get_82", "3.5"])
def test_keys_that_are_not_integers_are_accepted(key: str) -> None:
    assert list(encode_commands({key: ("app.info", {})})) == [key]


@pytest.mark.parametrize(
    "method", ["", "crm.contact.get?id=1", "a&b", "../x", ".crm", "crm.", "crm get"]
)
def test_malformed_method_names_are_refused(method: str) -> None:
    with pytest.raises(InvalidInput):
        require_method_name(method)


# Round trip through a PHP-style parser


def expected_reading(value: Any) -> Any:
    """What PHP reads back for an encoded value."""
    if isinstance(value, dict):
        if not value:
            return ""
        return {key: expected_reading(item) for key, item in value.items()}
    if isinstance(value, list):
        if not value:
            return ""
        return [expected_reading(item) for item in value]
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Y" if value else "N"
    return str(value)


keys = st.from_regex(r"[A-Za-z][A-Za-z0-9_>!@%<=&+ ]{0,8}", fullmatch=True)
scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=12)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=3)
    ),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(keys, values, min_size=1, max_size=4))
def test_a_php_style_parser_reads_back_what_was_encoded(params: dict[str, Any]) -> None:
    command = encode_commands({"cmd": ("crm.contact.update", params)})["cmd"]

    method, _, query = command.partition("?")

    assert method == "crm.contact.update"
    assert phpquery.parse(query) == expected_reading(params)


# Reading answers


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"a": 1, "b": None}, {"a": 1, "b": None}),
        ([], {}),
        (["x", "y"], {"0": "x", "1": "y"}),
        (None, None),
        ("text", None),
    ],
)
def test_php_maps_read_objects_and_lists_alike(value: object, expected: object) -> None:
    assert php_map(value) == expected


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        (
            {"error": "insufficient_scope", "error_description": ""},
            ("insufficient_scope", ""),
        ),
        ({"error": "", "error_description": "Not found"}, ("", "Not found")),
        ({"error_description": "x", "extra": 1}, ("", "x")),
        ("QUERY_LIMIT_EXCEEDED", ("QUERY_LIMIT_EXCEEDED", "")),
        ("Contact is not found", ("", "Contact is not found")),
        (42, None),
    ],
)
def test_command_errors_are_read_from_objects_and_plain_strings(
    entry: object, expected: object
) -> None:
    assert error_parts(entry) == expected
