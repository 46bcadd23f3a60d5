"""When a rule decided something that careful people decide differently.

Each check names a rule, never a person's name: it looks at the shape of the
input and at what the rules did, and returns a reason or None.
"""

import re
from collections.abc import Callable

from domain.names.engine import Decision
from domain.names.fields import NameField
from domain.names.languages import ANY_LEADING_PARTICLE, DEFAULT_LATIN, LanguageProfile
from domain.names.lexicon import (
    APOSTROPHE_PREFIXES,
    ARABIC_ARTICLES,
    ARABIC_NASAB,
    INNER_CAPITAL_PREFIXES,
    ITALIAN_TOPONYMIC,
    MAC_STEMS,
    MAC_STEMS_BOTH_WAYS,
    PLACEHOLDERS,
)
from domain.names.roles import Role
from domain.names.text import (
    PART_SEPARATORS,
    Script,
    has_zero_width,
    part_spans,
)
from domain.names.words import State

_FULLWIDTH_RE = re.compile("[\uff21-\uff3a\uff41-\uff5a]")
_MTAVRULI_RE = re.compile("[\u1c90-\u1cbf]")
_TYPED_MC_RE = re.compile(r"(?:Mc|Mac)([a-z]+)")
_ONE_LETTER_RE = re.compile(r"[^\W\d_]")
_LATE_APOSTROPHE_RE = re.compile(r"([a-z]{2,})'[a-z]")
# De, Da, Di, La, Le, then a stem that opens with a consonant cluster that
# starts a syllable (Br, Fl, Sh, Qu, ...) and has two more letters: LeBron,
# DeShawn, LaFleur, DaQuan. Ordinary names that merely start like a prefix
# continue otherwise (Daniel, Deborah, Leonard, Dennis), and s-clusters and
# ch, ph, th are left out because ordinary names have them there (Desmond,
# Leslie, Lachlan, Daphne). DeMarco-like names are missed on purpose: their
# spelling is the spelling of Daniel.
_INNER_CAPITAL_RE = re.compile(
    f"(?:{'|'.join(INNER_CAPITAL_PREFIXES)})"
    r"(?:[bcdfgkpt]r|[bfgkp]l|sh|qu)[^\W\d_]{2,}"
)

Check = Callable[[str, Decision, NameField, LanguageProfile], str | None]


def find_doubts(
    value: str, decision: Decision, field: NameField, profile: LanguageProfile
) -> tuple[str, ...]:
    """Reasons why the formatted value may not be what the person meant."""
    found = (check(value, decision, field, profile) for check in _CHECKS)
    return tuple(reason for reason in found if reason)


def _changed(decision: Decision) -> list[int]:
    return [
        index
        for index, (word, result) in enumerate(
            zip(decision.words, decision.results, strict=True)
        )
        if word != result
    ]


def _latin_changed(decision: Decision) -> list[int]:
    latin = Script.LATIN
    return [i for i in _changed(decision) if decision.facts[i].script is latin]


def _zero_width(value: str, *_: object) -> str | None:
    if has_zero_width(value):
        return "zero-width characters were dropped; they are not whitespace"
    return None


def _ideographic_space(value: str, *_: object) -> str | None:
    if "\u3000" in value:
        return "an ideographic space was collapsed to a plain space"
    return None


def _placeholder(value: str, *_: object) -> str | None:
    if value.strip().casefold() in PLACEHOLDERS:
        return "the value looks like a placeholder for a missing name"
    return None


def _soft_hyphen(_: str, decision: Decision, *__: object) -> str | None:
    if any("\u00ad" in decision.words[index] for index in _changed(decision)):
        return "a soft hyphen does not start a new part, so no capital follows it"
    return None


def _lone_hyphen(_: str, decision: Decision, *__: object) -> str | None:
    inner = decision.words[1:-1]
    if any(word and not word.strip(PART_SEPARATORS) for word in inner):
        return "a hyphen between spaces is kept apart; the words are not joined"
    return None


def _fullwidth(_: str, decision: Decision, *__: object) -> str | None:
    changed = _changed(decision)
    if any(_FULLWIDTH_RE.search(decision.words[index]) for index in changed):
        return "full-width letters keep their width; only their case changed"
    return None


def _mtavruli(_: str, decision: Decision, *__: object) -> str | None:
    if any(_MTAVRULI_RE.search(decision.words[index]) for index in _changed(decision)):
        return "all-capital Georgian (Mtavruli) was lowered to Mkhedruli"
    return None


def _typed_mc(_: str, decision: Decision, field: NameField, *__: object) -> str | None:
    for word, facts in zip(decision.words, decision.facts, strict=True):
        tidy = facts.plan.state is State.TIDY
        match = _TYPED_MC_RE.fullmatch(word) if tidy else None
        if match is None:
            continue
        mac = field is NameField.LAST and match.group(1) in MAC_STEMS
        if word.startswith("Mc") or mac:
            return "a Mc or Mac name typed with a lower-case stem is kept as typed"
    return None


