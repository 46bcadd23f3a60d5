"""Properties that hold for any text: only case and whitespace ever change.

How "only case and whitespace" is checked: the input is first normalised the
way the rules promise (zero-width space, word joiner and BOM dropped, then
`str.split()` whitespace collapsed to single spaces and trimmed). The output
must then have exactly as many characters, and each output character must
match the input character at the same place under a case-insensitive key:
`str.casefold()`, except that I, i, dotted İ and dotless ı share one key.
Casefolding maps `ß` and `ẞ` to "ss" and final `ς` to `σ`, so keeping `ß`
and choosing the final sigma pass, while any added, dropped, replaced or
reordered character fails.
"""

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.names import NameField, explain_name, format_name

LANGS = [
    None, "", "und", "en", "en-GB", "ru", "uk", "tr", "az", "nl", "nl-BE", "de",
    "es", "pt-BR", "fr", "ca", "ga", "cy", "it", "sv", "zh-Hant", "ko",
    "ar-Latn", "el", "x-weird_TAG-123",
]  # fmt: skip
DROPPED = "\u200b\u2060\ufeff"
I_FAMILY = frozenset("Iiİı")

LATIN = "abcdeijlmnorstuvyzACDEIJLMNORSTVYZßẞıİǆǅǄĳĲçğşéÉñÑøØœŒ"
CYRILLIC = "абвгдеёжиклмнопрстуьяАБВГДЕЁЖИКЛМНОПРСТЯїЇўЎљЉ"
GREEK = "αβγδεικλμνοπρσςτυωΑΒΓΔΕΙΚΛΜΝΟΠΡΣΤΥΩάίΊΐ"
OTHER_CASED = "աբգԱԲԳაბგᲐᲑᲒ"
MARKS = "-‐‑–/'’ʼ`´ʻ.·\u00ad\u0301\u0307 \t\u00a0\u2009\u3000\u200b\ufeff0123\"(😀"
NAME_LIKE = st.text(
    alphabet=st.sampled_from(LATIN + CYRILLIC + GREEK + OTHER_CASED + MARKS),
    max_size=30,
)
CASELESS = st.text(
    alphabet=st.sampled_from("محمدעברית山田太郎김민준देवनागरीสมชาย -'.0123 \t\u3000"),
    max_size=30,
)
FIELDS = st.sampled_from(list(NameField))
LANG = st.sampled_from(LANGS)
ANY_TEXT = st.text(max_size=40)


def normalised(value: str) -> str:
    for char in DROPPED:
        value = value.replace(char, "")
    return " ".join(value.split())


def case_key(char: str) -> str:
    return "i" if char in I_FAMILY else char.casefold()


def differs_only_in_case(before: str, after: str) -> bool:
    expected = normalised(before)
    return len(after) == len(expected) and all(
        case_key(old) == case_key(new) for old, new in zip(expected, after, strict=True)
    )


@settings(max_examples=300)
@given(value=ANY_TEXT | NAME_LIKE, field=FIELDS, lang=LANG)
def test_formatting_twice_gives_the_same_as_once(
    value: str, field: NameField, lang: str | None
) -> None:
    once = format_name(value, field, lang)

    twice = format_name(once, field, lang)

    assert twice == once


@settings(max_examples=300)
@given(value=ANY_TEXT | NAME_LIKE, field=FIELDS, lang=LANG)
def test_only_letter_case_and_whitespace_change(
    value: str, field: NameField, lang: str | None
) -> None:
    result = format_name(value, field, lang)

    assert result is not None
    assert differs_only_in_case(value, result)


@settings(max_examples=200)
@given(value=CASELESS, field=FIELDS, lang=LANG)
def test_caseless_scripts_come_back_unchanged(
    value: str, field: NameField, lang: str | None
) -> None:
    result = format_name(value, field, lang)

    assert result == normalised(value)


@settings(max_examples=200)
@given(value=ANY_TEXT | NAME_LIKE, field=FIELDS, lang=LANG)
def test_explaining_gives_the_same_value_as_formatting(
    value: str, field: NameField, lang: str | None
) -> None:
    explained = explain_name(value, field, lang)

    assert explained.value == format_name(value, field, lang)
    assert explained.uncertain == bool(explained.reasons)
    assert all(word.original != word.result for word in explained.words)


@given(field=FIELDS, lang=LANG)
def test_missing_value_stays_missing(field: NameField, lang: str | None) -> None:
    assert format_name(None, field, lang) is None
    assert explain_name(None, field, lang).value is None


@settings(max_examples=100)
@given(value=ANY_TEXT, field=FIELDS, lang=st.text(max_size=12))
def test_any_language_tag_is_accepted(value: str, field: NameField, lang: str) -> None:
    result = format_name(value, field, lang)

    assert result is not None
