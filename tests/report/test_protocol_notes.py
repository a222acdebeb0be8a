"""The report says that the latent SAE is dense at the paper's k and which epoch "at k = 500"
is (issue 15, items 9 and 11), from the runs it reads."""

from __future__ import annotations

from artifact.report.inputs import load_metrics_dir
from artifact.report.sections import protocol_notes
from tests.fixtures.report_synthetic import write_metrics_dir


def test_the_report_says_the_latent_sae_is_dense_and_names_the_k_start_epoch(tmp_path):
    data = load_metrics_dir(write_metrics_dir(tmp_path / "metrics", profile="paper"))
    topk = next(run for run in data.runs if run.method == "topk")
    stage3 = [r for r in topk.records if r["stage"] == "stage3"]
    k_start = max(r["k"] for r in stage3)
    epoch = [r["epoch"] for r in stage3 if r["k"] == k_start][-1]
    text = protocol_notes(data)
    assert "latent SAE (20 neurons)" in text and "dense, never sparse" in text
    assert f"At k = {k_start}" in text and f"stage-3 epoch {epoch} of this run" in text
