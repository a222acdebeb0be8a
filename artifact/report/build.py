"""`build_report`: the paper's Tables 1-7 and Figures 1-11 from one metrics directory, beside
the paper's numbers, with the audit findings and the provenance record (report.md, report.html,
figures/*.png), plus the per-epoch CSVs `dvc plots` reads. Same metrics in, same bytes out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from matplotlib.figure import Figure

from artifact.report import sections
from artifact.report.figures_compare import extended_figure, pick_seed, topk_vs_l1_figure
from artifact.report.figures_learning import learning_figure
from artifact.report.figures_readings import readings_section
from artifact.report.figures_sweeps import threshold_figure
from artifact.report.figures_trajectories import (
    aggregate_figure,
    cross_dataset_figure,
    per_seed_figure,
)
from artifact.report.html import markdown_to_html
from artifact.report.inputs import MetricsDir, load_metrics_dir
from artifact.report.paper import DATASET_NAMES, claim_list
from artifact.report.plot_tables import write_plot_tables
from artifact.report.series import counts_comparable, paper_width
from artifact.report.style import fixed_style, save_png
from artifact.report.tables import TABLES, render_table
from artifact.storage.atomic import atomic_write

TITLE = "Fundamental Limits of Neural Network Sparsification: this run beside the paper"
PAIR = ("dsprites", "shapes3d")  # Figures 1-2, 6, 8, 10 are dSprites; 3-4, 7, 9, 11 Shapes3D
LEARNING_PNG = "learning_curves.png"  # a reduced run's opening figure (not fig[0-9][0-9]_*)


@dataclass(frozen=True)
class FigureSpec:
    number: int
    stem: str
    caption: str
    draw: Callable[[], Figure] | None  # None: not drawable from this run (see `missing`)
    missing: str = ""


def _figure_specs(data: MetricsDir, claims: list[dict]) -> list[FigureSpec]:
    specs = []
    topk = {d: data.find(d, "topk") for d in PAIR}
    for offset, d in enumerate(PAIR):
        name, runs = DATASET_NAMES[d], topk[d]
        why = f"no {name} Top-k run in this metrics directory"
        specs += [
            FigureSpec(
                1 + 2 * offset,
                f"fig{1 + 2 * offset:02d}_{d}_per_seed",
                f"{name}, Top-k: each seed's dead %, specialised count and MIG against the "
                "epoch, k on the right axis (the paper's Figure "
                f"{1 + 2 * offset}).",
                (lambda r=runs, n=1 + 2 * offset: per_seed_figure(r, claims, n)) if runs else None,
                why,
            ),
            FigureSpec(
                2 + 2 * offset,
                f"fig{2 + 2 * offset:02d}_{d}_mean",
                f"{name}, Top-k: mean ± std over seeds, k on the right axis (the paper's "
                f"Figure {2 + 2 * offset}).",
                (lambda r=runs, n=2 + 2 * offset: aggregate_figure(r, claims, n)) if runs else None,
                why,
            ),
        ]
    groups = {(d, m): data.find(d, m) for d in PAIR for m in ("topk", "l1") if data.find(d, m)}
    specs.append(
        FigureSpec(
            5,
            "fig05_cross_dataset",
            "Both datasets on shared axes, Top-k (top) and L1 (bottom): the "
            "paper's Figure 5 (cross-dataset comparison).",
            (lambda: cross_dataset_figure(groups, claims)) if groups else None,
            "no runs",
        )
    )
    for offset, d in enumerate(PAIR):
        name = DATASET_NAMES[d]
        pair = {m: pick_seed(data.find(d, m)) for m in ("topk", "l1")}
        pair = {m: r for m, r in pair.items() if r is not None}
        specs.append(
            FigureSpec(
                6 + offset,
                f"fig{6 + offset:02d}_{d}_topk_vs_l1",
                f"{name}: Top-k against L1 for one seed (the paper's Figure "
                f"{6 + offset}); bottom right: alive and specialised neurons at "
                "the end of stage 3.",
                (lambda p=pair, n=6 + offset: topk_vs_l1_figure(p, claims, n)) if pair else None,
                f"no {name} run in this metrics directory",
            )
        )
    for offset, d in enumerate(PAIR):
        name, run = DATASET_NAMES[d], pick_seed([r for r in topk[d] if r.has_extended])
        specs.append(
            FigureSpec(
                8 + offset,
                f"fig{8 + offset:02d}_{d}_extended",
                f"{name}: stage 3 then extended training at the final k (Top-k, one "
                f"seed; the paper's Figure {8 + offset}).",
                (lambda r=run, n=8 + offset: extended_figure(r, claims, n)) if run else None,
                f"no {name} Top-k run with extended training",
            )
        )
    for offset, d in enumerate(PAIR):
        name, run = DATASET_NAMES[d], pick_seed(topk[d])
        specs.append(
            FigureSpec(
                10 + offset,
                f"fig{10 + offset:02d}_{d}_thresholds",
                f"{name}: threshold sensitivity (Top-k, one seed; the paper's "
                f"Figure {10 + offset}), at the end of stage 3 and of extended "
                "training.",
                (lambda r=run, n=10 + offset: threshold_figure(r, claims, n)) if run else None,
                f"no {name} Top-k run in this metrics directory",
            )
        )
    return specs


def _draw_figures(specs: list[FigureSpec], figures_dir: Path) -> list[str]:
    """Write each drawable figure; return the Markdown of the figures section."""
    written, parts = set(), []
    with fixed_style():
        for spec in specs:
            parts.append(f"### Figure {spec.number}\n")
            if spec.draw is None:
                parts.append(f"Not drawn: {spec.missing}.\n")
                continue
            path = save_png(spec.draw(), figures_dir / f"{spec.stem}.png")
            written.add(path.name)
            parts.append(f"![Figure {spec.number}](figures/{path.name})\n\n{spec.caption}\n")
    for stale in figures_dir.glob("fig[0-9][0-9]_*.png"):  # figures a previous build drew
        if stale.name not in written:
            stale.unlink()
    return parts


def _width_note(data: MetricsDir) -> str:
    widths = sorted({run.width for run in data.runs if not counts_comparable(run)})
    if not widths:
        return ""
    return (
        f"The paper's specialised-neuron counts are not marked: this run's dictionary has "
        f"{', '.join(f'{w:,}' for w in widths)} neurons, the paper's {paper_width():,}, and counts "
        "scale with the width.\n"
    )


def _tables(data: MetricsDir, claims: list[dict], used: set[str]) -> str:
    metrics = (data.aggregate or {}).get("metrics") or {}
    note = ""
    if data.aggregate is None:
        note = (
            "aggregate.json was not found, so cells show this run's value only where a claim "
            "holds it; run `artifact aggregate` and rebuild the report.\n\n"
        )
    return note + "\n".join(render_table(table(), claims, metrics, used) for table in TABLES)


def _reduced_opening(data: MetricsDir, figures_dir: Path) -> list[str]:
    """A reduced run's report opens with what it can and cannot tell, and its learning curves;
    the paper profile's report has no such section (its claims speak for themselves)."""
    if data.profile == "paper" or data.profile is None:
        (figures_dir / LEARNING_PNG).unlink(missing_ok=True)  # a previous reduced build's
        return []
    figure = None
    if data.runs:
        with fixed_style():
            figure = save_png(learning_figure(list(data.runs)), figures_dir / LEARNING_PNG).name
    return ["## What this reduced run can and cannot tell\n", sections.reduced_scale(data, figure)]


