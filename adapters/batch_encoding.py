"""The `batch` method's wire format: commands out, per-command answers back.

Bitrix24 reads each command of a batch as `method?query`, the query parsed the
way PHP parses one: nested parameters as bracket keys (`fields[NAME]=x`), lists
as indexed keys (`id[0]=1&id[1]=2`). Booleans travel as `Y`/`N`; None and empty
values travel as empty values, since a parameter that silently disappears changes
what the command means.

Answers come from PHP's `json_encode`, which writes an empty map as `[]` and a
map keyed 0..n-1 as a list; both shapes read back as maps here.
"""

import re
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from application.errors import InvalidInput
from application.ports import BatchCommand

#: Bitrix24 refuses a batch of more commands than this.
MAX_COMMANDS = 50

_METHOD_NAME = re.compile(r"[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*")
# PHP turns keys like these into integer array keys, which reorders the answer.
_NUMERIC_KEY = re.compile(r"-?[0-9]+")
_BARE_CODE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def require_method_name(method: str) -> None:
    """Refuse a method name that could reach past the REST endpoint or a query.

    Raises `InvalidInput` unless the name is dotted words (`crm.contact.get`).
    """
    if not _METHOD_NAME.fullmatch(method):
        raise InvalidInput(f"not a REST method name: {method!r}")


def encode_commands(commands: Mapping[str, BatchCommand]) -> dict[str, str]:
    """The `cmd` map of a batch: each key to its `method?query` text.

    Raises `InvalidInput` for more than 50 commands, an empty, numeric or
    bracketed key, a malformed method name, or a parameter value that has no
    query-string form.
    """
    if len(commands) > MAX_COMMANDS:
        raise InvalidInput(
            f"a batch holds at most {MAX_COMMANDS} commands, not {len(commands)}"
        )

    encoded: dict[str, str] = {}
    for key, (method, params) in commands.items():
        _require_command_key(key)
        require_method_name(method)
        query = encode_query(params)
        encoded[key] = f"{method}?{query}" if query else method
    return encoded


def encode_query(params: Mapping[str, Any]) -> str:
    """`params` as a PHP query string, every name and value percent-encoded."""
    return "&".join(f"{name}={quote(text, safe='')}" for name, text in _pairs(params))


def _require_command_key(key: str) -> None:
    if not key or _NUMERIC_KEY.fullmatch(key):
        raise InvalidInput(f"batch command keys must not be numeric: {key!r}")
    if any(mark in key for mark in "[]"):
        raise InvalidInput(f"batch command keys must not hold brackets: {key!r}")


def _pairs(params: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, str]]:
    for key, value in params.items():
        segment = quote(str(key), safe="")
        name = f"{prefix}[{segment}]" if prefix else segment
        yield from _value_pairs(name, value)


def _value_pairs(name: str, value: Any) -> Iterator[tuple[str, str]]:
    if isinstance(value, Mapping):
        nested = value
    elif isinstance(value, list | tuple):
        nested = dict(enumerate(value))
    else:
        yield name, _scalar_text(name, value)
        return

    if not nested:
        # PHP has no empty array in a query string; an empty value keeps the name.
        yield name, ""
        return
    yield from _pairs(nested, name)


def _scalar_text(name: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Y" if value else "N"
    if isinstance(value, str | int | float | Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise InvalidInput(f"no query-string form for {type(value).__name__} at {name}")


def php_map(value: object) -> dict[str, Any] | None:
    """A map of PHP's JSON: objects as they are, lists keyed by position.

    None for null or a missing part; None also for a value that is no map at all,
    so the caller decides how bad that is.
    """
    if isinstance(value, dict):
        return {str(key): item for key, item in value.items()}
    if isinstance(value, list):
        return {str(index): item for index, item in enumerate(value)}
    return None


def error_parts(entry: object) -> tuple[str, str] | None:
    """(code, description) of one command's error entry, None if unreadable.

    Entries are usually `{"error", "error_description"}` objects. A bare string is
    taken as the code when it reads like one (a single identifier such as
    `insufficient_scope`) and as the description otherwise (`Not found`).
    """
    if isinstance(entry, dict):
        return _text(entry.get("error")), _text(entry.get("error_description"))
    if isinstance(entry, str):
        if _BARE_CODE.fullmatch(entry):
            return entry, ""
        return "", entry
    return None


def _text(value: object) -> str:
    return "" if value is None else str(value)
