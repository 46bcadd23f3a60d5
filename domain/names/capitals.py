"""Where the capitals of a word go, and putting them there.

`capital_positions` reads only the lower-case form of a word and its role, so
formatting a result again puts the capitals in the same places.
"""

import re

from domain.names.fields import NameField
from domain.names.languages import LanguageProfile
from domain.names.lexicon import (
    APOSTROPHE_PREFIXES,
    IRISH_ECLIPSIS,
    IRISH_H_TRIGGERS,
    IRISH_T_TRIGGERS,
    IRISH_VOWELS,
    MAC_STEMS,
)
from domain.names.roles import Role
from domain.names.text import (
    APOSTROPHE_RE,
    Kind,
    Script,
    kind,
    part_spans,
    title_char,
)

# A letter that stands alone before a dot and is followed by another letter:
# the dot ends an initial, so the next letter is a capital (J.R.R.).
_INITIAL_DOT_RE = re.compile(r"(?<![^\W\d_])[^\W\d_]\.(?=[^\W\d_])")

Capitals = tuple[tuple[int, ...], str]
_NAME_RULE = Role.NAME.value


def capital_positions(
    low: str,
    role: Role,
    script: Script,
    field: NameField,
    profile: LanguageProfile,
    irish_after: str | None,
) -> Capitals:
    """Indices of `low` that take a capital, and the id of the deciding rule.

    `irish_after` is the previous word when Irish mutations apply to this one.
    """
    if role is Role.PARTICLE:
        return (), Role.PARTICLE.value
    if role is Role.ROMAN or role is Role.INITIAL_PAIR:
        cased = (index for index, char in enumerate(low) if kind(char) is Kind.LOWER)
        return tuple(cased), role.value
    if role is Role.NAME and _plain(low, script, field, profile, irish_after):
        return (0,), Role.NAME.value
    return _name_capitals(low, role, script, field, profile, irish_after)


def apply_capitals(
    word: str, low: str, positions: tuple[int, ...], turkic: bool
) -> str:
    """`low` with capitals at `positions`, mapped from the letters of `word`.

    A Turkish or Azerbaijani `I` or `İ` typed at a capital's place is kept:
    which of the two the person meant cannot be recovered from the lower case.
    """
    if not positions:
        return low
    pieces: list[str] = []
    previous = 0
    for position in positions:
        typed = word[position]
        if turkic and typed in "Iİ":
            capital = typed
        else:
            capital = title_char(low[position], turkic)
        pieces.append(low[previous:position])
        pieces.append(capital)
        previous = position + 1
    pieces.append(low[previous:])
    return "".join(pieces)


def _plain(
    low: str,
    script: Script,
    field: NameField,
    profile: LanguageProfile,
    irish_after: str | None,
) -> bool:
    """Letters only, and no prefix that could carry a second capital."""
    if not (low.isalpha() and low[0].islower()):
        return False
    if script is not Script.LATIN:
        return True
    if irish_after is not None or low.startswith("mc"):
        return False
    if profile.dutch and low.startswith("ij"):
        return False
    return not (field is NameField.LAST and low.startswith("mac"))


def _name_capitals(
    low: str,
    role: Role,
    script: Script,
    field: NameField,
    profile: LanguageProfile,
    irish_after: str | None,
) -> Capitals:
    spans = part_spans(low)
    if len(spans) == 1:
        return _one_part_capitals(
            low, spans[0], role, script, field, profile, irish_after
        )
    connectors = profile.particles(script).connectors if len(spans) > 2 else ()
    lower_tails = profile.east_asian and field is not NameField.LAST
    positions: list[int] = []
    rules: list[str] = []
    for number, (start, end) in enumerate(spans):
        part = low[start:end]
        if 0 < number < len(spans) - 1 and part in connectors:
            rules.append("connector")
            continue
        if number > 0 and lower_tails and script is Script.LATIN:
            rules.append("east-asian-given")
            continue
        after = irish_after if number == 0 else None
        elided = role is Role.ELIDED and number == 0
        found, rule = _part_capitals(part, script, field, profile, after, elided)
        positions.extend(start + offset for offset in found)
        if rule:
            rules.append(rule)
    return tuple(sorted(set(positions))), rules[0] if rules else _NAME_RULE


