"""The paper's reported values as markers on the figures, found in claims.json.

Each figure marks the numbers the paper prints for it: its own caption's (a claim located at
"Figure N") and the table it summarises (Table 1 at k = 50, Table 2 at k = 500, Table 3 for
extended training, Tables 4-5 for the sweeps). A claim without a number (a trend, an ordering)
draws nothing. Neuron counts are not marked beside a run whose dictionary is not the paper's
width (`series.counts_comparable`).
"""

from __future__ import annotations

from dataclasses import dataclass

from matplotlib.axes import Axes

from artifact.metrics.keys import threshold_label
from artifact.report.inputs import Run
from artifact.report.paper import (
    DATASET_TOKENS,
    METHOD_NAMES,
    METHOD_TOKENS,
    Ref,
    find_claim,
    point,
)
from artifact.report.series import counts_comparable, end_t, k_start_t
from artifact.report.style import mark_paper

COLUMN_TOKENS = {"dead_pct": "dead", "specialised": "special", "mig": "mig", "mse": "mse"}


@dataclass(frozen=True)
class Marker:
    x: float
    centre: float
    low: float
    high: float
    label: str
    shape: str = "D"
    slot: int = 0  # markers at the same x step right by slot: a caption's beside a table's


def _marker(claims: list[dict], ref: Ref, x: float | None, label: str, shape: str, slot: int):
    claim = find_claim(claims, ref)
    value = point(claim.get("expected")) if claim else None
    if value is None or x is None:
        return None
    return Marker(x, *value, label, shape, slot)


def _found(claims: list[dict], specs: list[tuple]) -> list[Marker]:
    markers = [_marker(claims, *spec) for spec in specs]
    return [marker for marker in markers if marker is not None]


def end_markers(claims: list[dict], run: Run, name: str, figure: int) -> list[Marker]:
    """Stage-3 end points (k = 50) and pre-sparsification points (k = 500) of `run`'s group."""
    if name == "specialised" and not counts_comparable(run):
        return []
    d, m = run.dataset, run.method
    key, at_start = f"{d}.{m}.{name}", f"{d}.{m}.{name}_at_k_start"
    tokens = (DATASET_TOKENS[d], METHOD_TOKENS[m], COLUMN_TOKENS[name])
    x_end, x_start = end_t(run), k_start_t(run)
    method = f", {METHOD_NAMES[m]}" if figure in (6, 7) else ""
    specs = [
        (Ref("table 1", (key,), tokens), x_end, f"paper, Table 1{method} (k = 50, mean ± std)",
         "D" if m == "topk" else "s", 0),
        (Ref(f"figure {figure}", (key,)), x_end, f"paper, Figure {figure} caption{method}", "^", 1),
    ]  # fmt: skip
    if m == "topk":
        table2 = Ref("table 2", (at_start,), (DATASET_TOKENS[d], COLUMN_TOKENS[name], "500"))
        specs += [
            (table2, x_start, "paper, Table 2 (k = 500)", "s", 0),
            (Ref(f"figure {figure}", (at_start,)), x_start, f"paper, Figure {figure} (k = 500)",
             "v", 1),
        ]  # fmt: skip
    return _found(claims, specs)


def extended_markers(claims: list[dict], run: Run, name: str, figure: int) -> list[Marker]:
    """Figures 8-9: the caption's seed-42 start and end, and Table 3's means (dead %)."""
    if name == "specialised" and not counts_comparable(run):
        return []
    d = run.dataset
    start, end = end_t(run), end_t(run, "extended")
    key, extended = f"{d}.topk.{name}", f"{d}.topk.extended_{name}"
    specs = [
        (Ref(f"figure {figure}", (key,)), start, f"paper, Figure {figure} caption", "^", 1),
        (Ref(f"figure {figure}", (extended,)), end, f"paper, Figure {figure} caption", "^", 1),
    ]
    if name == "dead_pct":
        tokens = (DATASET_TOKENS[d],)
        specs += [
            (Ref("table 3", (key,), (*tokens, "init")), start, "paper, Table 3 (mean ± std)",
             "D", 0),
            (Ref("table 3", (extended,), (*tokens, "final")), end, "paper, Table 3 (mean ± std)",
             "D", 0),
        ]  # fmt: skip
    return _found(claims, specs)


def sweep_markers(claims: list[dict], run: Run, name: str, thresholds, figure: int):
    """Figures 10-11: Table 4 (or 5) means and the caption's seed-42 readings per threshold."""
    if name == "specialised" and not counts_comparable(run):
        return []
    table = 4 if name == "specialised" else 5
    specs = []
    for threshold in thresholds:
        label = threshold_label(float(threshold))
        keys = (
            f"{run.dataset}.topk.extended_{name}_thr_{label}",
            f"{run.dataset}.topk.{name}_thr_{label}",
        )
        tokens = (DATASET_TOKENS[run.dataset], label)
        specs += [
            (Ref(f"table {table}", keys, tokens), float(threshold),
             f"paper, Table {table} (mean over seeds)", "D", 0),
            (Ref(f"figure {figure}", keys), float(threshold), f"paper, Figure {figure} caption",
             "^", 0),
        ]  # fmt: skip
    return _found(claims, specs)


def draw_markers(ax: Axes, markers: list[Marker], dx: float = 0.0, shift: float = 0.0) -> None:
    """Each marker `shift + dx * (1 + slot)` right of its x, beside the run's own point."""
    for marker in markers:
        x = marker.x + shift + (dx * (1 + marker.slot) if dx else 0.0)
        mark_paper(ax, x, marker.centre, marker.low, marker.high, marker.label, marker.shape)
