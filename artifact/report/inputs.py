"""What the report reads: the runs' per-epoch trajectories, aggregate.json, claims.json and
audit.json of one metrics directory (the `--out` of `artifact reproduce`).

Figures read trajectories only, tables read the aggregate and the claims: nothing here opens a
checkpoint (docs/architecture.md). A missing claims or audit file is not an error (the report
says so in its section); missing runs are, since there would be nothing to draw.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from artifact.errors import InputError
from artifact.experiment.layout import (
    aggregate_path,
    audit_path,
    claims_path,
    joint_metrics_paths,
    phase_metrics_in,
    runs_dir,
)
from artifact.storage.atomic import read_json

RUN_SCHEMA = "artifact.run_metrics/1"
STAGES = ("stage1", "stage2", "stage3", "extended")
SERIES = ("k", "l1_lambda", "dead_pct", "specialised", "mig", "mse")


@dataclass(frozen=True)
class Run:
    """One (dataset, method, seed) run: stages 1-3 from metrics.json, then extended.json.

    `t` puts every record on the paper's eq. 4 clock: t = 0 is the first stage-3 epoch, stage 2
    sits at negative t, extended training continues after the last stage-3 epoch.
    """

    dataset: str
    method: str
    seed: int
    records: tuple[dict, ...]
    width: int | None = None
    t: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False)  # (n_records,)
    config: dict = field(default_factory=dict, repr=False)  # the RunConfig the run recorded

    def mask(self, stages: tuple[str, ...]) -> np.ndarray:
        """(n_records,) bool: the records of `stages`."""
        return np.array([r["stage"] in stages for r in self.records], dtype=bool)

    def series(self, name: str, stages: tuple[str, ...] = STAGES) -> tuple[np.ndarray, np.ndarray]:
        """(t, value) of one per-epoch quantity over `stages`; a missing value is NaN."""
        keep = self.mask(stages)
        values = np.array(
            [_number(r.get(name)) for r, kept in zip(self.records, keep, strict=True) if kept],
            dtype=float,
        )
        return self.t[keep], values

    def last(self, stage: str) -> dict | None:
        """The last evaluation record of `stage` (the end point the paper's tables report)."""
        found = [r for r in self.records if r["stage"] == stage]
        return found[-1] if found else None

    @property
    def has_extended(self) -> bool:
        return any(r["stage"] == "extended" for r in self.records)


@dataclass(frozen=True)
class MetricsDir:
    """Everything the report reads; absent optional files are None."""

    path: Path
    runs: tuple[Run, ...]
    aggregate: dict | None
    claims: dict | None
    audit: dict | None
    profile: str | None
    data_source: str | None
    run_provenance: dict | None = (
        None  # the first run's record: what is left without aggregate.json
    )

    def find(self, dataset: str, method: str) -> list[Run]:
        return [r for r in self.runs if r.dataset == dataset and r.method == method]

    @property
    def datasets(self) -> list[str]:
        return _ordered({r.dataset for r in self.runs}, ("dsprites", "shapes3d"))

    @property
    def methods(self) -> list[str]:
        return _ordered({r.method for r in self.runs}, ("topk", "l1"))


def _ordered(found: set[str], preferred: tuple[str, ...]) -> list[str]:
    return [name for name in preferred if name in found] + sorted(found - set(preferred))


def _number(value: object) -> float:
    if value is None or isinstance(value, bool) or not isinstance(value, int | float):
        return math.nan
    return float(value)


def _clock(records: list[dict]) -> np.ndarray:
    """t of each record (see Run): counts of stage-1/2/3 records set the offsets."""
    count = {stage: sum(r["stage"] == stage for r in records) for stage in STAGES}
    offset = {
        "stage1": -count["stage2"] - count["stage1"],
        "stage2": -count["stage2"],
        "stage3": 0,
        "extended": count["stage3"],
    }
    return np.array([offset[r["stage"]] + r["epoch"] for r in records], dtype=float)


def _checked_records(payload: object, path: Path) -> list[dict]:
    if not isinstance(payload, dict) or payload.get("schema") != RUN_SCHEMA:
        raise InputError(
            f"{path} is not a run metrics file ({RUN_SCHEMA}); rerun the training phase that writes it."
        )
    epochs = payload.get("epochs")
    run = payload.get("run")
    ok = isinstance(epochs, list) and isinstance(run, dict)
    ok = ok and all(
        isinstance(r, dict) and r.get("stage") in STAGES and isinstance(r.get("epoch"), int)
        for r in epochs
    )
    if not ok or not {"dataset", "method", "seed"} <= set(run):
        raise InputError(
            f"{path} lacks its run key or per-epoch records; rerun the training phase that writes it."
        )
    return epochs


def load_run(run_dir: Path) -> Run:
    """metrics.json (stages 1-3) and, when present, extended.json of one run directory."""
    joint_path = phase_metrics_in(run_dir, "joint")
    joint = read_json(joint_path, "run metrics")
    records = list(_checked_records(joint, joint_path))
    extended_path = phase_metrics_in(run_dir, "extended")
    if extended_path.is_file():
        extended = read_json(extended_path, "run metrics")
        records += [
            r for r in _checked_records(extended, extended_path) if r["stage"] == "extended"
        ]
    key = joint["run"]
    config = joint.get("config") if isinstance(joint.get("config"), dict) else {}
    width = (config.get("model") or {}).get("conv_sae_width")
    return Run(
        dataset=str(key["dataset"]),
        method=str(key["method"]),
        seed=int(key["seed"]),
        records=tuple(records),
        width=int(width) if isinstance(width, int) else None,
        t=_clock(records),
        config=config,
    )


def _optional_json(path: Path, what: str) -> dict | None:
    return read_json(path, what) if path.is_file() else None


def load_metrics_dir(metrics_dir: Path) -> MetricsDir:
    """Read a metrics directory; InputError when it holds no run metrics."""
    metrics_dir = Path(metrics_dir)
    run_dirs = [p.parent for p in joint_metrics_paths(metrics_dir)]
    if not run_dirs:
        raise InputError(
            f"no run metrics under {runs_dir(metrics_dir)}; pass the --out DIR of "
            "`artifact reproduce` as --metrics, or run it first."
        )
    from artifact.claims.verify.trust import load_aggregate
    from artifact.experiment.records import load_runs

    recorded = load_runs(metrics_dir)  # checked, one profile / data source / config (issue 13)
    runs = sorted((load_run(d) for d in run_dirs), key=lambda r: (r.dataset, r.method, r.seed))
    # aggregate.json only as it matches the runs on disk (refused when stale or edited).
    aggregate = load_aggregate(metrics_dir) if aggregate_path(metrics_dir).is_file() else None
    return MetricsDir(
        path=metrics_dir,
        runs=tuple(runs),
        aggregate=aggregate,
        claims=_optional_json(claims_path(metrics_dir), "claims"),
        audit=_optional_json(audit_path(metrics_dir), "audit"),
        profile=recorded.profile,  # the runs' own labels, never the params file's
        data_source=recorded.data_source,
        run_provenance=recorded.provenance or None,
    )
