"""Crash safety: a run killed with SIGKILL anywhere resumes and ends exactly where an
uninterrupted run ends; completed phases are never redone (issue: nothing lost)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from artifact.config import load_params, resolve
from artifact.data import prepare_dataset
from tests.helpers import write_params

DRIVER = Path(__file__).resolve().parents[1] / "fault_driver.py"
ROOT = Path(__file__).resolve().parents[2]
VOLATILE = {"wall_s"}  # wall-clock time differs between runs; everything else must not


def run_driver(params: Path, *kill: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(DRIVER), str(params), *kill], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


def comparable(path: Path) -> dict:
    payload = json.loads(path.read_text())
    strip = lambda record: {k: v for k, v in record.items() if k not in VOLATILE}  # noqa: E731
    return {"epochs": [strip(r) for r in payload["epochs"]], "final": strip(payload["final"])}


def metrics_files(out: Path) -> dict[str, dict]:
    paths = [p for p in sorted(out.glob("runs/*/*.json")) if not p.stem.endswith("_summary")]
    return {str(p.relative_to(out)): comparable(p) for p in paths}


@pytest.mark.slow
def test_run_killed_at_every_kind_of_point_resumes_to_the_uninterrupted_result(tmp_path):
    reference_dir, crash_dir = tmp_path / "reference", tmp_path / "crash"
    reference_dir.mkdir(), crash_dir.mkdir()
    for directory in (reference_dir, crash_dir):
        cfg = resolve(load_params(write_params(directory)))
        prepare_dataset("dsprites", cfg.data, cfg.paths.data_dir)

    reference = run_driver(reference_dir / "params.yaml")
    assert reference.returncode == 0, reference.stderr
    expected = metrics_files(reference_dir / "results")
    assert set(expected) == {"runs/dsprites-42/pretrain.json", "runs/dsprites-topk-42/metrics.json",
                             "runs/dsprites-topk-42/extended.json", "runs/dsprites-l1-42/metrics.json"}  # fmt: skip

    kills = [("stage1", "0", "step"), ("stage2", "0", "evaluate"), ("stage3", "1", "save"),
             ("stage3", "1", "evaluate"), ("extended", "1", "step")]  # fmt: skip
    for kill in kills:
        crashed = run_driver(crash_dir / "params.yaml", *kill)
        assert crashed.returncode == -9, (kill, crashed.stderr)
    resumed = run_driver(crash_dir / "params.yaml")
    assert resumed.returncode == 0, resumed.stderr
    assert metrics_files(crash_dir / "results") == expected
