"""PHP bracket query strings, both ways."""

from __future__ import annotations

from urllib.parse import parse_qsl

from emulator import phpquery


def test_encode_flattens_nesting_into_bracket_keys() -> None:
    values = {"event": "E", "data": {"FIELDS": {"ID": 82}}, "flag": True, "gone": None}

    pairs = parse_qsl(phpquery.encode(values), keep_blank_values=True)

    assert pairs == [
        ("event", "E"),
        ("data[FIELDS][ID]", "82"),
        ("flag", "Y"),
        ("gone", ""),
    ]


def test_parse_nests_bracket_keys_and_appends_empty_brackets() -> None:
    query = "fields[NAME]=x&params[REGISTER_SONET_EVENT]=N&select[]=ID&select[]=NAME"

    parsed = phpquery.parse(query)

    assert parsed == {
        "fields": {"NAME": "x"},
        "params": {"REGISTER_SONET_EVENT": "N"},
        "select": ["ID", "NAME"],
    }


def test_parse_reads_back_what_encode_wrote() -> None:
    values = {"a": {"b": {"c": "1", "d": "two words & more"}}, "e": "3"}

    assert phpquery.parse(phpquery.encode(values)) == values
