"""Checkpoints: self-describing, written atomically, loaded without unpickling code.

A checkpoint holds everything a resume needs (model, optimizer, revival counters, the phase's
position, history and timing, and inside an epoch the batch loop's progress) plus the resolved
config and its digest, so a checkpoint made with other params is refused instead of silently
mixed in.

Writes overlap training: `snapshot` copies the state to CPU memory (training then goes on
changing its own tensors) and `BackgroundWriter` serialises the copy to disk in a thread, one
write at a time, through the same atomic write-fsync-rename.
"""

from __future__ import annotations

import copy
import json
import threading
from pathlib import Path

import torch

from artifact.errors import InputError
from artifact.storage.atomic import atomic_write

FORMAT = "artifact.checkpoint/1"


class CorruptCheckpoint(InputError):
    """A checkpoint file that cannot be read back; `path` names it, so that a run redoes the
    one phase that wrote it (phase_runner.py, experiment/phase.py) instead of stopping."""

    def __init__(self, path: Path):
        self.path = Path(path)
        super().__init__(
            f"checkpoint {path} is truncated or corrupt; delete it (or rerun with --fresh)."
        )


def save_checkpoint(path: Path, payload: dict) -> Path:
    """Serialise into a temp file, fsync, rename: a crash leaves the previous file. (Straight to
    the file, not through a BytesIO: that was a second full copy of an 833 MB checkpoint.)"""
    return atomic_write(path, lambda handle: torch.save({"format": FORMAT, **payload}, handle))


def snapshot(payload):
    """A copy of `payload` that training cannot change: every tensor copied to CPU memory,
    containers rebuilt, everything else deep-copied (the history's records are small)."""
    if isinstance(payload, torch.Tensor):
        return payload.detach().to("cpu", copy=True)
    if isinstance(payload, dict):
        return {key: snapshot(value) for key, value in payload.items()}
    if isinstance(payload, (list, tuple)):
        return type(payload)(snapshot(value) for value in payload)
    return copy.deepcopy(payload)


class BackgroundWriter:
    """Writes checkpoints in a thread, one at a time; a failed write is raised by the next call.

    The thread is not a daemon: a process that exits (even through SystemExit from a signal
    handler) first finishes the write in flight, so the file on disk is always the newest whole one.
    """

    def __init__(self):
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self.recent: tuple[Path, dict] | None = None  # a phase's output, for the next phase

    def submit(self, path: Path, payload: dict, then=None, keep: bool = False) -> None:
        """Write `payload` (a snapshot: it must not change) to `path` once the previous write is
        done, then call `then()` in the same thread (a phase's metrics, which mark it complete,
        only after its checkpoint). `keep`: hold the payload in `recent` for `load_latest`."""
        self.wait()
        self.recent = (Path(path), payload) if keep else None
        self._thread = threading.Thread(
            target=self._write, args=(path, payload, then), name="checkpoint-writer"
        )
        self._thread.start()

    def _write(self, path: Path, payload: dict, then) -> None:
        try:
            save_checkpoint(path, payload)
            if then is not None:
                then()
        except BaseException as error:  # handed to the training thread by wait()
            self._error = error

    def wait(self) -> None:
        """Block until no write is in flight; raise the error of a failed one (StorageError)."""
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        error, self._error = self._error, None
        if error is not None:
            raise error


def load_checkpoint(path: Path, expected_digest: str | None = None) -> dict:
    """Load with weights_only=True (no arbitrary code); check the format and, if given, that
    the checkpoint was made with the same (phase-relevant) config digest."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"checkpoint {path} is missing; run the step that writes it first.")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception:  # whatever a damaged file makes the unpickler raise is "corrupt"
        raise CorruptCheckpoint(path) from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise InputError(f"{path} is not an artifact checkpoint; delete it or use --fresh.")
    if expected_digest is not None and payload.get("config_digest") != expected_digest:
        raise InputError(
            f"checkpoint {path} was made with other params (profile "
            f"'{json.loads(payload['config']).get('profile')}'); rerun with --fresh or another --out."
        )
    return payload


WRITER = BackgroundWriter()  # the process's one writer: its checkpoints land in submission order


def flush_checkpoints() -> None:
    """Wait until every checkpoint (and phase result) submitted in this process is on disk."""
    WRITER.wait()


def load_latest(path: Path, expected_digest: str) -> dict:
    """A checkpoint as `load_checkpoint` returns it, from memory when it is the phase output
    this process just handed to WRITER (the next phase starts while it is being written)."""
    if WRITER.recent is not None and WRITER.recent[0] == Path(path):
        payload = WRITER.recent[1]
        if payload.get("config_digest") == expected_digest:
            # The next phase changes in place what it takes over (optimizer moments, revival
            # counters) while the writer may still read them: those are copied. The weights are
            # only read (load_state_dict copies them into the new model).
            aliased = {key: snapshot(payload[key]) for key in ("optimizer", "revival")}
            return {**payload, **aliased}
    WRITER.wait()
    return load_checkpoint(path, expected_digest)
