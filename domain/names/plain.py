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
from domain.names.text import PLAIN_LOWER, PLAIN_UPPER

_UP, _LO = PLAIN_UPPER, PLAIN_LOWER
# The parts a word may have: all upper, all lower, caps-lock inverted (jOHN),
# or title case, each of three letters or more. Every one of them is repaired
# to title case, except that a lower-case part beside a title-case one is kept
# (al-Hassan): a word mixes lower-case and title-case parts never, in this
# shortcut. Parts of one or two letters may be initials (JJ) or particles.
_UPPER_OR_INVERTED = f"[{_UP}]{{3,}}|[{_LO}][{_UP}]{{2,}}"
_CARELESS_PART = f"(?:{_UPPER_OR_INVERTED}|[{_LO}]{{3,}})"
_KEPT_PART = f"(?:{_UPPER_OR_INVERTED}|[{_UP}][{_LO}]{{2,}})"
_WORD = f"(?:{_CARELESS_PART}(?:-{_CARELESS_PART})*|{_KEPT_PART}(?:-{_KEPT_PART})*)"
_PLAIN_VALUE_RE = re.compile(f"{_WORD}(?: {_WORD})*")

# Words that may take a role other than "name" (particles, numerals, Irish
# prefixes with a fada that switch on Irish mutations).
_ROLE_WORDS = (
    ANY_LEADING_PARTICLE | ANY_TRAILING_PARTICLE | ROMAN_NUMERALS | IRISH_FADA_PREFIXES
)
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
    """Whether some part of `low` is a role word or a Mc/Mac/IJ start.

    Any Mc, Mac or IJ counts, not only at a part's start: cheaper to find, and
    a word sent to the engine without need still comes out right. A part of
    Mc, Mac or IJ may carry a second capital.
    """
    if "mc" in low or "mac" in low or "ij" in low:
        return True
    if " " not in low and "-" not in low:
        return low in _ROLE_WORDS  # one part: the common case, without a list
    return not _ROLE_WORDS.isdisjoint(low.replace("-", " ").split(" "))


def _caseless(text: str) -> bool:
    """Whether no rule can change `text`: no letter in it has another case.

    Title-case letters (ǅ) survive `swapcase`, so `title` must agree too.
    """
    return text.swapcase() == text and text.title() == text
