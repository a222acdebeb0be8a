"""What is wrong with a path the user named, in words a sentence can end with: a path that
exists as the wrong kind (a directory for a file, a symlink loop, an unreadable file) is never
said not to exist."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path


def path_problem(path: Path, kind: str = "file") -> str | None:
    """None when `path` is a readable `kind` ("file" or "directory"); else what it is instead,
    to follow the path in a sentence: "does not exist", "is a symlink loop", "is a directory,
    not a file", "cannot be read (Permission denied)", ..."""
    path = Path(path)
    try:
        mode = os.stat(path).st_mode
    except OSError as error:
        return _stat_problem(path, error)
    if kind == "directory":
        if not stat.S_ISDIR(mode):
            return "is a file, not a directory" if stat.S_ISREG(mode) else "is not a directory"
        return None if os.access(path, os.R_OK | os.X_OK) else "cannot be read (Permission denied)"
    if stat.S_ISDIR(mode):
        return "is a directory, not a file"
    if not stat.S_ISREG(mode):
        return "is not a regular file"
    try:
        with open(path, "rb"):  # os.access is no test as root; opening is
            pass
    except OSError as error:
        return f"cannot be read ({error.strerror})"
    return None


def _stat_problem(path: Path, error: OSError) -> str:
    if error.errno == errno.ELOOP:
        return "is a symlink loop"
    if error.errno == errno.ENOENT and path.is_symlink():
        return f"is a broken symlink (to {os.readlink(path)})"
    if error.errno == errno.ENOTDIR:
        above = next((p for p in path.parents if p.exists() and not p.is_dir()), None)
        return f"does not exist ({above} is a file)" if above else "does not exist"
    if error.errno == errno.ENOENT:
        return "does not exist"
    return f"cannot be read ({error.strerror})"
