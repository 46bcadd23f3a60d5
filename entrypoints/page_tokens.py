"""Tokens that let only a proven user's own page change that portal's settings.

The settings form is served inside Bitrix24's frame to a user whose access token
the portal accepted. It carries a token signed with a key derived from the app's
client secret, bound to the portal's member_id and expiring soon after. A forged
cross-site request has no way to read the page, so it has no valid token; and the
page never needs to carry the user's access token to prove anything later.
"""

import hashlib
import hmac
from collections.abc import Callable
from datetime import datetime, timedelta

from application.errors import Unauthorized

LIFETIME = timedelta(minutes=30)


class PageTokens:
    """Issues and checks settings-form tokens, one key per deployment."""

    def __init__(
        self,
        secret: str,
        clock: Callable[[], datetime],
        lifetime: timedelta = LIFETIME,
    ) -> None:
        # A key of its own, so a token never reveals anything about the secret.
        self._key = hmac.new(
            secret.encode(), b"b24names settings form", hashlib.sha256
        ).digest()
        self._clock = clock
        self._lifetime = lifetime

    def __repr__(self) -> str:
        return f"{type(self).__name__}(lifetime={self._lifetime})"

    def issue(self, member_id: str) -> str:
        """A token for `member_id`'s settings form, valid for the lifetime."""
        expires = int((self._clock() + self._lifetime).timestamp())
        return f"{expires}.{self._sign(member_id, expires)}"

    def check(self, token: str, member_id: str) -> None:
        """Return if `token` was issued for `member_id` and is still valid; else
        `Unauthorized`."""
        expires_text, _, signature = token.partition(".")
        if not expires_text.isdigit() or len(expires_text) > 12:
            raise Unauthorized("settings form token is malformed")

        expires = int(expires_text)
        expected = self._sign(member_id, expires)
        if not hmac.compare_digest(expected, signature):
            raise Unauthorized(f"settings form not issued for member_id={member_id}")
        if self._clock().timestamp() > expires:
            raise Unauthorized("settings form expired: open the app again")

    def _sign(self, member_id: str, expires: int) -> str:
        message = f"{member_id}\n{expires}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()
