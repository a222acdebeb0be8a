"""Reduce run metrics to mean and std over seeds: the only file claims read (aggregate.json)."""

from __future__ import annotations

import statistics
from pathlib import Path

from artifact.experiment.layout import aggregate_path, summary_json_path
from artifact.experiment.records import RunSet, load_runs
from artifact.metrics.keys import FINAL_NAMES, threshold_label
from artifact.metrics.readings import parse_name
from artifact.storage.atomic import write_json

SCHEMA = "artifact.aggregate/2"  # /2: the runs' own labels and the list of runs it reduced
# Aggregate entries that are config values, not measurements: a claim on one is a setup check.
CONFIG_METRICS = {"model.conv_sae_width": "model.conv_sae_width"}


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


def reading_values(joint: dict, extended: dict | None) -> dict[str, dict[str, float]]:
    """{reading name: run_values of that reading}, from the records' `readings` entries."""

    def view(record: dict | None, name: str) -> dict | None:
        return (record or {}).get("readings", {}).get(name)

    final = joint.get("final") or {}
    out = {}
    for name in final.get("readings", {}):
        joint_view = {"final": view(final, name), "at_k_start": view(joint.get("at_k_start"), name)}
        extended_view = {"final": view(extended["final"], name)} if extended else None
        out[name] = run_values(joint_view, extended_view)
    return out


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


def aggregate(out_dir: Path) -> dict:
    """Read every run under out_dir/runs and write out_dir/aggregate.json (and summary.json).

    The profile, data source, config and provenance are the runs' own (experiment/records.py),
    never params.yaml's: a smoke run aggregated beside a paper params file stays a smoke run.
    """
    out_dir = Path(out_dir)
    payload = aggregate_payload(load_runs(out_dir))
    write_json(aggregate_path(out_dir), payload)
    # What `dvc metrics show` lists: the mean and std of each metric, nothing else.
    summary = {key: {"mean": e["mean"], "std": e["std"]} for key, e in payload["metrics"].items()}
    write_json(summary_json_path(out_dir), summary)
    return payload


def aggregate_payload(runs: RunSet) -> dict:
    """aggregate.json's content for a checked set of runs (verify-claims recomputes it)."""
    collected: dict[str, list[tuple[int, float]]] = {}
    by_reading: dict[str, dict[str, list[tuple[int, float]]]] = {}
    n_parameters = None
    for run in sorted(runs.runs, key=lambda r: (r.dataset, r.method, r.seed)):
        n_parameters = run.joint.get("n_parameters", n_parameters)
        for name, value in run_values(run.joint, run.extended).items():
            collected.setdefault(f"{run.dataset}.{run.method}.{name}", []).append((run.seed, value))
        for reading, values in reading_values(run.joint, run.extended).items():
            for name, value in values.items():
                key = f"{run.dataset}.{run.method}.{name}"
                by_reading.setdefault(reading, {}).setdefault(key, []).append((run.seed, value))
    metrics = {
        key: _summary([v for _, v in pairs], [s for s, _ in pairs])
        for key, pairs in sorted(collected.items())
    }
    readings = {  # every evaluation-time reading's keys (metrics/readings.py), same vocabulary
        reading: {"axes": parse_name(reading).axes(), "metrics": {
            key: _summary([v for _, v in pairs], [s for s, _ in pairs])
            for key, pairs in sorted(keyed.items())}}
        for reading, keyed in by_reading.items()
    }  # fmt: skip
    config = runs.config
    if n_parameters is not None:
        metrics["model.n_parameters"] = _summary([float(n_parameters)], [])
    for name, path in CONFIG_METRICS.items():
        metrics[name] = _summary([float(config_value(config, path))], [])
    return {
        "schema": SCHEMA,
        "profile": runs.profile,
        "data_source": runs.data_source,
        "config_digest": runs.config_digest,
        "config": config,  # the resolved values that setup claims check
        "provenance": runs.provenance,
        "runs": [run.summary() for run in runs.runs],
        "thresholds": {
            "specialisation": [
                threshold_label(t) for t in config["metrics"]["specialisation_sweep"]
            ],
            "dead": [threshold_label(t) for t in config["metrics"]["dead_sweep"]],
        },
        "metrics": metrics,
        "readings": readings,
    }


def config_value(config: dict, path: str) -> object:
    node: object = config
    for part in path.split("."):
        node = node[part]  # type: ignore[index]
    return node