def _one_part_capitals(
    low: str,
    span: tuple[int, int],
    role: Role,
    script: Script,
    field: NameField,
    profile: LanguageProfile,
    irish_after: str | None,
) -> Capitals:
    """`_name_capitals` for a word of one part (most words), without the loop."""
    start, end = span
    elided = role is Role.ELIDED
    found, rule = _part_capitals(
        low[start:end], script, field, profile, irish_after, elided
    )
    return tuple(sorted({start + offset for offset in found})), rule or _NAME_RULE


def _part_capitals(
    part: str,
    script: Script,
    field: NameField,
    profile: LanguageProfile,
    irish_after: str | None,
    elided: bool,
) -> tuple[list[int], str | None]:
    start = _first_cased(part)
    if start is None:
        return [], None
    dots = _initial_dots(part)
    dots_rule = "initials" if dots else None
    if script is not Script.LATIN:
        return [start, *dots], dots_rule

    if elided:
        apostrophe = APOSTROPHE_RE.search(part, start + 1)
        after = [apostrophe.end()] if apostrophe else []
        return [*after, *dots], Role.ELIDED.value
    head, head_rule = _latin_head(part, start, field, profile, irish_after)
    after, after_rule = _apostrophe_capital(part, start)
    return [*head, *after, *dots], head_rule or after_rule or dots_rule


def _initial_dots(part: str) -> list[int]:
    """Indices after the dots that end an initial (the R and R of J.R.R.)."""
    if "." not in part:
        return []
    return [match.end() for match in _INITIAL_DOT_RE.finditer(part)]


def _first_cased(part: str) -> int | None:
    """Index of the first cased letter; None when a digit or nothing comes first."""
    for index, char in enumerate(part):
        if char.isdigit():
            return None
        if char.islower() or char.isupper() or char.istitle():
            return index
    return None


def _latin_head(
    part: str,
    start: int,
    field: NameField,
    profile: LanguageProfile,
    irish_after: str | None,
) -> tuple[list[int], str | None]:
    """Capitals at the start of a Latin part: prefixes that carry a second one."""
    if irish_after is not None:
        prefix = _irish_prefix(part[start:], irish_after)
        if prefix:
            return [start + prefix], "irish-mutation"
    if profile.dutch and part.startswith("ij", start):
        return [start, start + 1], "dutch-ij"
    stem = part[start + 2 :]
    if part.startswith("mc", start) and len(stem) >= 2 and stem[0].isalpha():
        return [start, start + 2], "mc-prefix"
    mac = field is NameField.LAST and part.startswith("mac", start)
    if mac and part[start + 3 :] in MAC_STEMS:
        return [start, start + 3], "mac-prefix"
    return [start], None


def _irish_prefix(rest: str, after: str) -> int:
    """Length of the prefixed letters of an eclipsed or h- or t-prefixed word."""
    second = rest[1:2]
    if after in IRISH_H_TRIGGERS and rest[:1] == "h" and second in IRISH_VOWELS:
        return 1
    t_before = second == "s" or second in IRISH_VOWELS
    if after in IRISH_T_TRIGGERS and rest[:1] == "t" and t_before:
        return 1
    for letters in IRISH_ECLIPSIS:
        if rest.startswith(letters) and rest[len(letters) : len(letters) + 1].isalpha():
            return len(letters)
    return 0


def _apostrophe_capital(part: str, start: int) -> tuple[list[int], str | None]:
    """A capital after the apostrophe of O', D', L', N', Dell', Dall'."""
    apostrophe = APOSTROPHE_RE.search(part, start + 1)
    if (
        apostrophe is None
        or part[start : apostrophe.start()] not in APOSTROPHE_PREFIXES
    ):
        return [], None
    following = part[apostrophe.end() : apostrophe.end() + 1]
    if not following or kind(following) is not Kind.LOWER:
        return [], None
    return [apostrophe.end()], "apostrophe-prefix"
