"""PHP-style query strings: `data[FIELDS][ID]=82&select[]=ID`.

Bitrix24 speaks PHP: it sends events form-encoded with bracket keys and reads
request parameters (form bodies, query strings, `batch` commands) the same way.
`encode` flattens nested values into bracket keys; `parse` builds them back.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode

_SEGMENT = re.compile(r"\[([^\[\]]*)\]")


def encode(values: Mapping[str, Any]) -> str:
    """Form-encode `values`, nesting mappings and lists as bracket keys.

    `None` becomes an empty value and booleans become `Y`/`N`, as PHP's
    `http_build_query` callers in Bitrix24 expect; nothing is dropped.
    """
    return urlencode(list(flatten(values)))


def flatten(values: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, str]]:
    """Yield `(bracket key, text)` pairs for every leaf of `values`, in order."""
    for key, value in values.items():
        name = f"{prefix}[{key}]" if prefix else str(key)
        yield from _flatten_value(name, value)


def _flatten_value(name: str, value: Any) -> Iterator[tuple[str, str]]:
    if isinstance(value, Mapping):
        yield from flatten(value, name)
    elif isinstance(value, list | tuple):
        yield from flatten({str(i): item for i, item in enumerate(value)}, name)
    else:
        yield name, _scalar_text(value)


def _scalar_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Y" if value else "N"
    return str(value)


def parse(query: str) -> dict[str, Any]:
    """Parse a query string or form body into nested dicts, as PHP does.

    `a[b][c]=1` nests, `a[]=x` appends, and a mapping whose keys are exactly
    `0..n-1` in order becomes a list (PHP cannot tell the two apart).
    """
    root: dict[str, Any] = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        _assign(root, _path_of(key), value)
    return {key: _listify(value) for key, value in root.items()}


def _path_of(key: str) -> list[str]:
    head, bracket, _ = key.partition("[")
    if not bracket or not head:
        return [key]
    return [head, *_SEGMENT.findall(key[len(head) :])]


def _assign(node: dict[str, Any], path: list[str], value: str) -> None:
    *parents, last = path
    for segment in parents:
        key = segment if segment else str(len(node))
        child = node.get(key)
        if not isinstance(child, dict):
            child = {}
            node[key] = child
        node = child
    node[last if last else str(len(node))] = value


def _listify(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    converted = {key: _listify(item) for key, item in value.items()}
    if converted and list(converted) == [str(i) for i in range(len(converted))]:
        return list(converted.values())
    return converted
