"""`Bitrix24Gateway` over httpx: REST calls and batches to portals, token refreshes.

Before a request leaves, the portal's address must pass the `AddressPolicy` and
the portal's `PortalRateLimiter` must have room for it. A portal that moved
answers with a redirect; the same request is sent again to the new address, and
the answer reports where the portal is now.

Every answer is read in one of two interpreters, one for REST envelopes and one
for the OAuth server, and every failure leaves as a `Bitrix24Error` subclass
with its cause chained. Tokens and the client secret never reach an exception
message, a log line or a repr: text that could hold them is redacted first.
"""

import json
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, quote_plus

import httpx

from adapters.address_policy import AddressPolicy
from adapters.batch_encoding import (
    encode_commands,
    error_parts,
    php_map,
    require_method_name,
)
from adapters.rate_limit import PortalRateLimiter
from application.errors import (
    AddressRefused,
    AuthRejected,
    Bitrix24Error,
    ClientRejected,
    ConfigurationError,
    ExpiredToken,
    PortalUnavailable,
    RateLimited,
    RefreshTokenRejected,
    RemoteNotFound,
    TransportFailure,
    UnexpectedResponse,
)
from application.ports import (
    BatchCommand,
    BatchResponse,
    Bitrix24Gateway,
    RestResponse,
)
from domain.portal import Grant, Portal

logger = logging.getLogger(__name__)

#: Bitrix24 lets one request run up to 60 s; the read timeout leaves room for that.
DEFAULT_TIMEOUT = httpx.Timeout(10.0, read=65.0)
DEFAULT_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20)

_REDACTED = "[redacted]"

#: Redirects followed for one request; a renamed portal needs one.
MAX_REDIRECTS = 3
_MOVED_STATUSES = frozenset({301, 302, 307, 308})
_DEFAULT_PORTS = {"http": 80, "https": 443}

_RATE_LIMIT_CODES = frozenset(
    {"QUERY_LIMIT_EXCEEDED", "OVERLOAD_LIMIT", "OPERATION_TIME_LIMIT"}
)
_AUTH_CODES = frozenset(
    {
        "NO_AUTH_FOUND",
        "invalid_token",
        "insufficient_scope",
        "ACCESS_DENIED",
        "INVALID_CREDENTIALS",
        "authorization_error",
    }
)

_ErrorRule = tuple[Callable[[int | None, str, str], bool], type[Bitrix24Error]]


def _server_error(status: int | None) -> bool:
    return status is not None and status >= 500


#: REST error envelopes, first match wins: (status, code, description) -> error.
#: A failed command inside a batch has no status of its own: status is None.
_REST_ERROR_RULES: tuple[_ErrorRule, ...] = (
    (lambda status, code, text: code == "expired_token", ExpiredToken),
    (lambda status, code, text: code in _RATE_LIMIT_CODES, RateLimited),
    (lambda status, code, text: status == 429, RateLimited),
    (lambda status, code, text: code in _AUTH_CODES, AuthRejected),
    (lambda status, code, text: code == "PAYMENT_REQUIRED", AuthRejected),
    (lambda status, code, text: status in (401, 403), AuthRejected),
    (
        lambda status, code, text: (
            status in (400, None) and not code and "not found" in text.lower()
        ),
        RemoteNotFound,
    ),
    (lambda status, code, text: _server_error(status), PortalUnavailable),
)

#: OAuth error answers, first match wins, with the same signature.
_OAUTH_ERROR_RULES: tuple[_ErrorRule, ...] = (
    (lambda status, code, text: code == "invalid_grant", RefreshTokenRejected),
    (lambda status, code, text: code == "invalid_client", ClientRejected),
    (lambda status, code, text: code == "PAYMENT_REQUIRED", AuthRejected),
    (lambda status, code, text: _server_error(status), PortalUnavailable),
)


def default_client() -> httpx.AsyncClient:
    """An async client with timeouts on every phase and bounded connection pools.

    The client follows no redirect: httpx would turn a redirected POST into a GET
    without its body, so the gateway follows a moved portal itself, re-sending the
    body to a target that passed the address policy.
    """
    return httpx.AsyncClient(
        timeout=DEFAULT_TIMEOUT,
        limits=DEFAULT_LIMITS,
        follow_redirects=False,
        headers={"User-Agent": "b24names"},
    )


