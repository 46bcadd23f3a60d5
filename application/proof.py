"""Proving that tokens offered in a request were issued for the portal it names.

Install and update requests arrive without a signature, so anyone can send one.
The OAuth server is the one documented authority: refreshing the offered refresh
token answers with the `member_id` and `client_endpoint` the tokens belong to.
"""

import logging
from dataclasses import replace

from application.errors import AuthRejected, ExpiredToken, TokensNotProven
from application.ports import Bitrix24Gateway
from domain.portal import Grant, Portal

logger = logging.getLogger(__name__)


def same_endpoint(left: str, right: str) -> bool:
    """Compare two client endpoints, ignoring case of the host and a final slash."""
    return left.rstrip("/").lower() == right.rstrip("/").lower()


async def prove_grant(
    gateway: Bitrix24Gateway, refresh_token: str, member_id: str, client_endpoint: str
) -> Grant:
    """A fresh grant for the portal, or `TokensNotProven` if the token is not its own.

    The offered refresh token is spent by the proof; the returned grant replaces it.
    """
    if not refresh_token:
        raise TokensNotProven(f"no refresh token to prove member_id={member_id}")

    try:
        grant = await gateway.refresh(refresh_token)
    except AuthRejected as error:
        logger.warning("token proof refused member_id=%s", member_id)
        raise TokensNotProven(f"tokens rejected for member_id={member_id}") from error

    if grant.member_id != member_id or not same_endpoint(
        grant.client_endpoint or "", client_endpoint
    ):
        logger.warning("token proof mismatch member_id=%s", member_id)
        raise TokensNotProven(f"tokens belong to another portal than {member_id}")
    return grant


async def prove_access_token(
    gateway: Bitrix24Gateway, portal: Portal, access_token: str
) -> None:
    """Return if the portal itself accepts `access_token`, else `TokensNotProven`.

    The token is tried on the portal's stored REST address, never on one taken
    from the request that offered it, so only the portal can vouch for it.
    """
    if not access_token:
        raise TokensNotProven(f"no access token for member_id={portal.member_id}")

    try:
        await gateway.call(replace(portal, access_token=access_token), "app.info", {})
    except (AuthRejected, ExpiredToken) as error:
        logger.warning("access token refused member_id=%s", portal.member_id)
        raise TokensNotProven(
            f"access token not accepted by member_id={portal.member_id}"
        ) from error


async def user_is_admin(
    gateway: Bitrix24Gateway, portal: Portal, access_token: str
) -> bool:
    """Whether the user of `access_token` administers the portal.

    Asked of the portal itself (`user.admin`) with that token, on its stored
    address; a token the portal refuses raises `TokensNotProven`.
    """
    if not access_token:
        raise TokensNotProven(f"no access token for member_id={portal.member_id}")

    try:
        answer = await gateway.call(
            replace(portal, access_token=access_token), "user.admin", {}
        )
    except (AuthRejected, ExpiredToken) as error:
        logger.warning("page access refused member_id=%s", portal.member_id)
        raise TokensNotProven(
            f"access token not accepted by member_id={portal.member_id}"
        ) from error
    return answer.result is True or answer.result in ("Y", "1", 1)
