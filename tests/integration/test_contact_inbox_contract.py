"""What every `ContactInbox` promises, run unchanged against each adapter.

Time is always handed in, so leases expire and retries fall due without sleeping.
"""

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from application.errors import LeaseLost
from application.ports import ContactInbox, ContactJob, JobState, Lease

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
LEASE = timedelta(seconds=30)
FIRST = "a223c6b3710f85df22e9377d6c4f7553"
SECOND = "b9e1f0c2d3a4b5c6d7e8f90123456789"


def at(seconds: float) -> datetime:
    return NOW + timedelta(seconds=seconds)


def claim(
    inbox: ContactInbox, owner: str = "worker-1", when: float = 0, limit: int = 10
) -> tuple[Lease, list[ContactJob]]:
    """A claim that the test expects to succeed."""
    claimed = inbox.claim(owner, at(when), LEASE, limit)
    assert claimed is not None
    return claimed


def contacts(jobs: list[ContactJob]) -> list[str]:
    return [job.contact_id for job in jobs]


def test_added_contact_is_one_pending_job_due_now(inbox: ContactInbox) -> None:
    inbox.add(FIRST, "17", at(0))

    assert inbox.jobs() == [
        ContactJob(FIRST, "17", 1, 0, JobState.PENDING, due_at=at(0), created_at=at(0))
    ]


def test_events_for_one_contact_fold_into_one_job_of_higher_revision(
    inbox: ContactInbox,
) -> None:
    inbox.add(FIRST, "17", at(0))

    inbox.add(FIRST, "17", at(1))
    inbox.add(FIRST, "17", at(2))

    [job] = inbox.jobs()
    assert (job.revision, job.created_at, job.due_at) == (3, at(0), at(0))


def test_changes_added_together_are_kept_and_fold_like_single_adds(
    inbox: ContactInbox,
) -> None:
    inbox.add(FIRST, "17", at(0))

    inbox.add_all([(FIRST, "17"), (FIRST, "18"), (SECOND, "17"), (FIRST, "18")], at(1))

    jobs = {(job.member_id, job.contact_id): job.revision for job in inbox.jobs()}
    assert jobs == {(FIRST, "17"): 2, (FIRST, "18"): 2, (SECOND, "17"): 1}


def test_event_for_a_job_waiting_to_retry_makes_it_due_now(
    inbox: ContactInbox,
) -> None:
    inbox.add(FIRST, "17", at(0))
    [job] = claim(inbox)[1]
    inbox.retry(job, "rate limited", due_at=at(60))

    inbox.add(FIRST, "17", at(5))

    [waiting] = inbox.jobs()
    assert (waiting.due_at, waiting.revision, waiting.attempts) == (at(5), 2, 1)


def test_claim_of_an_empty_inbox_is_none(inbox: ContactInbox) -> None:
    assert inbox.claim("worker-1", at(0), LEASE, 10) is None


def test_claim_leases_one_portal_and_returns_its_jobs_oldest_first(
    inbox: ContactInbox,
) -> None:
    for second, contact_id in enumerate(["30", "10", "20"]):
        inbox.add(FIRST, contact_id, at(second))
    inbox.add(SECOND, "99", at(5))

    lease, jobs = claim(inbox, when=10)

    assert lease == Lease(FIRST, "worker-1", at(10) + LEASE)
    assert contacts(jobs) == ["30", "10", "20"]
    assert {job.member_id for job in jobs} == {FIRST}


def test_claim_returns_at_most_limit_jobs(inbox: ContactInbox) -> None:
    for number in range(5):
        inbox.add(FIRST, str(number), at(number))

    _, jobs = claim(inbox, when=10, limit=2)

    assert contacts(jobs) == ["0", "1"]


def test_claim_takes_first_the_portal_that_has_waited_longest(
    inbox: ContactInbox,
) -> None:
    inbox.add(SECOND, "1", at(0))
    inbox.add(FIRST, "2", at(1))

    lease, _ = claim(inbox, when=2)

    assert lease.member_id == SECOND