def _utc_now() -> datetime:
    return datetime.now(UTC)


class HttpxBitrix24Gateway(Bitrix24Gateway):
    """Calls portals' REST API and the configured OAuth server through `client`.

    `client` must carry a timeout for every phase (connect, read, write, pool);
    `default_client()` builds one. The gateway does not close the client.
    `limiter` paces each portal (by default 2 requests per second after a burst
    of 10) and `policy` decides which portal addresses may be reached (by default
    public HTTPS hosts only). The OAuth server is configuration and is trusted.
    """

    def __init__(
        self,
        client: httpx.AsyncClient,
        oauth_url: str,
        client_id: str,
        client_secret: str,
        clock: Callable[[], datetime] = _utc_now,
        limiter: PortalRateLimiter | None = None,
        policy: AddressPolicy | None = None,
    ) -> None:
        _require_timeouts(client.timeout)
        _require_web_address(oauth_url)
        # httpx logs each request's URL at INFO, and the refresh query holds secrets.
        logging.getLogger("httpx").addFilter(_HIDE_QUERY_STRINGS)

        self._client = client
        self._token_url = f"{oauth_url.rstrip('/')}/oauth/token/"
        self._client_id = client_id
        self._client_secret = client_secret
        self._clock = clock
        self._limiter = PortalRateLimiter() if limiter is None else limiter
        self._policy = AddressPolicy() if policy is None else policy

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(token_url={self._token_url!r}, "
            f"client_id={self._client_id!r}, policy={self._policy!r})"
        )

    async def call(
        self, portal: Portal, method: str, params: Mapping[str, Any]
    ) -> RestResponse:
        require_method_name(method)
        secrets = self._secrets(portal)
        body = {**params, "auth": portal.access_token}

        try:
            response, moved_to = await self._exchange(
                portal, method, body, [method], secrets
            )
            answer = self._read_rest(portal, method, response, secrets)
        except Bitrix24Error as exc:
            _log_failure(method, portal.member_id, exc)
            raise

        return replace(answer, moved_to=moved_to)

    async def batch(
        self,
        portal: Portal,
        commands: Mapping[str, BatchCommand],
        halt: bool = False,
    ) -> BatchResponse:
        cmd = encode_commands(commands)
        if not cmd:
            return BatchResponse(results={}, errors={})
        secrets = self._secrets(portal)
        body = {"cmd": cmd, "halt": 1 if halt else 0, "auth": portal.access_token}
        # A batch carrying a paused method would only collect its refusal again.
        methods = ["batch", *(method for method, _ in commands.values())]

        try:
            response, moved_to = await self._exchange(
                portal, "batch", body, methods, secrets
            )
            answer = self._read_rest(portal, "batch", response, secrets)
            results, errors = self._batch_parts(portal, commands, answer, secrets)
        except Bitrix24Error as exc:
            _log_failure("batch", portal.member_id, exc)
            raise

        return BatchResponse(results=results, errors=errors, moved_to=moved_to)

    async def refresh(self, refresh_token: str) -> Grant:
        secrets = (refresh_token, self._client_secret)
        query = {
            "grant_type": "refresh_token",
            "client_id": self._client_id,
            "client_secret": self._client_secret,
            "refresh_token": refresh_token,
        }

        try:
            response = await self._client.get(
                self._token_url, params=query, follow_redirects=False
            )
        except httpx.HTTPError as exc:
            error = _transport_failure(exc, secrets)
            _log_failure("oauth.refresh", None, error)
            raise error from exc

        try:
            grant = _read_oauth_answer(response, secrets, self._clock)
        except Bitrix24Error as exc:
            _log_failure("oauth.refresh", None, exc)
            raise

        logger.info(
            "bitrix24 token refreshed member_id=%s status=%s",
            grant.member_id,
            response.status_code,
        )
        return grant

    def _secrets(self, portal: Portal) -> tuple[str, ...]:
        return (portal.access_token, portal.refresh_token, self._client_secret)

    async def _exchange(
        self,
        portal: Portal,
        method: str,
        body: Mapping[str, Any],
        methods: Sequence[str],
        secrets: Iterable[str],
    ) -> tuple[httpx.Response, str | None]:
        """POST `body` to the portal's `method`, following the portal if it moved.

        Returns the last answer and, when it came from another address than the
        stored one, the portal's new client endpoint. Every request, redirected
        ones included, passes the address policy and the rate limiter first.
        """
        first = _endpoint_url(portal.client_endpoint, method)
        await self._policy.check(first, portal.domain)

        url, visited = first, {first}
        while True:
            await self._limiter.acquire(portal.member_id, methods)
            response = await self._post(url, body, secrets)
            logger.debug(
                "bitrix24 call method=%s member_id=%s status=%s",
                method,
                portal.member_id,
                response.status_code,
            )
            if not _is_move(response):
                moved_to = None if url == first else _endpoint_of(url, method)
                return response, moved_to
            if len(visited) > MAX_REDIRECTS:
                raise PortalUnavailable(
                    description=f"more than {MAX_REDIRECTS} redirects",
                    status=response.status_code,
                )

            url = await self._follow(response, url, method, visited)
            visited.add(url)
            logger.info(
                "bitrix24 portal redirected member_id=%s to host=%s",
                portal.member_id,
                url.host,
            )

    async def _post(
        self, url: httpx.URL, body: Mapping[str, Any], secrets: Iterable[str]
    ) -> httpx.Response:
        try:
            return await self._client.post(url, json=body, follow_redirects=False)
        except httpx.HTTPError as exc:
            raise _transport_failure(exc, secrets) from exc

    async def _follow(
        self,
        response: httpx.Response,
        url: httpx.URL,
        method: str,
        visited: set[httpx.URL],
    ) -> httpx.URL:
        """Where a redirect leads, if that is the same method on a renamed portal.

        A redirect within the same origin is a portal showing a notice (an expired
        licence), not a rename; neither is a loop or a target that is no endpoint
        of `method`. These raise `PortalUnavailable`; a target the address policy
        refuses raises `AddressRefused`.
        """
        status = response.status_code
        try:
            target = url.join(response.headers["location"])
        except httpx.InvalidURL as exc:
            raise PortalUnavailable(
                description="redirected to an invalid address", status=status
            ) from exc

        if _origin(target) == _origin(url):
            raise PortalUnavailable(
                description=f"redirected within {url.host}", status=status
            )
        if target in visited:
            raise PortalUnavailable(
                description=f"redirect loop through {target.host}", status=status
            )
        if not target.path.lower().endswith(f"/{method.lower()}"):
            raise PortalUnavailable(
                description=f"redirected to {target.host}, which is no REST endpoint",
                status=status,
            )

        await self._policy.check(target, target.netloc.decode("ascii"))
        return target

    def _read_rest(
        self,
        portal: Portal,
        method: str,
        response: httpx.Response,
        secrets: Iterable[str],
    ) -> RestResponse:
        try:
            return _read_rest_answer(response, secrets)
        except RateLimited as exc:
            self._learn_limit(portal.member_id, method, exc)
            raise

    def _batch_parts(
        self,
        portal: Portal,
        commands: Mapping[str, BatchCommand],
        answer: RestResponse,
        secrets: Iterable[str],
    ) -> tuple[dict[str, Any], dict[str, Bitrix24Error]]:
        """Per-command results and errors of a batch answer (extra parts ignored)."""
        parts = answer.result if isinstance(answer.result, dict) else {}
        results = php_map(parts.get("result"))
        failures = php_map(parts.get("result_error") or {})
        if results is None or failures is None:
            raise UnexpectedResponse(description="not a batch answer", status=200)

        errors: dict[str, Bitrix24Error] = {}
        for key, entry in failures.items():
            error = _command_error(entry, secrets)
            if isinstance(error, RateLimited):
                method = commands[key][0] if key in commands else "batch"
                self._learn_limit(portal.member_id, method, error)
            errors[key] = error
        return results, errors

    def _learn_limit(self, member_id: str, method: str, error: RateLimited) -> None:
        """Let the limiter hear the portal's refusal; tell the caller when to retry."""
        if error.code == "OPERATION_TIME_LIMIT" or (
            error.status == 429 and error.code not in _RATE_LIMIT_CODES
        ):
            error.retry_at = self._limiter.pause_method(
                member_id, method, error.retry_at
            )
        else:
            error.retry_at = self._limiter.slow_down(member_id)


