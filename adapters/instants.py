"""How every store keeps an instant: timezone-aware UTC cut to the millisecond.

Millisecond precision is the finest MongoDB keeps, so SQLite and memory cut to it
too and every store gives back the same instant it was handed.
"""

from datetime import UTC, datetime, timedelta

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

MILLISECOND = timedelta(milliseconds=1)


def stored_instant(moment: datetime) -> datetime:
    """`moment` in UTC, cut to the millisecond; a naive datetime is a ValueError."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"refusing to store a naive datetime {moment.isoformat()}")

    utc = moment.astimezone(UTC)
    return utc.replace(microsecond=utc.microsecond // 1000 * 1000)


def read_instant(value: object) -> datetime:
    """A stored datetime or ISO 8601 string as an aware UTC datetime.

    MongoDB hands back naive datetimes that mean UTC, so naive is taken as UTC.
    """
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        raise TypeError(f"expected a datetime, got {type(value).__name__}")

    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def to_millis(moment: datetime) -> int:
    """Milliseconds since the Unix epoch, the integer SQLite stores and indexes."""
    return (stored_instant(moment) - EPOCH) // MILLISECOND


def from_millis(millis: int) -> datetime:
    return EPOCH + millis * MILLISECOND
