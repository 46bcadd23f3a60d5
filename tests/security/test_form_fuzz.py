"""Arbitrary bytes through the form parser: a form within its limits, or
`InvalidInput`, and never any other exception."""

from collections.abc import Iterator
from urllib.parse import urlencode

from hypothesis import given, settings
from hypothesis import strategies as st

from application.errors import InvalidInput
from entrypoints.forms import Form, FormLimits, parse_form
from tests.samples import encode_form
from tests.security.strategies import bracket_keys, form_like_bytes

#: Small limits, so generated bodies reach every one of them.
LIMITS = FormLimits(
    max_body_bytes=400,
    max_fields=12,
    max_depth=3,
    max_key_length=24,
    max_value_length=32,
)


def around(limit: int) -> st.SearchStrategy[int]:
    return st.sampled_from([limit - 1, limit, limit + 1])


bodies = st.one_of(
    st.binary(max_size=450),
    form_like_bytes(),
    st.lists(st.tuples(bracket_keys(), st.text(max_size=40)), max_size=16).map(
        lambda pairs: urlencode(pairs, safe="[]").encode()
    ),
)


def leaves(form: Form, depth: int = 1) -> Iterator[tuple[int, str, object]]:
    """Every (depth, key, value) whose value is not a group."""
    for key, value in form.items():
        if isinstance(value, dict):
            yield from leaves(value, depth + 1)
        else:
            yield depth, key, value


def parsed_or_refused(body: bytes, limits: FormLimits) -> Form | None:
    try:
        return parse_form(body, limits)
    except InvalidInput:
        return None


@settings(max_examples=200)
@given(bodies)
def test_any_body_gives_a_form_within_limits_or_invalid_input(body: bytes) -> None:
    form = parsed_or_refused(body, LIMITS)

    if form is not None:
        found = list(leaves(form))
        assert len(body) <= LIMITS.max_body_bytes
        assert len(found) <= LIMITS.max_fields
        for depth, key, value in found:
            assert isinstance(key, str)
            assert isinstance(value, str)
            assert depth <= LIMITS.max_depth + 1
            assert len(key) <= LIMITS.max_key_length
            assert len(value) <= LIMITS.max_value_length


@settings(max_examples=50)
@given(st.binary(min_size=LIMITS.max_body_bytes + 1, max_size=600))
def test_any_body_over_the_size_limit_is_refused(body: bytes) -> None:
    assert parsed_or_refused(body, LIMITS) is None


@settings(max_examples=30)
@given(around(LIMITS.max_body_bytes), st.sampled_from([b"v", b"%20", b"+"]))
def test_body_is_refused_exactly_when_over_the_size_limit(
    size: int, filler: bytes
) -> None:
    limits = FormLimits(max_body_bytes=LIMITS.max_body_bytes)
    body = (b"k=" + filler * size)[:size]

    form = parsed_or_refused(body, limits)

    assert (form is None) == (size > limits.max_body_bytes)


#: Deep enough for any tree below (ten leaves nest at most eleven levels).
DEEP_LIMITS = FormLimits(max_depth=16)

segment = st.text(
    st.characters(exclude_categories=["Cs"], exclude_characters="[]"),
    min_size=1,
    max_size=6,
)
trees = st.recursive(
    st.text(max_size=8),
    lambda children: st.dictionaries(segment, children, min_size=1, max_size=3),
    max_leaves=10,
)


@settings(max_examples=100)
@given(st.dictionaries(segment, trees, min_size=1, max_size=4))
def test_nested_form_encoded_as_bitrix24_does_parses_back(form: Form) -> None:
    assert parse_form(encode_form(form), DEEP_LIMITS) == form


#: Limits that well-formed bodies from `keyed_pairs` reach and pass, each one.
MODEL_LIMITS = FormLimits(
    max_body_bytes=500,
    max_fields=8,
    max_depth=3,
    max_key_length=16,
    max_value_length=24,
)


@st.composite
def keyed_pairs(draw: st.DrawFn) -> list[tuple[str, str]]:
    """Well-formed pairs with distinct heads (`k0`, `k1`...): their number, and the
    depth, key length and value length of the first, are each small or at a
    limit, just under it or just over it; the other pairs are small."""
    count = draw(st.one_of(st.integers(0, 3), around(MODEL_LIMITS.max_fields)))
    first = [(draw(keys("k0")), draw(values()))]
    return (first + [(f"k{index}", "v") for index in range(1, count)])[:count]


def keys(head: str) -> st.SearchStrategy[str]:
    """A key below `head` as deep as the depth limit or one deeper, padded (`z`)
    to a length near the key length limit when drawn so."""
    limits = MODEL_LIMITS
    groups = st.lists(
        st.text("xy", min_size=1, max_size=3), max_size=limits.max_depth + 1
    ).map(lambda parts: "".join(f"[{part}]" for part in parts))
    sizes = st.one_of(st.just(0), around(limits.max_key_length))
    return st.builds(
        lambda tail, size: head.ljust(size - len(tail), "z") + tail, groups, sizes
    )


def values() -> st.SearchStrategy[str]:
    limits = MODEL_LIMITS
    sizes = st.one_of(st.integers(0, 4), around(limits.max_value_length))
    return sizes.flatmap(
        lambda size: st.lists(st.sampled_from("vé"), min_size=size, max_size=size)
    ).map("".join)


def within_limits(pairs: list[tuple[str, str]], body: bytes) -> bool:
    limits = MODEL_LIMITS
    return (
        len(body) <= limits.max_body_bytes
        and len(pairs) <= limits.max_fields
        and all(len(key) <= limits.max_key_length for key, _ in pairs)
        and all(len(value) <= limits.max_value_length for _, value in pairs)
        and all(key.count("[") <= limits.max_depth for key, _ in pairs)
    )


def nested(pairs: list[tuple[str, str]]) -> Form:
    form: Form = {}
    for key, value in pairs:
        *groups, last = key.replace("]", "").split("[")
        node = form
        for group in groups:
            child = node.setdefault(group, {})
            assert isinstance(child, dict)
            node = child
        node[last] = value
    return form


@settings(max_examples=150)
@given(keyed_pairs())
def test_well_formed_body_parses_exactly_when_within_every_limit(
    pairs: list[tuple[str, str]],
) -> None:
    body = urlencode(pairs, safe="[]").encode()

    form = parsed_or_refused(body, MODEL_LIMITS)

    if within_limits(pairs, body):
        assert form == nested(pairs)
    else:
        assert form is None