def test_second_owner_gets_another_portal_while_the_lease_is_live(
    inbox: ContactInbox,
) -> None:
    inbox.add(FIRST, "1", at(0))
    inbox.add(SECOND, "2", at(1))
    claim(inbox, "worker-1", when=2)

    lease, jobs = claim(inbox, "worker-2", when=3)

    assert lease.member_id == SECOND
    assert contacts(jobs) == ["2"]


def test_second_owner_gets_nothing_while_the_only_portal_is_leased(
    inbox: ContactInbox,
) -> None:
    inbox.add(FIRST, "1", at(0))
    claim(inbox, "worker-1", when=1)

    claimed = inbox.claim(
        "worker-2", at(1) + LEASE - timedelta(milliseconds=1), LEASE, 10
    )

    assert claimed is None


def test_after_a_lease_expires_another_owner_gets_the_same_jobs(
    inbox: ContactInbox,
) -> None:
    inbox.add(FIRST, "1", at(0))
    inbox.add(FIRST, "2", at(0))
    _, crashed_with = claim(inbox, "worker-1", when=1)

    lease, jobs = claim(inbox, "worker-2", when=1 + LEASE.total_seconds())

    assert lease.member_id == FIRST
    assert jobs == crashed_with


def test_owner_claiming_again_gets_its_own_leased_portal(inbox: ContactInbox) -> None:
    inbox.add(FIRST, "1", at(0))
    claim(inbox, "worker-1", when=1)

    lease, jobs = claim(inbox, "worker-1", when=2)

    assert lease == Lease(FIRST, "worker-1", at(2) + LEASE)
    assert contacts(jobs) == ["1"]


def test_jobs_not_yet_due_are_not_claimed(inbox: ContactInbox) -> None:
    inbox.add(FIRST, "1", at(0))
    inbox.add(FIRST, "2", at(0))
    lease, [later, _] = claim(inbox)
    inbox.retry(later, "timeout", due_at=at(60))
    inbox.release(lease)

    _, jobs = claim(inbox, when=1)

    assert contacts(jobs) == ["2"]


def test_portal_whose_only_jobs_are_not_due_is_not_claimed(
    inbox: ContactInbox,
) -> None:
    inbox.add(FIRST, "1", at(0))
    lease, [job] = claim(inbox)
    inbox.retry(job, "timeout", due_at=at(60))
    inbox.release(lease)

    assert inbox.claim("worker-2", at(59), LEASE, 10) is None
    assert contacts(claim(inbox, "worker-2", when=60)[1]) == ["1"]


def test_completed_job_disappears(inbox: ContactInbox) -> None:
    inbox.add(FIRST, "1", at(0))
    inbox.add(FIRST, "2", at(0))
    _, [done, _] = claim(inbox)

    inbox.complete(done)

    assert contacts(inbox.jobs()) == ["2"]


def test_job_changed_while_it_ran_stays_pending_after_completion(
    inbox: ContactInbox,
) -> None:
    inbox.add(FIRST, "1", at(0))
    _, [job] = claim(inbox, when=1)
    inbox.retry(job, "timeout", due_at=at(2))
    _, [job] = claim(inbox, when=3)
    inbox.add(FIRST, "1", at(4))

    inbox.complete(job)

    [kept] = inbox.jobs()
    assert (kept.state, kept.revision, kept.attempts) == (JobState.PENDING, 2, 0)
    assert kept.due_at <= at(4)
    _, again = claim(inbox, "worker-2", when=4 + LEASE.total_seconds())
    assert again == [kept]


def test_retry_counts_an_attempt_and_keeps_the_error(inbox: ContactInbox) -> None:
    inbox.add(FIRST, "1", at(0))
    _, [job] = claim(inbox)

    inbox.retry(job, "portal unavailable", due_at=at(30))

    [waiting] = inbox.jobs()
    assert (waiting.attempts, waiting.last_error) == (1, "portal unavailable")
    assert (waiting.due_at, waiting.state) == (at(30), JobState.PENDING)