def _require_timeouts(timeout: httpx.Timeout) -> None:
    phases = {
        "connect": timeout.connect,
        "read": timeout.read,
        "write": timeout.write,
        "pool": timeout.pool,
    }
    missing = sorted(name for name, seconds in phases.items() if seconds is None)
    if missing:
        raise ConfigurationError(
            f"the Bitrix24 HTTP client needs timeouts; none set for {missing}"
        )


def _require_web_address(url: str) -> None:
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise ConfigurationError("the OAuth server address is not a URL") from exc

    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise ConfigurationError("the OAuth server address needs http(s) and a host")


class _HideQueryStrings(logging.Filter):
    """Removes the query string from URLs among a log record's arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_without_query(arg) for arg in record.args)
        return True


_HIDE_QUERY_STRINGS = _HideQueryStrings()


def _without_query(value: object) -> object:
    if isinstance(value, httpx.URL) and value.query:
        return value.copy_with(query=None)
    return value


def _log_failure(method: str, member_id: str | None, error: Bitrix24Error) -> None:
    # Only the error's class and Bitrix24's code: their texts may quote a URL.
    # An expired token is routine (tokens live an hour) and is refreshed, and a
    # method refused here while it is paused was logged when the pause began.
    routine = isinstance(error, ExpiredToken) or (
        isinstance(error, RateLimited) and error.status is None
    )
    logger.log(
        logging.INFO if routine else logging.WARNING,
        "bitrix24 call failed method=%s member_id=%s status=%s error=%s code=%s",
        method,
        member_id,
        error.status,
        type(error).__name__,
        error.code,
    )


def _endpoint_url(client_endpoint: str, method: str) -> httpx.URL:
    try:
        return httpx.URL(f"{client_endpoint}{method}")
    except httpx.InvalidURL as exc:
        raise AddressRefused(
            description="the portal's address is not a valid URL"
        ) from exc


def _endpoint_of(url: httpx.URL, method: str) -> str:
    """The client endpoint of a method's URL (`https://x/rest/m`: `https://x/rest/`)."""
    path = url.path[: len(url.path) - len(method)]
    return str(url.copy_with(path=path, query=None, fragment=None))


