"""Characters, whitespace, letter case and scripts, as the name rules see them.

Every mapping here changes letter case only and keeps the length of the text:
a character either stays or is replaced by one case variant of itself.
"""

import enum
import re
from functools import lru_cache

# Zero-width characters that carry nothing in a name field: ZERO WIDTH SPACE,
# WORD JOINER and ZERO WIDTH NO-BREAK SPACE (the BOM). ZWJ and ZWNJ stay,
# because Persian, Indic scripts and emoji sequences need them.
ZERO_WIDTH = "\u200b\u2060\ufeff"
_ZERO_WIDTH_RE = re.compile(f"[{ZERO_WIDTH}]")
_DROP_ZERO_WIDTH = str.maketrans(dict.fromkeys(ZERO_WIDTH))

# What starts a new part of a word: ASCII hyphen-minus, HYPHEN, NON-BREAKING
# HYPHEN, EN DASH, SMALL and FULLWIDTH HYPHEN-MINUS, ARMENIAN HYPHEN, DOUBLE
# OBLIQUE HYPHEN, and the slash of "Smith/Jones". The soft hyphen is not one.
PART_SEPARATORS = "-\u2010\u2011\u2013\ufe63\uff0d\u058a\u2e17/"
_PART_RE = re.compile(f"[^{re.escape(PART_SEPARATORS)}]+")
_SEPARATOR_RE = re.compile(f"[{re.escape(PART_SEPARATORS)}]")

# Typed in the place of an apostrophe: ASCII, RIGHT and LEFT SINGLE QUOTATION
# MARK, MODIFIER LETTER APOSTROPHE, ACUTE ACCENT and GRAVE ACCENT. The Hawaiian
# okina (U+02BB) is a letter, not one of these.
APOSTROPHES = "'\u2019\u2018\u02bc\u00b4`"
APOSTROPHE_RE = re.compile(f"[{APOSTROPHES}]")
_APOSTROPHES_TO_ASCII = str.maketrans(dict.fromkeys(APOSTROPHES, "'"))
# Every variant but the ASCII apostrophe, which a lookup key keeps as it is.
_OTHER_APOSTROPHE_RE = re.compile(f"[{APOSTROPHES[1:]}]")

# Cherokee has case in Unicode, but everyday Cherokee text is written in the
# upper-case letters; lowering it would rewrite the text, so it counts as caseless.
_CHEROKEE_RE = re.compile("[\u13a0-\u13ff\uab70-\uabbf]")

_DOTLESS_I = "\u0131"
_DOTTED_CAPITAL_I = "\u0130"