def test_fail_moves_the_job_to_the_failed_jobs_with_its_error(
    inbox: ContactInbox,
) -> None:
    inbox.add(FIRST, "1", at(0))
    _, [job] = claim(inbox)

    inbox.fail(job, "contact is gone")

    assert inbox.jobs(state=JobState.PENDING) == []
    [failed] = inbox.jobs(state=JobState.FAILED)
    assert (failed.contact_id, failed.last_error) == ("1", "contact is gone")
    assert failed.attempts == 1


def test_failed_jobs_are_never_claimed(inbox: ContactInbox) -> None:
    inbox.add(FIRST, "1", at(0))
    lease, [job] = claim(inbox)
    inbox.fail(job, "contact is gone")
    inbox.release(lease)

    assert inbox.claim("worker-1", at(100), LEASE, 10) is None


def test_fail_of_a_job_changed_while_it_ran_tries_it_again_at_once(
    inbox: ContactInbox,
) -> None:
    inbox.add(FIRST, "1", at(0))
    _, [job] = claim(inbox, when=1)
    inbox.add(FIRST, "1", at(2))

    inbox.fail(job, "contact is gone")

    [kept] = inbox.jobs()
    assert (kept.state, kept.revision) == (JobState.PENDING, 2)
    assert kept.due_at <= at(2)


def test_event_for_a_failed_contact_adds_a_pending_job_and_keeps_the_failed(
    inbox: ContactInbox,
) -> None:
    inbox.add(FIRST, "1", at(0))
    _, [job] = claim(inbox)
    inbox.fail(job, "contact is gone")

    inbox.add(FIRST, "1", at(5))

    assert [(job.state, job.revision) for job in inbox.jobs(FIRST)] == [
        (JobState.FAILED, 1),
        (JobState.PENDING, 1),
    ]


def fail_every_job(inbox: ContactInbox, owner: str, when: float) -> None:
    while (claimed := inbox.claim(owner, at(when), LEASE, 10)) is not None:
        lease, jobs = claimed
        for job in jobs:
            inbox.fail(job, "invalid name")
        inbox.release(lease)


def test_requeue_failed_of_one_portal_makes_its_jobs_pending_and_due(
    inbox: ContactInbox,
) -> None:
    for member_id, contact_id in [(FIRST, "1"), (FIRST, "2"), (SECOND, "3")]:
        inbox.add(member_id, contact_id, at(0))
    fail_every_job(inbox, "worker-1", when=1)

    requeued = inbox.requeue_failed(FIRST, at(10))

    assert requeued == 2
    assert [
        (job.contact_id, job.attempts, job.due_at) for job in inbox.jobs(FIRST)
    ] == [
        ("1", 0, at(10)),
        ("2", 0, at(10)),
    ]
    assert inbox.jobs(FIRST, JobState.FAILED) == []
    assert contacts(inbox.jobs(SECOND, JobState.FAILED)) == ["3"]


def test_requeue_failed_of_every_portal_counts_every_job(inbox: ContactInbox) -> None:
    for member_id, contact_id in [(FIRST, "1"), (SECOND, "2")]:
        inbox.add(member_id, contact_id, at(0))
    fail_every_job(inbox, "worker-1", when=1)

    requeued = inbox.requeue_failed(None, at(10))

    assert requeued == 2
    assert inbox.counts() == {
        FIRST: {JobState.PENDING: 1},
        SECOND: {JobState.PENDING: 1},
    }


def test_requeued_failed_job_of_a_contact_with_a_pending_job_folds_into_it(
    inbox: ContactInbox,
) -> None:
    inbox.add(FIRST, "1", at(0))
    fail_every_job(inbox, "worker-1", when=1)
    inbox.add(FIRST, "1", at(2))
    fail_every_job(inbox, "worker-1", when=3)
    inbox.add(FIRST, "1", at(4))

    requeued = inbox.requeue_failed(FIRST, at(10))

    assert requeued == 2
    assert [(job.state, job.created_at) for job in inbox.jobs()] == [
        (JobState.PENDING, at(4))
    ]


