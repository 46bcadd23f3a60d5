"""Rotating the keys that seal portal tokens at rest (see docs/decisions/sealing.md).

Rotation with a key file, one step at a time:

1. Stop the service. A running process keeps the keys it started with and cannot
   unseal values sealed under a key added after its start.
2. `rotate_key`: a new primary key goes on top of the key file and every portal
   is saved again, sealed under it. The old keys stay, so a value missed for any
   reason still unseals.
3. Start the service, and check that it serves portals.
4. `drop_old_keys`: it first checks that every portal unseals under the primary
   alone, then keeps only the primary in the key file. Restart the service.

With keys in a variable instead, put a new key (`adapters.sealing.new_key`) first
in it, restart, run `reseal_all`, then remove the old keys and restart again.

A key file must be backed up with the database: without the key that sealed
them, stored tokens cannot be read, and every portal needs a reinstall.
"""

import logging
from collections.abc import Callable
from pathlib import Path

from adapters.sealing import (
    Sealer,
    TokenSealer,
    add_new_primary_key,
    load_key_file,
    read_key_file,
    retire_old_keys,
)
from application.ports import TokenRepository

logger = logging.getLogger(__name__)

#: Opens the token store with the given sealer; the caller picks the store.
RepositoryOpener = Callable[[Sealer], TokenRepository]


def rotate_key(path: Path, open_repository: RepositoryOpener) -> int:
    """Add a new primary key to the key file and re-seal every portal under it;
    returns how many portals were saved again.

    The store is opened only after the new key is in the file: a store opened
    before would still seal under the old primary. Raises `ConfigurationError`
    for a missing or bad key file (nothing changed), and `SealingError` when a
    stored value does not unseal under any key; then no portal was saved, and the
    key file holds the new primary above its old keys, which is harmless.
    """
    add_new_primary_key(path)

    repository = open_repository(load_key_file(path))
    count = reseal_all(repository)

    logger.info("sealing key rotated key_file=%s portals=%d", path, count)
    return count


def reseal_all(repository: TokenRepository) -> int:
    """Save every portal again, which seals its tokens under the repository's
    primary key; returns how many.

    Every portal is read before the first is written, so a `SealingError` while
    reading leaves the whole store as it was.
    """
    portals = repository.list()

    for portal in portals:
        repository.save(portal)
    return len(portals)


def drop_old_keys(path: Path, open_repository: RepositoryOpener) -> int:
    """Keep only the primary key in the key file; returns how many keys went.

    Runs after `rotate_key`. Every portal is first read through a store opened
    with the primary key alone, so a value still sealed under an old key raises
    `SealingError` and the key file is left as it was.
    """
    primary_only = TokenSealer(read_key_file(path)[:1], f"key file {path}")
    open_repository(primary_only).list()

    dropped = retire_old_keys(path)

    logger.info("old sealing keys dropped key_file=%s dropped=%d", path, dropped)
    return dropped
