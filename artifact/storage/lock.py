"""Advisory locks on output directories, so two processes never write the same run.

`artifact reproduce` holds its output directory exclusively; the per-stage commands that DVC
runs hold it shared (they may run side by side on different runs) and their run exclusively.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from artifact.errors import InputError, LockedError
from artifact.storage.paths import path_problem


def _open_lock_file(directory: Path, create: bool) -> int:
    """The directory's .lock, opened for flock; a path that cannot hold one is one sentence."""
    problem = path_problem(directory, "directory")  # a file or a loop is never called missing
    if problem is not None and problem.startswith("is "):  # the wrong kind of thing
        raise InputError(f"output directory {directory} {problem}; pass a directory as --out.")
    if not create and problem is not None:
        raise InputError(f"output directory {directory} {problem}; pass the --out DIR "
                         "of `artifact reproduce`.")  # fmt: skip
    try:
        directory.mkdir(parents=True, exist_ok=True)
        if not os.access(directory, os.W_OK | os.X_OK):
            raise PermissionError(13, "Permission denied")
        return os.open(directory / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise InputError(f"cannot write to output directory {directory} "
                         f"({exc.strerror or exc}); pass a writable --out.") from None  # fmt: skip


@contextlib.contextmanager
def directory_lock(directory: Path, exclusive: bool = True, create: bool = True) -> Iterator[None]:
    """Hold DIR/.lock; `create=False` for the steps that read a finished run (aggregate,
    claims, report), which refuse a directory that is not there instead of making it."""
    directory = Path(directory)
    fd = _open_lock_file(directory, create)
    try:
        try:
            fcntl.flock(fd, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LockedError(
                f"another artifact process is writing to {directory}; wait for it or use another --out."
            ) from None
        yield
    finally:
        os.close(fd)
