"""A `ContactInbox` in two MongoDB collections: `contact_jobs` and `portal_leases`.

A partial unique index keeps one pending job per contact, so `add` is one upsert.
A lease is taken by one upsert whose filter matches only a lease that is this
owner's or has expired; when another owner holds a live one the upsert meets the
unique index on `member_id` and fails, so two processes never hold one portal.
"""

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from pymongo import ASCENDING, MongoClient
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from adapters.inbox_rules import claim_window
from adapters.instants import read_instant, stored_instant
from adapters.mongo import Document, driver_errors, open_client
from application.errors import LeaseLost, StorageUnavailable
from application.ports import ContactInbox, ContactJob, JobState, Lease

JOBS = "contact_jobs"
LEASES = "portal_leases"

PENDING_CONTACT_INDEX = "pending_contact_unique"
DUE_INDEX = "state_due_member"
PORTAL_INDEX = "member_state_created"
LEASE_INDEX = "member_id_unique"

_PENDING = JobState.PENDING.value
_FAILED = JobState.FAILED.value

#: Oldest first: one portal's jobs, then jobs of any portal.
_PORTAL_ORDER = [("created_at", ASCENDING), ("contact_id", ASCENDING)]
_LIST_ORDER = [
    ("created_at", ASCENDING),
    ("member_id", ASCENDING),
    ("contact_id", ASCENDING),
]
_JOB_FIELDS = {"_id": False}


