"""Tokens sealed with Fernet at rest, and the key file that holds the keys."""

import os
import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from hypothesis import given
from hypothesis import strategies as st

from adapters.sealing import (
    MARKER,
    NoSealing,
    TokenSealer,
    add_new_primary_key,
    is_sealed,
    load_key_file,
    load_or_create_key_file,
    new_key,
    read_key_file,
    retire_old_keys,
    sealer_from_keys,
)
from application.errors import ConfigurationError, SealingError

TOKEN = "9f1c2e7ab3d84f56a0e1b2c3d4e5f607"
OLD, NEW, STRANGER = new_key(), new_key(), new_key()


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def key_file(folder: Path, *keys: str, mode: int = 0o600) -> Path:
    path = folder / "keys"
    path.write_text("".join(f"{key}\n" for key in keys), "ascii")
    path.chmod(mode)
    return path


def test_sealed_token_unseals_to_itself_and_shows_nothing_of_it() -> None:
    sealer = TokenSealer([NEW])

    sealed = sealer.seal(TOKEN)

    assert sealed.startswith(MARKER)
    assert TOKEN not in sealed
    assert sealer.unseal(sealed) == TOKEN


@given(st.text())
def test_any_text_survives_sealing(plain: str) -> None:
    sealer = TokenSealer([NEW])

    assert sealer.unseal(sealer.seal(plain)) == plain


def test_sealing_twice_gives_different_values() -> None:
    sealer = TokenSealer([NEW])

    assert sealer.seal(TOKEN) != sealer.seal(TOKEN)


def test_empty_token_stays_empty_both_ways() -> None:
    sealer = TokenSealer([NEW])

    assert sealer.seal("") == ""
    assert sealer.unseal("") == ""
    assert sealer.rotate("") == ""


def test_plain_value_of_an_older_store_reads_as_it_is() -> None:
    assert TokenSealer([NEW]).unseal(TOKEN) == TOKEN


def test_value_sealed_under_an_unknown_key_raises_without_secrets() -> None:
    sealed = TokenSealer([STRANGER]).seal(TOKEN)

    with pytest.raises(SealingError) as raised:
        TokenSealer([NEW, OLD]).unseal(sealed)

    message = str(raised.value)
    assert "key file does not match the stored data" in message
    for secret in (TOKEN, NEW, OLD, STRANGER, sealed):
        assert secret not in message


@pytest.mark.parametrize(
    "damaged", [MARKER, f"{MARKER}not-fernet", f"{MARKER}gAAAAAé", f"{MARKER}{TOKEN}"]
)
def test_damaged_sealed_value_raises_sealing_error(damaged: str) -> None:
    sealer = TokenSealer([NEW])

    with pytest.raises(SealingError):
        sealer.unseal(damaged)
    with pytest.raises(SealingError):
        sealer.rotate(damaged)


def test_old_keys_unseal_and_only_the_primary_seals() -> None:
    before = TokenSealer([OLD]).seal(TOKEN)
    both = TokenSealer([NEW, OLD])

    after = both.seal(TOKEN)

    assert both.unseal(before) == TOKEN
    assert TokenSealer([NEW]).unseal(after) == TOKEN
    with pytest.raises(SealingError):
        TokenSealer([OLD]).unseal(after)


def test_rotate_moves_a_value_to_the_primary_key() -> None:
    before = TokenSealer([OLD]).seal(TOKEN)

    rotated = TokenSealer([NEW, OLD]).rotate(before)

    assert TokenSealer([NEW]).unseal(rotated) == TOKEN


def test_rotate_seals_a_plain_value() -> None:
    rotated = TokenSealer([NEW]).rotate(TOKEN)

    assert is_sealed(rotated)
    assert TokenSealer([NEW]).unseal(rotated) == TOKEN


def test_sealer_repr_and_str_show_no_key() -> None:
    sealer = TokenSealer([NEW, OLD])

    for text in (repr(sealer), str(sealer)):
        assert NEW not in text
        assert OLD not in text
    assert "2 keys" in repr(sealer)


def test_no_sealing_keeps_values_as_they_are() -> None:
    sealer = NoSealing()

    assert sealer.seal(TOKEN) == TOKEN
    assert sealer.unseal(TOKEN) == TOKEN
    assert sealer.rotate(TOKEN) == TOKEN


def test_keys_from_text_are_comma_separated_primary_first() -> None:
    sealer = sealer_from_keys(f" {NEW} ,\n{OLD}, ")

    sealed = sealer.seal(TOKEN)

    assert sealer.key_count == 2
    assert TokenSealer([NEW]).unseal(sealed) == TOKEN


