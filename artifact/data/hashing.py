"""File hashes and the pin check every official file goes through (fetch, prepare, verify).

md5 is checked where it is the only hash published (Shapes3D, second-hand); dSprites' npz is
held to its git blob id in the dsprites-dataset repository (first-hand: the SHA-1 of
b"blob <size>\0" + content, what `git hash-object` prints). sha256 is computed alongside,
recorded in provenance, and once pinned in `spec.py` it is the hash a file is held to.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from artifact.data.spec import Pin
from artifact.errors import ChecksumError, DataError

BLOCK_BYTES = 8 << 20


@dataclass(frozen=True)
class FileDigest:
    size: int
    md5: str
    sha256: str
    git_blob: str  # `git hash-object`: sha1 of b"blob <size>\0" + content


def digest_file(path: Path, on_bytes: Callable[[int], None] | None = None) -> FileDigest:
    """md5 and sha256 of a file in one streaming pass; `on_bytes(n)` reports progress."""
    md5, sha256, size = hashlib.md5(usedforsecurity=False), hashlib.sha256(), 0
    git_blob = hashlib.sha1(usedforsecurity=False)
    try:
        with open(path, "rb") as handle:
            git_blob.update(b"blob %d\0" % os.fstat(handle.fileno()).st_size)  # git's header
            while block := handle.read(BLOCK_BYTES):
                md5.update(block)
                sha256.update(block)
                git_blob.update(block)
                size += len(block)
                if on_bytes is not None:
                    on_bytes(len(block))
    except OSError as exc:
        raise DataError(
            f"could not read {path} ({exc.strerror}); check the path and permissions."
        ) from None
    return FileDigest(
        size=size, md5=md5.hexdigest(), sha256=sha256.hexdigest(), git_blob=git_blob.hexdigest()
    )


def check_pin(path: Path, digest: FileDigest, pin: Pin, remedy: str) -> str:
    """The pin status of a file ('sha256 verified', 'git blob verified', 'md5 verified' or
    'unpinned'), the strongest pinned hash deciding; a mismatch
    raises ChecksumError naming the file, the expected and the actual hash, and `remedy`."""
    if pin.sha256 is not None:
        expected, actual, algorithm = pin.sha256, digest.sha256, "sha256"
    elif pin.git_blob is not None:
        expected, actual, algorithm = pin.git_blob, digest.git_blob, "git blob"
    elif pin.md5 is not None:
        expected, actual, algorithm = pin.md5, digest.md5, "md5"
    else:
        return "unpinned"
    if actual != expected.lower():
        raise ChecksumError(
            f"{path} has {algorithm} {actual} but {expected} was expected "
            f"({digest.size} bytes, corrupt or truncated); {remedy}"
        )
    return f"{algorithm} verified"
