"""Whether a word needs repair, read from how it was typed.

A word is repaired only when it is all lower case, all upper case, caps-lock
inverted (`jOHN`) or a shouted tail after a prefix capital (`McDONALD`). Any
other mix is the person's own spelling. In a hyphenated word each part is
judged, and a lower-case part beside a deliberately mixed one is kept
(`al-Hassan`, `Ing-wen`).
"""

import dataclasses
import enum
from collections.abc import Sequence
from dataclasses import dataclass

from domain.names.text import Kind, has_separator, is_caseless_text, kind, part_spans


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


def plan_word(word: str) -> Plan:
    """The repair that `word` needs, judged from its letters' case alone."""
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
    if len(word) > 1 and Kind.UNCASED not in (kind(word[0]), kind(word[1])):
        return False  # the common case, two letters in a row, without a loop
    count = 0
    for char in word:
        if kind(char) is not Kind.UNCASED:
            count += 1
            if count > 1:
                return False
    return count == 1


def _whole_word_plan(word: str) -> Plan:
    state, tail = _classify(word, 0, len(word))
    if state is State.FIX:
        return Plan(State.FIX, None, tail)
    return _plan_for(state)


def _plan_for(state: State) -> Plan:
    return _PLANS[state]


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
