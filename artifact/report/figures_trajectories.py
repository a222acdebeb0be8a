"""Figures 1-5 (section 4.1): dead %, specialised count and MIG against the epoch, with the k
schedule on a secondary axis, per seed (Figures 1, 3), over seeds (2, 4) and across datasets (5).

The paper's figures follow Top-k through stage 3; ours add stage 2 (t < 0, shaded) so the
starting point is visible, and mark the paper's reported end points (Table 1 at k = 50, Table 2 at
k = 500) where claims.json holds them.
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from artifact.report.inputs import Run
from artifact.report.markers import draw_markers, end_markers
from artifact.report.paper import DATASET_NAMES, METHOD_NAMES
from artifact.report.series import (
    QUANTITIES,
    SAE_STAGES,
    T_LABEL,
    schedule,
    seed_mean_std,
    stack,
    stage_bounds,
)
from artifact.report.style import (
    DATASET_COLOURS,
    K_COLOUR,
    SEED_COLOURS,
    integer_epochs,
    k_axis,
    legend_below,
    new_figure,
    nudge,
    points,
    shade_stages,
)

PANELS = ("dead_pct", "specialised", "mig")


def _shaded(twin: Axes, run: Run) -> Axes:
    """Stage-2 shading on the secondary axes where there is one: it lies below the data axes,
    and shading drawn on the data axes would cover its k line."""
    shade_stages(twin, {k: v for k, v in stage_bounds(run).items() if k == "stage2"})
    return twin


def _dress(ax: Axes, name: str, xlabel: bool) -> None:
    """Labels, and a y axis from 0 (set last: it freezes autoscaling, so every line and marker
    must already be drawn)."""
    ax.set_ylabel(QUANTITIES[name])
    integer_epochs(ax)
    if xlabel:
        ax.set_xlabel(T_LABEL)
    ax.margins(y=0.1)  # room for a marker glyph at the top
    ax.set_ylim(bottom=0)


def per_seed_figure(runs: list[Run], claims: list[dict], figure_number: int) -> Figure:
    """Figures 1 and 3: one column per seed, one row per quantity; k on the top row's right
    axis (the rows share the epoch axis)."""
    figure = new_figure(4.0 * len(runs) + 0.6, 7.6)
    grid = figure.subplots(len(PANELS), len(runs), sharex=True, squeeze=False)
    twins = []
    for column, run in enumerate(runs):
        t_k, k = run.series("k", SAE_STAGES)
        for row, name in enumerate(PANELS):
            ax = grid[row][column]
            t, values = run.series(name, SAE_STAGES)
            colour = SEED_COLOURS[column % len(SEED_COLOURS)]
            ax.plot(t, values, color=colour, label=f"seed {run.seed}", **points(t))
            draw_markers(ax, end_markers(claims, run, name, figure_number), nudge(t))
            _dress(ax, name, row == len(PANELS) - 1)
            if row == 0:  # k once per column: the rows share the epoch axis
                twins.append(_shaded(k_axis(ax, t_k, k, label=column == len(runs) - 1), run))
                ax.set_title(f"seed {run.seed}")
            else:
                _shaded(ax, run)
    name = DATASET_NAMES[runs[0].dataset]
    figure.suptitle(f"{name}, {METHOD_NAMES[runs[0].method]}: per-seed trajectories")
    legend_below(figure, [a for row in grid for a in row] + twins, ncols=4)
    return figure


def _band(ax: Axes, t: np.ndarray, values: np.ndarray, colour: str, label: str) -> None:
    mean, std = seed_mean_std(values)
    ax.plot(t, mean, color=colour, label=f"{label} (mean over {len(values)} seeds)", **points(t))
    ax.fill_between(
        t, mean - std, mean + std, color=colour, alpha=0.2, linewidth=0, label=f"{label} ± 1 std"
    )


def aggregate_figure(runs: list[Run], claims: list[dict], figure_number: int) -> Figure:
    """Figures 2 and 4: mean ± std over seeds of each quantity, k on the right axis."""
    figure = new_figure(13.0, 4.3)
    axes = figure.subplots(1, len(PANELS))
    twins = []
    t_k, k = stack(runs, "k", SAE_STAGES)
    for ax, name in zip(axes, PANELS, strict=True):
        t, values = stack(runs, name, SAE_STAGES)
        _band(
            ax,
            t,
            values,
            DATASET_COLOURS.get(runs[0].dataset, "#1b6ca8"),
            METHOD_NAMES[runs[0].method],
        )
        draw_markers(ax, end_markers(claims, runs[0], name, figure_number), nudge(t))
        _dress(ax, name, True)
        twins.append(_shaded(k_axis(ax, t_k, schedule(k), label=name == PANELS[-1]), runs[0]))
    name = DATASET_NAMES[runs[0].dataset]
    figure.suptitle(f"{name}, {METHOD_NAMES[runs[0].method]}: mean over seeds")
    legend_below(figure, list(axes) + twins, ncols=5)
    return figure


def cross_dataset_figure(groups: dict[tuple[str, str], list[Run]], claims: list[dict]) -> Figure:
    """Figure 5: both datasets on the same axes, one row per method, each quantity a column.
    The secondary axis shows each method's schedule: k for Top-k, the L1 weight for L1."""
    methods = [m for m in ("topk", "l1") if any(key[1] == m for key in groups)]
    figure = new_figure(13.0, 3.6 * len(methods) + 0.8)
    grid = figure.subplots(len(methods), len(PANELS), squeeze=False)
    twins = []
    for row, method in enumerate(methods):
        for column, name in enumerate(PANELS):
            ax = grid[row][column]
            runs_of = {key[0]: runs for key, runs in groups.items() if key[1] == method}
            for dataset, runs in runs_of.items():
                t, values = stack(runs, name, SAE_STAGES)
                _band(
                    ax,
                    t,
                    values,
                    DATASET_COLOURS.get(dataset, "#444444"),
                    DATASET_NAMES.get(dataset, dataset),
                )
            first = next(iter(runs_of.values()))
            _dress(ax, name, row == len(methods) - 1)
            ax.set_title(f"{METHOD_NAMES[method]}: {QUANTITIES[name].split(' (')[0]}")
            twins.append(
                _shaded(_schedule_axis(ax, first, method, column == len(PANELS) - 1), first[0])
            )
    figure.suptitle("Cross-dataset comparison (mean ± std over seeds)")
    legend_below(figure, [a for row in grid for a in row] + twins, ncols=4)
    return figure


def _schedule_axis(ax: Axes, runs: list[Run], method: str, label: bool) -> Axes:
    if method == "topk":
        t_k, k = stack(runs, "k", SAE_STAGES)
        return k_axis(ax, t_k, schedule(k), label=label)
    t_l, lam = stack(runs, "l1_lambda", SAE_STAGES)
    twin = ax.twinx()
    twin.step(
        t_l,
        schedule(lam),
        where="mid",
        color=K_COLOUR,
        linestyle=":",
        linewidth=1.2,
        label="L1 weight λ (right axis)",
    )
    twin.grid(False)
    twin.set_ylim(bottom=0)
    twin.tick_params(axis="y", colors=K_COLOUR, labelsize=8)
    if label:
        twin.set_ylabel("L1 weight λ", color=K_COLOUR)
    ax.set_zorder(twin.get_zorder() + 1)
    ax.patch.set_visible(False)
    return twin
