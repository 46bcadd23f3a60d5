"""Which portal addresses may be reached, checked with a fake DNS."""

import httpx
import pytest

from adapters.address_policy import AddressPolicy, resolve_with_loop
from adapters.bitrix24_http import HttpxBitrix24Gateway
from application.errors import AddressRefused, TransportFailure
from domain.portal import Portal
from tests.unit.adapters.bitrix24_doubles import (
    DOMAIN,
    ENDPOINT,
    FakeDns,
    ScriptedServer,
)

pytestmark = pytest.mark.anyio

INTERNAL_ADDRESSES = [
    "127.0.0.1",
    "127.8.9.10",
    "10.0.0.7",
    "172.16.5.4",
    "192.168.1.1",
    "169.254.169.254",
    "100.64.0.1",
    "0.0.0.0",  # noqa: S104 - an address to refuse, not one to bind
    "224.0.0.251",
    "239.255.255.250",
    "255.255.255.255",
    "240.0.0.1",
    "192.0.2.10",
    "198.18.0.1",
    "::1",
    "::",
    "fe80::1",
    "fc00::1",
    "ff02::1",
    "2001:db8::1",
    "::ffff:10.0.0.1",
    "::ffff:127.0.0.1",
    "2002:a00:1::",
    "64:ff9b::a00:1",
]


class Clock:
    def __init__(self) -> None:
        self.seconds = 0.0

    def __call__(self) -> float:
        return self.seconds


def url(text: str) -> httpx.URL:
    return httpx.URL(text)


# Strict policy (production)


async def test_a_public_https_portal_is_accepted(dns: FakeDns) -> None:
    policy = AddressPolicy(resolver=dns)

    await policy.check(url(f"{ENDPOINT}app.info"), DOMAIN)

    assert dns.lookups == [DOMAIN]


async def test_a_host_resolving_to_public_v4_and_v6_addresses_is_accepted(
    dns: FakeDns,
) -> None:
    policy = AddressPolicy(resolver=dns)

    await policy.check(
        url("https://renamed.bitrix24.com/rest/app.info"), "renamed.bitrix24.com"
    )


@pytest.mark.parametrize("address", INTERNAL_ADDRESSES)
async def test_a_host_resolving_to_an_internal_address_is_refused(
    address: str,
) -> None:
    policy = AddressPolicy(resolver=FakeDns({DOMAIN: [address]}))

    with pytest.raises(AddressRefused):
        await policy.check(url(f"{ENDPOINT}app.info"), DOMAIN)


@pytest.mark.parametrize("address", INTERNAL_ADDRESSES)
async def test_an_internal_address_literal_is_refused_without_a_lookup(
    address: str,
) -> None:
    dns = FakeDns()
    policy = AddressPolicy(resolver=dns)
    host = f"[{address}]" if ":" in address else address

    with pytest.raises(AddressRefused):
        await policy.check(url(f"https://{host}/rest/app.info"), host)

    assert dns.lookups == []


async def test_one_internal_address_among_public_ones_is_enough_to_refuse() -> None:
    policy = AddressPolicy(resolver=FakeDns({DOMAIN: ["46.4.119.10", "10.0.0.7"]}))

    with pytest.raises(AddressRefused):
        await policy.check(url(f"{ENDPOINT}app.info"), DOMAIN)


async def test_plain_http_is_refused(dns: FakeDns) -> None:
    policy = AddressPolicy(resolver=dns)

    with pytest.raises(AddressRefused, match="HTTPS"):
        await policy.check(url(f"http://{DOMAIN}/rest/app.info"), DOMAIN)


@pytest.mark.parametrize(
    "address",
    [
        "ftp://some-domain.bitrix24.com/rest/app.info",
        "https://user:pass@some-domain.bitrix24.com/rest/app.info",
    ],
)
async def test_addresses_of_another_shape_are_refused(
    dns: FakeDns, address: str
) -> None:
    policy = AddressPolicy(resolver=dns)

    with pytest.raises(AddressRefused):
        await policy.check(url(address), DOMAIN)


