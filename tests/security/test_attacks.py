"""Attacks on the running service over loopback, each of which must fail.

Every test starts the emulated Bitrix24 and the service on real sockets, sends
hostile requests with httpx, and checks the answer and that nothing changed: the
stored portals, the inbox, the files under the data folder, and each portal's
REST counters and token refreshes at the emulator. The service's own HTTP client
records what it sends, so a request to any address but the emulator's shows.
"""

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from application.ports import ContactJob
from domain.names import NameField
from domain.portal import NameSettings, Portal
from entrypoints.demo import Stack, running_stack, wait_until_processed
from tests.samples import encode_form, sample

pytestmark = [pytest.mark.anyio, pytest.mark.e2e]

FORM = {"content-type": "application/x-www-form-urlencoded"}

#: Tokens in the documented shape that nobody issued.
FORGED = "0123456789abcdef0123456789abcdef"
FORGED_REFRESH = "fedcba9876543210fedcba9876543210"

#: What the victim's administrator chose, so that a change to it shows.
VICTIM_SETTINGS = NameSettings(
    enabled=True, fields=frozenset({NameField.LAST}), language="de"
)

State = dict[str, Any]


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    # Deep enough that `../../` from the data folder still lands in `tmp_path`,
    # the tree every test lists.
    folder = tmp_path / "srv" / "b24names" / "data"
    folder.mkdir(parents=True)
    return folder


@pytest.fixture
async def stack(data_dir: Path) -> AsyncIterator[Stack]:
    async with running_stack(data_dir) as running:
        yield running


@dataclass(frozen=True)
class Footprint:
    """What a refused request must leave as it was."""

    portals: list[Portal]
    jobs: list[ContactJob]
    files: list[Path]
    rest: dict[str, Any]
    refreshes: dict[str, int]


async def footprint(stack: Stack, root: Path) -> Footprint:
    """The stored portals and jobs, the files under `root`, and every emulated
    portal's REST counters and refreshes."""
    rest: dict[str, Any] = {}
    refreshes: dict[str, int] = {}
    for state in await stack.emulator.portals():
        member_id = state["member_id"]
        rest[member_id] = (await stack.emulator.stats(member_id))["rest"]
        refreshes[member_id] = state["refreshes"]

    return Footprint(
        portals=sorted(stack.container.portals().list(), key=lambda p: p.member_id),
        jobs=stack.container.inbox().jobs(),
        files=files_under(root),
        rest=rest,
        refreshes=refreshes,
    )


def files_under(root: Path) -> list[Path]:
    return sorted(path.relative_to(root) for path in root.rglob("*"))


class Outbound:
    """The addresses (without query) the service sends requests to from now on."""

    def __init__(self, stack: Stack) -> None:
        self.urls: list[str] = []
        client = stack.container.http_client()
        hooks = client.event_hooks
        client.event_hooks = {**hooks, "request": [*hooks["request"], self._record]}

    async def _record(self, request: httpx.Request) -> None:
        self.urls.append(str(request.url).partition("?")[0])


async def refresh_token_of(stack: Stack, member_id: str) -> str:
    """The app's refresh token on the portal now, valid until someone uses it."""
    token: str = (await stack.emulator.portal(member_id))["refresh_token"]
    return token


def token_url(stack: Stack) -> str:
    return f"{stack.container.settings().oauth_url.rstrip('/')}/oauth/token/"


async def installed(stack: Stack) -> State:
    """A new portal with the app installed through the service; its emulator
    state (domain, addresses, the app's current tokens)."""
    portal = await stack.emulator.create_portal()
    result = await stack.emulator.install(portal.member_id, flow="event")
    assert result.installed, result
    await wait_until_processed(stack, portal.member_id)
    return await stack.emulator.portal(portal.member_id)


async def victim(stack: Stack) -> State:
    """An installed portal with its own settings and a failed job kept, so that
    a reinstall, an uninstall or a settings change would show."""
    state = await installed(stack)
    member_id = state["member_id"]
    container = stack.container
    container.change_settings()(member_id, VICTIM_SETTINGS)

    # Due tomorrow, so no worker takes it before it is failed.
    inbox = container.inbox()
    inbox.add(member_id, "7", container.clock()() + timedelta(days=1))
    [job] = inbox.jobs(member_id)
    inbox.fail(job, "PortalUnavailable")
    return state


