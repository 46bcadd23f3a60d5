"""Key rotation: a new primary key, every portal re-sealed, then old keys dropped."""

import logging
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from adapters.memory import InMemoryTokenRepository
from adapters.sealing import Sealer, TokenSealer, new_key, read_key_file
from application.errors import ConfigurationError, SealingError
from application.ports import TokenRepository
from domain.portal import Portal
from entrypoints.keys import drop_old_keys, reseal_all, rotate_key
from tests.integration.portals import a_portal

TOKEN_FIELDS = ("access_token", "refresh_token", "application_token")
ALPHA = "a223c6b3710f85df22e9377d6c4f7553"
BETA = "b334d7c4821f96e033fa488e8e5f8664"
TOKENS_OF_ALPHA = [getattr(a_portal(ALPHA), name) for name in TOKEN_FIELDS]


class SealingStore:
    """Sealed documents kept between repositories, as a database keeps them."""

    def __init__(self) -> None:
        self.inner = InMemoryTokenRepository()

    def sealed(self) -> list[Portal]:
        """The portals as stored, tokens sealed."""
        return self.inner.list()

    def open(self, sealer: Sealer) -> "FakeSealingRepository":
        return FakeSealingRepository(self.inner, sealer)


class FakeSealingRepository(TokenRepository):
    """Seals tokens on save and unseals them on read, as the stores will."""

    def __init__(self, inner: InMemoryTokenRepository, sealer: Sealer) -> None:
        self._inner = inner
        self._sealer = sealer

    def get(self, member_id: str) -> Portal | None:
        stored = self._inner.get(member_id)
        return None if stored is None else self._unsealed(stored)

    def save(self, portal: Portal) -> None:
        self._inner.save(self._sealed(portal))

    def save_if_refresh_token(self, portal: Portal, expected: str) -> bool:
        stored = self._inner.get(portal.member_id)
        if stored is None or self._unsealed(stored).refresh_token != expected:
            return False

        return self._inner.save_if_refresh_token(
            self._sealed(portal), stored.refresh_token
        )

    def delete(self, member_id: str) -> None:
        self._inner.delete(member_id)

    def list(self) -> list[Portal]:
        return [self._unsealed(portal) for portal in self._inner.list()]

    def _sealed(self, portal: Portal) -> Portal:
        return _tokens_changed(portal, self._sealer.seal)

    def _unsealed(self, portal: Portal) -> Portal:
        return _tokens_changed(portal, self._sealer.unseal)


def _tokens_changed(portal: Portal, change: Callable[[str], str]) -> Portal:
    return replace(
        portal,
        access_token=change(portal.access_token),
        refresh_token=change(portal.refresh_token),
        application_token=change(portal.application_token),
    )


def key_file(folder: Path, *keys: str) -> Path:
    path = folder / "keys"
    path.write_text("".join(f"{key}\n" for key in keys), "ascii")
    path.chmod(0o600)
    return path


def store_with(sealer: Sealer, *portals: Portal) -> SealingStore:
    store = SealingStore()
    repository = store.open(sealer)
    for portal in portals:
        repository.save(portal)
    return store


def test_rotation_reseals_every_portal_under_a_new_primary(tmp_path: Path) -> None:
    old = new_key()
    path = key_file(tmp_path, old)
    portals = [a_portal(ALPHA), a_portal(BETA, refresh_token="")]
    store = store_with(TokenSealer([old]), *portals)

    count = rotate_key(path, store.open)

    keys = read_key_file(path)
    assert count == 2
    assert keys[1:] == [old]
    assert store.open(TokenSealer(keys[:1])).list() == portals
    with pytest.raises(SealingError):
        store.open(TokenSealer([old])).list()


def test_rotation_seals_plain_tokens_of_an_older_store(tmp_path: Path) -> None:
    path = key_file(tmp_path, new_key())
    store = SealingStore()
    store.inner.save(a_portal(ALPHA))

    rotate_key(path, store.open)

    (stored,) = store.sealed()
    assert all(getattr(stored, f).startswith("fernet:") for f in TOKEN_FIELDS)
    assert stored.access_token != a_portal(ALPHA).access_token


def test_rotation_with_an_unknown_key_in_the_store_saves_nothing(
    tmp_path: Path,
) -> None:
    path = key_file(tmp_path, new_key())
    store = store_with(TokenSealer([new_key()]), a_portal(ALPHA))
    before = store.sealed()

    with pytest.raises(SealingError):
        rotate_key(path, store.open)

    assert store.sealed() == before


def test_rotation_without_key_file_changes_nothing(tmp_path: Path) -> None:
    store = store_with(TokenSealer([new_key()]), a_portal(ALPHA))
    before = store.sealed()

    with pytest.raises(ConfigurationError, match="does not exist"):
        rotate_key(tmp_path / "keys", store.open)

    assert store.sealed() == before


def test_reseal_all_counts_every_portal_saved() -> None:
    key = new_key()
    store = store_with(TokenSealer([key]), a_portal(ALPHA), a_portal(BETA))

    assert reseal_all(store.open(TokenSealer([key]))) == 2


def test_dropping_old_keys_after_rotation_keeps_data_readable(
    tmp_path: Path,
) -> None:
    old = new_key()
    path = key_file(tmp_path, old)
    store = store_with(TokenSealer([old]), a_portal(ALPHA))
    rotate_key(path, store.open)
    primary = read_key_file(path)[0]

    dropped = drop_old_keys(path, store.open)

    assert dropped == 1
    assert read_key_file(path) == [primary]
    assert store.open(TokenSealer([primary])).list() == [a_portal(ALPHA)]


def test_old_keys_still_in_use_are_not_dropped(tmp_path: Path) -> None:
    old, primary = new_key(), new_key()
    path = key_file(tmp_path, primary, old)
    store = store_with(TokenSealer([old]), a_portal(ALPHA))

    with pytest.raises(SealingError):
        drop_old_keys(path, store.open)

    assert read_key_file(path) == [primary, old]


def test_rotation_logs_counts_but_no_key_or_token(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    old = new_key()
    path = key_file(tmp_path, old)
    store = store_with(TokenSealer([old]), a_portal(ALPHA))
    caplog.set_level(logging.INFO)

    rotate_key(path, store.open)
    drop_old_keys(path, store.open)

    assert "portals=1" in caplog.text
    assert "dropped=1" in caplog.text
    for secret in [old, *read_key_file(path), *TOKENS_OF_ALPHA]:
        assert secret not in caplog.text
