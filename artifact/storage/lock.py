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

from artifact.errors import LockedError


@contextlib.contextmanager
def directory_lock(directory: Path, exclusive: bool = True) -> Iterator[None]:
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    fd = os.open(directory / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
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
