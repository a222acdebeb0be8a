"""Where an experiment stands, read from its output directory alone (any executor wrote it).

A phase is complete when its checkpoint and metrics file exist (metrics.json is written last),
running when another process holds its run directory's lock (`run_phase` holds it throughout,
whether `reproduce`, a DVC stage or a SLURM task runs it), partial when an interrupted run left a
checkpoint to resume from, and missing otherwise. The final step (aggregate, claims, report) is
complete when the report exists, partial when only its first files do.
"""

from __future__ import annotations

import fcntl
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from artifact.config import RunConfig
from artifact.experiment.layout import aggregate_path, claims_path, phase_paths, report_dir
from artifact.experiment.plan import RunPlan, chains
from artifact.train.run_key import PARENT_PHASE, RunKey

State = Literal["complete", "running", "partial", "missing"]
FINAL_STEP = "aggregate, claims and report"


@dataclass(frozen=True)
class PhaseStatus:
    phase: str
    key: RunKey
    state: State

    @property
    def name(self) -> str:
        return f"{self.phase} {self.key.for_phase(self.phase).name}"


def is_locked(directory: Path) -> bool:
    """Whether another process holds `directory`'s lock (probed without waiting or creating it)."""
    lock = Path(directory) / ".lock"
    if not lock.is_file():
        return False
    fd = os.open(lock, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)  # an exclusive holder refuses even this
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)


def phase_state(out: Path, phase: str, key: RunKey) -> State:
    paths = phase_paths(out, key, phase)
    if paths.checkpoint.is_file() and paths.metrics.is_file():
        return "complete"
    if is_locked(paths.run_dir):
        return "running"
    return "partial" if paths.checkpoint.is_file() else "missing"


def phase_statuses(cfg: RunConfig) -> list[PhaseStatus]:
    """Every phase's state, in plan order. Joint and extended share a run directory (and its
    lock): only a phase whose parent is complete can be the one running."""
    out = Path(cfg.paths.out)
    states: dict[tuple[str, RunKey], State] = {}
    for phase, key in RunPlan.from_config(cfg).phases:
        state = phase_state(out, phase, key)
        parent = PARENT_PHASE.get(phase)
        if state == "running" and parent and states.get((parent, key.for_phase(parent))) != "complete":
            state = "partial" if phase_paths(out, key, phase).checkpoint.is_file() else "missing"
        states[(phase, key.for_phase(phase))] = state
    return [PhaseStatus(p, k, s) for (p, k), s in states.items()]


def incomplete_chains(cfg: RunConfig) -> list[tuple[str, int]]:
    """The (dataset, seed) chains with a phase that is not complete, in plan order."""
    statuses = phase_statuses(cfg)
    return [
        (d, s)
        for d, s in chains(cfg)
        if any(x.state != "complete" for x in statuses if (x.key.dataset, x.key.seed) == (d, s))
    ]


def final_state(cfg: RunConfig) -> State:
    out = Path(cfg.paths.out)
    if (report_dir(out) / "report.md").is_file():
        return "complete"
    partial = aggregate_path(out).is_file() or claims_path(out).is_file()
    return "partial" if partial else "missing"
