"""Per-portal pacing that keeps the service inside Bitrix24's REST limits.

Bitrix24 meters each portal with a leaky bucket: it drains a fixed number of
requests per second (2 on most plans) and blocks the app once too many are queued
(50). `PortalRateLimiter` runs the same bucket on our side, so that a portal's
requests leave no faster than it drains them after a small burst, and learns from
the portal's answers:

- `QUERY_LIMIT_EXCEEDED` means the portal's bucket is fuller than ours (other
  processes of the service share it): the portal's rate is halved, then recovers
  by doubling every `recovery` seconds.
- `OPERATION_TIME_LIMIT` stops one method on one portal until the time the
  portal named; meanwhile asking for that method fails at once.

Each portal has its own bucket and lock, so a busy portal never delays another.
A portal's state is forgotten once its bucket has drained and nothing about it is
pending, so memory follows the number of busy portals, not of installed ones.
"""

import asyncio
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from application.errors import ConfigurationError, RateLimited

#: Bitrix24 drains each portal's bucket at this many requests per second.
DEFAULT_RATE = 2.0
#: Requests allowed in a row before pacing starts; Bitrix24 blocks at 50.
DEFAULT_BURST = 10
#: How long a method pauses when the portal does not say when it may go on.
DEFAULT_METHOD_PAUSE = timedelta(seconds=60)
#: Bitrix24 counts operating time over 10 minutes; a later reset is not credible.
LONGEST_METHOD_PAUSE = timedelta(minutes=10)

# Float arithmetic leaves waits of a few nanoseconds that are not worth a sleep.
_NEGLIGIBLE = 1e-9


class Timer(Protocol):
    """Where the limiter reads time and waits; tests pass a fake one."""

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back, for pacing."""

    def now(self) -> datetime:
        """The wall-clock time (UTC), for the reset times portals announce."""

    async def sleep(self, seconds: float) -> None:
        """Suspend the calling coroutine for `seconds`."""


class SystemTimer:
    """The process's clocks and `asyncio.sleep`."""

    def monotonic(self) -> float:
        return time.monotonic()

    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


