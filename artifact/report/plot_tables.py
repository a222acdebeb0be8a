"""Per-epoch CSV tables for `dvc plots`: {metrics}/plots/{metric}/{dataset}-{method}-{seed}.csv.

One directory per plotted metric, because a `dvc.yaml` plot whose id is a directory draws every
file in it with the same x and y (one chart per run, each metric on its own scale). One row per
evaluation, stages 1-3 then extended training, so `dvc plots show` draws a run's
whole trajectory and `dvc plots diff` compares it with another experiment's. `index` is the
record's position in that whole trajectory (the training code's own `index` restarts with each
phase); a value the stage does not have (dead % in stage 1, k under L1) is an empty cell.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from artifact.experiment.layout import plot_table_path
from artifact.report.inputs import Run, load_metrics_dir
from artifact.storage.atomic import atomic_write

KEYS = ("index", "stage", "epoch", "k")  # where in the trajectory a row is
PLOTTED = ("dead_pct", "specialised", "mig", "mse")


def _cell(value: object) -> str:
    if value is None or isinstance(value, bool):
        return ""
    return repr(value) if isinstance(value, float) else str(value)


def plot_table_text(run: Run, metric: str) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow((*KEYS, metric))
    for index, record in enumerate(run.records):
        writer.writerow([index] + [_cell(record.get(name)) for name in (*KEYS[1:], metric)])
    return buffer.getvalue()


def write_plot_tables(metrics_dir: Path, runs: list[Run] | None = None) -> list[Path]:
    """Write one CSV per plotted metric and run under {metrics_dir}/plots; return their paths
    (sorted). `runs`: the directory's runs when the caller has already loaded them."""
    metrics_dir = Path(metrics_dir)
    written = []
    for run in load_metrics_dir(metrics_dir).runs if runs is None else runs:
        for metric in PLOTTED:
            text = plot_table_text(run, metric)
            path = plot_table_path(metrics_dir, metric, f"{run.dataset}-{run.method}-{run.seed}")
            written.append(atomic_write(path, lambda handle, text=text: handle.write(text), mode="w"))
    return sorted(written)
