r"""`b24names format`: format names read from standard input, one per line.

Plain input: each line is a value (its line break is not part of it), and
each output line is that value formatted for `--field` and `--lang`.

`--tsv` input: each line is `value<TAB>field<TAB>lang` in the corpus
convention (`\t`, `\n`, `\r`, `\\` escapes, `\N` for a missing value), and
each output line is the formatted value in the same convention.

A line that cannot be read (a wrong number of columns, an unknown field) is
reported on standard error with its line number and copied to the output
unchanged, so the output still has one line per input line; the exit code is
then 2. `--explain` follows each value with indented lines: the rule behind
each changed word and the reasons a result is uncertain.
"""

import argparse
import sys
from typing import TextIO

from domain.names import NameField, NameResult, explain_name, format_name
from entrypoints.tsv import decode_field, encode_field

EXIT_OK = 0
EXIT_BAD_INPUT = 2

_TSV_COLUMNS = 3
_FIELD_VALUES = frozenset(field.value for field in NameField)
_FIELDS = ", ".join(field.value for field in NameField)


class BadLineError(ValueError):
    """A `--tsv` line that does not hold a value, a field and a language."""


def add_format_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of `b24names format` to `parser`."""
    parser.add_argument(
        "--field",
        choices=[field.value for field in NameField],
        default=NameField.FIRST.value,
        help="which name the values are (default: first)",
    )
    parser.add_argument(
        "--lang",
        default="und",
        metavar="TAG",
        help="BCP 47 language tag of the values (default: und, unknown)",
    )
    parser.add_argument(
        "--tsv",
        action="store_true",
        help=r"read value<TAB>field<TAB>lang lines with \t \n \\ escapes, \N = none",
    )
    parser.add_argument(
        "--explain",
        action="store_true",
        help="show the rule behind each changed word and why a result is uncertain",
    )


def run_format(
    args: argparse.Namespace,
    stdin: TextIO,
    stdout: TextIO,
    stderr: TextIO | None = None,
) -> int:
    """Format every line of `stdin` onto `stdout`; return the exit code.

    Returns 0, or 2 when some line could not be read; such a line is named
    on `stderr` (default: the process's standard error) and copied unchanged.
    """
    errors = sys.stderr if stderr is None else stderr
    status = EXIT_OK
    for number, line in enumerate(stdin, start=1):
        text = line[:-1] if line.endswith("\n") else line
        try:
            value, field, lang = _read(text, args)
        except BadLineError as error:
            errors.write(f"b24names format: line {number}: {error}; copied unchanged\n")
            stdout.write(_unchanged(text, args.tsv) + "\n")
            status = EXIT_BAD_INPUT
            continue
        stdout.write(_render(value, field, lang, args))
    return status


def _read(text: str, args: argparse.Namespace) -> tuple[str | None, NameField, str]:
    """The value, field and language a line asks for."""
    if not args.tsv:
        return text, NameField(args.field), args.lang
    columns = text.split("\t")
    if len(columns) != _TSV_COLUMNS:
        raise BadLineError(
            f"expected value, field and language separated by tabs,"
            f" found {len(columns)} column(s)"
        )
    value, field, lang = columns
    if field not in _FIELD_VALUES:
        raise BadLineError(f"unknown field {field!r} (expected one of {_FIELDS})")
    return decode_field(value), NameField(field), lang


def _unchanged(text: str, tsv: bool) -> str:
    """What a bad line contributes to the output: its value column as read."""
    return text.split("\t", 1)[0] if tsv else text


def _render(
    value: str | None, field: NameField, lang: str, args: argparse.Namespace
) -> str:
    if not args.explain:
        formatted = format_name(value, field, lang)
        return (encode_field(formatted) if args.tsv else formatted or "") + "\n"
    return _explanation(explain_name(value, field, lang))


def _explanation(result: NameResult) -> str:
    """The value's line, then one indented line per changed word and per doubt."""
    lines = [encode_field(result.value)]
    lines.extend(
        f"  {encode_field(word.original)} -> {encode_field(word.result)}  [{word.rule}]"
        for word in result.words
    )
    lines.extend(f"  uncertain: {reason}" for reason in result.reasons)
    return "\n".join(lines) + "\n"
