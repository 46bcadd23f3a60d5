"""`b24names format` over in-memory streams, and the TSV field convention."""

import argparse
import io

from hypothesis import given
from hypothesis import strategies as st

from entrypoints.format_command import add_format_arguments, run_format
from entrypoints.tsv import decode_field, encode_field
from tests.unit.names.corpus import CORPUS, documented_result


def _run(stdin: str, *options: str) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser()
    add_format_arguments(parser)
    args = parser.parse_args(list(options))
    stdout, stderr = io.StringIO(), io.StringIO()

    status = run_format(args, io.StringIO(stdin), stdout, stderr)

    return status, stdout.getvalue(), stderr.getvalue()


def test_plain_lines_are_formatted_one_output_line_per_input_line() -> None:
    status, out, err = _run("JOHN\n\nmary-jane\n  \n")

    assert (status, out, err) == (0, "John\n\nMary-Jane\n\n", "")


def test_field_and_language_options_apply_to_every_line() -> None:
    status, out, _ = _run("VAN DER BERG\nDE VRIES", "--field", "last", "--lang", "nl")

    assert status == 0
    assert out == "van der Berg\nde Vries\n"


def test_defaults_are_first_name_and_unknown_language() -> None:
    _, out, _ = _run("ilker\njj\n")

    assert out == "Ilker\nJJ\n"


def test_tsv_lines_carry_their_own_field_and_language() -> None:
    stdin = (
        "ilker\tfirst\ttr\n"
        "VAN DAMME\tlast\tnl-BE\n"
        "\\N\tlast\ten\n"
        "\\tivan\\n\tfirst\ten\n"
    )

    status, out, _ = _run(stdin, "--tsv")

    assert status == 0
    assert out == "İlker\nVan Damme\n\\N\nIvan\n"


def test_a_bad_tsv_line_is_reported_by_number_and_copied_unchanged() -> None:
    stdin = "JOHN\tfirst\ten\nSMITH\tsurname\ten\nnot a tsv line\nMARY\tfirst\ten\n"

    status, out, err = _run(stdin, "--tsv")

    assert status == 2
    assert out == "John\nSMITH\nnot a tsv line\nMary\n"
    assert "line 2: unknown field 'surname'" in err
    assert "line 3: expected value, field and language" in err


def test_explain_lists_changed_words_and_doubts_under_each_value() -> None:
    status, out, _ = _run(
        "ORTEGA Y GASSET\nAnna\n", "--explain", "--field", "last", "--lang", "es"
    )

    assert status == 0
    assert out.splitlines() == [
        "Ortega y Gasset",
        "  ORTEGA -> Ortega  [title: first letter capital, the rest lower case;"
        " word was all upper case]",
        "  Y -> y  [particle: particle written lower case in this position;"
        " one capital letter]",
        "  GASSET -> Gasset  [title: first letter capital, the rest lower case;"
        " word was all upper case]",
        "Anna",
    ]


def test_explain_marks_uncertain_results_with_their_reasons() -> None:
    _, out, _ = _run("MACKENZIE\n", "--explain", "--field", "last", "--lang", "en-GB")

    assert out.splitlines()[0] == "MacKenzie"
    assert out.splitlines()[-1] == (
        "  uncertain: Mac + capital chosen for a surname common in both spellings"
    )


def test_tsv_over_the_corpus_reproduces_the_expected_column() -> None:
    stdin = "".join(f"{row.raw_value}\t{row.field}\t{row.lang}\n" for row in CORPUS)

    status, out, _ = _run(stdin, "--tsv")

    assert status == 0
    assert out.split("\n")[:-1] == [
        encode_field(documented_result(row)) for row in CORPUS
    ]


def test_decoding_reads_escapes_and_the_missing_marker() -> None:
    assert decode_field("\\N") is None
    assert decode_field("a\\tb\\nc\\\\d\\re") == "a\tb\nc\\d\re"
    assert decode_field("x\\N") == "x\\N"
    assert decode_field("trailing\\") == "trailing\\"


def test_encoding_escapes_what_would_break_a_line() -> None:
    assert encode_field(None) == "\\N"
    assert encode_field("a\tb\nc\\d") == "a\\tb\\nc\\\\d"
    assert encode_field("\\N") == "\\\\N"


@given(st.none() | st.text())
def test_decoding_an_encoded_field_gives_the_value_back(value: str | None) -> None:
    encoded = encode_field(value)

    assert "\t" not in encoded
    assert "\n" not in encoded
    assert "\r" not in encoded
    assert decode_field(encoded) == value
