"""Aggregation of run metrics over seeds into aggregate.json (what claims read)."""

from __future__ import annotations

import statistics

import pytest

from artifact.config import load_params, resolve
from artifact.errors import InputError
from artifact.experiment.aggregate import aggregate
from artifact.metrics.keys import all_metric_keys
from artifact.storage.atomic import write_json
from tests.helpers import write_params


def record(dead: float, stage: str = "stage3", k: int | None = 1) -> dict:
    return {"stage": stage, "epoch": 0, "index": 0, "k": k, "mig": 0.1, "mse": 0.02, "dead_pct": dead,
            "specialised": 10, "effective_sparsity_pct": 99.0, "dead_pct_at": {"0.001": dead},
            "specialised_at": {"0.5": 10}}  # fmt: skip


def write_run(cfg, dataset, method, seed, dead):
    """A run's metrics.json (and Top-k's extended.json) as phase_runner writes them."""
    out = cfg.paths.out
    run_dir = out / "runs" / f"{dataset}-{method}-{seed}"
    labels = {"schema": "artifact.run_metrics/1", "profile": cfg.profile, "data_source": "procedural",
              "config": cfg.model_dump(mode="json"), "config_digest": cfg.digest(), "provenance": {}}  # fmt: skip
    run = {"dataset": dataset, "method": method, "seed": seed}
    write_json(run_dir / "metrics.json", labels | {
        "run": run | {"phase": "joint"}, "n_parameters": 1234, "epochs": [record(dead)],
        "final": record(dead), "at_k_start": record(1.0), "timing_s": {"stage3": 120.0},
    })  # fmt: skip
    if method == "topk":
        write_json(run_dir / "extended.json", labels | {
            "run": run | {"phase": "extended"}, "epochs": [], "final": record(dead + 1),
            "timing_s": {"extended": 60.0}})  # fmt: skip


def test_aggregate_is_mean_and_sample_std_over_seeds_with_known_keys(tmp_path):
    cfg = resolve(load_params(write_params(tmp_path, {"train": {"seeds": [42, 43, 44]}})))
    out = cfg.paths.out
    for seed, dead in zip((42, 43, 44), (30.0, 34.0, 38.0), strict=True):
        write_run(cfg, "dsprites", "topk", seed, dead)
        write_run(cfg, "dsprites", "l1", seed, dead * 2)
    payload = aggregate(out)
    dead = payload["metrics"]["dsprites.topk.dead_pct"]
    assert dead["mean"] == pytest.approx(34.0) and dead["std"] == pytest.approx(statistics.stdev([30, 34, 38]))
    assert dead["seeds"] == [42, 43, 44]
    assert payload["metrics"]["dsprites.topk.extended_dead_pct"]["mean"] == pytest.approx(35.0)
    assert payload["metrics"]["dsprites.topk.dead_pct_at_k_start"]["mean"] == 1.0
    assert payload["metrics"]["dsprites.topk.stage3_minutes"]["mean"] == 2.0
    assert "dsprites.l1.extended_dead_pct" not in payload["metrics"]
    assert set(payload["metrics"]) <= all_metric_keys()
    assert (out / "aggregate.json").is_file() and payload["data_source"] == "procedural"


def test_aggregate_without_runs_is_one_sentence(tmp_path):
    cfg = resolve(load_params(write_params(tmp_path)))
    with pytest.raises(InputError, match="no run metrics"):
        aggregate(cfg.paths.out)
