"""What every `ContactInbox` adapter checks and rounds the same way."""

from datetime import datetime, timedelta

from adapters.instants import stored_instant


def claim_window(
    now: datetime, lease_for: timedelta, limit: int
) -> tuple[datetime, datetime]:
    """`now` and the lease's expiry as stored instants.

    Raises ValueError for a naive `now`, a lease that is not in the future, or a
    `limit` below one (a lease with no jobs to do would only block the portal).
    """
    if limit < 1:
        raise ValueError(f"a claim must ask for at least one job, not {limit}")

    start = stored_instant(now)
    expires_at = stored_instant(now + lease_for)
    if expires_at <= start:
        raise ValueError(f"a lease must last at least a millisecond, not {lease_for}")
    return start, expires_at
