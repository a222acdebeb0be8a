"""The report's readings section: every claim a reading changes, judged under every
evaluation-time reading aggregate.json holds (claims x readings, coloured by outcome), and one
sentence per table saying which readings make it hold.

The judging is `verify-claims --readings`'s own (claims/verify/readings.py), and the sentences
and legend are its text renderer's (claims/render_readings.py): the report draws, it does not
judge again. Cells are coloured by the numeric outcome (the numbers alone, as the CLI's table),
so a reduced run, whose verdicts all read `not comparable`, still shows what its numbers do;
a hatched cell is a claim the audit's reachability bound says no training can reach under
that reading.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle

from artifact.claims.render_readings import table_sentences
from artifact.claims.verify.readings import ClaimUnderReadings, ReadingsReport, verify_readings
from artifact.errors import ArtifactError
from artifact.metrics.readings import parse_name
from artifact.report.inputs import MetricsDir
from artifact.report.style import fixed_style, new_figure, save_png

READINGS_PNG = "readings.png"  # not fig[0-9][0-9]_*: the paper has no such figure
OUTCOMES = ("pass", "fail", None)  # row of the colour map, in this order
COLOURS = ("#2e933c", "#d1495b", "#dcdcdc")
OUTCOME_WORDS = {"pass": "pass", "fail": "fail", "None": "not computable"}
LABELS = ("passes under the reading", "fails under the reading", "not computable from this run")
# What each axis value reads as in the figure's bottom panel (narrow columns: a few letters).
SHORT = {
    "codes": "a~", "pre_cut": "a", "nats": "nat", "bits": "bit", "none": "raw",
    "factor_entropy": "/H", "equal_width": "ew", "zero_and_positive": "zp",
    "active_inactive": "0/1", "off": "off", "on": "on",
}  # fmt: skip
AXIS_LABELS = {
    "activations": "activations", "mi_unit": "MI unit", "mi_normalisation": "MI / H(factor)",
    "neuron_binning": "neuron bins", "bias_boost": "bias boost", "mig_bins": "MIG bins",
}  # fmt: skip


def differing(report: ReadingsReport) -> list[ClaimUnderReadings]:
    """The claims whose outcome, or reachability, is not the same under every reading: the rows
    worth a look (a claim that reads the same everywhere is counted in the text instead)."""
    return [c for c in report.claims
            if len(set(c.outcomes.values())) > 1 or 0 < len(c.unreachable) < len(report.readings)]  # fmt: skip


def outcome_grid(report: ReadingsReport) -> tuple[np.ndarray, np.ndarray]:
    """(codes, unreachable), both [n_claims, n_readings] over `differing(report)`: the index of
    each cell's outcome in OUTCOMES, and whether the audit marks the claim unreachable there."""
    claims = differing(report)
    codes = np.array(
        [[OUTCOMES.index(c.outcomes[n]) for n in report.readings] for c in claims], dtype=int
    ).reshape(len(claims), len(report.readings))
    unreachable = np.array(
        [[n in c.unreachable for n in report.readings] for c in claims], dtype=bool
    ).reshape(codes.shape)
    return codes, unreachable


def _axis_rows(report: ReadingsReport) -> list[tuple[str, list[str]]]:
    """(label, the short value under each reading) of every axis whose value varies."""
    readings = [parse_name(name) for name in report.readings]
    rows = []
    for axis, label in AXIS_LABELS.items():
        values = [getattr(r, axis) for r in readings]
        if axis == "neuron_binning":  # the bin count belongs to the binning's value
            values = [SHORT[v] + ("" if v == "active_inactive" else str(r.neuron_bins))
                      for v, r in zip(values, readings, strict=True)]  # fmt: skip
        else:
            values = [SHORT.get(str(v), str(v)) for v in values]
        if len(set(values)) > 1:
            rows.append((label, values))
    return rows


