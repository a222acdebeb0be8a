"""The learning curves a reduced run's report opens with: reconstruction MSE and MIG after every
epoch of every stage, per dataset and run, so a reader sees whether the model learned before
reading any qualitative verdict (a VAE that never left sigmoid(0) = 0.5 has nothing to sparsify).
"""

from __future__ import annotations

from matplotlib.figure import Figure

from artifact.report.inputs import Run
from artifact.report.paper import DATASET_NAMES, METHOD_NAMES
from artifact.report.series import T_LABEL, stage_bounds
from artifact.report.style import (
    SEED_COLOURS,
    integer_epochs,
    legend_below,
    new_figure,
    shade_stages,
)

PANELS = (("mse", "reconstruction MSE"), ("mig", "MIG"))
LINESTYLES = {"topk": "-", "l1": "--"}


def learning_figure(runs: list[Run]) -> Figure:
    """One column per dataset, rows MSE (log scale) and MIG, one line per (method, seed), on the
    eq. 4 clock (stage 1 and 2 at negative t)."""
    datasets = list(dict.fromkeys(run.dataset for run in runs))
    seeds = sorted({run.seed for run in runs})
    figure = new_figure(4.2 * len(datasets), 5.6)
    grid = figure.subplots(len(PANELS), len(datasets), squeeze=False)
    for col, dataset in enumerate(datasets):
        mine = [run for run in runs if run.dataset == dataset]
        for row, (name, label) in enumerate(PANELS):
            ax = grid[row, col]
            shade_stages(ax, stage_bounds(mine[0]))
            for run in mine:
                t, values = run.series(name)
                colour = SEED_COLOURS[seeds.index(run.seed) % len(SEED_COLOURS)]
                ax.plot(t, values, LINESTYLES.get(run.method, "-"), color=colour, marker=".",
                        label=f"{METHOD_NAMES.get(run.method, run.method)}, seed {run.seed}")  # fmt: skip
            if name == "mse":
                ax.set_yscale("log")
            ax.set_ylabel(label)
            integer_epochs(ax)
            if row == 0:
                ax.set_title(DATASET_NAMES.get(dataset, dataset))
            if row == len(PANELS) - 1:
                ax.set_xlabel(T_LABEL)
    legend_below(figure, list(grid.flat), ncols=3)
    return figure
