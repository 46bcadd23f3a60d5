"""Which portal addresses the service may send requests (and tokens) to.

Portal addresses come from install payloads and redirects, that is from outside.
Unchecked, they would let anyone point the service at its own network: cloud
metadata endpoints, databases, admin pages on loopback. `AddressPolicy` accepts an
address only when it is HTTPS, names the portal's own domain, and every address
its host resolves to is a public unicast one.

The host is resolved here and again by the HTTP client when it connects, and the
two answers may differ (DNS rebinding). Closing that gap needs connecting to the
checked address itself; it is out of scope for this policy.
"""

import asyncio
import ipaddress
import socket
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable

import httpx

from application.errors import AddressRefused, TransportFailure

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

#: Resolves a host name to the addresses a connection could reach.
Resolver = Callable[[str], Awaitable[list[str]]]

#: How long a resolved host's addresses are trusted without asking again.
DEFAULT_TTL = 30.0
#: Hosts whose addresses are kept at most; the oldest answers go first.
DEFAULT_CACHE_SIZE = 4096

_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


async def resolve_with_loop(host: str) -> list[str]:
    """The addresses `getaddrinfo` gives for `host` on the running event loop."""
    loop = asyncio.get_running_loop()
    answers = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return [str(sockaddr[0]) for *_, sockaddr in answers]


class AddressPolicy:
    """Refuses portal addresses that are not public HTTPS hosts of the portal.

    With `allow_insecure_loopback` (for the local emulator and tests) plain HTTP
    is accepted for hosts that resolve to loopback only (127.0.0.0/8, ::1), and
    loopback addresses are accepted; private and other internal ranges stay
    refused.
    """

    def __init__(
        self,
        allow_insecure_loopback: bool = False,
        *,
        resolver: Resolver = resolve_with_loop,
        ttl: float = DEFAULT_TTL,
        cache_size: int = DEFAULT_CACHE_SIZE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._allow_loopback = allow_insecure_loopback
        self._resolver = resolver
        self._ttl = ttl
        self._cache_size = cache_size
        self._clock = clock
        self._cache: OrderedDict[str, tuple[float, list[IPAddress]]] = OrderedDict()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(allow_insecure_loopback={self._allow_loopback})"

    async def check(self, url: httpx.URL, domain: str) -> None:
        """Accept `url` as an address of the portal whose domain is `domain`.

        Raises `AddressRefused` for an address the service must not send to, and
        `TransportFailure` when the host cannot be resolved right now.
        """
        host = url.raw_host.decode("ascii").lower()
        _require_shape(url, host)
        if host != _host_of(domain):
            raise AddressRefused(description=f"{host} is not the portal's domain")

        addresses = await self._addresses(host)
        for address in addresses:
            self._require_public(host, address)
        if url.scheme != "https" and not self._all_loopback(addresses):
            raise AddressRefused(description=f"{host} is not reached over HTTPS")

    def _require_public(self, host: str, address: IPAddress) -> None:
        reason = _internal_reason(address)
        if reason is None:
            return
        if reason == "loopback" and self._allow_loopback:
            return
        raise AddressRefused(description=f"{host} leads to a {reason} address")

    def _all_loopback(self, addresses: list[IPAddress]) -> bool:
        return self._allow_loopback and all(
            _internal_reason(address) == "loopback" for address in addresses
        )

    async def _addresses(self, host: str) -> list[IPAddress]:
        literal = _ip_literal(host)
        if literal is not None:
            return [literal]

        cached = self._cache.get(host)
        if cached is not None and cached[0] > self._clock():
            return cached[1]

        addresses = await self._resolve(host)
        self._remember(host, addresses)
        return addresses

    async def _resolve(self, host: str) -> list[IPAddress]:
        try:
            answers = await self._resolver(host)
        except OSError as exc:
            raise TransportFailure(description=f"cannot resolve {host}") from exc

        # A scope suffix (`fe80::1%eth0`) is no part of the address itself.
        addresses = [_ip_literal(answer.partition("%")[0]) for answer in answers]
        found = [address for address in addresses if address is not None]
        if not found or len(found) != len(addresses):
            raise TransportFailure(description=f"cannot resolve {host}")
        return found

    def _remember(self, host: str, addresses: list[IPAddress]) -> None:
        self._cache[host] = (self._clock() + self._ttl, addresses)
        self._cache.move_to_end(host)
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)


def _require_shape(url: httpx.URL, host: str) -> None:
    if url.scheme not in ("https", "http") or not host:
        raise AddressRefused(description="the portal address is not a web address")
    if url.userinfo:
        raise AddressRefused(description=f"the address of {host} carries credentials")


def _host_of(domain: str) -> str:
    """The host of a portal domain (`name`, `name:port` or `[v6]:port`), encoded
    the way httpx encodes URL hosts, so both sides compare alike."""
    try:
        return httpx.URL(f"https://{domain.strip()}/").raw_host.decode("ascii").lower()
    except httpx.InvalidURL:
        return ""


def _ip_literal(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _internal_reason(address: IPAddress) -> str | None:
    """Why an address is not a public unicast one, or None when it is."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return _internal_reason(address.ipv4_mapped)
        tunnelled = _tunnelled_ipv4(address)
        if tunnelled is not None and _internal_reason(tunnelled) is not None:
            return "tunnelled internal"

    checks = (
        ("loopback", address.is_loopback),
        ("unspecified", address.is_unspecified),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("private", address.is_private),
        ("reserved", address.is_reserved),
        ("non-global", not address.is_global),
    )
    return next((reason for reason, applies in checks if applies), None)


def _tunnelled_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address a 6to4 or NAT64 address leads to, if it is one."""
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None
