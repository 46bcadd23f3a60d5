"""Hypothesis strategies for hostile input: raw bytes, bracket keys, and event,
page and settings payloads with any field missing, misshapen or forged.

Generated payloads never carry a token the service or the fake Bitrix24 issued,
so no generated request is entitled to change anything.
"""

from typing import Any
from urllib.parse import quote_from_bytes, urlencode

from hypothesis import strategies as st

from entrypoints.web import EVENT_HANDLERS
from tests.samples import bracket_pairs, encode_form

MEMBER_ID = "a223c6b3710f85df22e9377d6c4f7553"
#: The application token of the installed portal; generated tokens avoid it.
APPLICATION_TOKEN = "51856fefc120afa4b628cc82d3935cce"
DOMAIN = "some-domain.bitrix24.com"

ascii_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40)
names = st.sampled_from(["event", "auth", "data", "member_id", "FIELDS", "ID", ""])


def bracket_keys() -> st.SearchStrategy[str]:
    """Keys with brackets, balanced or not: `a[b][]`, `[x]`, `a[b`, `a]]`."""
    piece = st.one_of(names, st.text("ab0[]%", max_size=4))
    brackets = st.lists(piece.map(lambda part: f"[{part}]"), max_size=7)
    stray = st.sampled_from(["", "[", "]", "[[", "]["])
    return st.builds(
        lambda head, parts, tail: head + "".join(parts) + tail, piece, brackets, stray
    )


def form_like_bytes() -> st.SearchStrategy[bytes]:
    """Bodies made of the characters that matter to a form parser."""
    text = st.text("ab[]=&%;+0259ADFéЖ\x00 ", max_size=120).map(str.encode)
    escaped = st.binary(max_size=60).map(lambda raw: quote_from_bytes(raw).encode())
    return st.one_of(text, escaped, st.builds(bytes.__add__, text, escaped))


def not_live(token: str) -> bool:
    return token != APPLICATION_TOKEN and MEMBER_ID not in token


def wrong_tokens() -> st.SearchStrategy[str]:
    """Tokens in the documented shape that no one issued."""
    shaped = st.text("0123456789abcdef", min_size=1, max_size=40)
    printable = st.text(
        st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1
    )
    return st.one_of(shaped, printable).filter(not_live)


def tokens() -> st.SearchStrategy[str]:
    """Wrong tokens, in the documented shape or not."""
    return st.one_of(wrong_tokens(), st.text(max_size=20).filter(not_live))


def form_tokens() -> st.SearchStrategy[str]:
    """Settings-form tokens in the documented shape, none of them signed."""
    digest = st.text("0123456789abcdef", min_size=64, max_size=64)
    return st.builds("{}.{}".format, st.integers(0, 10**12 - 1), digest)


member_ids = st.one_of(
    st.just(MEMBER_ID),
    st.sampled_from([MEMBER_ID.upper(), "b" * 32, "../../etc"]),
    ascii_text,
)
known_events = st.sampled_from(sorted(EVENT_HANDLERS))
event_names = st.one_of(
    known_events,
    known_events.map(str.lower),
    st.sampled_from(["ONCRMDEALADD", ""]),
    ascii_text,
)
contact_ids = st.one_of(st.sampled_from(["82", "0", "-1", "9" * 19]), ascii_text)
addresses = st.one_of(
    st.sampled_from(
        [
            f"https://{DOMAIN}/rest/",
            "https://evil.example.com/rest/",
            "http://127.0.0.1:1/rest/",
            "javascript:alert(1)",
            f"https://{DOMAIN}/rest/?x=1#y",
        ]
    ),
    ascii_text,
)
name_fields = st.dictionaries(
    st.sampled_from(["0", "1", "2"]), st.sampled_from(["first", "middle", "last"])
)


