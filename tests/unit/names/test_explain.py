"""Explanations: the rule behind each changed word, and doubts named by rule."""

import pytest

from domain.names import NameField, WordDecision, explain_name

FIRST, LAST = NameField.FIRST, NameField.LAST


def test_each_changed_word_names_its_rule_and_how_it_was_typed() -> None:
    result = explain_name("MCDONALD van der berg", LAST, "nl")

    assert result.value == "McDonald van der Berg"
    assert [word.original for word in result.words] == ["MCDONALD", "berg"]
    assert result.words[0].rule.startswith("mc-prefix: ")
    assert result.words[0].rule.endswith("word was all upper case")
    assert result.words[1].rule.startswith("title: ")


def test_a_lowered_particle_is_explained_as_a_particle() -> None:
    result = explain_name("VAN DER BERG", LAST, "nl")

    assert result.words[0] == WordDecision(
        original="VAN",
        result="van",
        rule="particle: particle written lower case in this position;"
        " word was all upper case",
    )


def test_a_tidy_value_has_no_word_decisions_and_no_doubts() -> None:
    result = explain_name("Anna Schmidt", FIRST, "de")

    assert result.value == "Anna Schmidt"
    assert result.words == ()
    assert not result.uncertain
    assert result.reasons == ()


def test_a_certain_repair_is_not_marked_uncertain() -> None:
    result = explain_name("MARIA", FIRST, "es")

    assert result.value == "Maria"
    assert not result.uncertain


def test_doubts_are_found_by_rule_not_by_name() -> None:
    made_up = explain_name("DETRAVIS", FIRST, "en")

    assert made_up.value == "Detravis"
    assert made_up.uncertain
    assert "inner capital" in made_up.reasons[0]


def test_an_ascii_capital_i_in_turkish_is_lowered_to_i_and_marked_uncertain() -> None:
    result = explain_name("KADIR", FIRST, "tr")

    assert result.value == "Kadir"
    assert result.uncertain


def test_whitespace_only_changes_are_not_word_decisions() -> None:
    result = explain_name("  Anna   Maria ", FIRST, "en")

    assert result.value == "Anna Maria"
    assert result.words == ()


def test_missing_value_explains_as_missing_and_certain() -> None:
    result = explain_name(None, LAST, "en")

    assert result.value is None
    assert not result.uncertain
    assert result.words == ()


def test_a_field_given_as_its_string_value_is_understood() -> None:
    assert explain_name("DE VRIES", "last", "nl").value == "de Vries"  # type: ignore[arg-type]


ORDINARY_NAMES = [
    *(
        (name, FIRST, "en")
        for name in (
            "daniel", "david", "dennis", "leonard", "laura", "diana", "deborah",
            "desmond", "leslie", "declan", "daphne", "delaney", "lawrence",
        )
    ),
    *((name, LAST, "en") for name in ("smith", "johnson", "delgado", "o'brien")),
    ("daniel", FIRST, "und"),
    ("иванов", LAST, "ru"),
    ("сергеевна", NameField.MIDDLE, "ru"),
    ("garcía", LAST, "es"),
    ("garcía lópez", LAST, "es"),
    ("müller", LAST, "de"),
    ("karl-heinz", FIRST, "de"),
    ("dupont", LAST, "fr"),
    ("rossi", LAST, "it"),
    ("kowalski", LAST, "pl"),
    ("παπαδοπουλος", LAST, "el"),
    ("nguyễn", LAST, "vi"),
    ("öztürk", LAST, "tr"),
    ("van der berg", LAST, "nl"),
    ("mcdonald", LAST, "en"),
]  # fmt: skip


@pytest.mark.parametrize(("value", "field", "lang"), ORDINARY_NAMES)
def test_ordinary_names_in_capitals_or_lower_case_are_certain(
    value: str, field: NameField, lang: str
) -> None:
    lower, upper = (
        explain_name(value, field, lang),
        explain_name(value.upper(), field, lang),
    )

    assert (lower.reasons, upper.reasons) == ((), ())
    assert not lower.uncertain
    assert not upper.uncertain


# Values of each ambiguous shape that are not corpus rows: doubts follow rules.
AMBIGUOUS_SHAPES = [
    ("LAFLEUR", LAST, "en", "inner capital"),
    ("DAQUAN", FIRST, "und", "inner capital"),
    ("MACLEAN-SMITH", LAST, "en", "both spellings"),
    ("Mcgrath", LAST, "en", "typed with a lower-case stem"),
    ("VAN HALEN", LAST, "en", "English usage"),
    ("AL-RASHID", LAST, "ar-Latn", "Arabic"),
    ("ZA'NIYAH", FIRST, "en", "apostrophe"),
    ("DAL LAGO", LAST, "it", "Italian"),
    ("D'ARTOIS", LAST, "fr", "d' at the start"),
    ("KIRAZ", FIRST, "tr", "capital I"),
    ("unknown", LAST, "en", "placeholder"),
    ("ｍａｒｙ", FIRST, "en", "full-width"),
    ("ᲜᲘᲜᲝ", FIRST, "ka", "Mtavruli"),
    ("anna\u00adlena", FIRST, "de", "soft hyphen"),
    ("anna – lena", FIRST, "de", "between spaces"),
    ("\u2060olga", FIRST, "ru", "zero-width"),
    ("李\u3000娜", FIRST, "zh", "ideographic space"),
    ("A B", FIRST, "en", "one-letter words"),
    ("danah boyd", LAST, "en", "all-lower surname"),
]


@pytest.mark.parametrize(("value", "field", "lang", "reason"), AMBIGUOUS_SHAPES)
def test_each_ambiguous_shape_is_uncertain_wherever_it_occurs(
    value: str, field: NameField, lang: str, reason: str
) -> None:
    result = explain_name(value, field, lang)

    assert result.uncertain
    assert any(reason in found for found in result.reasons), result.reasons
