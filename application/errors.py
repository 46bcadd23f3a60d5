"""Errors of the use cases and of the outside world they talk to.

Adapters translate driver and HTTP failures into these classes in one place each,
chaining the original cause, so use cases never see an httpx or pymongo exception.
"""

from datetime import datetime

from domain.errors import B24NamesError


class InvalidInput(B24NamesError):
    """A request or payload is malformed; the message names what is wrong."""


class Unauthorized(B24NamesError):
    """A request could not be tied to an installed portal that sent it."""


class TokensNotProven(Unauthorized):
    """Tokens offered in an install or update do not belong to the portal named."""


class NotFound(B24NamesError):
    """Something the caller named does not exist here."""


class PortalNotFound(NotFound):
    """No portal with this member_id is installed."""


class StorageUnavailable(B24NamesError):
    """The store failed, or holds a document this version cannot read."""


class LeaseLost(B24NamesError):
    """A worker's lease on a portal expired and another worker took the portal."""


class ConfigurationError(B24NamesError):
    """The service's own configuration is wrong (for example its client secret)."""


class SealingError(B24NamesError):
    """Stored tokens cannot be unsealed with the configured keys.

    The key file (or key variable) does not match the stored data: the key that
    sealed it is missing, or the stored value is damaged. Nothing stored is changed
    when this is raised, and the message names no token and no key.
    """


class Bitrix24Error(B24NamesError):
    """Bitrix24 (a portal or the OAuth server) answered with an error or not at all.

    `code` is Bitrix24's error code (often empty for CRM methods), `description`
    its text, `status` the HTTP status when there was an answer.
    """

    def __init__(
        self, code: str = "", description: str = "", status: int | None = None
    ) -> None:
        super().__init__(f"{code or 'error'}: {description}".strip())
        self.code = code
        self.description = description
        self.status = status


class ExpiredToken(Bitrix24Error):
    """The access token has expired; a refresh will fix it."""


class AuthRejected(Bitrix24Error):
    """The portal or OAuth server refused our credentials; a refresh will not help."""


class RefreshTokenRejected(AuthRejected):
    """The refresh token is dead (`invalid_grant`): the portal needs a reinstall."""


class ClientRejected(AuthRejected):
    """The OAuth server refused our client_id or client_secret (`invalid_client`)."""


class RateLimited(Bitrix24Error):
    """The portal throttled us (request rate or a method's operating time).

    `retry_at` is the earliest moment a new attempt makes sense, when known.
    """

    def __init__(
        self,
        code: str = "",
        description: str = "",
        status: int | None = None,
        *,
        retry_at: datetime | None = None,
    ) -> None:
        super().__init__(code, description, status)
        self.retry_at = retry_at


class RemoteNotFound(Bitrix24Error):
    """The object a call named does not exist on the portal (deleted meanwhile)."""


class PortalUnavailable(Bitrix24Error):
    """The portal is deleted, blocked, failing, or redirects nowhere useful."""


class TransportFailure(Bitrix24Error):
    """No answer: connection refused or dropped, timeout."""


class UnexpectedResponse(Bitrix24Error):
    """An answer that is not the documented JSON envelope (HTML, truncated body)."""


class AddressRefused(Bitrix24Error):
    """A portal address was refused before anything was sent to it.

    It is not HTTPS, names another host than the portal's domain, or leads to a
    loopback, private or otherwise non-public network address. Retrying the same
    address cannot help.
    """


#: Failures that may pass by themselves: the same request can be tried later.
_TRANSIENT = (PortalUnavailable, UnexpectedResponse, TransportFailure, RateLimited)


def is_transient(error: Bitrix24Error) -> bool:
    """True when trying the same request again later may succeed.

    A deleted portal (`PORTAL_DELETED`) stays deleted, whatever class carries it.
    """
    if error.code == "PORTAL_DELETED":
        return False
    return isinstance(error, _TRANSIENT)
