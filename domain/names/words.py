"""Whether a word needs repair, read from how it was typed.

A word is repaired only when it is all lower case, all upper case, caps-lock
inverted (`jOHN`) or a shouted tail after a prefix capital (`McDONALD`). Any
other mix is the person's own spelling. In a hyphenated word each part is
judged, and a lower-case part beside a deliberately mixed one is kept
(`al-Hassan`, `Ing-wen`).
"""

import dataclasses
import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass

from domain.names.text import (
    PLAIN_LOWER,
    PLAIN_UPPER,
    Kind,
    has_separator,
    is_caseless_text,
    kind,
    part_spans,
)


class State(enum.Enum):
    """What the typed case of a word asks for."""

    NONE = "no cased letters"
    TIDY = "mixed case kept as typed"
    LOWER = "word was all lower case"
    UPPER = "word was all upper case"
    SINGLE = "one capital letter"
    FIX = "parts were upper case, caps-lock inverted or a shouted tail"


@dataclass(frozen=True, slots=True)
class Plan:
    """The repair a word needs.

    `spans` are the parts to repair (None: the whole word); `extra` holds
    indices of typed prefix capitals to keep (the D of `DeSHAWN`); `repairs`
    says whether the word is repaired whatever its neighbours are.
    """

    state: State
    spans: tuple[tuple[int, int], ...] | None = None
    extra: tuple[int, ...] = ()
    repairs: bool = dataclasses.field(init=False, default=False)

    def __post_init__(self) -> None:
        # Whether the word is repaired regardless of its neighbours.
        repairs = self.state in (State.LOWER, State.UPPER, State.FIX)
        object.__setattr__(self, "repairs", repairs)


_NONE = Plan(State.NONE)
_TIDY = Plan(State.TIDY)
_LOWER = Plan(State.LOWER)
_UPPER = Plan(State.UPPER)
_SINGLE = Plan(State.SINGLE)
_FIX = Plan(State.FIX)
_PLANS = {plan.state: plan for plan in (_NONE, _TIDY, _LOWER, _UPPER, _SINGLE, _FIX)}

# A prefix capital is followed by one to three lower-case letters (Mc, Mac,
# De), and a shouted tail has at least three letters.
_MAX_PREFIX_TAIL = 3
_MIN_SHOUTED_TAIL = 3

# The states of a word or part of plain letters only, read with one match:
# each group is one outcome of `_classify`, and `prefix` ends where the
# shouted tail starts.
_UP, _LO = PLAIN_UPPER, PLAIN_LOWER
_PREFIX = f"[{_UP}][{_LO}]{{1,{_MAX_PREFIX_TAIL}}}"
_SHOUTED_TAIL = f"[{_UP}]{{{_MIN_SHOUTED_TAIL},}}"
_PLAIN_PART_RE = re.compile(
    f"(?P<lower>[{_LO}]+)"
    f"|(?P<upper>[{_UP}]{{2,}})"
    f"|(?P<single>[{_UP}])"
    f"|(?P<inverted>[{_LO}][{_UP}]+)"
    f"|(?P<prefix>{_PREFIX}){_SHOUTED_TAIL}"
    f"|(?P<tidy>[{_UP}{_LO}]+)"
)
_PLAIN_PART_STATES = {
    "lower": State.LOWER,
    "upper": State.UPPER,
    "single": State.SINGLE,
    "inverted": State.FIX,
    "prefix": State.FIX,
    "tidy": State.TIDY,
}
_TWO_PLAIN_LETTERS_RE = re.compile(f"[{_UP}{_LO}]{{2}}")


def plan_word(word: str) -> Plan:
    """The repair that `word` needs, judged from its letters' case alone."""
    plain = _PLAIN_PART_RE.fullmatch(word)
    if plain is not None:
        return _state_plan(*_plain_state(plain))  # most words: one match
    if is_caseless_text(word):
        return _NONE
    if word.islower():
        return _LOWER
    if word.isupper():
        return _SINGLE if _one_cased_letter(word) else _UPPER
    if word.istitle():
        return _TIDY
    if not has_separator(word):
        return _whole_word_plan(word)
    return _parts_plan(word)


