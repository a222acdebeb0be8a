"""Helpers shared by tests: a tiny but complete configuration that runs every code path in seconds."""

from __future__ import annotations

import functools
import shutil
import sys
from pathlib import Path

import pytest
import yaml

from artifact.config import deep_merge

ROOT = Path(__file__).resolve().parents[2]

# The smoke profile shrunk further: one dataset, one seed, a 64-wide SAE, 256 images, 40
# evaluation samples (at most the validation split: Shapes3D keeps 43 of 256).
TINY = {
    "profile": "smoke",
    "data": {"datasets": ["dsprites"]},
    "train": {"seeds": [42], "batch_size": 64, "extended": {"n_epochs": 50}},
    "profiles": {
        "smoke": {"epoch_scale": 0.04, "sae_width_scale": 0.0078125, "max_images": 256, "n_eval_samples": 40}
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


@functools.cache
def paper_params():
    """The repository's params.yaml (the one source of the paper's values), validated."""
    from artifact.config import load_params

    return load_params(ROOT / "params.yaml")


def paper_config(profile: str = "paper"):
    """params.yaml resolved under `profile`: the RunConfig a run of that profile uses."""
    from artifact.config import resolve

    return resolve(paper_params(), profile)


def paper_section(path: str, **updates):
    """A section of the paper's config (`"train.stage3"`, `"metrics"`, ...) with `updates`
    applied and validated again, as a test's variation of the paper's values."""
    section = paper_config()
    for part in path.split("."):
        section = getattr(section, part)
    return type(section).model_validate(section.model_dump() | updates)


def one_sentence(result, code: int, *needles: str) -> None:
    """A CLI result that failed with `code` in exactly one `error: ...` line holding each needle."""
    assert result.exit_code == code, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    for needle in needles:
        assert needle in lines[0], lines[0]
