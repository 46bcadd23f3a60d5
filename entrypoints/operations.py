"""Operator commands of `b24names`: workers, the job queue, and backfill.

Each command builds the container from the same `B24_*` configuration as the
web service, so it works on the same storage.
"""

import asyncio
import logging
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Never, TextIO

from tqdm import tqdm

from application.backfill import BackfillContacts, BackfillProgress
from application.errors import PortalNotFound
from application.ports import JobState
from entrypoints.checkpoints import checkpoints_of
from entrypoints.container import Container, running_workers
from entrypoints.settings import Settings

logger = logging.getLogger(__name__)


def container_from_env() -> Container:
    return Container(settings=Settings.from_env())


async def run_workers(container: Container, count: int) -> None:
    """Run contact workers until SIGINT or SIGTERM, then finish their batches."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)

    logger.info("workers started count=%d", count)
    try:
        async with running_workers(container, count):
            await stop.wait()
    finally:
        await container.http_client().aclose()
    logger.info("workers stopped")


def show_jobs(container: Container, member_id: str | None, out: TextIO) -> None:
    """Pending and failed jobs per portal, then each failed job's last error."""
    inbox = container.inbox()
    counts = inbox.counts()
    rows = (
        sorted(counts.items())
        if member_id is None
        else [(member_id, counts.get(member_id, {}))]
    )
    print(f"{'portal':34} {'pending':>8} {'failed':>8}", file=out)
    for portal, states in rows:
        pending = states.get(JobState.PENDING, 0)
        failed = states.get(JobState.FAILED, 0)
        print(f"{portal:34} {pending:>8} {failed:>8}", file=out)

    for job in inbox.jobs(member_id, JobState.FAILED):
        print(
            f"failed {job.member_id} contact {job.contact_id} "
            f"after {job.attempts} attempts: {job.last_error}",
            file=out,
        )


def requeue_jobs(container: Container, member_id: str | None, out: TextIO) -> None:
    count = container.inbox().requeue_failed(member_id, container.clock()())
    print(f"requeued {count} failed job(s)", file=out)


async def backfill(
    container: Container,
    member_id: str,
    dry_run: bool,
    restart: bool,
    out: TextIO,
) -> BackfillProgress:
    """Format a portal's existing contacts, resumable, with a progress bar."""
    portal = container.portals().get(member_id)
    if portal is None or not portal.is_active:
        raise PortalNotFound(f"no installed portal has member_id {member_id}")

    checkpoints = checkpoints_of(container.settings().data_dir)
    if restart:
        checkpoints.clear(member_id)
    start_after = 0 if dry_run else checkpoints.load(member_id)
    walk = BackfillContacts(container.portals(), container.rest())

    try:
        total = await walk.count(member_id)
        with _progress_bar(total, out) as bar:

            def on_page(progress: BackfillProgress) -> None:
                bar.n = progress.seen
                bar.set_postfix(changed=progress.changed, failed=progress.failed)
                if not dry_run:
                    checkpoints.save(member_id, progress.last_id)

            if start_after:
                print(f"resuming after contact ID {start_after}", file=out)
            progress = await walk(member_id, start_after, dry_run, on_page)
    finally:
        await container.http_client().aclose()

    # A finished walk leaves nothing to resume: the next run starts over.
    if not dry_run:
        checkpoints.clear(member_id)
    return progress


@contextmanager
def _progress_bar(total: int | None, out: TextIO) -> Iterator["tqdm[Never]"]:
    bar: tqdm[Never] = tqdm(
        total=total, unit="contact", file=out, disable=not out.isatty()
    )
    try:
        yield bar
    finally:
        bar.close()


def print_summary(progress: BackfillProgress, dry_run: bool, out: TextIO) -> None:
    for change in progress.changes:
        before = ", ".join(f"{k}={v!r}" for k, v in change.before.items() if v)
        after = ", ".join(f"{k}={v!r}" for k, v in change.after.items())
        print(f"contact {change.contact_id}: {before} -> {after}", file=out)
    verb = "would change" if dry_run else "changed"
    print(
        f"seen {progress.seen}, {verb} {progress.changed}, "
        f"unchanged {progress.unchanged}, failed {progress.failed}",
        file=out,
    )
