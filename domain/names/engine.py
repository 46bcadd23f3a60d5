"""Deciding every word of one field: the core that formatting and explaining share.

Words repeat across names, so what can be decided about a word alone (its
lower case, script, plan and, for a plain name, its repair) and a word's
repair in a given role are cached, in bounded caches; so are the roles of a
field's shape (`roles.roles_by_shape`). Nothing below them is cached: a word
seen for the first time pays for one or two cache entries, not one per
helper. A word alone in its field skips the checks that need neighbours.
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
from domain.names.lexicon import IRISH_FADA_PREFIXES
from domain.names.roles import ROLE_WORDS, Role, role_key, roles_by_shape
from domain.names.text import (
    Script,
    apostrophes_to_ascii,
    lower_word,
    script_of,
    title_char,
)
from domain.names.words import Plan, State, plan_word

_UPPER = "A-ZÀ-ÖØ-ÞА-ЯЁ"
_LOWER = "a-zß-öø-ÿа-яё"
_TITLE_WORD = f"[{_UPPER}][{_LOWER}]+(?:-[{_UPPER}][{_LOWER}]+)*"
# Title-case words of common Latin and Cyrillic letters, single-spaced: no rule
# changes such a value, so it is returned without further work.
TIDY_RE = re.compile(f"{_TITLE_WORD}(?: {_TITLE_WORD})*")

_NUMERAL_ROLES = (Role.ROMAN, Role.INITIAL_PAIR)
# Latin word starts that may carry a second capital, whatever the context.
_SECOND_CAPITAL_PREFIXES = ("mc", "mac", "ij")
_TITLE_RULE = Role.NAME.value
_CACHE_SIZE = 32768


class WordFacts(NamedTuple):
    """What is known about a word on its own (a tuple: cheap to build).

    `title` is the word repaired as a name when nothing around it can change
    that (None otherwise): most words need nothing more. `role_key` is what
    the roles read of it (`roles.role_key`).
    """

    low: str
    key: str
    script: Script
    plan: Plan
    title: str | None
    role_key: str


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
    """The lower case, lookup key, script, plan, plain title and role key."""
    low = lower_word(word, turkic, turkic and not word.isascii())
    script, plan = script_of(word), plan_word(word)
    key = apostrophes_to_ascii(low)
    title = _plain_title(word, low, script, plan, turkic)
    return WordFacts(low, key, script, plan, title, role_key(key))


def _plain_title(
    word: str, low: str, script: Script, plan: Plan, turkic: bool
) -> str | None:
    """`word` as `repair_word` repairs a name of letters only without a prefix.

    None when a prefix (Mc, Mac, IJ) or a non-letter may put capitals
    elsewhere; Irish mutations are the caller's to rule out.
    """
    if plan.spans is not None or not (low.isalpha() and low[0].islower()):
        return None
    if script is Script.LATIN and low.startswith(_SECOND_CAPITAL_PREFIXES):
        return None
    if plan.extra:
        return apply_capitals(word, low, tuple(sorted({0, *plan.extra})), turkic)
    typed = word[0]
    capital = typed if turkic and typed in "Iİ" else title_char(low[0], turkic)
    return capital + low[1:]


def format_words(text: str, field: NameField, profile: LanguageProfile) -> str:
    """Format `text`, which is already whitespace-normalised and not empty."""
    if " " not in text:
        return _format_alone(text, field, profile)
    words = text.split(" ")
    facts = [word_facts(word, profile.turkic) for word in words]
    if not any(found.plan.repairs for found in facts):
        return text
    return " ".join(decide(words, field, profile, facts).results)


def _format_alone(word: str, field: NameField, profile: LanguageProfile) -> str:
    """`decide` for a word alone in its field, which needs no neighbours.

    Alone, a word has no deliberately cased neighbour to keep it as typed, no
    shouted neighbour to repair a single capital, no word before it for Irish
    mutations: its plan and role decide.
    """
    found = word_facts(word, profile.turkic)
    if not found.plan.repairs:
        return word
    role = _roles([found.key], [found], field, profile)[0]
    return _repair_one(word, found, role, field, profile, None)[0]


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
    if pairs or elided or not ROLE_WORDS.isdisjoint(keys):
        shape = tuple(found.role_key for found in facts)
        scripts = tuple(found.script for found in facts)
        return list(roles_by_shape(shape, scripts, field, profile))
    return [Role.NAME] * len(keys)


def _typed_particles(keys: list[str], states: list[State]) -> set[int]:
    """Lower-case particles typed beside deliberately cased words stay as typed."""
    if State.TIDY not in states or ROLE_WORDS.isdisjoint(keys):
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
    results, rules = decision.results, decision.rules
    for index in indices:
        found = facts[index]
        after = facts[index - 1].key if irish and index > 0 else None
        results[index], rules[index] = _repair_one(
            words[index], found, roles[index], field, profile, after
        )


def _repair_one(
    word: str,
    found: WordFacts,
    role: Role,
    field: NameField,
    profile: LanguageProfile,
    irish_after: str | None,
) -> tuple[str, str]:
    """`repair_word`, answered from `found` for a plain name."""
    if found.title is not None and role is Role.NAME and irish_after is None:
        return found.title, _TITLE_RULE
    return repair_word(word, role, field, profile, irish_after)


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
    roles_by_shape.cache_clear()
