"""The role of each word of a field: name, particle, numeral or initials.

Roles come from the lower-case forms of the words and their positions, never
from how they were typed, so formatting a second time finds the same roles.
"""

import enum
from collections.abc import Sequence
from functools import lru_cache

from domain.names.fields import NameField
from domain.names.languages import (
    ANY_LEADING_PARTICLE,
    ANY_TRAILING_PARTICLE,
    LanguageProfile,
    Particles,
)
from domain.names.lexicon import LATIN_CONSONANTS, ROMAN_NUMERALS
from domain.names.text import Script

# Words that may take a role other than NAME wherever they stand.
ROLE_WORDS = ANY_LEADING_PARTICLE | ANY_TRAILING_PARTICLE | ROMAN_NUMERALS
_PAIR_LENGTH = 2


class Role(enum.StrEnum):
    """What a word is within its field; the value is the rule's stable id."""

    NAME = "title"
    PARTICLE = "particle"
    ELIDED = "elided-particle"
    ROMAN = "roman-numeral"
    INITIAL_PAIR = "initial-pair"


def assign_roles(
    keys: Sequence[str],
    scripts: Sequence[Script],
    field: NameField,
    profile: LanguageProfile,
) -> list[Role]:
    """One role per word.

    `keys` are the words in lower case with ASCII apostrophes; `scripts` the
    script of each word.
    """
    sets = [profile.particles(script) for script in scripts]
    lowered = _lowered_particles(keys, sets, field, profile)
    return [
        Role.PARTICLE
        if lowered[index]
        else _other_role(index, keys, sets, field, profile)
        for index in range(len(keys))
    ]


def role_key(key: str) -> str:
    """What `assign_roles` reads of a word: "" for every word it takes for a name.

    A particle, a numeral, a word with an apostrophe (d'Alembert) and a word of
    two letters (JJ) are read as themselves; every particle list of
    `languages.py` is part of `ROLE_WORDS`.
    """
    if key in ROLE_WORDS or "'" in key or len(key) == _PAIR_LENGTH:
        return key
    return ""


@lru_cache(maxsize=4096)
def roles_by_shape(
    shape: tuple[str, ...],
    scripts: tuple[Script, ...],
    field: NameField,
    profile: LanguageProfile,
) -> tuple[Role, ...]:
    """`assign_roles` for the `role_key` of each word.

    Particles are few, so fields repeat the same shape (`de la` + a name):
    the roles of a shape are worked out once.
    """
    return tuple(assign_roles(shape, scripts, field, profile))


def _lowered_particles(
    keys: Sequence[str],
    sets: Sequence[Particles],
    field: NameField,
    profile: LanguageProfile,
) -> list[bool]:
    # A Dutch middle-name field holding only particles is the tussenvoegsel.
    dutch_middle = field is NameField.MIDDLE and profile.tussenvoegsel
    if dutch_middle and _all_leading(keys, sets):
        return [True] * len(keys)

    candidates = _particle_candidates(keys, sets)
    lowered = [False] * len(keys)
    name_ahead = False
    for index in reversed(range(len(keys))):
        if candidates[index]:
            lowered[index] = name_ahead and (field is NameField.LAST or index > 0)
        else:
            lowered[index] = index > 0 and keys[index] in sets[index].trailing
            name_ahead = True
    return lowered


def _all_leading(keys: Sequence[str], sets: Sequence[Particles]) -> bool:
    return all(key in found.leading for key, found in zip(keys, sets, strict=True))


def _particle_candidates(keys: Sequence[str], sets: Sequence[Particles]) -> list[bool]:
    """Whether each word is a particle where it stands, before asking what follows."""
    found: list[bool] = []
    for index, key in enumerate(keys):
        particles = sets[index]
        if key in particles.leading:
            found.append(True)
        elif key in particles.after_de:
            found.append(index > 0 and keys[index - 1] == "de")
        elif key in particles.joining:
            found.append(index > 0)
        elif key in particles.chain_joining:
            found.append(_inside_chain(index, keys, sets, found))
        else:
            found.append(False)
    return found


def _inside_chain(
    index: int, keys: Sequence[str], sets: Sequence[Particles], found: list[bool]
) -> bool:
    following = index + 1
    return (
        index > 0
        and found[index - 1]
        and following < len(keys)
        and keys[following] in sets[following].leading
    )


def _other_role(
    index: int,
    keys: Sequence[str],
    sets: Sequence[Particles],
    field: NameField,
    profile: LanguageProfile,
) -> Role:
    key = keys[index]
    if field is NameField.LAST:
        if "'" in key and elided_prefix(key) in sets[index].elided:
            return Role.ELIDED
        if 0 < index == len(keys) - 1 and key in ROMAN_NUMERALS:
            return Role.ROMAN
    elif field is NameField.FIRST and profile.initial_pairs and _is_pair(key):
        return Role.INITIAL_PAIR
    return Role.NAME


def elided_prefix(key: str) -> str:
    """The letters before the apostrophe of `d'estaing` ("" when not that shape)."""
    head, apostrophe, tail = key.partition("'")
    if apostrophe and tail[:1].isalpha() and head.isalpha():
        return head
    return ""


def _is_pair(key: str) -> bool:
    return len(key) == 2 and key[0] in LATIN_CONSONANTS and key[1] in LATIN_CONSONANTS