def or_group(values: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """The values, or now and then a group (`key[x]=...`) where a value belongs."""
    group = st.dictionaries(st.sampled_from(["0", "x", "ID"]), ascii_text, min_size=1)
    return st.one_of(values, values, group)


def or_value(groups: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """The groups, or now and then a plain value where a group belongs."""
    return st.one_of(groups, groups, ascii_text)


def forged_events() -> st.SearchStrategy[dict[str, Any]]:
    """Well-formed events for the installed portal whose one fault is the proof:
    application, access and refresh tokens that no one issued."""
    auth = st.fixed_dictionaries(
        {
            "member_id": st.just(MEMBER_ID),
            "application_token": wrong_tokens(),
            "domain": st.just(DOMAIN),
            "client_endpoint": st.just(f"https://{DOMAIN}/rest/"),
        },
        optional={"refresh_token": wrong_tokens(), "access_token": wrong_tokens()},
    )
    data = st.fixed_dictionaries(
        {"FIELDS": st.fixed_dictionaries({"ID": st.sampled_from(["82", "1"])})},
        optional={"CLEAN": st.sampled_from(["0", "1"]), "VERSION": st.just("2")},
    )
    return st.fixed_dictionaries({"event": known_events, "auth": auth, "data": data})


def forged_settings() -> st.SearchStrategy[dict[str, Any]]:
    """Well-formed settings forms for the installed portal with unsigned tokens."""
    return st.fixed_dictionaries(
        {"member_id": st.just(MEMBER_ID), "form_token": form_tokens()},
        optional={
            "enabled": st.sampled_from(["Y", ""]),
            "language": st.sampled_from(["en", "ru", "de-AT"]),
            "fields": name_fields,
        },
    )


def event_forms() -> st.SearchStrategy[dict[str, Any]]:
    """Events with any part missing or wrong, values and groups swapping places."""
    auth = st.fixed_dictionaries(
        {},
        optional={
            "member_id": or_group(member_ids),
            "application_token": or_group(tokens()),
            "refresh_token": or_group(tokens()),
            "access_token": or_group(tokens()),
            "domain": or_group(st.just(DOMAIN)),
            "client_endpoint": or_group(addresses),
        },
    )
    data = st.fixed_dictionaries(
        {},
        optional={
            "FIELDS": or_value(st.fixed_dictionaries({"ID": or_group(contact_ids)})),
            "VERSION": or_group(ascii_text),
            "LANGUAGE_ID": or_group(ascii_text),
            "CLEAN": or_group(st.sampled_from(["0", "1", "Y", ""])),
        },
    )
    return st.fixed_dictionaries(
        {},
        optional={
            "event": or_group(event_names),
            "auth": or_value(auth),
            "data": or_value(data),
            "ts": ascii_text,
        },
    )


def page_forms() -> st.SearchStrategy[dict[str, Any]]:
    """The install page's, app page's and settings form's fields, any of them
    missing or wrong."""
    return st.fixed_dictionaries(
        {},
        optional={
            "member_id": or_group(member_ids),
            "AUTH_ID": or_group(tokens()),
            "REFRESH_ID": or_group(tokens()),
            "APPLICATION_TOKEN": or_group(tokens()),
            "AUTH_EXPIRES": ascii_text,
            "PLACEMENT": ascii_text,
            "form_token": or_group(st.one_of(form_tokens(), ascii_text)),
            "enabled": or_group(st.sampled_from(["Y", "N", ""])),
            "language": or_group(st.sampled_from(["en", "ru", "de-AT", "x!"])),
            "fields": or_value(or_group(name_fields)),
        },
    )


def bodies() -> st.SearchStrategy[bytes]:
    """Any body: raw bytes, form-like bytes, bracket pairs, or hostile payloads."""
    pairs = st.lists(st.tuples(bracket_keys(), st.text(max_size=30)), max_size=12)
    return st.one_of(
        st.binary(max_size=300),
        form_like_bytes(),
        pairs.map(lambda found: urlencode(found, safe="[]").encode()),
        event_forms().map(encode_form),
        page_forms().map(encode_form),
    )


def queries() -> st.SearchStrategy[str]:
    """Query strings: the install page's parameters, bracket keys, or noise."""
    page = st.fixed_dictionaries(
        {},
        optional={
            "DOMAIN": or_group(st.one_of(st.just("portal.bitrix24.com"), ascii_text)),
            "PROTOCOL": or_group(st.sampled_from(["0", "1", "2", ""])),
            "LANG": or_group(ascii_text),
            "APP_SID": ascii_text,
        },
    )
    pairs = st.lists(st.tuples(bracket_keys(), ascii_text), max_size=6)
    return st.one_of(
        page.map(lambda found: urlencode(bracket_pairs(found), safe="[]")),
        pairs.map(lambda found: urlencode(found, safe="[]")),
        form_like_bytes().map(lambda raw: quote_from_bytes(raw, safe="[]=&%;+")),
    )


content_types = st.one_of(
    st.sampled_from(
        [
            "application/x-www-form-urlencoded",
            "application/x-www-form-urlencoded; charset=koi8-r",
            "multipart/form-data; boundary=xyz",
            "application/json",
            "text/plain",
        ]
    ),
    ascii_text,
)
