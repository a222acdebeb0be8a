"""Download an official file: resumable, checksummed, never leaving a bad file in place.

The bytes go to `{file}.part`; a broken connection keeps it and the next run asks the server for
the rest (HTTP Range). Only a complete file whose hash matches the pin (spec.py) and whose
structure is the official one is renamed to its final name; a mismatch deletes the .part and
raises ChecksumError naming the file, the expected and the actual hash.
"""

from __future__ import annotations

import http.client
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from artifact.data.hashing import FileDigest, check_pin, digest_file
from artifact.data.official import inspect_official, official_remedy
from artifact.data.spec import DatasetSpec, Pin
from artifact.errors import ChecksumError, DataError

BLOCK_BYTES = 1 << 20
TIMEOUT_S = 60


class Unreachable(DataError):
    """The address could not be reached at all (offline, DNS, refused): nothing was received."""

    def __init__(self, url: str, reason: object):
        super().__init__(f"could not reach {url} ({reason}); check the network and rerun to resume.")
        self.reason = reason


@dataclass(frozen=True)
class Fetched:
    path: Path
    digest: FileDigest
    status: str  # the pin status: 'sha256 verified', 'git blob verified', 'md5 verified', 'unpinned'
    downloaded: bool  # False when a verified file was already in place


def _progress(enabled: bool) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        disable=not enabled,
    )


def _download(url: str, part: Path, progress: Progress) -> None:
    """Append the missing bytes of `url` to `part` (all of them if the server ignores Range)."""
    offset = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(url, headers={"Range": f"bytes={offset}-"} if offset else {})
    try:
        response = urllib.request.urlopen(request, timeout=TIMEOUT_S)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and offset:  # nothing left to send: the .part is complete
            return
        raise DataError(
            f"{url} answered HTTP {exc.code} ({exc.reason}); check the address or try later."
        ) from None
    except (urllib.error.URLError, OSError) as exc:
        raise Unreachable(url, getattr(exc, "reason", exc)) from None
    with response:
        if response.status != 206:
            offset = 0  # the server sent the whole file
        length = response.headers.get("Content-Length")
        total = offset + int(length) if length is not None else None
        task = progress.add_task(part.name.removesuffix(".part"), total=total, completed=offset)
        received = offset
        try:
            with open(part, "ab" if offset else "wb") as handle:
                while block := response.read(BLOCK_BYTES):
                    handle.write(block)
                    received += len(block)
                    progress.update(task, completed=received)
        except (http.client.IncompleteRead, OSError) as exc:
            raise DataError(
                f"download of {url} broke at {received} bytes ({type(exc).__name__}); "
                f"rerun `artifact data fetch` to resume from {part}."
            ) from None
    if total is not None and received < total:
        raise DataError(
            f"download of {url} stopped at {received} of {total} bytes; "
            f"rerun `artifact data fetch` to resume from {part}."
        )


def fetch_official(
    spec: DatasetSpec,
    directory: Path,
    url: str | None = None,
    pin: Pin | None = None,
    show_progress: bool = True,
) -> Fetched:
    """Download `spec`'s official file into `directory` (idempotent) and verify it.

    `url` and `pin` override the spec's (a mirror; tests). Returns where the file is, its hashes
    and its pin status.
    """
    url, pin = url or spec.url, pin or spec.pin
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    final = directory / spec.filename
    part = directory / f"{spec.filename}.part"
    refetch = f"delete it and rerun `artifact data fetch {spec.name}`."
    if final.exists():
        digest = digest_file(final)
        status = check_pin(final, digest, pin, refetch)
        inspect_official(spec, final)
        return Fetched(final, digest, status, downloaded=False)
    with _progress(show_progress) as progress:
        _download(url, part, progress)
    digest = digest_file(part)
    try:
        status = check_pin(
            part, digest, pin, "the partial file was removed; rerun to download it again."
        )
        inspect_official(spec, part)
    except ChecksumError:  # its remedy already says the partial file is removed
        part.unlink(missing_ok=True)
        raise
    except DataError as error:  # not the official layout: say what this code did, not "delete it"
        part.unlink(missing_ok=True)
        what = str(error).removesuffix(official_remedy(spec)).rstrip(",; ")
        raise DataError(f"{what}; the partial file was removed, check the address and rerun "
                        f"`artifact data fetch {spec.name}`.") from None  # fmt: skip
    os.replace(part, final)
    return Fetched(final, digest, status, downloaded=True)


def ensure_official(spec: DatasetSpec, data_dir: Path, show_progress: bool = True) -> Fetched:
    """The official file of `spec` under {data_dir}/official, downloaded first if missing
    (`reproduce` at the paper profile). Offline, one sentence says what was tried, where to put
    the file by hand, and that the procedural source runs offline but cannot reproduce."""
    directory = Path(data_dir) / "official"
    try:
        return fetch_official(spec, directory, show_progress=show_progress)
    except Unreachable as error:
        raise DataError(
            f"the official {spec.name} file is missing and {spec.url} could not be reached "
            f"({error.reason}): put the file at {directory / spec.filename} by hand and rerun, or "
            "run with `--data procedural`, which works offline but whose verdicts read "
            "not_comparable."
        ) from None
