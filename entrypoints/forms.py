"""Parsing Bitrix24's form bodies, which use PHP bracket keys, within limits.

Bitrix24 posts events as `application/x-www-form-urlencoded` bodies whose keys
nest with brackets: `auth[member_id]=...&data[FIELDS][ID]=82`. A hostile sender can
post anything, so every dimension of the input is bounded and each violation is an
`InvalidInput` that names what was wrong.
"""

from dataclasses import dataclass
from urllib.parse import parse_qsl

from application.errors import InvalidInput

#: A parsed form: strings nested in dictionaries by bracket key.
FormValue = str | dict[str, "FormValue"]
Form = dict[str, FormValue]


@dataclass(frozen=True, slots=True)
class FormLimits:
    """How much of a form is accepted before it is refused."""

    max_body_bytes: int = 64 * 1024
    max_fields: int = 200
    max_depth: int = 5
    max_key_length: int = 128
    max_value_length: int = 4096


DEFAULT_LIMITS = FormLimits()


def parse_form(body: bytes, limits: FormLimits = DEFAULT_LIMITS) -> Form:
    """Parse a urlencoded body with bracket keys into nested dictionaries.

    `a[b][c]=1` becomes `{"a": {"b": {"c": "1"}}}`; `a[]=x` appends under the
    next free numeric key. Raises `InvalidInput` for bodies over the limits, bytes
    that are not UTF-8, malformed keys, and a key used both as a value and as a
    container.
    """
    if len(body) > limits.max_body_bytes:
        raise InvalidInput(f"body larger than {limits.max_body_bytes} bytes")

    pairs = _pairs(body, limits)

    form: Form = {}
    for key, value in pairs:
        _check_sizes(key, value, limits)
        _insert(form, _key_path(key, limits), value)
    return form


def parse_query(query: bytes, limits: FormLimits = DEFAULT_LIMITS) -> Form:
    """Parse a query string the same way as a form body."""
    return parse_form(query, limits)


def _pairs(body: bytes, limits: FormLimits) -> list[tuple[str, str]]:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InvalidInput("body is not UTF-8") from error

    try:
        return parse_qsl(
            text,
            keep_blank_values=True,
            max_num_fields=limits.max_fields,
            errors="strict",
        )
    except UnicodeDecodeError as error:
        raise InvalidInput("percent-encoded bytes are not UTF-8") from error
    except ValueError as error:
        raise InvalidInput(f"more than {limits.max_fields} fields") from error


def _check_sizes(key: str, value: str, limits: FormLimits) -> None:
    if len(key) > limits.max_key_length:
        raise InvalidInput(f"key longer than {limits.max_key_length} characters")
    if len(value) > limits.max_value_length:
        raise InvalidInput(
            f"value of {key[:40]!r} longer than {limits.max_value_length} characters"
        )


def _key_path(key: str, limits: FormLimits) -> list[str]:
    """`a[b][]` → `["a", "b", ""]`; raises `InvalidInput` when malformed."""
    head, bracket, rest = key.partition("[")
    if not head:
        raise InvalidInput(f"malformed key {key[:40]!r}")
    if not bracket:
        return [head]

    parts = [head]
    for piece in ("[" + rest).split("]")[:-1]:
        if not piece.startswith("[") or "[" in piece[1:]:
            raise InvalidInput(f"malformed key {key[:40]!r}")
        parts.append(piece[1:])
    if not key.endswith("]") or len(parts) - 1 > limits.max_depth:
        raise InvalidInput(f"malformed or too deep key {key[:40]!r}")
    return parts


def _insert(form: Form, path: list[str], value: str) -> None:
    node: dict[str, FormValue] = form
    for depth, part in enumerate(path[:-1]):
        name = part or str(len(node))
        child = node.setdefault(name, {})
        if not isinstance(child, dict):
            raise InvalidInput(f"key {'.'.join(path[: depth + 1])!r} is not a group")
        node = child

    last = path[-1] or str(len(node))
    if isinstance(node.get(last), dict):
        raise InvalidInput(f"key {'.'.join(path)!r} is a group, not a value")
    node[last] = value
