"""Sealing portal tokens at rest with Fernet, and the key file that holds the keys.

A sealed value is `fernet:` followed by a Fernet token (AES-128-CBC encryption with
an HMAC-SHA256 tag, url-safe base64). A value without that marker is a token stored
before sealing existed: it is read as it is and sealed on its next save.

Keys come from a key file, one key per line, or from a comma-separated variable.
The first key is the primary: it seals every new value. Every key unseals, so a
rotation adds a new primary, re-seals the data, and only then drops the old keys.
"""

import os
import secrets
import stat
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from application.errors import ConfigurationError, SealingError

#: What starts every sealed value; anything else was stored in plain.
MARKER = "fernet:"

#: Owner read and write only: the key file must never be readable by others.
PRIVATE_FILE_MODE = 0o600
PRIVATE_FOLDER_MODE = 0o700

KEY_MISMATCH = (
    "a stored token cannot be unsealed: the key file does not match the stored data"
    " (the key that sealed it is missing, or the stored value is damaged)"
)


def is_sealed(stored: str) -> bool:
    """True when a stored value carries the sealing marker."""
    return stored.startswith(MARKER)


def new_key() -> str:
    """A fresh random Fernet key, as text fit for a key file or a variable."""
    return Fernet.generate_key().decode("ascii")


class Sealer(ABC):
    """Turns tokens into the values stored for them, and stored values back."""

    @abstractmethod
    def seal(self, plain: str) -> str:
        """The value to store for the token `plain`; an empty token stays empty."""

    @abstractmethod
    def unseal(self, stored: str) -> str:
        """The token a stored value holds; an empty value stays empty.

        Raises `SealingError` when a sealed value cannot be opened with the keys.
        """

    @abstractmethod
    def rotate(self, stored: str) -> str:
        """The stored value sealed again under the primary key; a plain value is
        sealed, an empty one stays empty. Raises `SealingError` like `unseal`."""


class TokenSealer(Sealer):
    """Seals under the first (primary) key; unseals under any of the keys.

    Values stored in plain (without `MARKER`) unseal to themselves, so a store
    written before sealing keeps working and is sealed as portals are saved again.
    """

    def __init__(self, keys: Sequence[str], source: str = "the sealing keys") -> None:
        """Raises `ConfigurationError` for no key or a key that is not a Fernet key;
        `source` names where the keys came from in that message."""
        if not keys:
            raise ConfigurationError(f"no key in {source}")

        self._fernet = MultiFernet(
            [_fernet(key, position, source) for position, key in enumerate(keys, 1)]
        )
        self._key_count = len(keys)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(<{self._key_count} keys>)"

    @property
    def key_count(self) -> int:
        return self._key_count

    def seal(self, plain: str) -> str:
        if not plain:
            return ""

        return MARKER + self._fernet.encrypt(plain.encode("utf-8")).decode("ascii")

    def unseal(self, stored: str) -> str:
        if not is_sealed(stored):
            return stored

        try:
            opened = self._fernet.decrypt(_fernet_token(stored))
        except InvalidToken as error:
            raise SealingError(KEY_MISMATCH) from error
        return _text(opened)

    def rotate(self, stored: str) -> str:
        if not is_sealed(stored):
            return self.seal(stored)

        try:
            resealed = self._fernet.rotate(_fernet_token(stored))
        except InvalidToken as error:
            raise SealingError(KEY_MISMATCH) from error
        return MARKER + resealed.decode("ascii")


