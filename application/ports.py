"""The ports the use cases need, implemented by adapters.

Repositories are synchronous: both embedded SQLite and pymongo are, and their calls
are short. The gateway is asynchronous because it waits on remote portals.
"""

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from application.errors import Bitrix24Error
from domain.portal import Grant, Portal


class TokenRepository(ABC):
    """Stores each installed portal, its tokens and settings, keyed by member_id."""

    @abstractmethod
    def get(self, member_id: str) -> Portal | None:
        """The stored portal, or None when none has this member_id."""

    @abstractmethod
    def save(self, portal: Portal) -> None:
        """Insert the portal or replace the stored one with the same member_id."""

    @abstractmethod
    def save_if_refresh_token(self, portal: Portal, expected: str) -> bool:
        """Save `portal` only if the stored refresh token is still `expected`.

        The compare-and-set that keeps two processes refreshing one portal from
        overwriting each other's tokens. Returns False, saving nothing, when the
        stored token differs or the portal is gone.
        """

    @abstractmethod
    def delete(self, member_id: str) -> None:
        """Forget everything stored for the portal; a no-op when there is none."""

    @abstractmethod
    def list(self) -> list[Portal]:
        """Every stored portal, ordered by member_id."""


@dataclass(frozen=True, slots=True)
class RestResponse:
    """A successful REST answer: `result`, and for lists `total` and `next`.

    `moved_to` is the portal's new client endpoint when the portal answered from a
    new address (it was renamed); the caller stores it for the portal.
    """

    result: Any
    total: int | None = None
    next: int | None = None
    moved_to: str | None = None


#: One command of a `batch` call: a REST method and its parameters.
BatchCommand = tuple[str, Mapping[str, Any]]


@dataclass(frozen=True, slots=True)
class BatchResponse:
    """The answer of a `batch` call, per command key.

    A command appears in `results` when it succeeded and in `errors` when it
    failed; a command missing from both was not run (`halt` stopped the batch).
    """

    results: Mapping[str, Any]
    errors: Mapping[str, Bitrix24Error]
    moved_to: str | None = None


class Bitrix24Gateway(ABC):
    """Talks to Bitrix24 portals and to the OAuth server on their behalf."""

    @abstractmethod
    async def call(
        self, portal: Portal, method: str, params: Mapping[str, Any]
    ) -> RestResponse:
        """Call REST `method` on the portal with its current access token.

        Raises a `Bitrix24Error` subclass: `ExpiredToken` when the access token has
        expired, `AuthRejected`, `RateLimited`, `RemoteNotFound`,
        `PortalUnavailable`, `TransportFailure` or `UnexpectedResponse`.
        """

    @abstractmethod
    async def batch(
        self,
        portal: Portal,
        commands: Mapping[str, BatchCommand],
        halt: bool = False,
    ) -> BatchResponse:
        """Run up to 50 commands in one request (one unit of the portal's limit).

        Keys must not be numeric. Parameters are encoded as Bitrix24 expects inside
        `cmd`: bracket keys, booleans as `Y`/`N`, None and empty values kept as
        empty. Raises `InvalidInput` for more than 50 commands or a numeric key, and
        the same errors as `call` when the request as a whole fails.
        """

    @abstractmethod
    async def refresh(self, refresh_token: str) -> Grant:
        """Trade a refresh token for a new pair at the configured OAuth server.

        The grant names the `member_id` and `client_endpoint` it was issued for.
        Raises `RefreshTokenRejected` for a dead or used refresh token,
        `ClientRejected` for wrong client credentials, `PortalUnavailable`,
        `TransportFailure` or `UnexpectedResponse`.
        """


#: Where use cases get the current time from; tests pass a fixed clock.
Clock = Callable[[], datetime]


class JobState(StrEnum):
    PENDING = "pending"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class ContactJob:
    """Work to do for one contact of one portal: read it, format it, write it.

    Events for a contact that already has a pending job fold into it and raise its
    `revision`, so the job is done again if the contact changed while it ran.
    """

    member_id: str
    contact_id: str
    revision: int
    attempts: int
    state: JobState
    due_at: datetime
    created_at: datetime
    last_error: str = ""


@dataclass(frozen=True, slots=True)
class Lease:
    """The right of one worker (`owner`) to drive one portal's jobs until expiry."""

    member_id: str
    owner: str
    expires_at: datetime


class ContactInbox(ABC):
    """The durable queue of contact jobs, drained one portal at a time.

    A worker claims a portal with an expiring lease; while the lease is live no
    other worker gets that portal, and if the worker dies its lease runs out and
    the portal's jobs, still pending, go to the next claimant.
    """

    @abstractmethod
    def add(self, member_id: str, contact_id: str, now: datetime) -> None:
        """Record that a contact changed.

        A pending job for the same contact absorbs the event: its revision rises and
        it becomes due now. A failed job for the contact is left alone and a new
        pending one is created.
        """

    def add_all(self, changes: Sequence[tuple[str, str]], now: datetime) -> None:
        """Record several (member_id, contact_id) changes at once, as `add` each.

        Stores that can should do it in one transaction: one write to disk for
        many events is what keeps acknowledgements fast under a burst.
        """
        for member_id, contact_id in changes:
            self.add(member_id, contact_id, now)

    @abstractmethod
    def claim(
        self, owner: str, now: datetime, lease_for: timedelta, limit: int
    ) -> tuple[Lease, list[ContactJob]] | None:
        """Lease one portal that has pending jobs due at `now` and no live lease of
        another owner, and return up to `limit` of its due jobs, oldest first.

        None when no portal has due work. Concurrent callers, in other threads or
        processes, never get the same portal while its lease is live.
        """

    @abstractmethod
    def renew(self, lease: Lease, now: datetime, lease_for: timedelta) -> Lease:
        """Extend a live lease; raises `LeaseLost` if it expired and was taken."""

    @abstractmethod
    def release(self, lease: Lease) -> None:
        """Give the portal back; a no-op if the lease is no longer this owner's."""

    @abstractmethod
    def complete(self, job: ContactJob) -> None:
        """The job is done. It disappears unless events raised its revision since it
        was claimed; then it stays pending, due at once, with its attempts reset."""

    @abstractmethod
    def retry(self, job: ContactJob, error: str, due_at: datetime) -> None:
        """The job failed for a passing reason: count an attempt, keep the error,
        make it due again at `due_at`."""

    @abstractmethod
    def fail(self, job: ContactJob, error: str) -> None:
        """The job failed for good: move it to the failed state with the error
        (unless its revision rose meanwhile: then it is retried at once)."""

    @abstractmethod
    def jobs(
        self, member_id: str | None = None, state: JobState | None = None
    ) -> list[ContactJob]:
        """Jobs, optionally of one portal and in one state, oldest first."""

    @abstractmethod
    def counts(self) -> dict[str, dict[JobState, int]]:
        """Jobs per portal (member_id) and state; portals with no jobs are absent."""

    @abstractmethod
    def requeue_failed(self, member_id: str | None, now: datetime) -> int:
        """Make failed jobs (of one portal, or all) pending and due now, attempts
        reset; returns how many."""

    @abstractmethod
    def purge(self, member_id: str) -> None:
        """Forget every job and lease of the portal."""
