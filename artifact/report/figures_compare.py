"""Figures 6-9 of the paper, for one seed (42, as the paper; else the first seed run):
Top-k against L1 (section 4.4, Figures 6-7) and extended training at k = 50 (section 4.5,
Figures 8-9). The paper's Table 1 and Table 3 values are marked where claims.json holds them."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from artifact.report.inputs import Run
from artifact.report.markers import draw_markers, end_markers, extended_markers
from artifact.report.paper import DATASET_NAMES, METHOD_NAMES
from artifact.report.series import (
    QUANTITIES,
    SAE_STAGES,
    T_LABEL,
    end_t,
    stage_bounds,
)
from artifact.report.style import (
    METHOD_COLOURS,
    integer_epochs,
    legend_below,
    new_figure,
    nudge,
    points,
    shade_stages,
)

PAPER_SEED = 42


def pick_seed(runs: list[Run]) -> Run | None:
    """The paper's seed-42 run when present, else the lowest seed."""
    if not runs:
        return None
    return next((r for r in runs if r.seed == PAPER_SEED), min(runs, key=lambda r: r.seed))


def _trajectory(ax: Axes, run: Run, name: str, stages: tuple[str, ...]) -> None:
    t, values = run.series(name, stages)
    ax.plot(
        t,
        values,
        color=METHOD_COLOURS.get(run.method, "#444444"),
        **points(t),
        label=f"{METHOD_NAMES.get(run.method, run.method)}, seed {run.seed}",
    )


def _final_bars(ax: Axes, runs: list[Run]) -> None:
    """Alive and specialised neurons, both as % of the dictionary, at the end of stage 3."""
    groups = ("alive", "specialised")
    width = 0.8 / max(1, len(runs))
    for offset, run in enumerate(runs):
        final = run.last("stage3") or {}
        dead, specialised = final.get("dead_pct"), final.get("specialised")
        heights = [
            100.0 - dead if dead is not None else np.nan,
            100.0 * specialised / run.width if specialised is not None and run.width else np.nan,
        ]
        x = np.arange(len(groups)) + (offset - (len(runs) - 1) / 2) * width
        bars = ax.bar(x, heights, width, color=METHOD_COLOURS.get(run.method, "#444444"))
        ax.bar_label(
            bars,
            labels=[f"{h:.1f}%" if np.isfinite(h) else "n/a" for h in heights],
            padding=2,
            fontsize=8,
        )
    ax.set_xticks(np.arange(len(groups)), ["alive neurons", "specialised neurons"])
    ax.set_ylabel("% of dictionary (end of stage 3)")
    ax.set_ylim(0, 115)
    ax.set_yticks(range(0, 101, 20))
    ax.set_title("final metrics")


def topk_vs_l1_figure(runs: dict[str, Run], claims: list[dict], figure_number: int) -> Figure:
    """Figures 6-7: MIG, specialised, dead % of Top-k and L1 (seed 42), and the final bars."""
    figure = new_figure(11.0, 7.6)
    grid = figure.subplots(2, 2)
    panels = (("mig", grid[0][0]), ("specialised", grid[0][1]), ("dead_pct", grid[1][0]))
    first = next(iter(runs.values()))
    for name, ax in panels:
        for number, run in enumerate(runs.values()):
            _trajectory(ax, run, name, SAE_STAGES)
            dx = nudge(run.series(name, SAE_STAGES)[0])
            markers = end_markers(claims, run, name, figure_number)
            stage3_end = [m for m in markers if m.x == end_t(run)]  # k = 50 only, both methods
            draw_markers(ax, stage3_end, dx, shift=2 * dx * number)
        shade_stages(ax, {k: v for k, v in stage_bounds(first).items() if k == "stage2"})
        ax.set_ylabel(QUANTITIES[name])
        integer_epochs(ax)
        ax.set_xlabel(T_LABEL)
        ax.margins(y=0.1)  # room for a marker glyph at the top
        ax.set_ylim(bottom=0)
        ax.set_title(QUANTITIES[name].split(" (")[0])
    _final_bars(grid[1][1], list(runs.values()))
    dataset = DATASET_NAMES.get(first.dataset, first.dataset)
    figure.suptitle(f"{dataset}: Top-k vs L1 (seed {first.seed})")
    legend_below(figure, [ax for _, ax in panels], ncols=4)
    return figure


def extended_figure(run: Run, claims: list[dict], number: int) -> Figure:
    """Figures 8-9: stage 3 then the extended epochs at the final k, the stage-3 end marked."""
    figure = new_figure(13.0, 4.4)
    axes = figure.subplots(1, 3, sharex=True)
    stages = ("stage3", "extended")
    boundary = end_t(run)
    dx = nudge(run.t[run.mask(stages)])
    for ax, name in zip(axes, ("mig", "specialised", "dead_pct"), strict=True):
        _trajectory(ax, run, name, stages)
        shade_stages(ax, {k: v for k, v in stage_bounds(run).items() if k == "extended"})
        if boundary is not None:
            ax.axvline(
                boundary + 0.5,
                color="#b2182b",
                linestyle="--",
                linewidth=1.1,
                label="end of stage 3 (original training endpoint)",
            )
        draw_markers(ax, extended_markers(claims, run, name, number), dx)
        ax.set_ylabel(QUANTITIES[name])
        integer_epochs(ax)
        ax.set_xlabel("epoch t since the start of stage 3")
        ax.margins(y=0.1)  # room for a marker glyph at the top
        ax.set_ylim(bottom=0)
        ax.set_title(QUANTITIES[name].split(" (")[0])
    dataset = DATASET_NAMES.get(run.dataset, run.dataset)
    k_end = (run.last("extended") or {}).get("k")
    at_k = f" at k = {k_end}" if k_end is not None else ""
    figure.suptitle(f"{dataset}: extended training{at_k} (Top-k, seed {run.seed})")
    legend_below(figure, list(axes), ncols=4)
    return figure