@dataclass(slots=True)
class _Bucket:
    """One portal's pacing state: bucket level, slowdown and paused methods."""

    rate: float
    level: float = 0.0
    updated: float = 0.0
    slowed_to: float = 1.0
    slowed_at: float = 0.0
    pauses: dict[str, datetime] = field(default_factory=dict)
    users: int = 0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class PortalRateLimiter:
    """Paces requests per portal (by member_id) under each portal's drain rate.

    `rate` is the drain rate assumed for portals not named in `rates` (member_id to
    requests per second, for plans that drain faster). `burst` requests may leave at
    once from an empty bucket. After `QUERY_LIMIT_EXCEEDED` a portal's rate halves,
    down to `slowest` times its own, and doubles back every `recovery` seconds.
    """

    def __init__(
        self,
        rate: float = DEFAULT_RATE,
        burst: int = DEFAULT_BURST,
        *,
        rates: Mapping[str, float] | None = None,
        timer: Timer | None = None,
        recovery: float = 30.0,
        slowest: float = 1 / 8,
        sweep_every: float = 30.0,
    ) -> None:
        rates = dict(rates or {})
        if min([rate, *rates.values()]) <= 0:
            raise ConfigurationError("request rates must be above zero")
        if burst < 1 or recovery <= 0 or not 0 < slowest <= 1:
            raise ConfigurationError("the rate limiter's burst or slowdown is wrong")

        self._rate = rate
        self._rates = rates
        self._burst = burst
        self._timer = timer or SystemTimer()
        self._recovery = recovery
        self._slowest = slowest
        self._sweep_every = sweep_every
        self._buckets: dict[str, _Bucket] = {}
        self._swept_at = self._timer.monotonic()

    def __len__(self) -> int:
        """How many portals the limiter keeps state for."""
        return len(self._buckets)

    async def acquire(self, member_id: str, methods: Iterable[str] = ()) -> None:
        """Wait until the portal can take one more request, then count it.

        `methods` are the REST methods the request runs. Raises `RateLimited`, at
        once and without counting, when one of them is paused on this portal.
        Callers of one portal go in turn, roughly in arrival order.
        """
        names = [method.lower() for method in methods]
        self._sweep()
        bucket = self._bucket(member_id)
        self._refuse_paused(bucket, names)

        bucket.users += 1
        try:
            async with bucket.lock:
                await self._wait_for_room(bucket)
                self._refuse_paused(bucket, names)
                self._count_one(bucket)
        finally:
            bucket.users -= 1

    def slow_down(self, member_id: str) -> datetime:
        """The portal refused a request for its rate: halve the pace, fill the bucket.

        Returns when the next request may leave.
        """
        bucket = self._bucket(member_id)
        now = self._timer.monotonic()

        bucket.level = max(self._level(bucket, now), float(self._burst))
        bucket.slowed_to = max(self._slowest, self._factor(bucket, now) / 2)
        bucket.slowed_at = now
        bucket.updated = now

        interval = 1 / (bucket.rate * bucket.slowed_to)
        return self._timer.now() + timedelta(seconds=interval)

    def pause_method(
        self, member_id: str, method: str, until: datetime | None
    ) -> datetime:
        """The portal stopped `method` for its operating time: refuse it until then.

        `until` is the portal's `operating_reset_at`; without one, or with one that
        is already past, the pause lasts a minute, and it never lasts more than ten.
        Returns when the pause ends.
        """
        now = self._timer.now()
        if until is None or until <= now:
            until = now + DEFAULT_METHOD_PAUSE
        until = min(until, now + LONGEST_METHOD_PAUSE)

        pauses = self._bucket(member_id).pauses
        name = method.lower()
        pauses[name] = max(until, pauses.get(name, until))
        return pauses[name]

    def rate_of(self, member_id: str) -> float:
        """The pace the portal is held to now, in requests per second."""
        bucket = self._buckets.get(member_id)
        if bucket is None:
            return self._rates.get(member_id, self._rate)
        return bucket.rate * self._factor(bucket, self._timer.monotonic())

    def _bucket(self, member_id: str) -> _Bucket:
        bucket = self._buckets.get(member_id)
        if bucket is None:
            rate = self._rates.get(member_id, self._rate)
            bucket = _Bucket(rate=rate, updated=self._timer.monotonic())
            self._buckets[member_id] = bucket
        return bucket

    def _refuse_paused(self, bucket: _Bucket, methods: list[str]) -> None:
        now = self._timer.now()
        for method in methods:
            until = bucket.pauses.get(method)
            if until is None:
                continue
            if until <= now:
                del bucket.pauses[method]
                continue
            raise RateLimited(
                "OPERATION_TIME_LIMIT",
                f"{method} is paused on this portal until {until.isoformat()}",
                retry_at=until,
            )

    async def _wait_for_room(self, bucket: _Bucket) -> None:
        # The rate may drop while we sleep (another caller met a limit): re-measure.
        while True:
            now = self._timer.monotonic()
            excess = self._level(bucket, now) + 1 - self._burst
            if excess <= _NEGLIGIBLE:
                return
            await self._timer.sleep(excess / self._drain_rate(bucket))

    def _count_one(self, bucket: _Bucket) -> None:
        now = self._timer.monotonic()
        bucket.level = self._level(bucket, now) + 1
        bucket.updated = now

    def _level(self, bucket: _Bucket, now: float) -> float:
        drained = self._drain_rate(bucket) * (now - bucket.updated)
        return max(0.0, bucket.level - drained)

    def _drain_rate(self, bucket: _Bucket) -> float:
        # The pace at the last update: while a slowdown wears off this is the lower
        # one, so the bucket is never assumed emptier than it is.
        return bucket.rate * self._factor(bucket, bucket.updated)

    def _factor(self, bucket: _Bucket, now: float) -> float:
        if bucket.slowed_to >= 1:
            return 1.0
        doublings = max(0.0, now - bucket.slowed_at) / self._recovery
        return min(1.0, bucket.slowed_to * 2**doublings)

    def _sweep(self) -> None:
        """Forget portals with nothing left to remember, every `sweep_every` s."""
        now = self._timer.monotonic()
        if now - self._swept_at < self._sweep_every:
            return

        self._swept_at = now
        wall = self._timer.now()
        idle = [
            member_id
            for member_id, bucket in self._buckets.items()
            if self._is_idle(bucket, now, wall)
        ]
        for member_id in idle:
            del self._buckets[member_id]

    def _is_idle(self, bucket: _Bucket, now: float, wall: datetime) -> bool:
        return (
            bucket.users == 0
            and self._level(bucket, now) <= _NEGLIGIBLE
            and self._factor(bucket, now) >= 1
            and all(until <= wall for until in bucket.pauses.values())
        )