def _one_cased_letter(word: str) -> bool:
    if _TWO_PLAIN_LETTERS_RE.match(word) is not None:
        return False  # the common case, two letters in a row, without a loop
    count = 0
    for char in word:
        if kind(char) is not Kind.UNCASED:
            count += 1
            if count > 1:
                return False
    return count == 1


def _whole_word_plan(word: str) -> Plan:
    return _state_plan(*_classify(word, 0, len(word)))


def _state_plan(state: State, tail: tuple[int, ...]) -> Plan:
    return Plan(State.FIX, None, tail) if tail else _PLANS[state]


def _parts_plan(word: str) -> Plan:
    spans = part_spans(word)
    judged = [(span, *_classify(word, *span)) for span in spans]
    keeps_lower = any(state is State.TIDY for _, state, _ in judged)
    repaired = [
        (span, tail) for span, state, tail in judged if _repairs(state, keeps_lower)
    ]
    if not repaired:
        tidy = any(state is not State.NONE for _, state, _ in judged)
        return _TIDY if tidy else _NONE

    extra = tuple(index for _, tail in repaired for index in tail)
    cased_parts = [span for span, state, _ in judged if state is not State.NONE]
    whole = len(repaired) == len(cased_parts)
    return Plan(State.FIX, None if whole else tuple(s for s, _ in repaired), extra)


def _repairs(state: State, keeps_lower: bool) -> bool:
    if state is State.UPPER or state is State.FIX:
        return True
    return (state is State.LOWER or state is State.SINGLE) and not keeps_lower


def _classify(word: str, start: int, end: int) -> tuple[State, tuple[int, ...]]:
    """The state of `word[start:end]`, and the tail start of a shouted tail."""
    plain = _PLAIN_PART_RE.fullmatch(word, start, end)
    if plain is None:
        return _classify_letters(word, start, end)
    return _plain_state(plain)


def _plain_state(plain: re.Match[str]) -> tuple[State, tuple[int, ...]]:
    """`_classify` read from a match of `_PLAIN_PART_RE`."""
    group = plain.lastgroup or ""
    tail = (plain.end(group),) if group == "prefix" else ()
    return _PLAIN_PART_STATES[group], tail


def _classify_letters(word: str, start: int, end: int) -> tuple[State, tuple[int, ...]]:
    """`_classify` for any characters, one at a time."""
    cased = [
        (index, found)
        for index in range(start, end)
        if (found := kind(word[index])) is not Kind.UNCASED
    ]
    if not cased:
        return State.NONE, ()
    uppers = sum(1 for _, found in cased if found is Kind.UPPER)
    if uppers == 0:
        return State.LOWER, ()
    if uppers == len(cased):
        return (State.SINGLE if uppers == 1 else State.UPPER), ()
    if cased[0][1] is Kind.LOWER and uppers == len(cased) - 1:
        return State.FIX, ()
    return _shouted_tail(cased, uppers)


def _shouted_tail(
    cased: Sequence[tuple[int, Kind]], uppers: int
) -> tuple[State, tuple[int, ...]]:
    """`McDONALD`: a capital, one to three lower-case letters, then capitals."""
    if cased[0][1] is not Kind.UPPER:
        return State.TIDY, ()
    lowers = 0
    while 1 + lowers < len(cased) and cased[1 + lowers][1] is Kind.LOWER:
        lowers += 1
    tail = len(cased) - 1 - lowers
    shouted = (
        1 <= lowers <= _MAX_PREFIX_TAIL
        and tail >= _MIN_SHOUTED_TAIL
        and uppers == 1 + tail
    )
    if shouted:
        return State.FIX, (cased[1 + lowers][0],)
    return State.TIDY, ()