@pytest.mark.parametrize(
    "domain", ["other-domain.bitrix24.com", "bitrix24.com", "", "some-domain"]
)
async def test_an_address_on_another_host_than_the_domain_is_refused(
    dns: FakeDns, domain: str
) -> None:
    policy = AddressPolicy(resolver=dns)

    with pytest.raises(AddressRefused):
        await policy.check(url(f"{ENDPOINT}app.info"), domain)

    assert dns.lookups == []


@pytest.mark.parametrize(
    "domain",
    [
        "SOME-DOMAIN.Bitrix24.com",
        "some-domain.bitrix24.com:443",
        " some-domain.bitrix24.com ",
    ],
)
async def test_the_domain_is_compared_by_host_without_case_or_port(
    dns: FakeDns, domain: str
) -> None:
    policy = AddressPolicy(resolver=dns)

    await policy.check(url(f"{ENDPOINT}app.info"), domain)


async def test_an_international_domain_matches_its_encoded_host() -> None:
    dns = FakeDns({"xn--e1afmkfd.xn--p1ai": ["46.4.119.20"]})
    policy = AddressPolicy(resolver=dns)

    await policy.check(url("https://пример.рф/rest/app.info"), "xn--e1afmkfd.xn--p1ai")
    await policy.check(url("https://xn--e1afmkfd.xn--p1ai/rest/app.info"), "пример.рф")


async def test_a_host_that_does_not_resolve_is_a_transport_failure() -> None:
    policy = AddressPolicy(resolver=FakeDns())

    with pytest.raises(TransportFailure):
        await policy.check(url(f"{ENDPOINT}app.info"), DOMAIN)


async def test_an_answer_that_is_no_address_is_a_transport_failure() -> None:
    policy = AddressPolicy(resolver=FakeDns({DOMAIN: ["not-an-address"]}))

    with pytest.raises(TransportFailure):
        await policy.check(url(f"{ENDPOINT}app.info"), DOMAIN)


# Resolution cache


async def test_a_resolved_host_is_not_looked_up_again_within_the_ttl(
    dns: FakeDns,
) -> None:
    clock = Clock()
    policy = AddressPolicy(resolver=dns, ttl=30, clock=clock)

    await policy.check(url(f"{ENDPOINT}app.info"), DOMAIN)
    clock.seconds = 29
    await policy.check(url(f"{ENDPOINT}crm.contact.get"), DOMAIN)
    clock.seconds = 31
    await policy.check(url(f"{ENDPOINT}crm.contact.get"), DOMAIN)

    assert dns.lookups == [DOMAIN, DOMAIN]


async def test_a_host_that_turned_internal_is_refused_after_the_ttl() -> None:
    clock = Clock()
    dns = FakeDns({DOMAIN: ["46.4.119.10"]})
    policy = AddressPolicy(resolver=dns, ttl=30, clock=clock)
    await policy.check(url(f"{ENDPOINT}app.info"), DOMAIN)

    dns.table[DOMAIN] = ["10.0.0.7"]
    clock.seconds = 31

    with pytest.raises(AddressRefused):
        await policy.check(url(f"{ENDPOINT}app.info"), DOMAIN)


async def test_the_cache_keeps_a_bounded_number_of_hosts() -> None:
    hosts = [f"p{number}.bitrix24.com" for number in range(50)]
    dns = FakeDns({host: ["46.4.119.10"] for host in hosts})
    policy = AddressPolicy(resolver=dns, cache_size=10)

    for host in hosts:
        await policy.check(url(f"https://{host}/rest/app.info"), host)
    await policy.check(url(f"https://{hosts[0]}/rest/app.info"), hosts[0])
    await policy.check(url(f"https://{hosts[-1]}/rest/app.info"), hosts[-1])

    assert dns.lookups == [*hosts, hosts[0]]