def _is_move(response: httpx.Response) -> bool:
    return response.status_code in _MOVED_STATUSES and "location" in response.headers


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return url.scheme, url.host, url.port or _DEFAULT_PORTS.get(url.scheme)


def _read_rest_answer(response: httpx.Response, secrets: Iterable[str]) -> RestResponse:
    """The success envelope of a REST answer, or the error it stands for."""
    status = response.status_code
    if response.is_redirect:
        raise _redirected(response)

    body = _json_object(response, secrets)
    if "error" in body:
        error = _envelope_error(body, status, secrets, _REST_ERROR_RULES)
        if isinstance(error, RateLimited):
            error.retry_at = _operating_reset_at(body)
        raise error
    if status >= 500:
        raise PortalUnavailable(description="server error", status=status)
    if not response.is_success or "result" not in body:
        raise UnexpectedResponse(description="no result in the answer", status=status)

    return RestResponse(
        result=body["result"],
        total=_optional_int(body.get("total")),
        next=_optional_int(body.get("next")),
    )


def _read_oauth_answer(
    response: httpx.Response, secrets: Iterable[str], clock: Callable[[], datetime]
) -> Grant:
    """The grant in an OAuth answer, or the error it stands for."""
    status = response.status_code
    if status == 404:
        raise PortalUnavailable(
            "PORTAL_DELETED", "the OAuth server knows no such portal", status
        )

    body = _json_object(response, secrets)
    if "error" in body:
        raise _envelope_error(body, status, secrets, _OAUTH_ERROR_RULES)
    if status >= 500:
        raise PortalUnavailable(description="OAuth server error", status=status)
    if not response.is_success:
        raise UnexpectedResponse(description="OAuth answer not a grant", status=status)

    return _grant_from(body, status, clock)


