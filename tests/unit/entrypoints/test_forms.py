import pytest

from application.errors import InvalidInput
from entrypoints.forms import FormLimits, parse_form
from tests.samples import encode_form, sample


def test_documented_event_decodes_to_the_documented_structure() -> None:
    event = sample("oncrmcontactupdate")

    assert parse_form(encode_form(event)) == event


def test_brackets_nest_and_empty_brackets_append() -> None:
    body = b"a[b][c]=1&a[b][d]=2&list[]=x&list[]=y&plain=%D0%B8"

    assert parse_form(body) == {
        "a": {"b": {"c": "1", "d": "2"}},
        "list": {"0": "x", "1": "y"},
        "plain": "и",
    }


def test_empty_values_are_kept() -> None:
    assert parse_form(b"a=&b[c]=") == {"a": "", "b": {"c": ""}}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"a[b]x=1", "malformed"),
        (b"a[b[c]]=1", "malformed"),
        (b"[x]=1", "malformed"),
        (b"a=1&a[b]=2", "not a group"),
        (b"a[b]=2&a=1", "is a group"),
        (b"a[1][2][3][4][5][6]=1", "too deep"),
        (b"\xff=1", "UTF-8"),
        (b"a=%ff", "UTF-8"),
    ],
)
def test_malformed_forms_are_refused_with_a_reason(body: bytes, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_form(body)


def test_limits_on_size_fields_keys_and_values() -> None:
    limits = FormLimits(
        max_body_bytes=100, max_fields=3, max_key_length=5, max_value_length=4
    )

    with pytest.raises(InvalidInput, match="larger than 100 bytes"):
        parse_form(b"a=" + b"x" * 100, limits)
    with pytest.raises(InvalidInput, match="more than 3 fields"):
        parse_form(b"a=1&b=2&c=3&d=4", limits)
    with pytest.raises(InvalidInput, match="key longer"):
        parse_form(b"abcdef=1", limits)
    with pytest.raises(InvalidInput, match="longer than 4 characters"):
        parse_form(b"a=12345", limits)
