"""Errors of the use cases and of the outside world they talk to.

Adapters translate driver and HTTP failures into these classes in one place each,
chaining the original cause, so use cases never see an httpx or pymongo exception.
"""

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
    """The portal throttled us (request rate or a method's operating time)."""


class RemoteNotFound(Bitrix24Error):
    """The object a call named does not exist on the portal (deleted meanwhile)."""


class PortalUnavailable(Bitrix24Error):
    """The portal is deleted, blocked, failing, or redirects nowhere useful."""


class TransportFailure(Bitrix24Error):
    """No answer: connection refused or dropped, timeout."""


class UnexpectedResponse(Bitrix24Error):
    """An answer that is not the documented JSON envelope (HTML, truncated body)."""
