"""Deciding every word of one field: the core that formatting and explaining share.

Words repeat across names, so what can be decided about a word alone (its
lower case, script and plan) and a word's repair in a given role are cached,
in bounded caches. Nothing below them is cached: a word seen for the first
time pays for two cache entries, not one per helper.
"""

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from domain.names.capitals import apply_capitals, capital_positions
from domain.names.fields import NameField
from domain.names.languages import (
    ANY_LEADING_PARTICLE,
    ANY_TRAILING_PARTICLE,
    LanguageProfile,
)
from domain.names.lexicon import IRISH_FADA_PREFIXES, ROMAN_NUMERALS
from domain.names.roles import Role, assign_roles
from domain.names.text import Script, apostrophes_to_ascii, lower_word, script_of
from domain.names.words import Plan, State, plan_word

_UPPER = "A-ZÀ-ÖØ-ÞА-ЯЁ"
_LOWER = "a-zß-öø-ÿа-яё"
_TITLE_WORD = f"[{_UPPER}][{_LOWER}]+(?:-[{_UPPER}][{_LOWER}]+)*"
# Title-case words of common Latin and Cyrillic letters, single-spaced: no rule
# changes such a value, so it is returned without further work.
TIDY_RE = re.compile(f"{_TITLE_WORD}(?: {_TITLE_WORD})*")

# Words that may take a role other than NAME wherever they stand.
_ROLE_WORDS = ANY_LEADING_PARTICLE | ANY_TRAILING_PARTICLE | ROMAN_NUMERALS
_NUMERAL_ROLES = (Role.ROMAN, Role.INITIAL_PAIR)
_CACHE_SIZE = 32768


class WordFacts(NamedTuple):
    """What is known about a word on its own (a tuple: cheap to build)."""

    low: str
    key: str
    script: Script
    plan: Plan


@dataclass(slots=True)
class Decision:
    """Every word of a field before and after, with what was known about it.

    `keys` are the words in lower case with ASCII apostrophes; `rules` holds
    the id of the rule that repaired each word ("" for a word left alone).
    """

    words: list[str]
    results: list[str]
    facts: list[WordFacts]
    keys: list[str]
    roles: list[Role]
    rules: list[str]


@lru_cache(maxsize=_CACHE_SIZE)
def word_facts(word: str, turkic: bool) -> WordFacts:
    """The lower case, lookup key, script and plan of `word`."""
    low = lower_word(word, turkic, turkic and not word.isascii())
    return WordFacts(low, apostrophes_to_ascii(low), script_of(word), plan_word(word))


def format_words(text: str, field: NameField, profile: LanguageProfile) -> str:
    """Format `text`, which is already whitespace-normalised and not empty."""
    words = text.split(" ")
    facts = [word_facts(word, profile.turkic) for word in words]
    if not any(found.plan.repairs for found in facts):
        return text
    return " ".join(decide(words, field, profile, facts).results)


def decide(
    words: list[str],
    field: NameField,
    profile: LanguageProfile,
    facts: list[WordFacts] | None = None,
) -> Decision:
    """Repair the words whose plan asks for it, in the context of the field."""
    if facts is None:
        facts = [word_facts(word, profile.turkic) for word in words]
    keys = [found.key for found in facts]
    roles = _roles(keys, facts, field, profile)
    decision = Decision(words, list(words), facts, keys, roles, [""] * len(words))

    states = [found.plan.state for found in facts]
    irish = profile.irish or not IRISH_FADA_PREFIXES.isdisjoint(keys)
    kept = _typed_particles(keys, states)
    chosen = [
        i for i, found in enumerate(facts) if found.plan.repairs and i not in kept
    ]
    _repair(decision, chosen, field, profile, irish)
    if State.SINGLE in states and _shouts(decision, states):
        singles = [i for i, state in enumerate(states) if state is State.SINGLE]
        _repair(decision, singles, field, profile, irish)
    return decision


def _roles(
    keys: list[str],
    facts: list[WordFacts],
    field: NameField,
    profile: LanguageProfile,
) -> list[Role]:
    pairs = field is NameField.FIRST and profile.initial_pairs
    elided = field is NameField.LAST and bool(profile.latin.elided)
    if pairs or elided or not _ROLE_WORDS.isdisjoint(keys):
        scripts = [found.script for found in facts]
        return assign_roles(keys, scripts, field, profile)
    return [Role.NAME] * len(keys)


def _typed_particles(keys: list[str], states: list[State]) -> set[int]:
    """Lower-case particles typed beside deliberately cased words stay as typed."""
    if State.TIDY not in states or _ROLE_WORDS.isdisjoint(keys):
        return set()
    last = len(keys) - 1
    return {
        index
        for index, (key, state) in enumerate(zip(keys, states, strict=True))
        if state is State.LOWER
        and (
            (index < last and key in ANY_LEADING_PARTICLE)
            or (index > 0 and key in ANY_TRAILING_PARTICLE)
        )
    }


def _shouts(decision: Decision, states: list[State]) -> bool:
    """Whether some word was typed in capitals that it does not keep."""
    return any(
        state in (State.UPPER, State.FIX) and result != word
        for word, result, state in zip(
            decision.words, decision.results, states, strict=True
        )
    )


def _repair(
    decision: Decision,
    indices: list[int],
    field: NameField,
    profile: LanguageProfile,
    irish: bool,
) -> None:
    """Repair the words at `indices` in place."""
    words, roles, facts = decision.words, decision.roles, decision.facts
    for index in indices:
        after = facts[index - 1].key if irish and index > 0 else None
        result, rule = repair_word(words[index], roles[index], field, profile, after)
        decision.results[index] = result
        decision.rules[index] = rule


@lru_cache(maxsize=_CACHE_SIZE)
def repair_word(
    word: str,
    role: Role,
    field: NameField,
    profile: LanguageProfile,
    irish_after: str | None,
) -> tuple[str, str]:
    """`word` repaired for its role, and the id of the rule that decided it.

    `irish_after` is the previous word when Irish mutations may apply.
    """
    facts = word_facts(word, profile.turkic)
    plan = facts.plan
    positions, rule = capital_positions(
        facts.low, role, facts.script, field, profile, irish_after
    )
    if plan.extra and role is Role.NAME:
        positions = tuple(sorted(set(positions).union(plan.extra)))
    turkic = profile.turkic and role not in _NUMERAL_ROLES
    fixed = apply_capitals(word, facts.low, positions, turkic)
    if plan.spans is not None:
        fixed = _splice(word, fixed, plan.spans)
    return fixed, rule


def _splice(word: str, fixed: str, spans: tuple[tuple[int, int], ...]) -> str:
    """`word` with the parts at `spans` taken from `fixed`."""
    pieces: list[str] = []
    previous = 0
    for start, end in spans:
        pieces.append(word[previous:start])
        pieces.append(fixed[start:end])
        previous = end
    pieces.append(word[previous:])
    return "".join(pieces)


def clear_word_caches() -> None:
    """Forget every cached word decision, to measure words seen for the first time.

    Per-character caches stay: a service fills them within its first names.
    """
    word_facts.cache_clear()
    repair_word.cache_clear()
