"""`Bitrix24Gateway` over httpx: REST calls to portals and token refreshes.

Every answer is read in one of two interpreters, one for REST envelopes and one
for the OAuth server, and every failure leaves as a `Bitrix24Error` subclass
with its cause chained. Tokens and the client secret never reach an exception
message, a log line or a repr: text that could hold them is redacted first.
"""

import json
import logging
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, quote_plus

import httpx

from application.errors import (
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
from application.ports import Bitrix24Gateway, RestResponse
from domain.portal import Grant, Portal

logger = logging.getLogger(__name__)

#: Bitrix24 lets one request run up to 60 s; the read timeout leaves room for that.
DEFAULT_TIMEOUT = httpx.Timeout(10.0, read=65.0)
DEFAULT_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20)

_REDACTED = "[redacted]"


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

_ErrorRule = tuple[Callable[[int, str, str], bool], type[Bitrix24Error]]

#: REST error envelopes, first match wins: (status, code, description) -> error.
_REST_ERROR_RULES: tuple[_ErrorRule, ...] = (
    (lambda status, code, text: code == "expired_token", ExpiredToken),
    (lambda status, code, text: code in _RATE_LIMIT_CODES, RateLimited),
    (lambda status, code, text: status == 429, RateLimited),
    (lambda status, code, text: code in _AUTH_CODES, AuthRejected),
    (lambda status, code, text: status in (401, 403), AuthRejected),
    (
        lambda status, code, text: (
            status == 400 and not code and "not found" in text.lower()
        ),
        RemoteNotFound,
    ),
    (lambda status, code, text: status >= 500, PortalUnavailable),
)

#: OAuth error answers, first match wins, with the same signature.
_OAUTH_ERROR_RULES: tuple[_ErrorRule, ...] = (
    (lambda status, code, text: code == "invalid_grant", RefreshTokenRejected),
    (lambda status, code, text: code == "invalid_client", ClientRejected),
    (lambda status, code, text: status >= 500, PortalUnavailable),
)


def default_client() -> httpx.AsyncClient:
    """An async client with timeouts on every phase and bounded connection pools.

    Redirects are not followed: a portal that moved answers 302 and the gateway
    reports it rather than losing the POST body on the way.
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
    """

    def __init__(
        self,
        client: httpx.AsyncClient,
        oauth_url: str,
        client_id: str,
        client_secret: str,
        clock: Callable[[], datetime] = _utc_now,
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

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(token_url={self._token_url!r}, "
            f"client_id={self._client_id!r})"
        )

    async def call(
        self, portal: Portal, method: str, params: Mapping[str, Any]
    ) -> RestResponse:
        secrets = (portal.access_token, portal.refresh_token, self._client_secret)
        url = f"{portal.client_endpoint}{method}"
        body = {**params, "auth": portal.access_token}

        try:
            response = await self._client.post(url, json=body, follow_redirects=False)
        except httpx.InvalidURL as exc:
            _log_failure(method, portal.member_id, None, exc)
            raise PortalUnavailable(
                description="the portal's address is not a valid URL"
            ) from exc
        except httpx.HTTPError as exc:
            _log_failure(method, portal.member_id, None, exc)
            raise _transport_failure(exc, secrets) from exc

        logger.debug(
            "bitrix24 call method=%s member_id=%s status=%s",
            method,
            portal.member_id,
            response.status_code,
        )
        try:
            return _read_rest_answer(response, secrets)
        except Bitrix24Error as exc:
            _log_failure(method, portal.member_id, response.status_code, exc)
            raise

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
            _log_failure("oauth.refresh", None, None, exc)
            raise _transport_failure(exc, secrets) from exc

        try:
            grant = _read_oauth_answer(response, secrets, self._clock)
        except Bitrix24Error as exc:
            _log_failure("oauth.refresh", None, response.status_code, exc)
            raise

        logger.info(
            "bitrix24 token refreshed member_id=%s status=%s",
            grant.member_id,
            response.status_code,
        )
        return grant


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


def _log_failure(
    method: str, member_id: str | None, status: int | None, error: Exception
) -> None:
    # Only the error's class and Bitrix24's code: their texts may quote a URL.
    # An expired token is routine (tokens live an hour) and is refreshed.
    level = logging.INFO if isinstance(error, ExpiredToken) else logging.WARNING
    logger.log(
        level,
        "bitrix24 call failed method=%s member_id=%s status=%s error=%s code=%s",
        method,
        member_id,
        status,
        type(error).__name__,
        getattr(error, "code", ""),
    )


def _read_rest_answer(response: httpx.Response, secrets: Iterable[str]) -> RestResponse:
    """The success envelope of a REST answer, or the error it stands for."""
    status = response.status_code
    if response.is_redirect:
        raise _redirected(response)

    body = _json_object(response, secrets)
    if "error" in body:
        raise _envelope_error(body, status, secrets, _REST_ERROR_RULES)
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
        raise PortalUnavailable(description="the OAuth server knows no such portal")

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
    status: int,
    secrets: Iterable[str],
    rules: tuple[_ErrorRule, ...],
) -> Bitrix24Error:
    code = _redact(_text(body.get("error")), secrets)
    description = _redact(_text(body.get("error_description")), secrets)
    for matches, error in rules:
        if matches(status, code, description):
            return error(code, description, status)
    return Bitrix24Error(code, description, status)


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
