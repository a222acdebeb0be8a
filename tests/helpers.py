"""Helpers shared by tests: a tiny but complete configuration that runs every code path in seconds."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
import yaml

from artifact.config import deep_merge

ROOT = Path(__file__).resolve().parents[1]

# The smoke profile shrunk further: one dataset, one seed, a 64-wide SAE, 256 images.
TINY = {
    "profile": "smoke",
    "data": {"datasets": ["dsprites"]},
    "train": {"seeds": [42], "batch_size": 64, "extended": {"n_epochs": 50}},
    "profiles": {
        "smoke": {"epoch_scale": 0.04, "sae_width_scale": 0.0078125, "max_images": 256, "n_eval_samples": 96}
    },
}


def write_params(directory: Path, overrides: dict | None = None) -> Path:
    """params.yaml in `directory`: the repository's, with TINY and `overrides` merged in, and
    paths inside `directory`."""
    raw = yaml.safe_load((ROOT / "params.yaml").read_text())
    raw = deep_merge(raw, TINY)
    raw = deep_merge(raw, {"paths": {"out": str(directory / "results"), "data_dir": str(directory / "data")}})
    raw = deep_merge(raw, overrides or {})
    path = directory / "params.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def venv_tool(name: str, hint: str = "install the dev extras") -> str:
    """The path of a command-line tool the dev extras install (on PATH or beside this Python)."""
    found = shutil.which(name) or str(Path(sys.executable).parent / name)
    if not Path(found).is_file():
        pytest.fail(f"{name} is missing: {hint}")
    return found
