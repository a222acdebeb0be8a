"""Where every file of an output directory lives: the one module that spells these paths.

```
{out}/runs/{dataset}-{seed}/pretrain.{pt,json}         stages 1-2, shared by Top-k and L1
{out}/runs/{dataset}-{method}-{seed}/joint.pt          stage 3 checkpoint
{out}/runs/{dataset}-{method}-{seed}/metrics.json      stages 1-3 metrics (RunMetrics)
{out}/runs/{dataset}-{method}-{seed}/extended.{pt,json}
{out}/runs/*/{pretrain,metrics,extended}_summary.json  a phase's end points (DVC metrics)
{out}/aggregate.json, summary.json, claims.json, audit.json
{out}/plots/{metric}/{dataset}-{method}-{seed}.csv     per-epoch tables for `dvc plots`
{out}/report/                                          report.md, report.html, figures/
{out}/slurm/                                           `--executor slurm`: jobs.json, submitit's logs
```
dvc.yaml spells the same paths for DVC (a test holds the two together).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from artifact.train.run_key import PARENT_PHASE, RunKey

PHASE_FILES = {
    "pretrain": ("pretrain.pt", "pretrain.json"),
    "joint": ("joint.pt", "metrics.json"),
    "extended": ("extended.pt", "extended.json"),
}
RUNS_DIR = "runs"


@dataclass(frozen=True)
class PhasePaths:
    """The files one phase of one run reads and writes."""

    checkpoint: Path
    metrics: Path
    parent_checkpoint: Path | None  # the phase it continues from (None for pretrain)

    @property
    def summary(self) -> Path:
        """metrics.json -> metrics_summary.json: what `dvc metrics show` lists for a run."""
        return self.metrics.with_name(f"{self.metrics.stem}_summary.json")

    @property
    def run_dir(self) -> Path:
        return self.checkpoint.parent


def runs_dir(out_dir: Path) -> Path:
    return Path(out_dir) / RUNS_DIR


def run_dir(out_dir: Path, key: RunKey, phase: str) -> Path:
    """The directory of a phase's files: pretrain's is shared by the methods."""
    return runs_dir(out_dir) / key.for_phase(phase).name


def phase_paths(out_dir: Path, key: RunKey, phase: str) -> PhasePaths:
    checkpoint, metrics = PHASE_FILES[phase]
    directory = run_dir(out_dir, key, phase)
    parent = PARENT_PHASE.get(phase)
    parent_checkpoint = None
    if parent is not None:
        parent_checkpoint = run_dir(out_dir, key, parent) / PHASE_FILES[parent][0]
    return PhasePaths(directory / checkpoint, directory / metrics, parent_checkpoint)


def phase_metrics_in(directory: Path, phase: str) -> Path:
    """The metrics file of `phase` inside a run directory (a method's joint and extended)."""
    return Path(directory) / PHASE_FILES[phase][1]


def joint_metrics_paths(out_dir: Path) -> list[Path]:
    """Every run's stage-3 metrics file under {out}/runs, in name order."""
    return sorted(runs_dir(out_dir).glob(f"*/{PHASE_FILES['joint'][1]}"))


def aggregate_path(out_dir: Path) -> Path:
    return Path(out_dir) / "aggregate.json"


def summary_json_path(out_dir: Path) -> Path:
    """{metric: {mean, std}}: what `dvc metrics show` lists for the aggregate."""
    return Path(out_dir) / "summary.json"


def claims_path(out_dir: Path) -> Path:
    return Path(out_dir) / "claims.json"


def audit_path(out_dir: Path) -> Path:
    return Path(out_dir) / "audit.json"


def report_dir(out_dir: Path) -> Path:
    return Path(out_dir) / "report"


def slurm_dir(out_dir: Path) -> Path:
    """submitit's folder: {job}_{task}_log.{out,err}, its pickles, and jobs.json (what was submitted)."""
    return Path(out_dir) / "slurm"


def plot_table_path(out_dir: Path, metric: str, run_name: str) -> Path:
    return Path(out_dir) / "plots" / metric / f"{run_name}.csv"
