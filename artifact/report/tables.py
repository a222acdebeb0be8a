"""Tables 1-7 of the paper (section 4), each cell this run's value beside the paper's, with the
claim's verdict.

A cell names the aggregate key(s) it shows and where the paper prints it (`paper.Ref`). This
run's value is the claim's `observed` (so the number shown is the one the verdict judged); with no
claim, it comes from aggregate.json. The paper's value is always the claim's `expected`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from artifact.metrics.keys import (
    DATASETS,
    DEAD_SWEEP,
    METHODS,
    SPECIALISATION_SWEEP,
    threshold_label,
)
from artifact.report.paper import (
    DATASET_NAMES,
    DATASET_TOKENS,
    METHOD_NAMES,
    METHOD_TOKENS,
    NOT_AVAILABLE,
    Ref,
    find_claim,
    format_value,
    verdict_text,
)
from artifact.report.reductions import Metrics, change, paired, ratio, seed_range
from artifact.report.sections import md_cell


@dataclass(frozen=True)
class Cell:
    ref: Ref
    digits: int | None = None
    suffix: str = ""
    compute: Callable[[Metrics], object] | None = None  # this run's value when no key holds it


@dataclass(frozen=True)
class Table:
    number: int
    title: str
    header: tuple[str, ...]
    rows: tuple[tuple[str | Cell, ...], ...]
    note: str = ""


def _cell(where: str, dataset: str, method: str, name: str, column: str, **kw) -> Cell:
    tokens = (DATASET_TOKENS[dataset], METHOD_TOKENS[method], column)
    return Cell(Ref(where, (f"{dataset}.{method}.{name}",), tokens), **kw)


def table1() -> Table:
    columns = (("mig", "mig", 3), ("specialised", "special", 0), ("dead_pct", "dead", 1))
    columns += (("mse", "mse", 3),)
    rows = tuple(
        (DATASET_NAMES[d], METHOD_NAMES[m])
        + tuple(_cell("table 1", d, m, n, t, digits=p) for n, t, p in columns)
        for d in DATASETS
        for m in METHODS
    )
    header = ("Dataset", "Method", "MIG", "Specialised", "Dead (%)", "MSE")
    return Table(1, "Interpretability metrics at target sparsity (k = 50)", header, rows)


def table2() -> Table:
    def row(label: str, name: str, tokens: tuple[str, ...], digits: int) -> tuple:
        cells = tuple(
            Cell(Ref("table 2", (f"{d}.topk.{name}",), (DATASET_TOKENS[d], *tokens)), digits)
            for d in DATASETS
        )
        return (label, *cells)

    mig = tuple(
        Cell(
            Ref("table 2", (), (DATASET_TOKENS[d], "mig")),
            compute=change(f"{d}.topk.mig_at_k_start", f"{d}.topk.mig", 3),
        )
        for d in DATASETS
    )
    scaling = tuple(  # the paper prints one factor, Shapes3D's; dSprites is the baseline
        Cell(
            Ref(
                "table 2",
                (),
                ("scaling|complexity",) if d != "dsprites" else ("dsprites", "scaling"),
            ),
            digits=2,
            suffix="×",
            compute=ratio(f"{d}.topk.dead_pct", "dsprites.topk.dead_pct"),
        )
        for d in DATASETS
    )
    rows = (
        row("Dead neurons (%) at k = 500", "dead_pct_at_k_start", ("dead", "500"), 1),
        row("Dead neurons (%) at k = 50", "dead_pct", ("dead", "k 50"), 1),
        row("Specialised at k = 500", "specialised_at_k_start", ("special", "500"), 0),
        row("Specialised at k = 50 (Top-k)", "specialised", ("special", "k 50"), 0),
        ("MIG change (k = 500 → 50)", *mig),
        ("Complexity scaling factor (dead %, ÷ dSprites)", *scaling),
    )
    return Table(2, "Collapse across datasets (Top-k)", ("Metric", "dSprites", "Shapes3D"), rows)


def table3() -> Table:
    def row(d: str) -> tuple:
        base, ext = f"{d}.topk.dead_pct", f"{d}.topk.extended_dead_pct"
        spec, ext_spec = f"{d}.topk.specialised", f"{d}.topk.extended_specialised"
        tokens = (DATASET_TOKENS[d],)
        return (
            DATASET_NAMES[d],
            Cell(Ref("table 3", (base,), (*tokens, "init")), 1),
            Cell(Ref("table 3", (ext,), (*tokens, "final")), 1),
            Cell(
                Ref("table 3", (), (*tokens, "recovery")),
                1,
                " pp",
                paired((base, ext), lambda a, b: b - a),
            ),
            Cell(
                Ref("table 3", (), (*tokens, "spec")),
                0,
                "%",
                paired((spec, ext_spec), lambda a, b: (b / a - 1) * 100 if a else float("nan")),
            ),
        )

    header = ("Dataset", "Init dead (%)", "Final dead (%)", "Recovery", "Specialised change")
    return Table(
        3,
        "Extended training recovery (+100 epochs at k = 50, Top-k)",
        header,
        tuple(row(d) for d in DATASETS),
    )


_SWEEP_NOTE = (
    "This run: Top-k at the end of extended training where it ran (the paper's default-threshold "
    "rows equal its extended-training end points, Table 3), otherwise at the end of stage 3; "
    "Figures 10-11 draw both. docs/interpretations.md (Report) gives the reasoning."
)


def _sweep_table(number: int, title: str, name: str, thresholds, digits: int, suffix: str):
    rows = []
    for threshold in thresholds:
        label = threshold_label(threshold)
        cells = tuple(
            Cell(
                Ref(
                    f"table {number}",
                    (f"{d}.topk.extended_{name}_thr_{label}", f"{d}.topk.{name}_thr_{label}"),
                    (DATASET_TOKENS[d], label),
                ),
                digits,
                suffix,
            )
            for d in DATASETS
        )
        rows.append((label, *cells))
    return Table(number, title, ("Threshold", "dSprites", "Shapes3D"), tuple(rows), _SWEEP_NOTE)


def table4() -> Table:
    return _sweep_table(
        4,
        "Specialisation threshold sensitivity (specialised neurons, mean over seeds)",
        "specialised",
        SPECIALISATION_SWEEP,
        0,
        "",
    )


def table5() -> Table:
    return _sweep_table(
        5,
        "Dead-neuron threshold sensitivity (dead %, mean over seeds)",
        "dead_pct",
        DEAD_SWEEP,
        1,
        "%",
    )


def table6() -> Table:
    rows = tuple(
        (
            DATASET_NAMES[d],
            Cell(
                Ref("table 6", (), (DATASET_TOKENS[d], "range|mse")),
                4,
                compute=seed_range((f"{d}.topk.mse",)),
            ),
            Cell(
                Ref("table 6", (), (DATASET_TOKENS[d], "assessment|stable")),
                compute=change(f"{d}.topk.mse_at_k_start", f"{d}.topk.mse", 4),
            ),
        )
        for d in DATASETS
    )
    header = ("Dataset", "MSE range across seeds (k = 50)", "Assessment (MSE k = 500 → 50)")
    return Table(6, "Reconstruction quality at target sparsity (Top-k)", header, rows)


def table7() -> Table:
    stages = (
        ("Stage 1: VAE pretraining", ("stage1",), "stage 1"),
        ("Stage 2: SAE initialisation", ("stage2",), "stage 2"),
        ("Stage 3: joint training", ("stage3",), "stage 3"),
        ("Total per seed (baseline)", ("stage1", "stage2", "stage3"), "baseline"),
        ("Extended training", ("extended",), "extended"),
        ("Grand total per seed", ("stage1", "stage2", "stage3", "extended"), "grand"),
    )
    rows = tuple(
        (
            label,
            *(
                Cell(
                    Ref("table 7", (), (DATASET_TOKENS[d], token)),
                    1,
                    " min",
                    seed_range(tuple(f"{d}.topk.{s}_minutes" for s in parts)),
                )
                for d in DATASETS
            ),
        )
        for label, parts, token in stages
    )
    note = "Wall-clock minutes per seed on this run's hardware (Top-k runs): informational only."
    return Table(7, "Computational time per seed", ("Stage", "dSprites", "Shapes3D"), rows, note)


TABLES: tuple[Callable[[], Table], ...] = (table1, table2, table3, table4, table5, table6, table7)


def _our_value(cell: Cell, claim: dict | None, metrics: Metrics) -> object:
    """The claim's observed number (what its verdict judged) when it has one; else this cell's
    own reduction of aggregate.json (a range, a change: the claim's words say the same at more
    length); else the aggregate's value; else the claim's observed words."""
    observed = claim.get("observed") if claim is not None else None
    if isinstance(observed, dict) and isinstance(observed.get("mean"), int | float):
        return observed
    if cell.compute is not None:
        computed = cell.compute(metrics)
        if computed is not None:
            return computed
    for key in cell.ref.metrics:
        if key in metrics:
            return metrics[key]
    return observed


def _shown(value: object, cell: Cell, prefer_text: bool = True) -> str:
    """A value with the cell's unit; text that claims.json or a computed cell wrote is kept."""
    text = format_value(value, cell.digits, prefer_text)
    written = isinstance(value, str) or (
        isinstance(value, dict)
        and value.get("text")
        and (prefer_text or not isinstance(value.get("mean"), int | float))
    )
    if text != NOT_AVAILABLE and not written:
        text += cell.suffix
    return md_cell(text)


def render_cell(cell: Cell, claims: list[dict], metrics: Metrics, used: set[str]) -> str:
    claim = find_claim(claims, cell.ref)
    if claim is not None:
        used.add(str(claim.get("id")))
    ours = _our_value(cell, claim, metrics)
    paper = _shown(claim.get("expected"), cell) if claim else NOT_AVAILABLE
    shown = _shown(ours, cell, prefer_text=False)  # this run's numbers at the cell's precision
    return f"**{shown}**<br>paper {paper}<br>*{verdict_text(claim)}*"


def render_table(table: Table, claims: list[dict], metrics: Metrics, used: set[str]) -> str:
    """One table as Markdown: the paper's rows and columns, three lines per cell."""
    lines = [
        f"### Table {table.number}. {table.title}",
        "",
        "| " + " | ".join(table.header) + " |",
        "|" + "|".join("---" for _ in table.header) + "|",
    ]
    for row in table.rows:
        cells = [
            item if isinstance(item, str) else render_cell(item, claims, metrics, used)
            for item in row
        ]
        lines.append("| " + " | ".join(cells) + " |")
    if table.note:
        lines += ["", table.note]
    return "\n".join(lines) + "\n"
