"""A reduced run's report opens with what it can and cannot tell: its learning curves (MSE and
MIG per epoch), the MSE and MIG at the end of stages 1 and 3, and the qualitative findings it
supports or contradicts; the paper profile's report has no such opening."""

from __future__ import annotations

import json
from pathlib import Path

from artifact.report import build_report
from artifact.report.build import LEARNING_PNG
from tests.fixtures.report_synthetic import write_metrics_dir

HEADING = "## What this reduced run can and cannot tell"


def _with_qualitative_verdicts(metrics_dir: Path) -> None:
    path = metrics_dir / "claims.json"
    payload = json.loads(path.read_text())
    base = {"kind": "ordering", "expected": {"text": ">="}, "metric": None, "metrics": [],
            "tolerance": "sign", "note": "judged qualitatively on the reduced profile 'laptop'"}  # fmt: skip
    payload["claims"] += [
        {**base, "id": "abs.l1_equal_or_worse", "location": "Abstract", "text": "L1 equal or worse",
         "observed": {"text": "71 vs 34"}, "verdict": "holds_at_reduced_scale"},
        {**base, "id": "fig5.shapes3d_worse", "location": "Figure 5", "text": "Shapes3D worse",
         "observed": {"text": "20 vs 30"}, "verdict": "fails_at_reduced_scale"},
    ]  # fmt: skip
    path.write_text(json.dumps(payload))


def test_a_reduced_report_opens_with_curves_end_points_and_qualitative_findings(tmp_path):
    metrics_dir = write_metrics_dir(tmp_path / "metrics", profile="laptop")
    _with_qualitative_verdicts(metrics_dir)
    text = build_report(metrics_dir, tmp_path / "report").read_text()
    opening = text[text.index(HEADING): text.index("## Claims")]
    assert text.index(HEADING) < text.index("## Tables")
    assert f"(figures/{LEARNING_PNG})" in opening
    assert (tmp_path / "report" / "figures" / LEARNING_PNG).read_bytes()[:4] == b"\x89PNG"
    supports = opening[opening.index("this run supports"): opening.index("this run contradicts")]
    contradicts = opening[opening.index("this run contradicts"):]
    assert "`abs.l1_equal_or_worse`" in supports and "`fig5.shapes3d_worse`" in contradicts
    assert "71 vs 34" in supports and "20 vs 30" in contradicts
    for dataset in ("dsprites", "shapes3d"):  # a row of end-of-stage MSE and MIG, all numbers
        row = next(line for line in opening.splitlines() if line.startswith(f"| {dataset} |"))
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        assert len(cells) == 5 and all(cell != "-" for cell in cells[1:])
    assert "holds at reduced scale" in text and "fails at reduced scale" in text  # the summary


def test_the_paper_report_has_no_reduced_opening_and_drops_a_stale_curve(tmp_path):
    metrics_dir = write_metrics_dir(tmp_path / "metrics", profile="paper")
    stale = tmp_path / "report" / "figures" / LEARNING_PNG
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"old")
    text = build_report(metrics_dir, tmp_path / "report").read_text()
    assert HEADING not in text and not stale.exists()