async def test_the_default_resolver_reads_an_address_literal() -> None:
    found = await resolve_with_loop("127.0.0.1")

    assert set(found) == {"127.0.0.1"}


# The loopback switch (emulator and tests)


@pytest.mark.parametrize(
    ("address", "domain"),
    [
        ("http://127.0.0.1:8080/rest/app.info", "127.0.0.1:8080"),
        ("http://127.3.4.5/rest/app.info", "127.3.4.5"),
        ("http://[::1]:8080/rest/app.info", "[::1]:8080"),
        ("https://127.0.0.1:8443/rest/app.info", "127.0.0.1:8443"),
        ("http://localhost:8080/rest/app.info", "localhost:8080"),
    ],
)
async def test_the_loopback_switch_allows_plain_http_to_loopback(
    address: str, domain: str
) -> None:
    dns = FakeDns({"localhost": ["127.0.0.1", "::1"]})
    policy = AddressPolicy(allow_insecure_loopback=True, resolver=dns)

    await policy.check(url(address), domain)


@pytest.mark.parametrize(
    "address", ["10.0.0.7", "192.168.1.1", "169.254.169.254", "fc00::1", "::"]
)
async def test_the_loopback_switch_still_refuses_other_internal_addresses(
    address: str,
) -> None:
    policy = AddressPolicy(
        allow_insecure_loopback=True, resolver=FakeDns({DOMAIN: [address]})
    )

    with pytest.raises(AddressRefused):
        await policy.check(url(f"{ENDPOINT}app.info"), DOMAIN)


async def test_the_loopback_switch_keeps_https_for_public_hosts(dns: FakeDns) -> None:
    policy = AddressPolicy(allow_insecure_loopback=True, resolver=dns)

    with pytest.raises(AddressRefused):
        await policy.check(url(f"http://{DOMAIN}/rest/app.info"), DOMAIN)


async def test_without_the_switch_loopback_is_refused() -> None:
    policy = AddressPolicy(resolver=FakeDns())

    with pytest.raises(AddressRefused):
        await policy.check(url("https://127.0.0.1:8443/rest/app.info"), "127.0.0.1")


# Inside the gateway: refused addresses are never sent to


@pytest.mark.parametrize(
    ("domain", "endpoint", "resolves_to"),
    [
        (DOMAIN, ENDPOINT, "10.0.0.7"),
        (DOMAIN, ENDPOINT, "169.254.169.254"),
        (DOMAIN, ENDPOINT, "127.0.0.1"),
        (DOMAIN, f"http://{DOMAIN}/rest/", "46.4.119.10"),
        ("other-domain.bitrix24.com", ENDPOINT, "46.4.119.10"),
        (DOMAIN, "https://10.0.0.7/rest/", None),
        (DOMAIN, "https://[fd00::7]/rest/", None),
    ],
)
async def test_the_gateway_sends_nothing_to_a_refused_address(
    server: ScriptedServer,
    gateway: HttpxBitrix24Gateway,
    dns: FakeDns,
    portal: Portal,
    domain: str,
    endpoint: str,
    resolves_to: str | None,
) -> None:
    portal.domain = domain
    portal.client_endpoint = endpoint
    if resolves_to is not None:
        dns.table[DOMAIN] = [resolves_to]

    with pytest.raises(AddressRefused):
        await gateway.call(portal, "crm.contact.get", {"id": 82})
    with pytest.raises(AddressRefused):
        await gateway.batch(portal, {"get": ("crm.contact.get", {"id": 82})})

    assert server.requests == []


async def test_the_oauth_server_is_reached_without_the_portal_policy(
    server: ScriptedServer, gateway: HttpxBitrix24Gateway, dns: FakeDns
) -> None:
    server.answers(200, {"access_token": "a", "refresh_token": "r", "expires": 1})

    await gateway.refresh("refresh-token")

    assert dns.lookups == []
    assert server.last.url.host == "oauth.example.test"
