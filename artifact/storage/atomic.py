"""Atomic writes: a reader never sees a partial file, and a failed write keeps the old one."""

from __future__ import annotations

import errno
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from artifact.errors import InputError, StorageError
from artifact.storage.paths import path_problem


def _default_file_mode() -> int:
    """rw for everyone the umask allows, as open() would give (mkstemp alone gives 0600)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


_FILE_MODE = _default_file_mode()


def atomic_write(path: Path, write: Callable[[Any], None], mode: str = "wb") -> Path:
    """Call `write(fileobj)` on a temp file beside `path`, fsync it, then rename over `path`."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise _unwritable(path, exc) from None
    try:
        os.fchmod(fd, _FILE_MODE)
        with os.fdopen(fd, mode) as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except OSError as exc:
        _discard(tmp_name)
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise StorageError(
                f"disk full while writing {path}; the previous file was kept, free space and rerun."
            ) from None
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            raise _unwritable(path, exc) from None
        raise StorageError(
            f"could not write {path} ({exc.strerror}); the previous file was kept."
        ) from None
    except BaseException:
        _discard(tmp_name)
        raise
    return path


def _unwritable(path: Path, exc: OSError) -> InputError:
    """A place the user chose that cannot hold the file: bad input, not a bug (exit 2)."""
    return InputError(f"cannot write {path} ({exc.strerror or exc}); choose a writable "
                      "directory (--out) or fix its permissions.")  # fmt: skip


def _discard(tmp_name: str) -> None:
    try:
        os.unlink(tmp_name)
    except FileNotFoundError:
        pass


def write_json(path: Path, payload: Any) -> Path:
    text = json.dumps(payload, indent=2, sort_keys=False, allow_nan=False) + "\n"
    return atomic_write(path, lambda handle: handle.write(text), mode="w")


def read_json(path: Path, what: str = "file") -> Any:
    """Read JSON a previous step wrote; a missing or malformed file is one clear sentence."""
    path = Path(path)
    problem = path_problem(path)
    if problem == "does not exist":
        raise InputError(f"{what} {path} is missing; run the step that writes it first.")
    if problem is not None:  # a directory in its place, a symlink loop: said as such
        raise InputError(f"{what} {path} {problem}; remove it and rerun the step that writes it.")
    try:
        return json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise InputError(
            f"{what} {path} is not valid JSON; delete it and rerun its step."
        ) from None
