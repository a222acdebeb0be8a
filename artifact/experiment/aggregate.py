"""Reduce run metrics to mean and std over seeds: the only file claims read (aggregate.json)."""

from __future__ import annotations

import statistics
from pathlib import Path

from artifact.config import RunConfig
from artifact.errors import InputError
from artifact.experiment.layout import aggregate_path, phase_paths, runs_dir, summary_json_path
from artifact.metrics.keys import FINAL_NAMES, threshold_label
from artifact.storage.atomic import read_json, write_json
from artifact.train.run_key import RunKey

SCHEMA = "artifact.aggregate/1"


def _flatten(record: dict | None, prefix: str = "", suffix: str = "") -> dict[str, float]:
    """One evaluation record -> {metric name: value} in the vocabulary of metrics/keys.py."""
    if not record:
        return {}
    values = {
        f"{prefix}{name}{suffix}": record[name]
        for name in FINAL_NAMES
        if record.get(name) is not None
    }
    if not suffix:  # sweeps are kept for the end of stage 3 and of extended training
        for threshold, count in record.get("specialised_at", {}).items():
            values[f"{prefix}specialised_thr_{threshold}"] = count
        for threshold, pct in record.get("dead_pct_at", {}).items():
            values[f"{prefix}dead_pct_thr_{threshold}"] = pct
    return values


def run_values(joint: dict, extended: dict | None) -> dict[str, float]:
    """All aggregate metric names of one (dataset, method, seed) run."""
    values = _flatten(joint["final"]) | _flatten(joint.get("at_k_start"), suffix="_at_k_start")
    timing = joint.get("timing_s", {})
    for stage in ("stage1", "stage2", "stage3"):
        if stage in timing:
            values[f"{stage}_minutes"] = timing[stage] / 60
    if extended is not None:
        values |= _flatten(extended["final"], prefix="extended_")
        if "extended" in extended.get("timing_s", {}):
            values["extended_minutes"] = extended["timing_s"]["extended"] / 60
    return values


def mean_std(values: list[float]) -> dict:
    """{mean, std, n} over seeds; std is the sample standard deviation (ddof=1), 0 for one seed."""
    std = statistics.stdev(values) if len(values) > 1 else 0.0
    return {"mean": statistics.fmean(values), "std": std, "n": len(values)}


def _summary(values: list[float], seeds: list[int]) -> dict:
    return {
        **mean_std(values),
        "values": values,
        "seeds": seeds,
    }


def aggregate(out_dir: Path, cfg: RunConfig, provenance: dict | None = None) -> dict:
    """Read every run's metrics under out_dir/runs and write out_dir/aggregate.json."""
    out_dir = Path(out_dir)
    collected: dict[str, list[tuple[int, float]]] = {}
    sources, n_parameters = set(), None
    for dataset in cfg.data.datasets:
        for method in cfg.train.methods:
            for seed in cfg.train.seeds:
                key = RunKey(dataset, seed, method)
                joint_path = phase_paths(out_dir, key, "joint").metrics
                if not joint_path.is_file():
                    continue
                joint = read_json(joint_path, "run metrics")
                extended_path = phase_paths(out_dir, key, "extended").metrics
                extended = (
                    read_json(extended_path, "run metrics") if extended_path.is_file() else None
                )
                sources.add(joint["data_source"])
                n_parameters = joint.get("n_parameters", n_parameters)
                for name, value in run_values(joint, extended).items():
                    collected.setdefault(f"{dataset}.{method}.{name}", []).append((seed, value))
    if not collected:
        raise InputError(
            f"no run metrics under {runs_dir(out_dir)}; run `artifact reproduce` first."
        )
    metrics = {
        key: _summary([v for _, v in pairs], [s for s, _ in pairs])
        for key, pairs in sorted(collected.items())
    }
    if n_parameters is not None:
        metrics["model.n_parameters"] = _summary([float(n_parameters)], [])
    metrics["model.conv_sae_width"] = _summary([float(cfg.model.conv_sae_width)], [])
    payload = {
        "schema": SCHEMA,
        "profile": cfg.profile,
        "data_source": sources.pop() if len(sources) == 1 else "mixed",
        "config_digest": cfg.digest(),
        "config": cfg.model_dump(mode="json"),  # the resolved values that setup claims check
        "provenance": provenance or {},
        "thresholds": {
            "specialisation": [threshold_label(t) for t in cfg.metrics.specialisation_sweep],
            "dead": [threshold_label(t) for t in cfg.metrics.dead_sweep],
        },
        "metrics": metrics,
    }
    write_json(aggregate_path(out_dir), payload)
    # What `dvc metrics show` lists: the mean and std of each metric, nothing else.
    summary = {key: {"mean": entry["mean"], "std": entry["std"]} for key, entry in metrics.items()}
    write_json(summary_json_path(out_dir), summary)
    return payload