class NoSealing(Sealer):
    """Keeps tokens as they are, for `memory://` storage that never leaves the
    process; use it only for stores that never held sealed values."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def seal(self, plain: str) -> str:
        return plain

    def unseal(self, stored: str) -> str:
        return stored

    def rotate(self, stored: str) -> str:
        return stored


#: For stores that keep nothing at rest, and for reading what was never sealed.
NO_SEALING: Sealer = NoSealing()


def sealer_from_keys(text: str, source: str = "the sealing keys") -> TokenSealer:
    """The sealer for keys given as text, comma-separated, primary first.

    Spaces and line breaks around keys are ignored. Raises `ConfigurationError`
    when the text holds no key or a key that is not a Fernet key; the message
    names `source` and the key's position, never the key.
    """
    keys = [key.strip() for key in text.replace("\n", ",").split(",")]
    return TokenSealer([key for key in keys if key], source)


def load_key_file(path: Path) -> TokenSealer:
    """The sealer for the keys of an existing key file.

    Raises `ConfigurationError` when the file is missing, is not a regular file,
    is readable or writable by anyone but its owner, or does not hold one Fernet
    key per line.
    """
    return TokenSealer(read_key_file(path), f"key file {path}")


def load_or_create_key_file(path: Path) -> TokenSealer:
    """The sealer for the key file at `path`, created with a new key if missing.

    A missing parent folder is created readable by its owner only. The file is
    created with mode 0600 and appears complete or not at all, so processes that
    start together all end up with the same key. Raises `ConfigurationError` as
    `load_key_file` does, or when the file cannot be created.
    """
    if not path.exists():
        _create_key_file(path)
    return load_key_file(path)


def read_key_file(path: Path) -> list[str]:
    """The keys of a key file, primary first, each checked to be a Fernet key.

    Raises `ConfigurationError` as `load_key_file` does.
    """
    keys = [line.strip() for line in _read_private(path).splitlines()]
    keys = [key for key in keys if key]
    source = f"key file {path}"
    if not keys:
        raise ConfigurationError(f"no key in {source}")

    for position, key in enumerate(keys, 1):
        _fernet(key, position, source)
    return keys


def add_new_primary_key(path: Path) -> None:
    """Put a new key at the top of an existing key file, keeping the old ones.

    The file is replaced atomically by a complete new one with mode 0600: a crash
    leaves either the old or the new file, never a partial one. Raises
    `ConfigurationError` as `load_key_file` does, or when the file cannot be
    written.
    """
    _replace_key_file(path, [new_key(), *read_key_file(path)])


def retire_old_keys(path: Path) -> int:
    """Keep only the primary key in the key file; returns how many keys went.

    Values still sealed under a retired key can no longer be unsealed, so this
    runs only after every stored value was re-sealed under the primary. Replaces
    the file atomically, like `add_new_primary_key`, and raises the same errors.
    """
    keys = read_key_file(path)
    if len(keys) > 1:
        _replace_key_file(path, keys[:1])
    return len(keys) - 1


def _fernet(key: str, position: int, source: str) -> Fernet:
    try:
        return Fernet(key)
    except ValueError:
        # Not chained: the cause could quote the key.
        raise ConfigurationError(
            f"key {position} of {source} is not a Fernet key"
            " (32 bytes in url-safe base64)"
        ) from None


def _fernet_token(stored: str) -> bytes:
    token = stored.removeprefix(MARKER)
    if not token.isascii():
        raise SealingError(KEY_MISMATCH)
    return token.encode("ascii")


def _text(opened: bytes) -> str:
    try:
        return opened.decode("utf-8")
    except UnicodeDecodeError:
        # Not chained: the cause would carry the unsealed bytes.
        raise SealingError(KEY_MISMATCH) from None


def _read_private(path: Path) -> str:
    try:
        # Non-blocking, so a FIFO put in place of the file is refused, not waited on.
        with os.fdopen(os.open(path, os.O_RDONLY | os.O_NONBLOCK), "rb") as file:
            _check_private(os.fstat(file.fileno()), path)
            data = file.read()
    except FileNotFoundError:
        raise ConfigurationError(f"key file {path} does not exist") from None
    except OSError as error:
        raise ConfigurationError(
            f"cannot read key file {path}: {error.strerror}"
        ) from error

    try:
        return data.decode("ascii")
    except UnicodeDecodeError:
        raise ConfigurationError(
            f"key file {path} is not one Fernet key per line"
        ) from None


def _check_private(status: os.stat_result, path: Path) -> None:
    if not stat.S_ISREG(status.st_mode):
        raise ConfigurationError(f"key file {path} is not a regular file")

    mode = stat.S_IMODE(status.st_mode)
    if mode & 0o077:
        raise ConfigurationError(
            f"key file {path} has mode {mode:o}: others may read or change it;"
            f" allow its owner only (chmod 600 {path})"
        )


def _create_key_file(path: Path) -> None:
    try:
        path.parent.mkdir(mode=PRIVATE_FOLDER_MODE, parents=True, exist_ok=True)
        written = _write_private(path, [new_key()])
    except OSError as error:
        raise ConfigurationError(
            f"cannot create key file {path}: {error.strerror}"
        ) from error

    try:
        # A hard link publishes the complete file, and fails if another process
        # published its own first; then that one's key is the key.
        os.link(written, path)
    except FileExistsError:
        pass
    except OSError as error:
        raise ConfigurationError(
            f"cannot create key file {path}: {error.strerror}"
        ) from error
    finally:
        written.unlink()


def _replace_key_file(path: Path, keys: Sequence[str]) -> None:
    try:
        written = _write_private(path, keys)
    except OSError as error:
        raise ConfigurationError(
            f"cannot write key file {path}: {error.strerror}"
        ) from error

    try:
        os.replace(written, path)
    except OSError as error:
        written.unlink(missing_ok=True)
        raise ConfigurationError(
            f"cannot replace key file {path}: {error.strerror}"
        ) from error


def _write_private(path: Path, keys: Sequence[str]) -> Path:
    """A new file beside `path` holding `keys`, created with mode 0600.

    `O_EXCL` with the mode given at creation means the file is never readable by
    others, not even for the moment between creating it and a chmod.
    """
    written = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    descriptor = os.open(
        written, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE
    )
    try:
        with os.fdopen(descriptor, "w", encoding="ascii") as file:
            file.write("".join(f"{key}\n" for key in keys))
            file.flush()
            os.fsync(file.fileno())
    except BaseException:
        written.unlink(missing_ok=True)
        raise
    return written