def test_requeue_with_nothing_failed_counts_nothing(inbox: ContactInbox) -> None:
    inbox.add(FIRST, "1", at(0))

    assert inbox.requeue_failed(None, at(1)) == 0


def test_counts_report_jobs_per_portal_and_state(inbox: ContactInbox) -> None:
    for contact_id in ("1", "2", "3"):
        inbox.add(FIRST, contact_id, at(0))
    _, [job, *_] = claim(inbox, limit=1)
    inbox.fail(job, "invalid name")
    inbox.add(SECOND, "9", at(0))

    assert inbox.counts() == {
        FIRST: {JobState.PENDING: 2, JobState.FAILED: 1},
        SECOND: {JobState.PENDING: 1},
    }


def test_counts_of_an_empty_inbox_are_empty(inbox: ContactInbox) -> None:
    assert inbox.counts() == {}


def test_jobs_are_listed_by_portal_and_state_oldest_first(
    inbox: ContactInbox,
) -> None:
    inbox.add(SECOND, "5", at(0))
    inbox.add(FIRST, "4", at(1))
    inbox.add(FIRST, "3", at(2))
    _, [failing] = claim(inbox, when=3, limit=1)
    inbox.fail(failing, "invalid name")

    assert contacts(inbox.jobs()) == ["5", "4", "3"]
    assert contacts(inbox.jobs(FIRST)) == ["4", "3"]
    assert contacts(inbox.jobs(state=JobState.PENDING)) == ["4", "3"]
    assert contacts(inbox.jobs(SECOND, JobState.FAILED)) == ["5"]
    assert inbox.jobs(SECOND, JobState.PENDING) == []


def test_purge_forgets_the_jobs_and_the_lease_of_one_portal(
    inbox: ContactInbox,
) -> None:
    inbox.add(FIRST, "1", at(0))
    inbox.add(FIRST, "2", at(0))
    inbox.add(SECOND, "3", at(3))
    _, [failing, _] = claim(inbox, "worker-1")
    inbox.fail(failing, "invalid name")

    inbox.purge(FIRST)
    inbox.add(FIRST, "4", at(1))

    assert contacts(inbox.jobs()) == ["4", "3"]
    assert claim(inbox, "worker-2", when=3)[0].member_id == FIRST


def test_work_on_a_purged_job_changes_nothing(inbox: ContactInbox) -> None:
    inbox.add(FIRST, "1", at(0))
    _, [job] = claim(inbox)
    inbox.purge(FIRST)

    inbox.complete(job)
    inbox.retry(job, "timeout", at(5))
    inbox.fail(job, "invalid name")

    assert inbox.jobs() == []


def test_completing_a_stale_copy_leaves_a_later_job_of_the_contact(
    inbox: ContactInbox,
) -> None:
    inbox.add(FIRST, "1", at(0))
    _, [stale] = claim(inbox, "worker-1", when=1)
    _, [same] = claim(inbox, "worker-2", when=1 + LEASE.total_seconds())
    inbox.complete(same)
    inbox.add(FIRST, "1", at(40))

    inbox.complete(stale)

    assert [job.created_at for job in inbox.jobs()] == [at(40)]


def test_renew_extends_a_live_lease(inbox: ContactInbox) -> None:
    inbox.add(FIRST, "1", at(0))
    lease, _ = claim(inbox, "worker-1", when=0)

    renewed = inbox.renew(lease, at(20), LEASE)

    assert renewed == Lease(FIRST, "worker-1", at(20) + LEASE)
    assert inbox.claim("worker-2", at(40), LEASE, 10) is None


