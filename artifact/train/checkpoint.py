"""Checkpoints: self-describing, written atomically, loaded without unpickling code.

A checkpoint holds everything a resume needs (model, optimizer, revival counters, the phase's
position, history and timing) plus the resolved config and its digest, so a checkpoint made
with other params is refused instead of silently mixed in.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import torch

from artifact.errors import InputError
from artifact.storage.atomic import atomic_write

FORMAT = "artifact.checkpoint/1"


def save_checkpoint(path: Path, payload: dict) -> Path:
    """Serialise to memory first, then write-fsync-rename: a crash leaves the previous file."""
    buffer = io.BytesIO()
    torch.save({"format": FORMAT, **payload}, buffer)
    return atomic_write(path, lambda handle: handle.write(buffer.getbuffer()))


def load_checkpoint(path: Path, expected_digest: str | None = None) -> dict:
    """Load with weights_only=True (no arbitrary code); check the format and, if given, that
    the checkpoint was made with the same (phase-relevant) config digest."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"checkpoint {path} is missing; run the step that writes it first.")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception:  # whatever a damaged file makes the unpickler raise is "corrupt"
        raise InputError(
            f"checkpoint {path} is truncated or corrupt; delete it (or rerun with --fresh)."
        ) from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise InputError(f"{path} is not an artifact checkpoint; delete it or use --fresh.")
    if expected_digest is not None and payload.get("config_digest") != expected_digest:
        raise InputError(
            f"checkpoint {path} was made with other params (profile "
            f"'{json.loads(payload['config']).get('profile')}'); rerun with --fresh or another --out."
        )
    return payload
