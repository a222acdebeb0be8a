"""Figures 10-11 (section 4.6): threshold sensitivity of one seed (42, as the paper).

Left: specialised neurons against the MI threshold (0.2-0.8); right: dead % against the
activation-rate threshold (0.0005-0.01, log axis). The paper does not say at which point of
training its sweeps were taken; its default-threshold values equal its extended-training end
points (Table 3), so both the end of stage 3 and the end of extended training are drawn.
Table 4/5 (means over seeds) are marked where claims.json holds them.
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from artifact.report.inputs import Run
from artifact.report.markers import draw_markers, sweep_markers
from artifact.report.paper import DATASET_NAMES
from artifact.report.style import legend_below, new_figure

POINTS = (
    ("stage3", "end of stage 3", "#1b6ca8", "o-"),
    ("extended", "end of extended training", "#2e933c", "s-"),
)


def sweep(record: dict | None, field: str) -> tuple[np.ndarray, np.ndarray]:
    """(thresholds, values) of a record's `specialised_at` or `dead_pct_at`, by threshold."""
    entries = sorted(
        ((float(t), v) for t, v in ((record or {}).get(field) or {}).items()),
        key=lambda pair: pair[0],
    )
    if not entries:
        return np.zeros(0), np.zeros(0)
    thresholds, values = zip(*entries, strict=True)
    return np.array(thresholds), np.array(values, dtype=float)


def _defaults(run_config: dict) -> tuple[float | None, float | None]:
    metrics = run_config.get("metrics", {}) if isinstance(run_config, dict) else {}
    return metrics.get("specialisation_threshold"), metrics.get("dead_threshold")


def _panel(
    ax: Axes,
    run: Run,
    claims: list[dict],
    field: str,
    name: str,
    figure: int,
    default: float | None,
) -> None:
    for stage, label, colour, style in POINTS:
        record = run.last(stage)
        x, values = sweep(record, field)
        if len(x):
            k = record.get("k")
            label = f"{label} (k = {k})" if k is not None else label
            ax.plot(x, values, style, color=colour, markersize=4, label=label)
    x_all, _ = sweep(run.last("stage3"), field)
    draw_markers(ax, sweep_markers(claims, run, name, x_all, figure))
    if default is not None:
        ax.axvline(
            default,
            color="#b2182b",
            linestyle="--",
            linewidth=1.1,
            label="threshold of the headline metrics (this run's config)",
        )
    ax.set_ylim(bottom=0)


def threshold_figure(run: Run, claims: list[dict], figure_number: int) -> Figure:
    """Figures 10-11 for one Top-k run; thresholds and MI units from the run's own config."""
    run_config = run.config
    figure = new_figure(11.0, 4.4)
    left, right = figure.subplots(1, 2)
    spec_default, dead_default = _defaults(run_config)
    _panel(left, run, claims, "specialised_at", "specialised", figure_number, spec_default)
    normalised = (run_config.get("metrics") or {}).get("mi_normalisation") == "factor_entropy"
    unit = "MI / H(factor)" if normalised else "MI with one factor, nats"
    left.set_xlabel(f"specialisation threshold ({unit})")
    left.set_ylabel("specialised neurons (count)")
    left.set_title("specialisation threshold")
    _panel(right, run, claims, "dead_pct_at", "dead_pct", figure_number, dead_default)
    right.set_xscale("log")
    thresholds, _ = sweep(run.last("stage3"), "dead_pct_at")
    right.set_xticks(thresholds, [f"{t:g}" for t in thresholds])
    right.minorticks_off()
    right.set_xlabel("dead threshold (activation rate, log scale)")
    right.set_ylabel("dead neurons (% of dictionary)")
    right.set_title("dead-neuron threshold")
    dataset = DATASET_NAMES.get(run.dataset, run.dataset)
    figure.suptitle(f"{dataset}: threshold sensitivity (Top-k, seed {run.seed})")
    legend_below(figure, [left, right], ncols=4)
    return figure