@pytest.mark.parametrize("text", ["", " , ", "not-a-key", f"{NEW},short"])
def test_keys_text_without_valid_keys_is_refused_without_quoting_it(
    text: str,
) -> None:
    with pytest.raises(ConfigurationError, match="B24_SEALING_KEYS") as raised:
        sealer_from_keys(text, "B24_SEALING_KEYS")

    assert "short" not in str(raised.value)
    assert NEW not in str(raised.value)


def test_first_run_creates_private_key_file_and_folder(tmp_path: Path) -> None:
    path = tmp_path / "secrets" / "keys"

    sealer = load_or_create_key_file(path)

    assert mode_of(path) == 0o600
    assert mode_of(path.parent) == 0o700
    assert len(read_key_file(path)) == 1
    assert sealer.key_count == 1
    assert os.listdir(path.parent) == ["keys"]


def test_later_runs_read_the_same_key(tmp_path: Path) -> None:
    path = tmp_path / "keys"
    sealed = load_or_create_key_file(path).seal(TOKEN)

    again = load_or_create_key_file(path)

    assert again.unseal(sealed) == TOKEN


def test_existing_key_file_is_read_not_replaced(tmp_path: Path) -> None:
    path = key_file(tmp_path, NEW, OLD)

    sealer = load_or_create_key_file(path)

    assert sealer.key_count == 2
    assert read_key_file(path) == [NEW, OLD]


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o620, 0o666])
def test_key_file_open_to_others_is_refused(tmp_path: Path, mode: int) -> None:
    path = key_file(tmp_path, NEW, mode=mode)

    with pytest.raises(ConfigurationError, match="chmod 600"):
        load_or_create_key_file(path)


@pytest.mark.parametrize(
    "content",
    [b"", b"\n\n", b"not a key\n", "ключ\n".encode(), b"\xff\xfe"],
)
def test_unparseable_key_file_is_refused(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "keys"
    path.write_bytes(content)
    path.chmod(0o600)

    with pytest.raises(ConfigurationError, match="key file"):
        load_key_file(path)


def test_missing_key_file_is_refused_when_not_creating(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="does not exist"):
        load_key_file(tmp_path / "keys")


def test_folder_in_place_of_key_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "keys").mkdir(mode=0o700)

    with pytest.raises(ConfigurationError, match="key file"):
        load_or_create_key_file(tmp_path / "keys")


def test_pipe_in_place_of_key_file_is_refused_without_waiting(
    tmp_path: Path,
) -> None:
    os.mkfifo(tmp_path / "keys", 0o600)

    with pytest.raises(ConfigurationError, match="not a regular file"):
        load_or_create_key_file(tmp_path / "keys")


def test_new_primary_key_goes_on_top_and_keeps_the_old(tmp_path: Path) -> None:
    path = key_file(tmp_path, NEW, OLD)

    add_new_primary_key(path)

    keys = read_key_file(path)
    assert keys[1:] == [NEW, OLD]
    assert keys[0] not in {NEW, OLD}
    assert mode_of(path) == 0o600
    assert os.listdir(tmp_path) == ["keys"]


def test_new_primary_key_needs_an_existing_key_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="does not exist"):
        add_new_primary_key(tmp_path / "keys")

    assert os.listdir(tmp_path) == []


def test_retiring_old_keys_keeps_the_primary_only(tmp_path: Path) -> None:
    path = key_file(tmp_path, NEW, OLD, STRANGER)

    dropped = retire_old_keys(path)

    assert dropped == 2
    assert read_key_file(path) == [NEW]
    assert mode_of(path) == 0o600


def test_processes_starting_together_share_one_new_key(tmp_path: Path) -> None:
    path = tmp_path / "keys"

    with ThreadPoolExecutor(max_workers=8) as pool:
        sealers = list(pool.map(lambda _: load_or_create_key_file(path), range(16)))

    sealed = sealers[0].seal(TOKEN)
    assert all(sealer.unseal(sealed) == TOKEN for sealer in sealers)
    assert len(read_key_file(path)) == 1
    assert os.listdir(tmp_path) == ["keys"]


def test_sealed_bytes_that_are_not_text_raise_without_chaining_them() -> None:
    stored = MARKER + Fernet(NEW).encrypt(b"\xff\xfe" + TOKEN.encode()).decode()

    with pytest.raises(SealingError) as raised:
        TokenSealer([NEW]).unseal(stored)

    assert raised.value.__cause__ is None
    assert raised.value.__suppress_context__
