"""Every corpus row gives its expected (or, if ambiguous, documented) result."""

import pytest

from domain.names import explain_name, format_name
from tests.unit.names.corpus import CORPUS, CorpusRow, documented_result

CERTAIN_ROWS = [row for row in CORPUS if not row.ambiguous]
AMBIGUOUS_ROWS = [row for row in CORPUS if row.ambiguous]


def _ids(rows: list[CorpusRow]) -> list[str]:
    return [row.id for row in rows]


def test_corpus_has_rows_of_both_kinds(corpus: list[CorpusRow]) -> None:
    assert len(corpus) > 150
    assert CERTAIN_ROWS
    assert AMBIGUOUS_ROWS


@pytest.mark.parametrize("row", CERTAIN_ROWS, ids=_ids(CERTAIN_ROWS))
def test_certain_row_gives_the_expected_value(row: CorpusRow) -> None:
    result = format_name(row.value, row.field, row.lang)

    assert result == row.expected


@pytest.mark.parametrize("row", AMBIGUOUS_ROWS, ids=_ids(AMBIGUOUS_ROWS))
def test_ambiguous_row_gives_the_documented_value(row: CorpusRow) -> None:
    result = format_name(row.value, row.field, row.lang)

    assert result == documented_result(row)


@pytest.mark.parametrize("row", AMBIGUOUS_ROWS, ids=_ids(AMBIGUOUS_ROWS))
def test_ambiguous_row_is_reported_uncertain_with_a_reason(row: CorpusRow) -> None:
    result = explain_name(row.value, row.field, row.lang)

    assert result.uncertain
    assert result.reasons
    assert result.value == documented_result(row)


@pytest.mark.parametrize("row", CORPUS, ids=_ids(CORPUS))
def test_every_row_is_already_tidy_once_formatted(row: CorpusRow) -> None:
    once = format_name(row.value, row.field, row.lang)

    twice = format_name(once, row.field, row.lang)

    assert twice == once
