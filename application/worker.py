"""Draining the contact inbox: one portal at a time, fifty contacts a request.

A worker leases a portal, reads up to fifty of its changed contacts in one
`batch` request, formats them, and writes the ones that changed in a second
`batch`. Bitrix24 counts a batch as one request against the portal's limit, so a
burst of a thousand contacts costs about sixty requests instead of two thousand.
The events our own writes fire come back as jobs and join the next read batch.
"""

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from application.contacts import changed_fields
from application.errors import (
    Bitrix24Error,
    ClientRejected,
    LeaseLost,
    PortalNotFound,
    RateLimited,
    RefreshTokenRejected,
    RemoteNotFound,
    is_transient,
)
from application.offline import AUTH_CONNECTOR
from application.ports import (
    BatchCommand,
    Clock,
    ContactInbox,
    ContactJob,
    Lease,
    TokenRepository,
)
from application.rest import PortalRest
from domain.portal import Portal

logger = logging.getLogger(__name__)

#: Bitrix24 runs at most fifty commands in one batch.
BATCH_SIZE = 50

#: What a job failure is recorded as when the portal needs the app reinstalled.
REINSTALL_NEEDED = "refresh token rejected: reinstall the app on the portal"
UNINSTALLED = "the app was uninstalled from the portal"


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff with full jitter, and when to give up."""

    max_attempts: int = 8
    base_delay: timedelta = timedelta(seconds=2)
    max_delay: timedelta = timedelta(minutes=10)

    def next_due(
        self, job: ContactJob, now: datetime, jitter: Callable[[], float]
    ) -> datetime | None:
        """When to try the job again, or None when it has used up its attempts."""
        attempt = job.attempts + 1
        if attempt >= self.max_attempts:
            return None
        ceiling = min(self.max_delay, self.base_delay * (1 << (attempt - 1)))
        return now + ceiling * jitter()


@dataclass(frozen=True, slots=True)
class WorkerOptions:
    #: Longer than a slow request (65 s read timeout) so a live worker keeps it.
    lease_for: timedelta = timedelta(seconds=150)
    #: A job waits this long before it is taken, so that events arriving together
    #: (a user's import, a burst) fill one batch instead of several small ones.
    settle: timedelta = timedelta(milliseconds=500)
    batch_size: int = BATCH_SIZE
    retry: RetryPolicy = RetryPolicy()


class ContactWorker:
    """Formats the contacts waiting in the inbox, portal by portal."""

    def __init__(
        self,
        inbox: ContactInbox,
        portals: TokenRepository,
        rest: PortalRest,
        clock: Clock,
        owner: str,
        options: WorkerOptions = WorkerOptions(),
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self._inbox = inbox
        self._portals = portals
        self._rest = rest
        self._clock = clock
        self._owner = owner
        self._options = options
        self._jitter = jitter

    async def run(self, stop: asyncio.Event, idle: float = 0.2) -> None:
        """Work until `stop` is set, resting `idle` seconds whenever nothing is due."""
        while not stop.is_set():
            if await self._run_guarded():
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=idle)

    async def _run_guarded(self) -> int:
        try:
            return await self.run_once()
        except Exception:
            # A bug or a store outage must not end the worker: the jobs stay
            # pending, their leases run out, and the next round picks them up.
            logger.exception("worker round failed owner=%s", self._owner)
            return 0

    async def run_once(self) -> int:
        """Lease one portal with due jobs, handle one batch of them, give the
        portal back; returns the number of jobs handled (0: nothing was due).

        Giving the portal back after each batch lets every portal with work take
        its turn, and lets the events of our own writes join the next read.
        """
        settle = self._options.settle
        claim = self._inbox.claim(
            self._owner,
            self._clock() - settle,
            self._options.lease_for + settle,
            self._options.batch_size,
        )
        if claim is None:
            return 0

        lease, jobs = claim
        try:
            await self._handle(lease, jobs)
        except LeaseLost:
            # Took longer than the lease: the portal is another worker's now, and
            # the jobs not yet completed are still pending for it.
            logger.warning("lease lost member_id=%s", lease.member_id)
            return len(jobs)
        self._inbox.release(lease)
        return len(jobs)

    async def _handle(self, lease: Lease, jobs: Sequence[ContactJob]) -> None:
        member_id = lease.member_id
        portal = self._portals.get(member_id)
        if portal is None:
            self._inbox.purge(member_id)
            return
        if not portal.is_active:
            self._fail_all(jobs, UNINSTALLED)
            return
        if portal.reinstall_needed:
            self._fail_all(jobs, REINSTALL_NEEDED)
            return

        try:
            await self._format(portal, lease, jobs)
        except Bitrix24Error as error:
            self._after_batch_error(jobs, error)
        except PortalNotFound:
            self._inbox.purge(member_id)

    async def _format(
        self, portal: Portal, lease: Lease, jobs: Sequence[ContactJob]
    ) -> None:
        if not portal.settings.enabled:
            for job in jobs:
                self._inbox.complete(job)
            return

        read = await self._rest.batch(portal.member_id, _reads(jobs))
        updates: dict[str, BatchCommand] = {}
        for job in jobs:
            key = _key("get", job)
            if key in read.errors:
                self._after_job_error(job, read.errors[key])
            elif key in read.results:
                update = _update_for(portal, job, read.results[key])
                if update is None:
                    self._inbox.complete(job)
                else:
                    updates[_key("set", job)] = update
            else:
                self._retry(job, "batch did not run the read")

        if updates:
            self._inbox.renew(lease, self._clock(), self._options.lease_for)
            await self._write(portal, jobs, updates)

    async def _write(
        self,
        portal: Portal,
        jobs: Sequence[ContactJob],
        updates: dict[str, BatchCommand],
    ) -> None:
        written = [job for job in jobs if _key("set", job) in updates]
        try:
            answer = await self._rest.batch(portal.member_id, updates)
        except Bitrix24Error as error:
            self._after_batch_error(written, error)
            return

        for job in written:
            key = _key("set", job)
            if key in answer.errors:
                self._after_job_error(job, answer.errors[key])
            elif key in answer.results:
                self._inbox.complete(job)
            else:
                self._retry(job, "batch did not run the update")
        logger.info(
            "contacts updated member_id=%s count=%d", portal.member_id, len(written)
        )

    def _after_job_error(self, job: ContactJob, error: Bitrix24Error) -> None:
        if isinstance(error, RemoteNotFound):
            logger.info(
                "contact gone member_id=%s contact_id=%s", job.member_id, job.contact_id
            )
            self._inbox.complete(job)
        elif is_transient(error):
            self._retry(job, _describe(error), _retry_at(error))
        else:
            self._inbox.fail(job, _describe(error))

    def _after_batch_error(
        self, jobs: Sequence[ContactJob], error: Bitrix24Error
    ) -> None:
        if isinstance(error, RefreshTokenRejected):
            self._fail_all(jobs, REINSTALL_NEEDED)
            return
        if isinstance(error, ClientRejected):
            # Our own credentials are wrong: nothing the portal did; try later.
            logger.critical("OAuth server rejects the app's client_id/secret")
        for job in jobs:
            if is_transient(error) or isinstance(error, ClientRejected):
                self._retry(job, _describe(error), _retry_at(error))
            else:
                self._inbox.fail(job, _describe(error))

    def _retry(self, job: ContactJob, error: str, at: datetime | None = None) -> None:
        now = self._clock()
        due = self._options.retry.next_due(job, now, self._jitter)
        if due is None:
            self._inbox.fail(job, error)
            return
        self._inbox.retry(job, error, max(due, at) if at else due)

    def _fail_all(self, jobs: Sequence[ContactJob], error: str) -> None:
        for job in jobs:
            self._inbox.fail(job, error)


def _key(kind: str, job: ContactJob) -> str:
    # Bitrix24 turns numeric keys into list indexes, so keys carry a prefix.
    return f"{kind}_{job.contact_id}"


def _reads(jobs: Sequence[ContactJob]) -> dict[str, BatchCommand]:
    return {
        _key("get", job): ("crm.contact.get", {"id": job.contact_id}) for job in jobs
    }


def _update_for(
    portal: Portal, job: ContactJob, contact: object
) -> BatchCommand | None:
    fields = changed_fields(portal, contact)
    if not fields:
        return None

    params = {
        "id": job.contact_id,
        "fields": fields,
        "params": {"REGISTER_SONET_EVENT": "N"},
        "auth_connector": AUTH_CONNECTOR,
    }
    return ("crm.contact.update", params)


def _describe(error: Bitrix24Error) -> str:
    return f"{type(error).__name__}: {error}"[:500]


def _retry_at(error: Bitrix24Error) -> datetime | None:
    return error.retry_at if isinstance(error, RateLimited) else None
