"""A `ContactInbox` in this process's memory, for tests and single-process demos."""

import threading
from dataclasses import replace
from datetime import datetime, timedelta

from adapters.inbox_rules import claim_window
from adapters.instants import stored_instant
from application.errors import LeaseLost
from application.ports import ContactInbox, ContactJob, JobState, Lease

ContactKey = tuple[str, str]


class InMemoryContactInbox(ContactInbox):
    """Jobs and leases in dictionaries behind one lock; safe to share by threads.

    Instants are kept to the millisecond, as the other stores keep them.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: dict[ContactKey, ContactJob] = {}
        self._failed: list[ContactJob] = []
        self._leases: dict[str, Lease] = {}

    def add(self, member_id: str, contact_id: str, now: datetime) -> None:
        now = stored_instant(now)
        key = (member_id, contact_id)

        with self._lock:
            job = self._pending.get(key)
            if job is None:
                job = ContactJob(
                    member_id, contact_id, 1, 0, JobState.PENDING, now, now
                )
            else:
                job = replace(
                    job, revision=job.revision + 1, due_at=min(job.due_at, now)
                )
            self._pending[key] = job

    def claim(
        self, owner: str, now: datetime, lease_for: timedelta, limit: int
    ) -> tuple[Lease, list[ContactJob]] | None:
        now, expires_at = claim_window(now, lease_for, limit)

        with self._lock:
            member_id = self._portal_to_claim(owner, now)
            if member_id is None:
                return None

            lease = Lease(member_id, owner, expires_at)
            self._leases[member_id] = lease
            return lease, self._due_jobs(member_id, now)[:limit]

    def renew(self, lease: Lease, now: datetime, lease_for: timedelta) -> Lease:
        renewed = replace(lease, expires_at=stored_instant(now + lease_for))

        with self._lock:
            if not self._holds(lease):
                raise LeaseLost(lease.member_id)
            self._leases[lease.member_id] = renewed

        return renewed

    def release(self, lease: Lease) -> None:
        with self._lock:
            if self._holds(lease):
                del self._leases[lease.member_id]

    def complete(self, job: ContactJob) -> None:
        with self._lock:
            stored = self._stored(job)
            if stored is None:
                return

            key = (job.member_id, job.contact_id)
            if stored.revision == job.revision:
                del self._pending[key]
            else:
                self._pending[key] = replace(stored, attempts=0, last_error="")

    def retry(self, job: ContactJob, error: str, due_at: datetime) -> None:
        due_at = stored_instant(due_at)

        with self._lock:
            stored = self._stored(job)
            if stored is not None:
                self._pending[job.member_id, job.contact_id] = replace(
                    stored,
                    attempts=stored.attempts + 1,
                    last_error=error,
                    due_at=due_at,
                )

    def fail(self, job: ContactJob, error: str) -> None:
        with self._lock:
            stored = self._stored(job)
            if stored is None:
                return

            key = (job.member_id, job.contact_id)
            if stored.revision == job.revision:
                del self._pending[key]
                self._failed.append(
                    replace(
                        stored,
                        state=JobState.FAILED,
                        attempts=stored.attempts + 1,
                        last_error=error,
                    )
                )
            else:
                self._pending[key] = replace(stored, attempts=0, last_error=error)

    def jobs(
        self, member_id: str | None = None, state: JobState | None = None
    ) -> list[ContactJob]:
        with self._lock:
            every = [*self._pending.values(), *self._failed]

        chosen = [
            job
            for job in every
            if member_id in (None, job.member_id) and state in (None, job.state)
        ]
        return sorted(chosen, key=_age)

    def counts(self) -> dict[str, dict[JobState, int]]:
        counts: dict[str, dict[JobState, int]] = {}
        for job in self.jobs():
            per_state = counts.setdefault(job.member_id, {})
            per_state[job.state] = per_state.get(job.state, 0) + 1

        return counts

    def requeue_failed(self, member_id: str | None, now: datetime) -> int:
        now = stored_instant(now)

        with self._lock:
            chosen: list[ContactJob] = []
            kept: list[ContactJob] = []
            for job in self._failed:
                (chosen if member_id in (None, job.member_id) else kept).append(job)
            self._failed = kept
            for job in sorted(chosen, key=_age):
                # A contact that has a pending job already gets its work done there.
                self._pending.setdefault(
                    (job.member_id, job.contact_id),
                    replace(job, state=JobState.PENDING, attempts=0, due_at=now),
                )

        return len(chosen)

    def purge(self, member_id: str) -> None:
        with self._lock:
            self._pending = {
                key: job for key, job in self._pending.items() if key[0] != member_id
            }
            self._failed = [job for job in self._failed if job.member_id != member_id]
            self._leases.pop(member_id, None)

    def _portal_to_claim(self, owner: str, now: datetime) -> str | None:
        """The free portal whose earliest due job is the oldest; lock held."""
        candidates = [
            (job.due_at, job.member_id)
            for job in self._pending.values()
            if job.due_at <= now and self._free(job.member_id, owner, now)
        ]
        return min(candidates)[1] if candidates else None

    def _free(self, member_id: str, owner: str, now: datetime) -> bool:
        lease = self._leases.get(member_id)
        return lease is None or lease.owner == owner or lease.expires_at <= now

    def _due_jobs(self, member_id: str, now: datetime) -> list[ContactJob]:
        due = [
            job
            for job in self._pending.values()
            if job.member_id == member_id and job.due_at <= now
        ]
        return sorted(due, key=_age)

    def _holds(self, lease: Lease) -> bool:
        stored = self._leases.get(lease.member_id)
        return stored is not None and stored.owner == lease.owner

    def _stored(self, job: ContactJob) -> ContactJob | None:
        """The pending job `job` was read from, if it is still there; lock held."""
        stored = self._pending.get((job.member_id, job.contact_id))
        if stored is None or stored.created_at != job.created_at:
            return None
        return stored


def _age(job: ContactJob) -> tuple[datetime, str, str]:
    return job.created_at, job.member_id, job.contact_id
