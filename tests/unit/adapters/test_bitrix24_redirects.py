"""A renamed portal answers from its old address with a redirect.

The gateway sends the same request again to the new address and reports the new
client endpoint; redirects that are not a rename leave the portal unavailable.
"""

import json

import httpx
import pytest

from adapters.address_policy import AddressPolicy
from adapters.bitrix24_http import HttpxBitrix24Gateway
from adapters.rate_limit import PortalRateLimiter
from application.errors import AddressRefused, ExpiredToken, PortalUnavailable
from domain.portal import Portal
from tests.unit.adapters.bitrix24_doubles import (
    ACCESS_TOKEN,
    CLIENT_SECRET,
    OAUTH_URL,
    FakeDns,
    FakeTimer,
    ScriptedServer,
    make_portal,
    moved,
    ok,
)

pytestmark = pytest.mark.anyio

NEW_METHOD_URL = "https://renamed.bitrix24.com/rest/crm.contact.update"


@pytest.mark.parametrize("status", [301, 302, 307, 308])
async def test_a_moved_portal_gets_the_same_request_at_its_new_address(
    server: ScriptedServer, gateway: HttpxBitrix24Gateway, portal: Portal, status: int
) -> None:
    server.then(moved(NEW_METHOD_URL, status), ok(True))
    params = {"id": 82, "fields": {"NAME": "Иван"}}

    response = await gateway.call(portal, "crm.contact.update", params)

    first, second = server.requests
    assert second.method == "POST"
    assert str(second.url) == NEW_METHOD_URL
    assert second.content == first.content
    assert json.loads(second.content) == {**params, "auth": ACCESS_TOKEN}
    assert response.result is True
    assert response.moved_to == "https://renamed.bitrix24.com/rest/"


async def test_an_answer_from_the_stored_address_reports_no_move(
    server: ScriptedServer, gateway: HttpxBitrix24Gateway, portal: Portal
) -> None:
    server.answer = ok({"ID": "82"})

    response = await gateway.call(portal, "crm.contact.get", {"id": 82})

    assert response.moved_to is None


async def test_a_portal_moved_twice_reports_its_last_address(
    server: ScriptedServer, gateway: HttpxBitrix24Gateway, portal: Portal
) -> None:
    server.then(
        moved("https://renamed.bitrix24.com/rest/app.info"),
        moved("https://third.bitrix24.com/rest/app.info", 301),
        ok({"ID": 1}),
    )

    response = await gateway.call(portal, "app.info", {})

    assert server.hosts() == [
        "some-domain.bitrix24.com",
        "renamed.bitrix24.com",
        "third.bitrix24.com",
    ]
    assert response.moved_to == "https://third.bitrix24.com/rest/"


async def test_a_relative_redirect_within_the_portal_is_not_a_rename(
    server: ScriptedServer, gateway: HttpxBitrix24Gateway, portal: Portal
) -> None:
    server.answer = moved("/licence-expired.php")

    with pytest.raises(PortalUnavailable) as caught:
        await gateway.call(portal, "crm.contact.get", {"id": 82})

    assert "some-domain.bitrix24.com" in caught.value.description
    assert caught.value.status == 302
    assert len(server.requests) == 1


async def test_an_absolute_redirect_to_the_same_host_is_not_a_rename(
    server: ScriptedServer, gateway: HttpxBitrix24Gateway, portal: Portal
) -> None:
    server.answer = moved("https://SOME-DOMAIN.bitrix24.com:443/rest/crm.contact.get")

    with pytest.raises(PortalUnavailable):
        await gateway.call(portal, "crm.contact.get", {"id": 82})

    assert len(server.requests) == 1


async def test_a_redirect_loop_leaves_the_portal_unavailable(
    server: ScriptedServer, gateway: HttpxBitrix24Gateway, portal: Portal
) -> None:
    server.then(
        moved("https://renamed.bitrix24.com/rest/app.info"),
        moved("https://some-domain.bitrix24.com/rest/app.info"),
    )

    with pytest.raises(PortalUnavailable) as caught:
        await gateway.call(portal, "app.info", {})

    assert "loop" in caught.value.description
    assert len(server.requests) == 2