class MongoContactInbox(ContactInbox):
    """Contact jobs in `database`; the indexes the queries need are made at start.

    Every failure of the driver is raised as `StorageUnavailable`.
    """

    def __init__(self, database: Database[Document]) -> None:
        self._jobs: Collection[Document] = database[JOBS]
        self._leases: Collection[Document] = database[LEASES]
        self._client: MongoClient[Document] | None = None

        with driver_errors("create the inbox indexes"):
            self._create_indexes()

    @classmethod
    def from_url(cls, url: str, database: str = "b24names") -> "MongoContactInbox":
        """An inbox on its own client for `url`; `close()` closes that client.

        The database is the one the URL names (`mongodb://host/NAME`), else
        `database`. Raises `ConfigurationError` for a malformed URL and
        `StorageUnavailable` when the server cannot be reached.
        """
        client = open_client(url)
        try:
            inbox = cls(client.get_default_database(database))
        except StorageUnavailable:
            client.close()
            raise
        inbox._client = client
        return inbox

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._jobs.full_name!r})"

    def close(self) -> None:
        """Close the client that `from_url` opened; a given database's is left."""
        if self._client is not None:
            self._client.close()
            self._client = None

    def add(self, member_id: str, contact_id: str, now: datetime) -> None:
        pending = {"member_id": member_id, "contact_id": contact_id, "state": _PENDING}
        moment = stored_instant(now)
        change = {
            "$inc": {"revision": 1},
            "$min": {"due_at": moment},
            "$setOnInsert": {"attempts": 0, "created_at": moment, "last_error": ""},
        }

        with driver_errors("add a contact job"):
            try:
                self._jobs.update_one(pending, change, upsert=True)
            except DuplicateKeyError:
                # Another process inserted the job first: now ours folds into it,
                # or makes it anew if it was done in the meantime.
                self._jobs.update_one(pending, change, upsert=True)

    def claim(
        self, owner: str, now: datetime, lease_for: timedelta, limit: int
    ) -> tuple[Lease, list[ContactJob]] | None:
        start, expires_at = claim_window(now, lease_for, limit)

        with driver_errors("claim a portal"):
            taken = self._portals_leased_by_others(owner, start)
            while (member_id := self._oldest_due_portal(start, taken)) is not None:
                claimed = self._claim_portal(member_id, owner, start, expires_at, limit)
                if claimed is not None:
                    return claimed
                taken.add(member_id)

        return None

    def renew(self, lease: Lease, now: datetime, lease_for: timedelta) -> Lease:
        expires_at = stored_instant(now + lease_for)

        with driver_errors("renew a lease"):
            renewed = self._leases.update_one(
                {"member_id": lease.member_id, "owner": lease.owner},
                {"$set": {"expires_at": expires_at}},
            )

        if renewed.matched_count == 0:
            raise LeaseLost(lease.member_id)
        return Lease(lease.member_id, lease.owner, expires_at)

    def release(self, lease: Lease) -> None:
        with driver_errors("release a lease"):
            self._leases.delete_one(
                {"member_id": lease.member_id, "owner": lease.owner}
            )

    def complete(self, job: ContactJob) -> None:
        with driver_errors("complete a contact job"):
            done = self._jobs.delete_one({**_identity(job), "revision": job.revision})
            if done.deleted_count == 0:
                self._keep_changed(job, error="")

    def retry(self, job: ContactJob, error: str, due_at: datetime) -> None:
        change = {
            "$inc": {"attempts": 1},
            "$set": {"last_error": error, "due_at": stored_instant(due_at)},
        }

        with driver_errors("retry a contact job"):
            self._jobs.update_one(_identity(job), change)

    def fail(self, job: ContactJob, error: str) -> None:
        change = {
            "$inc": {"attempts": 1},
            "$set": {"state": _FAILED, "last_error": error},
        }

        with driver_errors("fail a contact job"):
            failed = self._jobs.update_one(
                {**_identity(job), "revision": job.revision}, change
            )
            if failed.matched_count == 0:
                self._keep_changed(job, error)

    def jobs(
        self, member_id: str | None = None, state: JobState | None = None
    ) -> list[ContactJob]:
        chosen: Document = {}
        if member_id is not None:
            chosen["member_id"] = member_id
        if state is not None:
            chosen["state"] = state.value

        with driver_errors("list contact jobs"):
            found = list(self._jobs.find(chosen, _JOB_FIELDS).sort(_LIST_ORDER))

        return [_job_from_document(document) for document in found]

    def counts(self) -> dict[str, dict[JobState, int]]:
        grouping = {
            "$group": {
                "_id": {"member_id": "$member_id", "state": "$state"},
                "jobs": {"$sum": 1},
            }
        }

        with driver_errors("count contact jobs"):
            groups = list(self._jobs.aggregate([grouping]))

        counts: dict[str, dict[JobState, int]] = {}
        for group in groups:
            state = _state(group["_id"]["state"])
            counts.setdefault(group["_id"]["member_id"], {})[state] = group["jobs"]
        return counts

    def requeue_failed(self, member_id: str | None, now: datetime) -> int:
        chosen: Document = {"state": _FAILED}
        if member_id is not None:
            chosen["member_id"] = member_id
        moment = stored_instant(now)

        with driver_errors("requeue failed contact jobs"):
            failed = list(self._jobs.find(chosen, {"_id": True}).sort(_LIST_ORDER))
            return sum(self._requeue(document["_id"], moment) for document in failed)

    def purge(self, member_id: str) -> None:
        with driver_errors("purge a portal's contact jobs"):
            self._jobs.delete_many({"member_id": member_id})
            self._leases.delete_one({"member_id": member_id})

    def _create_indexes(self) -> None:
        self._jobs.create_index(
            [("member_id", ASCENDING), ("contact_id", ASCENDING)],
            unique=True,
            partialFilterExpression={"state": _PENDING},
            name=PENDING_CONTACT_INDEX,
        )
        self._jobs.create_index(
            [("state", ASCENDING), ("due_at", ASCENDING), ("member_id", ASCENDING)],
            name=DUE_INDEX,
        )
        self._jobs.create_index(
            [("member_id", ASCENDING), ("state", ASCENDING), *_PORTAL_ORDER],
            name=PORTAL_INDEX,
        )
        self._leases.create_index(
            [("member_id", ASCENDING)], unique=True, name=LEASE_INDEX
        )

    def _portals_leased_by_others(self, owner: str, now: datetime) -> set[str]:
        live = {"expires_at": {"$gt": now}, "owner": {"$ne": owner}}
        return {lease["member_id"] for lease in self._leases.find(live)}

    def _oldest_due_portal(self, now: datetime, taken: set[str]) -> str | None:
        """The portal, not in `taken`, whose earliest due pending job is oldest."""
        due = {
            "state": _PENDING,
            "due_at": {"$lte": now},
            "member_id": {"$nin": sorted(taken)},
        }
        found = self._jobs.find_one(
            due,
            {"member_id": True},
            sort=[("due_at", ASCENDING), ("member_id", ASCENDING)],
        )
        return None if found is None else str(found["member_id"])

    def _claim_portal(
        self,
        member_id: str,
        owner: str,
        now: datetime,
        expires_at: datetime,
        limit: int,
    ) -> tuple[Lease, list[ContactJob]] | None:
        """Lease the portal and read its due jobs; None if another owner has it or,
        its jobs done meanwhile, it has none due."""
        lease = self._take_lease(member_id, owner, now, expires_at)
        if lease is None:
            return None

        due = {"member_id": member_id, "state": _PENDING, "due_at": {"$lte": now}}
        found = self._jobs.find(due, _JOB_FIELDS).sort(_PORTAL_ORDER).limit(limit)
        jobs = [_job_from_document(document) for document in found]
        if not jobs:
            self._leases.delete_one({"member_id": member_id, "owner": owner})
            return None
        return lease, jobs

    def _take_lease(
        self, member_id: str, owner: str, now: datetime, expires_at: datetime
    ) -> Lease | None:
        """The lease, unless another owner holds a live one."""
        ours_or_expired = {
            "member_id": member_id,
            "$or": [{"owner": owner}, {"expires_at": {"$lte": now}}],
        }
        try:
            self._leases.update_one(
                ours_or_expired,
                {"$set": {"owner": owner, "expires_at": expires_at}},
                upsert=True,
            )
        except DuplicateKeyError:
            # No lease matched, so the upsert met the live lease of another owner.
            return None
        return Lease(member_id, owner, expires_at)

    def _keep_changed(self, job: ContactJob, error: str) -> None:
        """Keep a job whose revision rose since `job` was read: due, no attempts."""
        self._jobs.update_one(
            {**_identity(job), "revision": {"$gt": job.revision}},
            {"$set": {"attempts": 0, "last_error": error}},
        )

    def _requeue(self, job_id: object, now: datetime) -> int:
        """Make one failed job pending, or fold it away when its contact has one."""
        failed = {"_id": job_id, "state": _FAILED}
        pending = {"$set": {"state": _PENDING, "attempts": 0, "due_at": now}}
        try:
            return self._jobs.update_one(failed, pending).matched_count
        except DuplicateKeyError:
            return self._jobs.delete_one(failed).deleted_count


def _identity(job: ContactJob) -> Document:
    """The filter for the pending job a claimed `job` was read from."""
    return {
        "member_id": job.member_id,
        "contact_id": job.contact_id,
        "state": _PENDING,
        "created_at": stored_instant(job.created_at),
    }


def _job_from_document(document: Mapping[str, Any]) -> ContactJob:
    try:
        return ContactJob(
            member_id=str(document["member_id"]),
            contact_id=str(document["contact_id"]),
            revision=int(document["revision"]),
            attempts=int(document["attempts"]),
            state=JobState(document["state"]),
            due_at=read_instant(document["due_at"]),
            created_at=read_instant(document["created_at"]),
            last_error=str(document.get("last_error", "")),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise StorageUnavailable("a stored contact job is unreadable") from exc


def _state(value: object) -> JobState:
    try:
        return JobState(str(value))
    except ValueError as exc:
        raise StorageUnavailable(f"a stored job has unknown state {value!r}") from exc
