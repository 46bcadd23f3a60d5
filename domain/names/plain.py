"""The common case, decided without the word-by-word engine.

Most values are words of ordinary letters typed in capitals or in lower case
(`JOHN`, `ИВАНОВ`, `mary-jane`). For such a value every rule of the engine
comes down to Unicode title case: a capital at the start of each word and of
each hyphenated part, the rest lower case. `format_plain` recognises that
case with two precompiled regular expressions and answers with `str.title()`;
anything else (a particle, a prefix such as Mc, an initial, an apostrophe,
an unusual letter) is left to the engine. Tests compare both on generated
names, so the shortcut cannot drift from the rules.
"""

import re

from domain.names.fields import NameField
from domain.names.languages import (
    ANY_LEADING_PARTICLE,
    ANY_TRAILING_PARTICLE,
    LanguageProfile,
)
from domain.names.lexicon import IRISH_FADA_PREFIXES, ROMAN_NUMERALS

# Blocks of the bicameral scripts whose letters a plain word may hold: Basic
# Latin to Latin Extended-B, Greek, Cyrillic and its supplement, Armenian,
# Latin Extended Additional (Vietnamese).
_BLOCKS = (
    (0x0041, 0x0250),
    (0x0370, 0x0400),
    (0x0400, 0x0530),
    (0x0531, 0x0588),
    (0x1E00, 0x1F00),
)
# Letters whose case mapping the rules treat specially: dotted and dotless i
# (Turkish), long s, kra and ŉ (no one-letter partner), and the sharp s.
_SPECIAL_LETTERS = frozenset("\u0130\u0131\u017f\u0138\u0149\u00df\u1e9e")
# Greek final sigma is a lower-case letter without a partner of its own.
_FINAL_SIGMA = "\u03c2"


def _paired(lower: str) -> str:
    """`lower` and its capital when both map one to one and title is upper."""
    upper = lower.upper()
    one_to_one = len(upper) == 1 and upper != lower and upper.lower() == lower
    if not one_to_one or lower.title() != upper or {lower, upper} & _SPECIAL_LETTERS:
        return ""
    return lower + upper


def _plain_letters() -> tuple[str, str]:
    """The upper-case and the lower-case plain letters."""
    pairs = [
        _paired(chr(code))
        for start, end in _BLOCKS
        for code in range(start, end)
        if chr(code).islower()
    ]
    lower = "".join(pair[0] for pair in pairs if pair) + _FINAL_SIGMA
    upper = "".join(pair[1] for pair in pairs if pair)
    return re.escape(upper), re.escape(lower)


_UP, _LO = _plain_letters()
# The parts a word may have: all upper, all lower, caps-lock inverted (jOHN),
# or title case. Every one of them is repaired to title case, except that a
# lower-case part beside a title-case one is kept (al-Hassan): a word mixes
# lower-case and title-case parts never, in this shortcut.
_UPPER_OR_INVERTED = f"[{_UP}]+|[{_LO}][{_UP}]+"
_CARELESS_PART = f"(?:{_UPPER_OR_INVERTED}|[{_LO}]+)"
_KEPT_PART = f"(?:{_UPPER_OR_INVERTED}|[{_UP}][{_LO}]+)"
_WORD = f"(?:{_CARELESS_PART}(?:-{_CARELESS_PART})*|{_KEPT_PART}(?:-{_KEPT_PART})*)"
_PLAIN_VALUE_RE = re.compile(f"{_WORD}(?: {_WORD})*")

# Words that may take a role other than "name" (particles, numerals, Irish
# prefixes with a fada that switch on Irish mutations).
_ROLE_WORDS = (
    ANY_LEADING_PARTICLE | ANY_TRAILING_PARTICLE | ROMAN_NUMERALS | IRISH_FADA_PREFIXES
)
# Two-letter parts may be initials (JJ) or particles, and a part starting with
# Mc, Mac or IJ may carry a second capital: all of those go to the engine.
_MIN_PLAIN_PART = 3
_TURKIC_I_RE = re.compile("[Ii\u0130\u0131]")


def format_plain(text: str, field: NameField, profile: LanguageProfile) -> str | None:
    """`text` formatted, or None when it needs more than title case.

    `text` is whitespace-normalised and not empty.
    """
    if _PLAIN_VALUE_RE.fullmatch(text) is None:
        return text if _caseless(text) else None
    if _has_special_part(text.lower()):
        return None
    # Turkish i and Irish mutations after a first word need the engine.
    if profile.turkic and _TURKIC_I_RE.search(text) is not None:
        return None
    if profile.irish and " " in text:
        return None
    if profile.east_asian and field is not NameField.LAST and "-" in text:
        return None
    return text.title()


def _has_special_part(low: str) -> bool:
    """Whether some part of `low` is a role word, short, or a Mc/Mac/IJ start.

    Any Mc, Mac or IJ counts, not only at a part's start: cheaper to find, and
    a word sent to the engine without need still comes out right.
    """
    if "mc" in low or "mac" in low or "ij" in low:
        return True
    parts = low.replace("-", " ").split(" ")
    return not _ROLE_WORDS.isdisjoint(parts) or min(map(len, parts)) < _MIN_PLAIN_PART


def _caseless(text: str) -> bool:
    """Whether no rule can change `text`: no letter in it has another case.

    Title-case letters (ǅ) survive `swapcase`, so `title` must agree too.
    """
    return text.swapcase() == text and text.title() == text
