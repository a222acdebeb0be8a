"""One look for every figure, and byte-identical PNGs for identical metrics.

Figures are built on `matplotlib.figure.Figure` (no pyplot state) under matplotlib's own defaults
plus the fixed settings below, so a user's matplotlibrc cannot change a byte; PNGs are written
without the 'Software' text chunk (matplotlib writes no timestamp into PNGs).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from artifact.storage.atomic import atomic_write

DPI = 120
SEED_COLOURS = ("#1b6ca8", "#d1495b", "#2e933c", "#8e6c8a", "#edae49")
DATASET_COLOURS = {"dsprites": "#1b6ca8", "shapes3d": "#d1495b"}
METHOD_COLOURS = {"topk": "#1b6ca8", "l1": "#e07a1f"}
K_COLOUR = "#6b6b6b"
PAPER_COLOUR = "black"
STAGE_SHADES = {"stage2": "#f1f1f1", "extended": "#eef4ea"}

FIXED_RC = {
    "font.family": "DejaVu Sans",
    "font.size": 9.0,
    "axes.titlesize": 10.0,
    "axes.labelsize": 9.0,
    "legend.fontsize": 8.5,
    "figure.titlesize": 11.0,
    "axes.grid": True,
    "grid.alpha": 0.35,
    "grid.linewidth": 0.6,
    "lines.linewidth": 1.6,
    "savefig.dpi": DPI,
    "figure.dpi": DPI,
    "path.simplify": False,
    "svg.hashsalt": "artifact",
}


@contextmanager
def fixed_style() -> Iterator[None]:
    """matplotlib's defaults (not the user's rc file) plus FIXED_RC, for the block's duration."""
    defaults = {k: v for k, v in matplotlib.rcParamsDefault.items() if k != "backend"}
    with matplotlib.rc_context():
        matplotlib.rcParams.update(defaults)
        matplotlib.rcParams.update(FIXED_RC)
        yield


def new_figure(width_in: float, height_in: float) -> Figure:
    return Figure(figsize=(width_in, height_in), layout="constrained")


def png_bytes(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


def save_png(figure: Figure, path: Path) -> Path:
    data = png_bytes(figure)
    return atomic_write(path, lambda handle: handle.write(data))


STAGE_LABELS = {
    "stage2": "stage 2 (SAE initialisation, VAE frozen)",
    "extended": "extended training (at the final k)",
}


def shade_stages(ax: Axes, bounds: dict[str, tuple[float, float]]) -> None:
    """Grey band behind stage 2 (SAE initialisation), green behind extended training."""
    for stage, colour in STAGE_SHADES.items():
        if stage in bounds:
            low, high = bounds[stage]
            ax.axvspan(
                low - 0.5,
                high + 0.5,
                color=colour,
                zorder=0,
                linewidth=0,
                label=STAGE_LABELS[stage],
            )


def k_axis(ax: Axes, t: np.ndarray, k: np.ndarray, label: bool = True) -> Axes:
    """The k schedule on a secondary (right) axis, as a grey step line behind the data."""
    twin = ax.twinx()
    twin.step(
        t,
        k,
        where="mid",
        color=K_COLOUR,
        linestyle="--",
        linewidth=1.0,
        label="k (active neurons, right axis)",
    )
    twin.set_ylim(0, max(1.0, float(np.nanmax(k)) if np.isfinite(k).any() else 1.0) * 1.08)
    twin.grid(False)
    twin.tick_params(axis="y", colors=K_COLOUR, labelsize=8)
    if label:
        twin.set_ylabel("k (active neurons)", color=K_COLOUR)
    ax.set_zorder(twin.get_zorder() + 1)  # data above the k line
    ax.patch.set_visible(False)
    return twin


SHORT_SERIES = 25  # points; fewer get a dot per epoch, so a smoke run's 2-epoch stage is visible


def points(t: np.ndarray) -> dict:
    """Line keyword arguments: a dot at each epoch when the series is short."""
    return {"marker": "o", "markersize": 3} if len(t) <= SHORT_SERIES else {}


def integer_epochs(ax: Axes) -> None:
    """Epoch ticks on whole numbers only (a short run would otherwise get t = 0.5)."""
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, steps=[1, 2, 5, 10]))


def nudge(t: np.ndarray, fraction: float = 0.025) -> float:
    """A small step right on an axis spanning `t`: a paper marker beside the run's end point,
    not on top of it."""
    finite = t[np.isfinite(t)]
    return fraction * float(finite.max() - finite.min()) if len(finite) else 0.0


def mark_paper(
    ax: Axes, x: float, centre: float, low: float, high: float, label: str, marker: str = "D"
) -> None:
    """The paper's reported value at `x`: a black marker with its ± std (or range) as a bar."""
    error = [[centre - low], [high - centre]]
    ax.errorbar(
        [x],
        [centre],
        yerr=error,
        fmt=marker,
        color=PAPER_COLOUR,
        markersize=5.5,
        capsize=3,
        elinewidth=1.2,
        markerfacecolor="white",
        zorder=6,
        label=label,
        clip_on=False,  # a paper value at 0 (the axis floor) is drawn whole, not cut in half
    )


def legend_below(figure: Figure, axes: list[Axes], ncols: int = 4) -> None:
    """One legend for the figure, outside and below every axes (never over data)."""
    entries, seen = [], set()
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            if label not in seen and not label.startswith("_"):
                seen.add(label)
                entries.append((label.startswith("paper"), label, handle))
    entries.sort(key=lambda entry: entry[0])  # stable: data first, the paper's markers last
    labels = [label for _, label, _ in entries]
    handles = [handle for _, _, handle in entries]
    if handles:
        figure.legend(
            handles,
            labels,
            loc="outside lower center",
            ncols=min(ncols, len(labels)),
            frameon=False,
        )
