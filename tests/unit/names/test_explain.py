"""Explanations: the rule behind each changed word, and doubts named by rule."""

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
    made_up = explain_name("DEMARCO", FIRST, "en")

    assert made_up.value == "Demarco"
    assert made_up.uncertain
    assert "inner capital" in made_up.reasons[0]


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
