"""The artifact's one exception family and its exit codes.

Library code raises an `ArtifactError` subclass whose message is one sentence: what failed and
what to do. Only `artifact/cli/app.py` catches them, prints the sentence to stderr and exits with
the subclass's `exit_code`; no user-facing failure ends in a traceback.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    CLAIM_FAILED = 1  # verify-claims: a checked claim did not reproduce
    USAGE = 2  # bad params, bad input, missing files: the command could not run
    DATA = 3  # dataset missing, corrupt or with a wrong checksum
    RUNTIME = 4  # training diverged (NaN/inf), disk full, another process holds the lock
    HARDWARE = 5  # no GPU where one is required, not enough memory or disk
    INTERNAL = 70  # a bug of the artifact (EX_SOFTWARE), reported in one line


class ArtifactError(Exception):
    """Base class: `str(error)` is the one sentence shown to the user."""

    exit_code: ExitCode = ExitCode.USAGE


class ConfigError(ArtifactError):
    """params.yaml (or an override) is missing, unparsable or invalid."""


class InputError(ArtifactError):
    """A file the user handed us (metrics dir, checkpoint, claims) is missing or malformed."""


class DataError(ArtifactError):
    """A dataset file is missing, truncated, corrupt or fails its checksum."""

    exit_code = ExitCode.DATA


class ChecksumError(DataError):
    """A file's hash differs from the pinned one."""


class TrainingError(ArtifactError):
    """Training cannot go on (a NaN or infinite loss or metric)."""

    exit_code = ExitCode.RUNTIME


class LockedError(ArtifactError):
    """Another process is writing to the same output directory."""

    exit_code = ExitCode.RUNTIME


class StorageError(ArtifactError):
    """A write failed (disk full, permissions); the previous file was kept."""

    exit_code = ExitCode.RUNTIME


class HardwareError(ArtifactError):
    """The requested profile needs hardware this machine lacks."""

    exit_code = ExitCode.HARDWARE


class JobError(ArtifactError):
    """A SLURM job of `reproduce --executor slurm` failed, or an earlier one is still queued."""

    exit_code = ExitCode.RUNTIME