def _json_object(response: httpx.Response, secrets: Iterable[str]) -> dict[str, Any]:
    """The body as a JSON object; a body that is not one is a failure in itself.

    A 5xx without a JSON body comes from a proxy in front of a failing portal, so
    it reads as the portal being unavailable rather than as a malformed answer.
    """
    status = response.status_code
    try:
        body = json.loads(response.content)
    except ValueError as exc:
        if status >= 500:
            raise PortalUnavailable(
                description="server error without a JSON body", status=status
            ) from exc
        raise UnexpectedResponse(
            description=f"answer is not JSON ({_content_type(response, secrets)})",
            status=status,
        ) from exc

    if not isinstance(body, dict):
        raise UnexpectedResponse(
            description="answer is not a JSON object", status=status
        )
    return body


def _envelope_error(
    body: Mapping[str, Any],
    status: int | None,
    secrets: Iterable[str],
    rules: tuple[_ErrorRule, ...],
) -> Bitrix24Error:
    code = _redact(_text(body.get("error")), secrets)
    description = _redact(_text(body.get("error_description")), secrets)
    for matches, error in rules:
        if matches(status, code, description):
            return error(code, description, status)
    return Bitrix24Error(code, description, status)


def _command_error(entry: object, secrets: Iterable[str]) -> Bitrix24Error:
    """The error one failed batch command stands for, by the REST rules."""
    parts = error_parts(entry)
    if parts is None:
        return UnexpectedResponse(description="unreadable error of a batch command")
    code, description = parts
    envelope = {"error": code, "error_description": description}
    return _envelope_error(envelope, None, secrets, _REST_ERROR_RULES)


def _operating_reset_at(body: Mapping[str, Any]) -> datetime | None:
    """When the method's operating time frees up, as the answer's `time` says."""
    timing = body.get("time")
    if not isinstance(timing, dict):
        return None
    reset_at = timing.get("operating_reset_at")
    if isinstance(reset_at, bool) or not isinstance(reset_at, int | float | str):
        return None
    try:
        return datetime.fromtimestamp(float(reset_at), tz=UTC)
    except (ValueError, OverflowError, OSError):
        return None


def _grant_from(
    body: Mapping[str, Any], status: int, clock: Callable[[], datetime]
) -> Grant:
    access_token = body.get("access_token")
    refresh_token = body.get("refresh_token")
    if not isinstance(access_token, str) or not isinstance(refresh_token, str):
        raise UnexpectedResponse(description="grant without tokens", status=status)
    if not access_token or not refresh_token:
        raise UnexpectedResponse(description="grant without tokens", status=status)

    return Grant(
        access_token=access_token,
        refresh_token=refresh_token,
        expires_at=_expires_at(body, status, clock),
        scope=_text(body.get("scope")),
        member_id=_text(body.get("member_id")) or None,
        client_endpoint=_text(body.get("client_endpoint")) or None,
    )


def _expires_at(
    body: Mapping[str, Any], status: int, clock: Callable[[], datetime]
) -> datetime:
    expires = _optional_int(body.get("expires"))
    if expires is not None:
        return datetime.fromtimestamp(expires, tz=UTC)

    expires_in = _optional_int(body.get("expires_in"))
    if expires_in is not None:
        return clock() + timedelta(seconds=expires_in)

    raise UnexpectedResponse(description="grant without an expiry", status=status)


def _redirected(response: httpx.Response) -> PortalUnavailable:
    try:
        host = httpx.URL(response.headers.get("location", "")).host
    except httpx.InvalidURL:
        host = ""
    target = host or response.url.host
    return PortalUnavailable(
        description=f"redirected to {target}", status=response.status_code
    )


def _transport_failure(exc: Exception, secrets: Iterable[str]) -> TransportFailure:
    detail = _redact(str(exc), secrets)
    description = f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__
    return TransportFailure(description=description)


def _content_type(response: httpx.Response, secrets: Iterable[str]) -> str:
    return _redact(response.headers.get("content-type", "no content type"), secrets)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ",".join(str(item) for item in value)
    return str(value)


def _optional_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


def _redact(text: str, secrets: Iterable[str]) -> str:
    """`text` with every non-empty secret replaced, so it can be shown or logged."""
    for secret in secrets:
        if not secret:
            continue
        for form in (secret, quote(secret, safe=""), quote_plus(secret)):
            text = text.replace(form, _REDACTED)
    return text