def test_renew_of_an_expired_lease_nobody_took_keeps_it(inbox: ContactInbox) -> None:
    inbox.add(FIRST, "1", at(0))
    lease, _ = claim(inbox, "worker-1", when=0)

    renewed = inbox.renew(lease, at(100), LEASE)

    assert renewed.expires_at == at(100) + LEASE
    assert inbox.claim("worker-2", at(101), LEASE, 10) is None


def test_renew_after_another_owner_took_the_portal_raises_lease_lost(
    inbox: ContactInbox,
) -> None:
    inbox.add(FIRST, "1", at(0))
    lease, _ = claim(inbox, "worker-1", when=0)
    claim(inbox, "worker-2", when=LEASE.total_seconds())

    with pytest.raises(LeaseLost):
        inbox.renew(lease, at(40), LEASE)


def test_renew_after_the_portal_was_purged_raises_lease_lost(
    inbox: ContactInbox,
) -> None:
    inbox.add(FIRST, "1", at(0))
    lease, _ = claim(inbox)
    inbox.purge(FIRST)

    with pytest.raises(LeaseLost):
        inbox.renew(lease, at(1), LEASE)


def test_release_lets_another_owner_claim_at_once(inbox: ContactInbox) -> None:
    inbox.add(FIRST, "1", at(0))
    lease, _ = claim(inbox, "worker-1", when=0)

    inbox.release(lease)

    assert claim(inbox, "worker-2", when=1)[0].member_id == FIRST


def test_release_of_a_lease_another_owner_took_leaves_theirs(
    inbox: ContactInbox,
) -> None:
    inbox.add(FIRST, "1", at(0))
    stale, _ = claim(inbox, "worker-1", when=0)
    claim(inbox, "worker-2", when=LEASE.total_seconds())

    inbox.release(stale)

    assert inbox.claim("worker-1", at(31), LEASE, 10) is None


@pytest.mark.parametrize(("when", "limit"), [(NOW, 0), (NOW.replace(tzinfo=None), 1)])
def test_claim_refuses_a_limit_below_one_or_a_naive_time(
    inbox: ContactInbox, when: datetime, limit: int
) -> None:
    with pytest.raises(ValueError, match=r"job|naive"):
        inbox.claim("worker-1", when, LEASE, limit)


class Holders:
    """Which worker holds which portal, as the workers themselves believe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: dict[str, str] = {}
        self.clashes: list[str] = []

    def take(self, member_id: str, owner: str) -> None:
        with self._lock:
            if member_id in self._held:
                self.clashes.append(member_id)
            self._held[member_id] = owner

    def give_back(self, member_id: str) -> None:
        with self._lock:
            del self._held[member_id]


def drain(inbox: ContactInbox, owner: str, holders: Holders) -> list[tuple[str, str]]:
    """Claim, complete and release until no portal is free; return what was done."""
    done: list[tuple[str, str]] = []
    while (claimed := inbox.claim(owner, at(1), timedelta(hours=1), 1)) is not None:
        lease, jobs = claimed
        holders.take(lease.member_id, owner)
        time.sleep(0)  # Let the other threads run while this one holds the portal.

        for job in jobs:
            inbox.complete(job)
            done.append((job.member_id, job.contact_id))

        # Given back before the lease, so no other thread can find it still held.
        holders.give_back(lease.member_id)
        inbox.release(lease)
    return done


def test_threads_never_share_a_portal_and_complete_each_job_once(
    shared_inbox: ContactInbox,
) -> None:
    expected = [(f"portal-{p}", str(c)) for p in range(6) for c in range(12)]
    for member_id, contact_id in expected:
        shared_inbox.add(member_id, contact_id, at(0))
    holders = Holders()

    with ThreadPoolExecutor(max_workers=4) as pool:
        runs = [
            pool.submit(drain, shared_inbox, f"worker-{n}", holders) for n in range(4)
        ]
        done = [job for run in runs for job in run.result()]

    assert holders.clashes == []
    assert sorted(done) == sorted(expected)
    assert shared_inbox.counts() == {}