def build_report(metrics_dir: Path, out_dir: Path) -> Path:
    """Write report.md, report.html and figures/*.png under out_dir, and the per-epoch CSVs
    under metrics_dir/plots; return report.md's path."""
    metrics_dir, out_dir = Path(metrics_dir), Path(out_dir)
    data = load_metrics_dir(metrics_dir)
    claims = claim_list(data.claims)
    write_plot_tables(metrics_dir, data.runs)
    used: set[str] = set()
    tables = _tables(data, claims, used)
    figures = _draw_figures(_figure_specs(data, claims), out_dir / "figures")
    markdown = "\n".join(
        [
            f"# {TITLE}\n",
            sections.status(data),
            sections.protocol_notes(data),
            *_reduced_opening(data, out_dir / "figures"),
            "## Claims\n",
            sections.claims_summary(data),
            "## Tables\n",
            tables,
            "## Figures\n",
            "Black open markers are the paper's reported values (mean ± std, from claims.json). "
            "t counts epochs from the start of stage 3 (eq. 4); grey shading is stage 2, green "
            "shading extended training.\n",
            _width_note(data),
            *figures,
            "## Readings\n",
            readings_section(data, out_dir / "figures"),
            "## Claims not shown in a table\n",
            sections.other_claims(data, used),
            "## The paper's own inconsistencies (audit-paper)\n",
            sections.audit(data),
            "## Provenance\n",
            sections.provenance(data),
        ]
    )
    report = atomic_write(out_dir / "report.md", lambda h: h.write(markdown), mode="w")
    page = markdown_to_html(markdown, TITLE, out_dir)
    atomic_write(out_dir / "report.html", lambda h: h.write(page), mode="w")
    return report