def _mac_both_ways(_: str, decision: Decision, *__: object) -> str | None:
    for index in _latin_changed(decision):
        if decision.rules[index] != "mac-prefix":
            continue
        key = decision.keys[index]
        stems = (
            key[start + 3 : end]
            for start, end in part_spans(key)
            if key.startswith("mac", start)
        )
        if any(stem in MAC_STEMS_BOTH_WAYS for stem in stems):
            return "Mac + capital chosen for a surname common in both spellings"
    return None


def _inner_capital(
    _: str, decision: Decision, field: NameField, profile: LanguageProfile
) -> str | None:
    if field is NameField.MIDDLE or profile.language not in ("en", "und"):
        return None
    for index in _latin_changed(decision):
        # A shouted tail (DeSHAWN) kept its typed inner capital.
        shouted = decision.facts[index].plan.state is State.FIX
        if not shouted and _INNER_CAPITAL_RE.fullmatch(decision.keys[index]):
            return (
                "all-capital or all-lower input hides an inner capital"
                " (De, Da, Di, La, Le before a syllable such as Br, Sh, Qu)"
            )
    return None


def _single_letters(
    _: str, decision: Decision, field: NameField, *__: object
) -> str | None:
    if field is not NameField.FIRST:
        return None
    parts = [
        result[start:end]
        for result in decision.results
        for start, end in part_spans(result)
    ]
    if sum(1 for part in parts if _ONE_LETTER_RE.fullmatch(part)) >= 2:
        return "one-letter words in a given name are kept as capital initials"
    return None


def _apostrophe(
    _: str, decision: Decision, __: NameField, profile: LanguageProfile
) -> str | None:
    if profile.language not in ("en", "und"):
        return None
    for index in _latin_changed(decision):
        match = _LATE_APOSTROPHE_RE.search(decision.keys[index])
        if match and match.group(1) not in APOSTROPHE_PREFIXES:
            return (
                "no capital after an apostrophe that follows a part other than"
                " O', D', L', N', Dell' or Dall'"
            )
    return None


def _elided_at_start(_: str, decision: Decision, *__: object) -> str | None:
    if decision.roles and decision.roles[0] is Role.ELIDED:
        return "d' at the start of a last name is lower, as after a given name"
    return None


def _italian_toponymic(
    _: str, decision: Decision, field: NameField, profile: LanguageProfile
) -> str | None:
    if not profile.italian or field is not NameField.LAST:
        return None
    if any(key in ITALIAN_TOPONYMIC for key in decision.keys[:-1]):
        return (
            "Italian da or dal keeps its modern capital; historic names write it lower"
        )
    return None


def _english_particle(
    _: str, decision: Decision, field: NameField, profile: LanguageProfile
) -> str | None:
    if not profile.english or field is not NameField.LAST:
        return None
    if any(key in DEFAULT_LATIN.connectors for key in decision.keys[:-1]):
        return "English usage capitalises the particle; other usages write it lower"
    return None


def _arabic(_: str, decision: Decision, *__: object) -> str | None:
    last = len(decision.words) - 1
    for index in _latin_changed(decision):
        # Both kinds of change count: a capital kept or a particle lowered.
        key = decision.keys[index]
        article = key.partition("-")[0] in ARABIC_ARTICLES and "-" in key
        if article or (index < last and key in ARABIC_NASAB):
            return "Arabic articles and particles are cased differently by style guides"
    return None


def _turkish_ascii_i(
    _: str, decision: Decision, __: NameField, profile: LanguageProfile
) -> str | None:
    if not profile.turkic:
        return None
    for index in _changed(decision):
        word, result = decision.words[index], decision.results[index]
        if word.isascii() and any(
            typed == "I" and made == "i"
            for typed, made in zip(word, result, strict=True)
        ):
            return "a capital I typed without Turkish letters was lowered to i, not ı"
    return None


def _all_lower_surname(
    _: str, decision: Decision, field: NameField, profile: LanguageProfile
) -> str | None:
    # English pen names are sometimes styled all lower case (bell hooks); a
    # whole name typed in lower case into the last-name field may be one.
    english = profile.language in ("en", "und")
    if not english or field is not NameField.LAST or len(decision.words) < 2:
        return None
    if all(facts.plan.state is State.LOWER for facts in decision.facts) and not any(
        key in ANY_LEADING_PARTICLE for key in decision.keys
    ):
        return "an all-lower surname may be the person's own spelling"
    return None


_CHECKS: tuple[Check, ...] = (
    _zero_width,
    _ideographic_space,
    _placeholder,
    _soft_hyphen,
    _lone_hyphen,
    _fullwidth,
    _mtavruli,
    _typed_mc,
    _mac_both_ways,
    _inner_capital,
    _single_letters,
    _apostrophe,
    _elided_at_start,
    _italian_toponymic,
    _english_particle,
    _arabic,
    _turkish_ascii_i,
    _all_lower_surname,
)
