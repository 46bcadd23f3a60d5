"""The shortcut for plain values decides exactly as the engine does, or not at all."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.names import NameField
from domain.names.engine import format_words
from domain.names.languages import profile_for
from domain.names.plain import format_plain
from domain.names.text import tidy_space
from tests.unit.names.corpus import CORPUS
from tests.unit.names.test_properties import LANGS

LETTERS = (
    "abcdeijlmnorstuvyzäéñøçğşčžłőȘșǆǅǄĳ"
    "абвгдеёжиклмнопрстуьяїўљ"
    "αβγδεικλμνοπρστυωάίσς"
    "աբգდ"
)
SYLLABLE = st.text(alphabet=st.sampled_from(LETTERS), min_size=1, max_size=6)
CASES = st.sampled_from([str.upper, str.lower, str.title, str.swapcase, str])
WORD = st.builds(
    lambda parts, case: case("-".join(parts)),
    st.lists(SYLLABLE, min_size=1, max_size=3),
    CASES,
)
VALUE = st.lists(WORD, min_size=1, max_size=4).map(" ".join)


def _agrees(text: str, field: NameField, lang: str | None) -> bool:
    profile = profile_for(lang)
    shortcut = format_plain(text, field, profile)
    return shortcut is None or shortcut == format_words(text, field, profile)


@settings(max_examples=400)
@given(value=VALUE, field=st.sampled_from(list(NameField)), lang=st.sampled_from(LANGS))
def test_the_shortcut_agrees_with_the_engine_on_generated_words(
    value: str, field: NameField, lang: str | None
) -> None:
    assert _agrees(value, field, lang)


def test_the_shortcut_agrees_with_the_engine_on_every_corpus_row_and_language() -> None:
    texts = {tidy_space(row.value) for row in CORPUS if row.value}
    texts |= {text.swapcase() for text in texts}

    disagreements = [
        (text, field, lang)
        for text in texts - {""}
        for field in NameField
        for lang in LANGS
        if not _agrees(text, field, lang)
    ]

    assert disagreements == []


@pytest.mark.parametrize(
    ("value", "field", "lang", "expected"),
    [
        ("JOHN", NameField.FIRST, "en", "John"),
        ("ИВАНОВ ПЕТР", NameField.LAST, "ru", "Иванов Петр"),
        ("mary-jane", NameField.FIRST, None, "Mary-Jane"),
        ("jOHN Smith", NameField.FIRST, "en", "John Smith"),
        ("ΚΩΣΤΑΣ", NameField.FIRST, "el", "Κωστας"),
        ("ÖZTÜRK", NameField.LAST, "tr", "Öztürk"),
        ("山田 太郎", NameField.LAST, "ja", "山田 太郎"),
    ],
)
def test_common_values_take_the_shortcut(
    value: str, field: NameField, lang: str | None, expected: str
) -> None:
    assert format_plain(value, field, profile_for(lang)) == expected


@pytest.mark.parametrize(
    "value", ["VAN DYKE", "MCDONALD", "O'NEILL", "J.R.", "IVAN", "ANNA MARIA Y"]
)
def test_values_that_need_other_rules_are_left_to_the_engine(value: str) -> None:
    assert format_plain(value, NameField.LAST, profile_for("tr")) is None
