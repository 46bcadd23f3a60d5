"""Formatting one name value, and explaining how it was formatted."""

from dataclasses import dataclass

from domain.names.doubts import find_doubts
from domain.names.engine import TIDY_RE, Decision, decide, format_words
from domain.names.fields import NameField
from domain.names.languages import profile_for
from domain.names.plain import format_plain
from domain.names.text import tidy_space
from domain.names.words import Plan

# What each rule id means, for people reading an explanation.
RULE_WORDS = {
    "title": "first letter capital, the rest lower case",
    "particle": "particle written lower case in this position",
    "elided-particle": "elided d' lower case, capital after the apostrophe",
    "roman-numeral": "generational numeral in capitals",
    "initial-pair": "a given name of two consonants is a pair of initials",
    "initials": "capital after the dot of an initial",
    "mc-prefix": "capital after Mc",
    "mac-prefix": "capital after Mac for a known stem",
    "apostrophe-prefix": "capital after O', D', L', N', Dell' or Dall'",
    "irish-mutation": "prefixed letter lower case, capital after it",
    "dutch-ij": "Dutch IJ capitalised together",
    "connector": "connecting particle lower case between hyphenated parts",
    "east-asian-given": "syllable after the hyphen of a given name lower case",
}


@dataclass(frozen=True, slots=True)
class WordDecision:
    """One changed word: as typed, as formatted, and the rule that decided it."""

    original: str
    result: str
    rule: str


@dataclass(frozen=True, slots=True)
class NameResult:
    """A formatted value with the doubts and word decisions behind it."""

    value: str | None
    uncertain: bool
    reasons: tuple[str, ...]
    words: tuple[WordDecision, ...]


_MISSING = NameResult(value=None, uncertain=False, reasons=(), words=())


def format_name(value: str | None, field: NameField, lang: str | None) -> str | None:
    """`value` with its letter case and whitespace tidied; never raises.

    Only case and whitespace change, and formatting twice gives the same as
    once. None (or anything that is not text) gives None; `lang` is a BCP 47
    tag, None or "" (unknown). `field` may also be its string value; any
    other field is a programming error (ValueError).
    """
    if not isinstance(value, str):
        return None
    if TIDY_RE.fullmatch(value):
        return value
    text = tidy_space(value)
    if not text:
        return text
    field, profile = _as_field(field), profile_for(lang)
    plain = format_plain(text, field, profile)
    return plain if plain is not None else format_words(text, field, profile)


def explain_name(value: str | None, field: NameField, lang: str | None) -> NameResult:
    """The same value as `format_name`, with the rule behind each changed word.

    `uncertain` is True when a rule decided something that has no single
    right answer; `reasons` then says which.
    """
    if not isinstance(value, str):
        return _MISSING
    field = _as_field(field)
    profile = profile_for(lang)
    text = tidy_space(value)
    words = text.split(" ") if text else []

    decision = decide(words, field, profile)
    reasons = find_doubts(value, decision, field, profile)
    return NameResult(
        value=" ".join(decision.results),
        uncertain=bool(reasons),
        reasons=reasons,
        words=_word_decisions(decision),
    )


def _as_field(field: NameField) -> NameField:
    # The rules compare fields by identity; a plain "last" must become the member.
    return field if field.__class__ is NameField else NameField(field)


def _word_decisions(decision: Decision) -> tuple[WordDecision, ...]:
    return tuple(
        WordDecision(original=word, result=result, rule=_describe(rule, facts.plan))
        for word, result, rule, facts in zip(
            decision.words,
            decision.results,
            decision.rules,
            decision.facts,
            strict=True,
        )
        if word != result
    )


def _describe(rule: str, plan: Plan) -> str:
    return f"{rule}: {RULE_WORDS.get(rule, rule)}; {plan.state.value}"
