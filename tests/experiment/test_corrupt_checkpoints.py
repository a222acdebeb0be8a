"""A damaged checkpoint costs its own phase at most (issue 13): a finished run whose checkpoints
were damaged afterwards stays finished, and mid-chain only the damaged phase is redone, to the
same metrics, without --fresh."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from artifact.train.checkpoint import load_checkpoint
from tests.helpers import ROOT, write_params

# Top-k alone: pretrain -> joint -> extended, one chain whose every phase has a child or a parent.
CHAIN = {"train": {"methods": ["topk"], "extended": {"methods": ["topk"], "n_epochs": 25}}}
PRETRAIN, JOINT, EXTENDED = "runs/dsprites-42", "runs/dsprites-topk-42", "runs/dsprites-topk-42"


def reproduce(params: Path, out: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "artifact.cli.app", "reproduce", "--params", str(params),
         "--profile", "smoke", "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=900,
    )  # fmt: skip


def epochs(path: Path) -> list[dict]:
    """A metrics file's per-epoch records without their wall-clock times."""
    records = json.loads(path.read_text())["epochs"]
    return [{k: v for k, v in record.items() if k != "wall_s"} for record in records]


def damage(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])  # a truncated write, as a full disk or a copy leaves it


def stamps(out: Path) -> dict[str, int]:
    return {str(p.relative_to(out)): p.stat().st_mtime_ns for p in sorted(out.glob("runs/*/*"))}


@pytest.fixture(scope="module")
def finished(tmp_path_factory) -> tuple[Path, Path]:
    directory = tmp_path_factory.mktemp("finished")
    params = write_params(directory, CHAIN)
    done = reproduce(params, directory / "results")
    assert done.returncode == 0, done.stderr
    return params, directory / "results"


@pytest.fixture
def copy_of(finished, tmp_path) -> tuple[Path, Path]:
    params, out = finished
    shutil.copytree(out, tmp_path / "results")  # copy2: the modification times come along
    return params, tmp_path / "results"


@pytest.mark.slow
def test_damaged_checkpoints_of_a_finished_run_neither_block_it_nor_retrain_it(copy_of):
    params, out = copy_of
    damage(out / PRETRAIN / "pretrain.pt")  # both have a complete child: nothing needs them
    damage(out / JOINT / "joint.pt")
    before = stamps(out)
    again = reproduce(params, out)
    assert again.returncode == 0, again.stderr
    assert "Traceback" not in again.stderr and "redoing" not in again.stderr
    assert stamps(out) == before  # nothing retrained, no run file rewritten
    assert (out / "report" / "report.md").is_file()


@pytest.mark.slow
def test_a_damaged_checkpoint_mid_chain_redoes_that_phase_alone(finished, copy_of):
    _, reference = finished
    params, out = copy_of
    # joint was killed mid-phase with a damaged checkpoint (no metrics yet) and the pretrain
    # checkpoint it starts from is damaged too; extended (complete) must not be redone.
    damage(out / PRETRAIN / "pretrain.pt")
    damage(out / JOINT / "joint.pt")
    (out / JOINT / "metrics.json").unlink()
    extended_before = {name: stamp for name, stamp in stamps(out).items() if "extended" in name}
    again = reproduce(params, out)
    assert again.returncode == 0, again.stderr
    assert "Traceback" not in again.stderr
    assert f"{out / PRETRAIN / 'pretrain.pt'} is truncated or corrupt; redoing the pretrain phase" in again.stderr
    assert f"{out / JOINT / 'joint.pt'} is truncated or corrupt; redoing the joint phase" in again.stderr
    assert {n: s for n, s in stamps(out).items() if "extended" in n} == extended_before
    for name in (f"{PRETRAIN}/pretrain.json", f"{JOINT}/metrics.json", f"{EXTENDED}/extended.json"):
        assert epochs(out / name) == epochs(reference / name), name  # the same run, bit for bit
    assert load_checkpoint(out / PRETRAIN / "pretrain.pt")["complete"]  # both whole again
    assert load_checkpoint(out / JOINT / "joint.pt")["complete"]
