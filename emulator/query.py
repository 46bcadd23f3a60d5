"""The filter and order language of Bitrix24 list methods, over plain rows.

A filter maps `[operator]FIELD` to a value (`{">=ID": 5, "%NAME": "iv"}`);
an order maps fields to `ASC`/`DESC`. Field names are matched upper-case.
`numeric` names the fields compared as integers; all others compare as text.
"""

from __future__ import annotations

import operator as op
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from emulator import errors

_OPERATOR = re.compile(r"^(>=|<=|!=|=%|%=|!@|>|<|=|!|@|%)?(.+)$")

_ORDERINGS: dict[str, Callable[[Any, Any], Any]] = {
    ">": op.gt,
    "<": op.lt,
    ">=": op.ge,
    "<=": op.le,
}

Row = dict[str, Any]
_Test = Callable[[Any], bool]


def mapping(value: Any) -> Mapping[str, Any]:
    """A `filter` or `order` parameter as a mapping; raises for other shapes."""
    if value in (None, "", []):
        return {}
    if not isinstance(value, Mapping):
        raise errors.crm_error("Parameter 'filter' and 'order' must be arrays")
    return value


def matching(
    rows: Iterable[Row], conditions: Mapping[str, Any], numeric: frozenset[str]
) -> list[Row]:
    """The rows that meet every condition of the filter."""
    tests = [_condition(key, value, numeric) for key, value in conditions.items()]
    return [row for row in rows if all(test(row) for test in tests)]


def ordered(
    rows: list[Row], order: Mapping[str, Any], numeric: frozenset[str]
) -> list[Row]:
    """The rows by ID, then sorted stably by each order field, first one last."""
    result = sorted(rows, key=lambda row: int(row["ID"]))
    for field, direction in reversed(list(order.items())):
        name = str(field).upper()
        descending = str(direction).upper() == "DESC"
        result.sort(key=_sort_key(name, numeric), reverse=descending)
    return result


def as_list(value: Any) -> Iterable[Any]:
    """A PHP array parameter as a sequence of its values; a scalar as one."""
    if isinstance(value, Mapping):
        return list(value.values())
    if isinstance(value, list | tuple):
        return value
    return [value]


def _condition(
    key: str, expected: Any, numeric: frozenset[str]
) -> Callable[[Row], bool]:
    match = _OPERATOR.match(key)
    assert match is not None
    operator, field = match.group(1) or "=", match.group(2).upper()
    test = _test_for(operator, field in numeric, expected)
    return lambda row: test(row.get(field))


def _test_for(operator: str, is_numeric: bool, expected: Any) -> _Test:
    if operator in ("@", "!@"):
        return _membership(operator == "@", is_numeric, expected)
    if operator in ("%", "=%", "%="):
        return _like(operator, expected)
    return _comparison(operator, is_numeric, expected)


def _membership(inside: bool, is_numeric: bool, expected: Any) -> _Test:
    wanted = {_comparable(is_numeric, value) for value in as_list(expected)}
    return lambda actual: (_comparable(is_numeric, actual) in wanted) == inside


def _like(operator: str, expected: Any) -> _Test:
    needle = str(expected).lower()
    if operator != "%":
        pattern = "^" + ".*".join(map(re.escape, needle.split("%"))) + "$"
        return lambda actual: re.match(pattern, str(actual or "").lower()) is not None
    return lambda actual: needle in str(actual or "").lower()


def _comparison(operator: str, is_numeric: bool, expected: Any) -> _Test:
    target = _comparable(is_numeric, expected)

    def test(actual: Any) -> bool:
        value = _comparable(is_numeric, actual)
        if operator in ("=", "!", "!="):
            return bool(value == target) == (operator == "=")
        if value is None or target is None or type(value) is not type(target):
            return False
        return bool(_ORDERINGS[operator](value, target))

    return test


def _comparable(is_numeric: bool, value: Any) -> Any:
    # An empty filter value matches unset fields: Bitrix24 treats "" as NULL.
    if value in (None, ""):
        return None
    if is_numeric:
        try:
            return int(value)
        except (TypeError, ValueError):
            return str(value)
    return str(value)


def _sort_key(field: str, numeric: frozenset[str]) -> Callable[[Row], tuple[int, Any]]:
    is_numeric = field in numeric

    def key(row: Row) -> tuple[int, Any]:
        comparable = _comparable(is_numeric, row.get(field))
        if comparable is None:
            return (0, "")
        return (1, comparable) if isinstance(comparable, int) else (2, comparable)

    return key
