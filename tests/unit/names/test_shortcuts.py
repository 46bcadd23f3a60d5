"""Shortcuts inside the engine decide exactly as its general rules do."""

from hypothesis import example, given, settings
from hypothesis import strategies as st

from domain.names import NameField
from domain.names.engine import decide, format_words, repair_word, word_facts
from domain.names.languages import profile_for
from domain.names.roles import Role, assign_roles, role_key, roles_by_shape
from domain.names.text import Script, tidy_space
from domain.names.words import _classify, _classify_letters
from tests.unit.names.test_properties import LANGS

# Plain letters (one-to-one case pairs) of Latin, Cyrillic, Greek and Armenian.
PLAIN = "abcdeijlmnorsuyzäéñøçğşčžłőșабвгдеёжиклмнопрстуьяїўљαβγδεικλμνοπρστυωάίςաբգ"
PLAIN_LETTERS = PLAIN + PLAIN.upper()
# Characters that take the general path: special letters, digits, apostrophes,
# dots, hyphens, combining marks, title-case digraphs and uncased letters.
OTHER = "ßẞİıǅǆ0'’.-\u0301ʻ山ᏣᎳ"

PLAIN_WORD = st.text(alphabet=st.sampled_from(PLAIN_LETTERS), min_size=1, max_size=9)
ANY_WORD = st.text(
    alphabet=st.sampled_from(PLAIN_LETTERS + OTHER), min_size=1, max_size=9
)
FIELDS = st.sampled_from(list(NameField))
LANG = st.sampled_from(LANGS)


@settings(max_examples=400)
@given(word=PLAIN_WORD)
def test_a_word_of_plain_letters_is_read_as_letter_by_letter(word: str) -> None:
    at_once = _classify(word, 0, len(word))

    one_by_one = _classify_letters(word, 0, len(word))

    assert at_once == one_by_one


@settings(max_examples=200)
@given(head=PLAIN_WORD, part=PLAIN_WORD, tail=PLAIN_WORD)
def test_a_part_of_plain_letters_is_read_as_letter_by_letter(
    head: str, part: str, tail: str
) -> None:
    word = f"{head}-{part}-{tail}"
    start = len(head) + 1

    at_once = _classify(word, start, start + len(part))

    assert at_once == _classify_letters(word, start, start + len(part))


@settings(max_examples=300)
@given(word=ANY_WORD, field=FIELDS, lang=LANG)
@example(word="MACDONALD", field=NameField.LAST, lang="en")
@example(word="ijsbrand", field=NameField.FIRST, lang="nl")
@example(word="DeSHAWN", field=NameField.FIRST, lang="en")
@example(word="İSMAİL", field=NameField.FIRST, lang="tr")
@example(word="ISMAIL", field=NameField.FIRST, lang="az")
def test_a_precomputed_title_is_what_the_name_rules_give(
    word: str, field: NameField, lang: str | None
) -> None:
    profile = profile_for(lang)
    title = word_facts(word, profile.turkic).title

    repaired, rule = repair_word(word, Role.NAME, field, profile, None)

    assert title is None or (title, rule) == (repaired, Role.NAME.value)


@settings(max_examples=300)
@given(word=ANY_WORD, field=FIELDS, lang=LANG)
def test_a_word_alone_in_its_field_is_formatted_as_the_full_decision_gives(
    word: str, field: NameField, lang: str | None
) -> None:
    profile = profile_for(lang)
    decided = decide([word], field, profile).results[0]

    formatted = format_words(word, field, profile)

    assert formatted == decided


def test_plain_names_have_a_precomputed_title_and_prefixed_ones_do_not() -> None:
    titles = {word: word_facts(word, False).title for word in ("IVAN", "McDONALD")}

    assert titles == {"IVAN": "Ivan", "McDONALD": None}


# Particles, numerals, elided and two-letter words, and plain names.
PARTICLES = ["de", "la", "van", "der", "y", "und", "von", "zu", "оглы", "фон"]
OTHER_KEYS = ["iii", "ii", "d'arc", "o'neil", "'t", "jj", "tj", "ng", "ana", "иван"]
KEYS = st.sampled_from([*PARTICLES, *OTHER_KEYS])
SCRIPTS = st.sampled_from([Script.LATIN, Script.CYRILLIC, Script.GREEK])


@settings(max_examples=300)
@given(
    words=st.lists(st.tuples(KEYS, SCRIPTS), min_size=1, max_size=5),
    field=FIELDS,
    lang=LANG,
)
def test_roles_read_from_the_shape_of_a_field_are_the_roles_of_its_words(
    words: list[tuple[str, Script]], field: NameField, lang: str | None
) -> None:
    keys, scripts = [key for key, _ in words], tuple(script for _, script in words)
    profile = profile_for(lang)
    shape = tuple(role_key(key) for key in keys)

    by_shape = roles_by_shape(shape, scripts, field, profile)

    assert list(by_shape) == assign_roles(keys, scripts, field, profile)


@settings(max_examples=300)
@given(
    value=st.text(
        alphabet=st.sampled_from("ab \t\n\u00a0\u3000\u200b\ufeff\u200d\u00ad")
    )
)
def test_tidying_whitespace_agrees_with_splitting_on_it(value: str) -> None:
    without_zero_width = value.replace("\u200b", "").replace("\ufeff", "")

    tidied = tidy_space(value)

    assert tidied == " ".join(without_zero_width.split())