def event(name: str, portal: State, application_token: str) -> dict[str, Any]:
    """A documented sample of the event, addressed as if `portal` sent it."""
    samples = {"ONAPPINSTALL": "onappinstall", "ONAPPUNINSTALL": "onappuninstall"}
    body = sample(samples.get(name, "oncrmcontactupdate"))
    body["event"] = name
    body["auth"].update(
        member_id=portal["member_id"],
        domain=portal["domain"],
        client_endpoint=portal["client_endpoint"],
        application_token=application_token,
    )
    return body


def ui_install(member_id: str, domain: str, refresh_token: str) -> dict[str, Any]:
    """The documented install page request: `query` and `form`."""
    page = sample("ui-install")
    page["query"].update(DOMAIN=domain, PROTOCOL="1")
    page["form"].update(member_id=member_id, REFRESH_ID=refresh_token)
    return page


async def post(
    stack: Stack,
    path: str,
    form: Mapping[str, Any],
    query: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> httpx.Response:
    """POST `form` encoded as Bitrix24 encodes it."""
    return await post_body(stack, path, encode_form(form), query, headers)


async def post_body(
    stack: Stack,
    path: str,
    body: bytes | AsyncIterator[bytes],
    query: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> httpx.Response:
    async with httpx.AsyncClient(base_url=stack.service_url) as client:
        return await client.post(
            path,
            params=query,
            content=body,
            headers={**FORM, **(headers or {})},
        )


async def install_page(stack: Stack, page: Mapping[str, Any]) -> httpx.Response:
    return await post(stack, "/install", page["form"], query=page["query"])


def near_misses(token: str) -> list[str]:
    """Wrong application tokens: forged, one character off, cut short, recased."""
    flipped = token[:-1] + ("0" if token[-1] != "0" else "1")
    return [FORGED, flipped, token[:-1], token.upper()]


async def test_contact_event_with_a_wrong_application_token_is_refused(
    stack: Stack, tmp_path: Path
) -> None:
    portal = await victim(stack)
    spoofed = [
        event("ONCRMCONTACTADD", portal, token)
        for token in near_misses(portal["application_token"])
    ]
    before = await footprint(stack, tmp_path)
    outbound = Outbound(stack)

    answers = [await post(stack, "/events", body) for body in spoofed]

    assert [answer.status_code for answer in answers] == [401] * len(spoofed)
    assert await footprint(stack, tmp_path) == before
    assert outbound.urls == []


async def test_uninstall_with_a_wrong_application_token_leaves_the_portal(
    stack: Stack, tmp_path: Path
) -> None:
    portal = await victim(stack)
    spoofed = []
    for clean in ("1", "0"):
        body = event("ONAPPUNINSTALL", portal, FORGED)
        body["data"]["CLEAN"] = clean
        spoofed.append(body)
    before = await footprint(stack, tmp_path)
    outbound = Outbound(stack)

    answers = [await post(stack, "/events", body) for body in spoofed]

    assert [answer.status_code for answer in answers] == [401, 401]
    assert await footprint(stack, tmp_path) == before
    assert outbound.urls == []


async def test_forged_install_over_a_portal_is_refused_and_leaves_it_untouched(
    stack: Stack, tmp_path: Path
) -> None:
    portal = await victim(stack)
    forged_event = event("ONAPPINSTALL", portal, FORGED)
    forged_event["auth"].update(refresh_token=FORGED_REFRESH, access_token=FORGED)
    forged_page = ui_install(portal["member_id"], portal["domain"], FORGED_REFRESH)
    forged_page["query"]["PROTOCOL"] = "0"
    before = await footprint(stack, tmp_path)
    outbound = Outbound(stack)

    by_event = await post(stack, "/install", forged_event)
    by_page = await install_page(stack, forged_page)

    assert (by_event.status_code, by_page.status_code) == (403, 403)
    assert await footprint(stack, tmp_path) == before
    assert outbound.urls == [token_url(stack)] * 2


async def test_install_with_another_portals_refresh_token_is_refused(
    stack: Stack, tmp_path: Path
) -> None:
    portal = await victim(stack)
    donor = await installed(stack)
    forged = event("ONAPPINSTALL", portal, FORGED)
    forged["auth"]["refresh_token"] = donor["refresh_token"]
    before = await footprint(stack, tmp_path)
    outbound = Outbound(stack)

    answer = await post(stack, "/install", forged)

    after = await footprint(stack, tmp_path)
    assert answer.status_code == 403
    assert replace(after, refreshes=before.refreshes) == before
    # The proof spends the donor's token at the OAuth server, and that is all.
    assert after.refreshes == {
        **before.refreshes,
        donor["member_id"]: before.refreshes[donor["member_id"]] + 1,
    }
    assert outbound.urls == [token_url(stack)]


@pytest.mark.parametrize(
    "member_id",
    ["../../etc/passwd", "..%2F..", "a" * 1000],
    ids=["dot-dot", "encoded-dot-dot", "very-long"],
)
async def test_path_like_member_id_is_refused_and_creates_no_file(
    stack: Stack, tmp_path: Path, member_id: str
) -> None:
    portal = {
        "member_id": member_id,
        "domain": "some-domain.bitrix24.com",
        "client_endpoint": "https://some-domain.bitrix24.com/rest/",
    }
    contact_event = event("ONCRMCONTACTADD", portal, FORGED)
    install_event = event("ONAPPINSTALL", portal, FORGED)
    page = ui_install(member_id, portal["domain"], FORGED_REFRESH)
    before = await footprint(stack, tmp_path)
    outbound = Outbound(stack)

    answers = [
        await post(stack, "/events", contact_event),
        await post(stack, "/install", install_event),
        await install_page(stack, page),
    ]

    for answer in answers:
        assert answer.status_code == 400
        assert "member_id" in answer.json()["error_description"]
    assert await footprint(stack, tmp_path) == before
    assert outbound.urls == []


@pytest.mark.parametrize("host", ["10.0.0.1", "169.254.169.254", "localhost"])
async def test_install_pointing_at_an_internal_address_is_refused(
    stack: Stack, tmp_path: Path, host: str
) -> None:
    """The attacker owns a real portal and offers its valid refresh token, so the
    OAuth proof itself passes; only the address it names is internal."""
    attacker = await installed(stack)
    member_id = attacker["member_id"]
    before = await footprint(stack, tmp_path)
    outbound = Outbound(stack)

    page = ui_install(member_id, host, await refresh_token_of(stack, member_id))
    by_page = await install_page(stack, page)
    forged = event("ONAPPINSTALL", attacker, FORGED)
    forged["auth"].update(
        client_endpoint=f"https://{host}/rest/",
        refresh_token=await refresh_token_of(stack, member_id),
    )
    by_event = await post(stack, "/install", forged)

    after = await footprint(stack, tmp_path)
    assert 400 <= by_page.status_code < 500
    assert 400 <= by_event.status_code < 500
    assert replace(after, refreshes=before.refreshes) == before
    assert after.refreshes[member_id] - before.refreshes[member_id] <= 2
    assert set(outbound.urls) <= {token_url(stack)}
    assert len(outbound.urls) <= 2


async def kibibytes(count: int) -> AsyncIterator[bytes]:
    """A body sent in chunks with no declared length."""
    for _ in range(count):
        yield b"x" * 1024


async def test_oversized_deep_and_crowded_bodies_are_refused(
    stack: Stack, tmp_path: Path
) -> None:
    """Each body is a genuine contact event (the real application token) with a
    hostile part added, so only the limits stand between it and the inbox."""
    portal = await victim(stack)
    genuine = encode_form(event("ONCRMCONTACTADD", portal, portal["application_token"]))
    megabyte = genuine + b"&pad=" + b"x" * (1 << 20)
    deep = genuine + b"&a[b][c][d][e][f][g]=1"
    crowded = genuine + b"&a=" * 10_000
    before = await footprint(stack, tmp_path)
    outbound = Outbound(stack)

    answers = [
        await post_body(stack, "/events", megabyte),
        await post_body(stack, "/events", kibibytes(1024)),
        await post_body(stack, "/events", deep),
        await post_body(stack, "/events", crowded),
    ]

    assert [answer.status_code for answer in answers] == [413, 413, 400, 400]
    assert await footprint(stack, tmp_path) == before
    assert outbound.urls == []
    # The same event without its hostile part is taken: only the limits refused.
    assert (await post_body(stack, "/events", genuine)).status_code == 200


async def test_app_page_with_a_wrong_auth_id_shows_no_portal_data(
    stack: Stack, tmp_path: Path
) -> None:
    portal = await victim(stack)
    other = await installed(stack)
    member_id = portal["member_id"]
    before = await footprint(stack, tmp_path)
    calls_before = len(await stack.emulator.calls(member_id))

    answers = [
        await post(stack, "/", {"member_id": member_id, "AUTH_ID": auth_id})
        for auth_id in (FORGED, other["access_token"])
    ]

    after = await footprint(stack, tmp_path)
    calls = (await stack.emulator.calls(member_id))[calls_before:]
    for answer in answers:
        assert answer.status_code == 403
        assert portal["domain"] not in answer.text
        assert "<table>" not in answer.text
    assert replace(after, rest=before.rest) == before
    # The portal was asked about each caller's token and refused it; nothing else.
    assert [(call["method"], call["status"]) for call in calls] == [
        ("user.admin", 401)
    ] * 2
    # The administrator's own token shows the page: only the token decided.
    own = {"member_id": member_id, "AUTH_ID": portal["access_token"]}
    assert portal["domain"] in (await post(stack, "/", own)).text


async def test_settings_form_without_its_token_or_from_another_site_is_refused(
    stack: Stack, tmp_path: Path
) -> None:
    portal = await victim(stack)
    member_id = portal["member_id"]
    tokens = stack.container.page_tokens()
    valid = tokens.issue(member_id)
    tokens.check(valid, member_id)
    change = {"member_id": member_id, "enabled": "", "language": "ru"}
    attempts = [
        (change, {}),
        ({**change, "form_token": "9999999999." + "0" * 64}, {}),
        ({**change, "form_token": tokens.issue("b" * 32)}, {}),
        ({**change, "form_token": valid}, {"origin": "https://evil.example.com"}),
        ({**change, "form_token": valid}, {"origin": f"{stack.service_url}.evil.com"}),
    ]
    before = await footprint(stack, tmp_path)
    outbound = Outbound(stack)

    answers = [
        await post(stack, "/settings", form, headers=headers)
        for form, headers in attempts
    ]

    assert [answer.status_code for answer in answers] == [400, 401, 401, 403, 403]
    assert await footprint(stack, tmp_path) == before
    assert outbound.urls == []
    # The same form from the service's own page is taken: only the checks refused.
    own_page = {"origin": stack.service_url}
    saved = await post(stack, "/settings", {**change, "form_token": valid}, own_page)
    assert saved.status_code == 200


async def test_portal_redirecting_to_an_internal_address_is_not_followed(
    stack: Stack,
) -> None:
    state = await installed(stack)
    member_id = state["member_id"]
    internal = "https://169.254.169.254/rest/"
    await stack.emulator.set_redirect(member_id, "elsewhere", internal)
    outbound = Outbound(stack)

    contact = await stack.emulator.add_contact(member_id, NAME="JOHN")
    await wait_until_processed(stack, member_id)

    assert not any(url.startswith(internal) for url in outbound.urls)
    assert any(url.startswith(state["client_endpoint"]) for url in outbound.urls)
    [parked] = stack.container.inbox().jobs(member_id)
    assert (parked.contact_id, "AddressRefused") == (
        contact,
        parked.last_error.partition(":")[0],
    )
    await stack.emulator.set_redirect(member_id, None)
    assert (await stack.emulator.get_contact(member_id, contact))["NAME"] == "JOHN"
