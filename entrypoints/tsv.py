r"""The tab-separated text convention of the names corpus and `b24names format --tsv`.

Inside a field, `\t`, `\n`, `\r` and `\\` stand for a tab, a newline, a
carriage return and a backslash; a field that is exactly `\N` stands for a
missing value (None). A backslash before any other character is kept as
typed, so decoding never fails.
"""

import re

MISSING = "\\N"

_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "\\": "\\"}
_ESCAPE_RE = re.compile(r"\\(.)", re.DOTALL)
_SPECIAL_RE = re.compile(r"[\\\t\n\r]")
_ENCODINGS = {"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"}


def decode_field(text: str) -> str | None:
    """The value a field stands for; a lone `\\N` is None."""
    if text == MISSING:
        return None
    if "\\" not in text:
        return text
    return _ESCAPE_RE.sub(_decode_escape, text)


def encode_field(value: str | None) -> str:
    """The field that stands for `value`; `decode_field` gives `value` back."""
    if value is None:
        return MISSING
    return _SPECIAL_RE.sub(_encode_special, value)


def _decode_escape(match: re.Match[str]) -> str:
    return _ESCAPES.get(match.group(1), match.group(0))


def _encode_special(match: re.Match[str]) -> str:
    return _ENCODINGS[match.group(0)]