async def test_too_many_redirects_leave_the_portal_unavailable(
    server: ScriptedServer, gateway: HttpxBitrix24Gateway, portal: Portal
) -> None:
    hosts = ["renamed", "third", "fourth", "fifth"]
    server.then(*(moved(f"https://{host}.bitrix24.com/rest/m") for host in hosts))

    with pytest.raises(PortalUnavailable) as caught:
        await gateway.call(portal, "m", {})

    assert "redirects" in caught.value.description
    assert len(server.requests) == 4


async def test_a_redirect_to_a_page_that_is_no_rest_endpoint_is_not_a_rename(
    server: ScriptedServer, gateway: HttpxBitrix24Gateway, portal: Portal
) -> None:
    server.answer = moved("https://renamed.bitrix24.com/auth/")

    with pytest.raises(PortalUnavailable) as caught:
        await gateway.call(portal, "crm.contact.get", {"id": 82})

    assert "renamed.bitrix24.com" in caught.value.description
    assert len(server.requests) == 1


async def test_a_redirect_without_a_location_leaves_the_portal_unavailable(
    server: ScriptedServer, gateway: HttpxBitrix24Gateway, portal: Portal
) -> None:
    server.answer = httpx.Response(302)

    with pytest.raises(PortalUnavailable):
        await gateway.call(portal, "crm.contact.get", {"id": 82})

    assert len(server.requests) == 1


@pytest.mark.parametrize(
    ("location", "resolves_to"),
    [
        ("http://renamed.bitrix24.com/rest/app.info", "46.4.119.12"),
        ("https://metadata.internal/rest/app.info", "169.254.169.254"),
        ("https://intranet.example/rest/app.info", "10.1.2.3"),
        ("https://127.0.0.1/rest/app.info", None),
    ],
)
async def test_a_redirect_to_a_refused_address_sends_nothing_there(
    server: ScriptedServer,
    gateway: HttpxBitrix24Gateway,
    dns: FakeDns,
    portal: Portal,
    location: str,
    resolves_to: str | None,
) -> None:
    if resolves_to is not None:
        dns.table[httpx.URL(location).host] = [resolves_to]
    server.then(moved(location), ok(True))

    with pytest.raises(AddressRefused):
        await gateway.call(portal, "app.info", {})

    assert server.hosts() == ["some-domain.bitrix24.com"]


async def test_an_error_from_the_new_address_is_raised_as_usual(
    server: ScriptedServer, gateway: HttpxBitrix24Gateway, portal: Portal
) -> None:
    expired = httpx.Response(401, json={"error": "expired_token"})
    server.then(moved("https://renamed.bitrix24.com/rest/app.info"), expired)

    with pytest.raises(ExpiredToken):
        await gateway.call(portal, "app.info", {})


async def test_each_redirected_request_counts_against_the_portal_rate(
    server: ScriptedServer, timer: FakeTimer, dns: FakeDns, portal: Portal
) -> None:
    server.then(moved("https://renamed.bitrix24.com/rest/app.info"), ok(True))
    limiter = PortalRateLimiter(rate=2.0, burst=1, timer=timer)
    transport = httpx.MockTransport(server)

    async with httpx.AsyncClient(transport=transport, timeout=5.0) as client:
        gateway = HttpxBitrix24Gateway(
            client,
            OAUTH_URL,
            "id",
            CLIENT_SECRET,
            limiter=limiter,
            policy=AddressPolicy(resolver=dns),
        )
        await gateway.call(portal, "app.info", {})

    assert server.times == [0.0, 0.5]


async def test_an_emulated_portal_moved_to_another_loopback_port_is_renamed(
    server: ScriptedServer, timer: FakeTimer
) -> None:
    portal = make_portal(
        domain="127.0.0.1:40000", endpoint="http://127.0.0.1:40000/rest/"
    )
    server.then(moved("http://127.0.0.1:40001/rest/app.info"), ok(True))
    transport = httpx.MockTransport(server)

    async with httpx.AsyncClient(transport=transport, timeout=5.0) as client:
        gateway = HttpxBitrix24Gateway(
            client,
            OAUTH_URL,
            "id",
            CLIENT_SECRET,
            limiter=PortalRateLimiter(timer=timer),
            policy=AddressPolicy(allow_insecure_loopback=True),
        )
        response = await gateway.call(portal, "app.info", {})

    assert response.moved_to == "http://127.0.0.1:40001/rest/"