def readings_figure(report: ReadingsReport) -> Figure:
    """Top: claims (rows) x readings (columns R0, R1, ...), coloured by outcome, hatched where
    unreachable, the registered reading R0 framed. Bottom: each varying axis's value per reading."""
    codes, unreachable = outcome_grid(report)
    axes_rows = _axis_rows(report)
    n_claims, n_readings = codes.shape
    width = min(16.0, max(6.5, 2.6 + 0.19 * n_readings))
    heights = (max(1.0, 0.17 * n_claims), 0.17 * max(1, len(axes_rows)))
    figure = new_figure(width, sum(heights) + 1.6)
    top, bottom = figure.subplots(2, 1, height_ratios=heights)
    cmap, norm = (
        ListedColormap(COLOURS),
        BoundaryNorm(np.arange(len(OUTCOMES) + 1) - 0.5, len(COLOURS)),
    )
    top.pcolormesh(codes, cmap=cmap, norm=norm, edgecolors="white", linewidth=0.5)
    for row, col in zip(*np.nonzero(unreachable), strict=True):
        top.add_patch(Rectangle((col, row), 1, 1, fill=False, hatch="xxx", edgecolor="#4a235a",
                                linewidth=0))  # fmt: skip
    top.add_patch(Rectangle((0, 0), 1, n_claims, fill=False, edgecolor="black", linewidth=1.4))
    top.set_yticks(np.arange(n_claims) + 0.5, [c.id for c in differing(report)], fontsize=6.5)
    top.set_xlim(0, n_readings)
    top.set_ylim(n_claims, 0)  # the first claim on top, as in the text table
    top.xaxis.tick_top()
    top.set_xticks(np.arange(n_readings) + 0.5, [f"R{i}" for i in range(n_readings)],
                   fontsize=6, rotation=90)  # fmt: skip
    top.grid(False)
    top.set_title("Claims under every evaluation-time reading (R0: the registered one)")
    bottom.set_xlim(0, n_readings)
    bottom.set_ylim(len(axes_rows), 0)
    bottom.set_yticks(np.arange(len(axes_rows)) + 0.5, [label for label, _ in axes_rows],
                      fontsize=6.5)  # fmt: skip
    for row, (_, values) in enumerate(axes_rows):
        for col, value in enumerate(values):
            bottom.text(col + 0.5, row + 0.5, value, ha="center", va="center", fontsize=5.5)
    bottom.set_xticks(np.arange(n_readings + 1), [""] * (n_readings + 1))
    bottom.tick_params(axis="x", length=0)
    bottom.grid(True, axis="x", alpha=0.5)
    handles = [Patch(facecolor=c, label=label) for c, label in zip(COLOURS, LABELS, strict=True)]
    handles.append(Patch(facecolor="white", edgecolor="#4a235a", hatch="xxx",
                         label="unreachable under the reading (audit bound)"))  # fmt: skip
    figure.legend(handles=handles, loc="outside lower center", ncols=2, frameon=False)
    return figure


def judged(data: MetricsDir) -> ReadingsReport | str:
    """The readings report of this run, or the sentence that says why there is none."""
    readings = (data.aggregate or {}).get("readings") or {}
    if data.aggregate is None:
        return ("aggregate.json was not found, so no reading is judged; run `artifact aggregate` "
                "and rebuild the report.")  # fmt: skip
    if not readings:
        return ("This run has no readings: its metrics hold the registered reading only "
                "(`metrics.readings` was empty, or the evaluation predates readings).")  # fmt: skip
    try:
        return verify_readings(data.aggregate)
    except ArtifactError as error:  # the registry or the aggregate refused: say so, draw nothing
        return f"The readings could not be judged: {error}"


def readings_section(data: MetricsDir, figures_dir: Path) -> str:
    """The section's Markdown; writes (or, with no readings, removes) figures/readings.png."""
    report = judged(data)
    path = figures_dir / READINGS_PNG
    if isinstance(report, str):
        path.unlink(missing_ok=True)  # a previous build's
        return report + "\n"
    rows = differing(report)
    same = Counter(str(next(iter(c.outcomes.values()))) for c in report.claims if c not in rows)
    same_text = ", ".join(f"{n} {OUTCOME_WORDS[o]}" for o, n in sorted(same.items()))
    intro = (
        f"{len(report.claims)} claims read metrics the {len(report.readings)} evaluation-time "
        "readings of aggregate.json change; each is judged on this run's numbers under each "
        "reading (the numeric outcome, as `artifact verify-claims --readings` prints it; a "
        "reduced run's verdicts stay `not comparable`). "
        + (f"{len(report.claims) - len(rows)} read the same under every reading ({same_text}). "
           if same else "")
    )  # fmt: skip
    if rows:
        with fixed_style():
            save_png(readings_figure(report), path)
        intro += f"The figure shows the {len(rows)} whose outcome depends on the reading.\n"
        figure = [f"![Claims under every reading](figures/{READINGS_PNG})\n"]
    else:
        path.unlink(missing_ok=True)
        intro += "No claim's outcome depends on the reading, so no figure is drawn.\n"
        figure = []
    lines = [
        intro,
        *figure,
        *(f"- {line}" for line in table_sentences(report)),
        "",
        "Readings:\n",
        *(
            f"- R{i} = `{name}`" + (" (registered)" if name == report.registered else "")
            for i, name in enumerate(report.readings)
        ),
    ]
    return "\n".join(lines) + "\n"