# Blocks of the bicameral scripts whose ordinary letters the fast paths know:
# Basic Latin to Latin Extended-B, Greek, Cyrillic and its supplement,
# Armenian, Latin Extended Additional (Vietnamese).
_PLAIN_BLOCKS = (
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


class Script(enum.StrEnum):
    """The writing system of a word, judged by its first cased letter.

    A string enum: its members hash as fast as strings in cache keys.
    """

    LATIN = "Latin"
    CYRILLIC = "Cyrillic"
    GREEK = "Greek"
    OTHER = "other"


class Kind(enum.Enum):
    """How a character takes part in case decisions."""

    UPPER = "upper"
    LOWER = "lower"
    UNCASED = "uncased"


def _paired(lower: str) -> str:
    """`lower` and its capital when both map one to one and title is upper."""
    upper = lower.upper()
    one_to_one = len(upper) == 1 and upper != lower and upper.lower() == lower
    if not one_to_one or lower.title() != upper or {lower, upper} & _SPECIAL_LETTERS:
        return ""
    return lower + upper


def _plain_letters() -> tuple[str, str]:
    """The upper-case and the lower-case plain letters, escaped for a class."""
    pairs = [
        _paired(chr(code))
        for start, end in _PLAIN_BLOCKS
        for code in range(start, end)
        if chr(code).islower()
    ]
    lower = "".join(pair[0] for pair in pairs if pair) + _FINAL_SIGMA
    upper = "".join(pair[1] for pair in pairs if pair)
    return re.escape(upper), re.escape(lower)


# Plain letters: ordinary letters of Latin, Greek, Cyrillic and Armenian whose
# upper, lower and title case map one to one (not İ, ı, ß, ẞ, ſ, ĸ, ŉ or
# digraphs like ǅ), as the contents of a regular-expression class. For them
# `kind` is UPPER or LOWER exactly as `str.isupper` and `str.islower` say, so
# fast paths may read whole words with one match.
PLAIN_UPPER, PLAIN_LOWER = _plain_letters()


def tidy_space(value: str) -> str:
    """Drop zero-width characters, trim, and collapse whitespace runs to one space.

    Whitespace is what `str.split()` splits on (Unicode White_Space plus the
    four ASCII information separators).
    """
    if _is_tidy(value):
        return value
    if _ZERO_WIDTH_RE.search(value):
        value = value.translate(_DROP_ZERO_WIDTH)
    return " ".join(value.split())


def _is_tidy(value: str) -> bool:
    """Whether `tidy_space` has nothing to do, without splitting `value`.

    Every whitespace character but the ASCII space, and every zero-width one,
    is unprintable.
    """
    if not value.isprintable() or "  " in value:
        return False
    return not (value.startswith(" ") or value.endswith(" "))


def has_zero_width(value: str) -> bool:
    """Whether `value` holds a character that `tidy_space` drops."""
    return _ZERO_WIDTH_RE.search(value) is not None


def part_spans(word: str) -> list[tuple[int, int]]:
    """Start and end of each part of `word` between part separators."""
    if _SEPARATOR_RE.search(word) is None:
        return [(0, len(word))] if word else []
    return [match.span() for match in _PART_RE.finditer(word)]


def has_separator(word: str) -> bool:
    """Whether `word` has more than one part."""
    return _SEPARATOR_RE.search(word) is not None


def apostrophes_to_ascii(text: str) -> str:
    """`text` with every apostrophe variant replaced by the ASCII apostrophe."""
    if _OTHER_APOSTROPHE_RE.search(text) is None:
        return text  # translating with a table is slow; most names need none
    return text.translate(_APOSTROPHES_TO_ASCII)


def is_caseless_text(text: str) -> bool:
    """Whether case rules must leave `text` alone even though it may have case."""
    return not text.isascii() and _CHEROKEE_RE.search(text) is not None


@lru_cache(maxsize=4096)
def kind(char: str) -> Kind:
    """The case kind of one character.

    A letter counts only when it has a one-letter partner in the other case:
    `ß` (upper form `SS`) and `ĸ` (no upper form) are uncased here, so `GROß`
    is an all-capitals spelling.
    """
    if char.isupper() or char.istitle():
        return Kind.UPPER if char.lower() != char else Kind.UNCASED
    if char.islower():
        raised = char.upper()
        return Kind.LOWER if len(raised) == 1 and raised != char else Kind.UNCASED
    return Kind.UNCASED


def lower_word(word: str, turkic: bool, dotless: bool) -> str:
    """`word` in lower case, one character for one.

    `İ` becomes plain `i` (never `i` plus a combining dot). With `turkic` and
    `dotless`, `I` becomes dotless `ı` as Turkish and Azerbaijani write it.
    Greek final sigma follows Unicode's rule.
    """
    if turkic and dotless and "I" in word:
        word = word.replace("I", _DOTLESS_I)
    if _DOTTED_CAPITAL_I in word:
        word = word.replace(_DOTTED_CAPITAL_I, "i")
    return word.lower()


@lru_cache(maxsize=4096)
def title_char(char: str, turkic: bool) -> str:
    """The title-case form of one character, or the character itself.

    Uses Unicode's title-case mapping (`ǆ` gives `ǅ`, not `Ǆ`). A character
    whose title form is longer than one character (`ß`, `ŉ`) stays as it is.
    """
    if turkic and char == "i":
        return _DOTTED_CAPITAL_I
    titled = char.title()
    return titled if len(titled) == 1 else char


def script_of(word: str) -> Script:
    """The script of the first cased letter of `word` (OTHER when none)."""
    if word.isascii():
        return Script.LATIN
    for char in word:
        if kind(char) is not Kind.UNCASED:
            return _script_of_char(ord(char))
    return Script.OTHER


def _script_of_char(code: int) -> Script:
    if code < 0x370 or 0x1E00 <= code < 0x1F00:
        return Script.LATIN
    if code < 0x400 or 0x1F00 <= code < 0x2000:
        return Script.GREEK
    if code < 0x530 or 0x1C80 <= code < 0x1C90 or 0xA640 <= code < 0xA6A0:
        return Script.CYRILLIC
    if 0x2DE0 <= code < 0x2E00:
        return Script.CYRILLIC
    if 0x2C60 <= code < 0x2C80 or 0xA720 <= code < 0xA800:
        return Script.LATIN
    if 0xAB30 <= code < 0xAB70 or 0xFF21 <= code < 0xFF5B:
        return Script.LATIN
    return Script.OTHER
