"""OAuth token pairs issued to the app, across all portals."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from emulator import errors
from emulator.registration import REFRESH_TOKEN_LIFETIME

#: Bitrix24 access and refresh tokens are 32 lowercase hex-like characters.
TOKEN_BYTES = 16


def new_token() -> str:
    return secrets.token_hex(TOKEN_BYTES)


@dataclass
class Grant:
    """One access/refresh pair issued to `user_id` of the portal `member_id`."""

    member_id: str
    user_id: int
    access_token: str
    refresh_token: str
    expires_at: float
    refresh_expires_at: float


class TokenBook:
    """Every live token pair; a token absent from the book is dead.

    A refresh consumes the refresh token and kills the access token of the same
    pair, so a used refresh token is indistinguishable from an unknown one.
    """

    def __init__(self) -> None:
        self._by_access: dict[str, Grant] = {}
        self._by_refresh: dict[str, Grant] = {}

    def mint(self, member_id: str, user_id: int, lifetime: int, now: float) -> Grant:
        grant = Grant(
            member_id=member_id,
            user_id=user_id,
            access_token=new_token(),
            refresh_token=new_token(),
            expires_at=now + lifetime,
            refresh_expires_at=now + REFRESH_TOKEN_LIFETIME,
        )
        self._by_access[grant.access_token] = grant
        self._by_refresh[grant.refresh_token] = grant
        return grant

    def authorize(self, access_token: str, member_id: str | None, now: float) -> Grant:
        """The grant of a live `access_token`, on portal `member_id` if given.

        Raises RestError `invalid_token` for unknown tokens and tokens of
        another portal, `expired_token` once the hour is over.
        """
        grant = self._by_access.get(access_token)
        if grant is None or member_id not in (None, grant.member_id):
            raise errors.invalid_token()

        if now >= grant.expires_at:
            raise errors.expired_token()
        return grant

    def refresh(self, refresh_token: str, lifetime: int, now: float) -> Grant:
        """Rotate the pair of `refresh_token`; raises OAuthError `invalid_grant`."""
        old = self._by_refresh.get(refresh_token)
        if old is None or now >= old.refresh_expires_at:
            raise errors.OAuthError(400, "invalid_grant", "Invalid refresh token")

        self.revoke(old)
        return self.mint(old.member_id, old.user_id, lifetime, now)

    def find_refresh(self, refresh_token: str) -> Grant | None:
        return self._by_refresh.get(refresh_token)

    def revoke(self, grant: Grant) -> None:
        self._by_access.pop(grant.access_token, None)
        self._by_refresh.pop(grant.refresh_token, None)

    def revoke_portal(self, member_id: str) -> None:
        for grant in self._grants_of(member_id):
            self.revoke(grant)

    def expire_portal(self, member_id: str, now: float) -> int:
        """Make every access token of `member_id` expired; returns how many."""
        grants = self._grants_of(member_id)
        for grant in grants:
            grant.expires_at = min(grant.expires_at, now)
        return len(grants)

    def is_alive(self, grant: Grant) -> bool:
        return self._by_access.get(grant.access_token) is grant

    def _grants_of(self, member_id: str) -> list[Grant]:
        return [g for g in self._by_access.values() if g.member_id == member_id]
