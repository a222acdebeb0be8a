"""Crash safety: a run killed with SIGKILL anywhere resumes and ends exactly where an
uninterrupted run ends; completed phases are never redone (issue: nothing lost)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from artifact.config import load_params, resolve
from artifact.data import prepare_dataset
from artifact.experiment import layout
from artifact.experiment.plan import RunPlan
from tests.helpers import write_params

DRIVER = Path(__file__).resolve().parents[1] / "fault_driver.py"
ROOT = Path(__file__).resolve().parents[2]
VOLATILE = {"wall_s"}  # wall-clock time differs between runs; everything else must not


def run_driver(params: Path, *kill: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(DRIVER), str(params), *kill], cwd=ROOT, capture_output=True, text=True, timeout=900
    )


def comparable(path: Path) -> dict:
    payload = json.loads(path.read_text())
    strip = lambda record: {k: v for k, v in record.items() if k not in VOLATILE}  # noqa: E731
    return {"epochs": [strip(r) for r in payload["epochs"]], "final": strip(payload["final"])}


def metrics_files(out: Path) -> dict[str, dict]:
    paths = [p for p in sorted(out.glob("runs/*/*.json")) if not p.stem.endswith("_summary")]
    return {str(p.relative_to(out)): comparable(p) for p in paths}


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory) -> dict[str, dict]:
    """The metrics of the chain run without a kill (checkpoint_minutes does not change them)."""
    directory = tmp_path_factory.mktemp("reference")
    cfg = resolve(load_params(write_params(directory)))
    prepare_dataset("dsprites", cfg.data, cfg.paths.data_dir)
    reference = run_driver(directory / "params.yaml")
    assert reference.returncode == 0, reference.stderr
    expected = metrics_files(directory / "results")
    assert set(expected) == {"runs/dsprites-42/pretrain.json", "runs/dsprites-topk-42/metrics.json",
                             "runs/dsprites-topk-42/extended.json", "runs/dsprites-l1-42/metrics.json"}  # fmt: skip
    return expected


# checkpoint_minutes 0: a save at every step boundary (inside epochs: the loop's progress is
# restored) and every save but the phase's last written in the background. 1000: only phase
# ends save, so every kill falls between checkpoints and the phase restarts from its start.
SCENARIOS = {
    "checkpoint_every_step": (0, [("stage1", "0", "step"), ("stage2", "0", "evaluate"),
                                  ("stage3", "1", "save"), ("stage3", "1", "evaluate"),
                                  ("extended", "1", "step")]),
    "checkpoint_at_phase_ends": (1000, [("stage2", "0", "step"), ("stage3", "1", "step"),
                                        ("stage3", "2", "save"), ("extended", "1", "evaluate")]),
}  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_run_killed_at_every_kind_of_point_resumes_to_the_uninterrupted_result(
    uninterrupted, tmp_path, scenario
):
    minutes, kills = SCENARIOS[scenario]
    params = write_params(tmp_path, {"train": {"checkpoint_minutes": minutes}})
    cfg = resolve(load_params(params))
    prepare_dataset("dsprites", cfg.data, cfg.paths.data_dir)
    for kill in kills:
        crashed = run_driver(params, *kill)
        assert crashed.returncode == -9, (kill, crashed.stderr)
    resumed = run_driver(params)
    assert resumed.returncode == 0, resumed.stderr
    assert metrics_files(tmp_path / "results") == uninterrupted


@pytest.mark.slow
def test_sigterm_saves_inside_the_epoch_stops_in_one_sentence_and_resumes_exactly(
    uninterrupted, tmp_path
):
    params = write_params(tmp_path, {"train": {"checkpoint_minutes": 1000}})
    cfg = resolve(load_params(params))
    prepare_dataset("dsprites", cfg.data, cfg.paths.data_dir)
    stopped = run_driver(params, "stage3", "1", "term")
    assert stopped.returncode == 4, stopped.stderr
    assert "stopped by SIGTERM after writing the checkpoint" in stopped.stderr
    assert "Traceback" not in stopped.stderr
    first_joint = next(key for phase, key in RunPlan.from_config(cfg).chain("dsprites", 42)
                       if phase == "joint")  # fmt: skip
    checkpoint = layout.phase_paths(cfg.paths.out, first_joint, "joint").checkpoint
    saved = torch.load(checkpoint, weights_only=True)
    assert (saved["position"], saved["progress"]["batch"]) == (1, 2)  # stage 3 epoch 1, batch 2
    resumed = run_driver(params)
    assert resumed.returncode == 0, resumed.stderr
    assert metrics_files(tmp_path / "results") == uninterrupted
