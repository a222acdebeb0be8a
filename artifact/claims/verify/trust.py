"""Whether an aggregate.json may be judged at all, and whether it may ever say `reproduced`.

An aggregate is refused (one sentence naming the file and the key) when it is malformed (an
unknown schema, NaN or infinite numbers, an n that is not a positive count, seeds that do not
match the values), when its labels disagree with its own config and run list, or, read from a
directory, when it no longer matches the runs on disk (rerun `artifact aggregate`).

A well-formed aggregate is comparable with the paper only when the runs were made at the
`paper` profile, on official data, with the paper's value in every setting a setup claim of
claims/ checks (the registry is the one source of the paper's config) and every planned run
present; otherwise every claim is `not_comparable` and says why.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from artifact.claims.registry.loader import Registry
from artifact.claims.verify.checks import MissingMetrics, check_setup
from artifact.errors import InputError
from artifact.experiment.aggregate import CONFIG_METRICS, SCHEMA, aggregate_payload
from artifact.experiment.layout import aggregate_path, joint_metrics_paths, runs_dir
from artifact.experiment.records import config_digest_of, load_runs, non_finite_key, planned_runs
from artifact.storage.atomic import read_json
from artifact.storage.paths import path_problem

RUN_FIELDS = ("name", "dataset", "method", "seed", "phases", "profile", "data_source", "config_digest")


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _entry_problem(entry: object) -> tuple[str, str] | None:
    """(sub-key, what is wrong) of one metric entry {mean, std, n, values, seeds}, or None."""
    if not isinstance(entry, Mapping) or not _number(entry.get("mean")):
        return "mean", "has no numeric mean"
    if not _number(entry.get("std")) or entry["std"] < 0:
        return "std", "is not a non-negative number"
    n = entry.get("n")
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        return "n", f"is {n!r}, not a positive count"
    values, seeds = entry.get("values", [entry["mean"]]), entry.get("seeds", [])
    if not isinstance(values, list) or len(values) != n or not all(map(_number, values)):
        return "values", f"does not hold n = {n} numbers"
    if not isinstance(seeds, list) or not all(isinstance(s, int) for s in seeds):
        return "seeds", "is not a list of integers"
    if seeds and (len(seeds) != len(values) or len(set(seeds)) != len(seeds)):
        return "seeds", f"lists {len(seeds)} seeds for {len(values)} values"
    return None


def validate_aggregate(aggregate: object, source: str = "aggregate") -> Mapping:
    """Refuse a malformed aggregate in one sentence naming `source` and the key."""

    def refuse(key: str, what: str) -> InputError:
        return InputError(f"{source} key '{key}' {what}; rerun `artifact aggregate`.")

    if not isinstance(aggregate, Mapping):
        raise InputError(f"{source} is not a JSON object; rerun `artifact aggregate`.")
    if aggregate.get("schema") != SCHEMA:
        raise refuse("schema", f"is {aggregate.get('schema')!r}, not {SCHEMA!r}")
    bad = non_finite_key(dict(aggregate))
    if bad is not None:
        raise refuse(bad, "is NaN or infinite")
    metrics = aggregate.get("metrics")
    if not isinstance(metrics, Mapping):
        raise refuse("metrics", "is not a mapping")
    for key, entry in metrics.items():
        problem = _entry_problem(entry)
        if problem is not None:
            raise refuse(f"metrics.{key}.{problem[0]}", problem[1])
    for key in ("profile", "data_source", "config_digest"):
        if not isinstance(aggregate.get(key), str):
            raise refuse(key, "is missing or not a string")
    if not isinstance(aggregate.get("config"), Mapping):
        raise refuse("config", "is missing (the runs' resolved config)")
    runs = aggregate.get("runs")
    if not isinstance(runs, list) or not runs:
        raise refuse("runs", "lists no runs")
    for number, run in enumerate(runs):
        if not isinstance(run, Mapping) or not set(RUN_FIELDS) <= set(run):
            raise refuse(f"runs.{number}", f"lacks one of {', '.join(RUN_FIELDS)}")
    check_labels(aggregate, source)
    return aggregate


def check_labels(aggregate: Mapping, source: str) -> None:
    """The top-level profile and data source must be what the config and the runs say."""
    config = dict(aggregate["config"])
    if config_digest_of(config, source) != aggregate["config_digest"]:
        raise InputError(f"{source} key 'config_digest' does not match its config (the file was "
                         "edited); rerun `artifact aggregate`.")  # fmt: skip
    derived = {"profile": {config.get("profile")}}
    derived["data_source"] = {run["data_source"] for run in aggregate["runs"]}
    derived["config_digest"] = {run["config_digest"] for run in aggregate["runs"]}
    derived["profile"] |= {run["profile"] for run in aggregate["runs"]}
    for key, found in derived.items():
        if found != {aggregate[key]}:
            shown = ", ".join(sorted(map(repr, found)))
            raise InputError(f"{source} key '{key}' says {aggregate[key]!r} but its config and "
                             f"runs say {shown}; rerun `artifact aggregate`.")  # fmt: skip


def _first_difference(stored: object, fresh: object, prefix: str = "") -> str | None:
    if isinstance(stored, Mapping) and isinstance(fresh, Mapping):
        for key in sorted(set(stored) | set(fresh)):
            found = _first_difference(stored.get(key), fresh.get(key), f"{prefix}.{key}" if prefix else key)
            if found is not None:
                return found
        return None
    return None if stored == fresh else (prefix or "(top level)")


def load_aggregate(metrics_dir: Path) -> dict:
    """{metrics_dir}/aggregate.json, checked, and checked against the runs beside it.

    An aggregate.json copied without its runs/ is judged on the run records it embeds."""
    metrics_dir = Path(metrics_dir)
    problem = path_problem(metrics_dir, "directory")  # a file is never said to be missing
    if problem is not None:
        raise InputError(f"metrics directory {metrics_dir} {problem}; pass the --out DIR of "
                         "`artifact reproduce`.")  # fmt: skip
    path = aggregate_path(metrics_dir)
    if not path.is_file():
        raise InputError(f"{metrics_dir} has no aggregate.json; run `artifact reproduce --out {metrics_dir}` "
                         f"(or `artifact aggregate`) first.")  # fmt: skip
    aggregate = dict(validate_aggregate(read_json(path, "aggregate"), str(path)))
    if runs_dir(metrics_dir).is_dir():
        fresh = aggregate_payload(load_runs(metrics_dir)) if joint_metrics_paths(metrics_dir) else {}
        differs = _first_difference({k: aggregate.get(k) for k in fresh or aggregate}, fresh)
        if differs is not None:
            raise InputError(f"{path} key '{differs}' does not match the runs under "
                             f"{runs_dir(metrics_dir)}; rerun `artifact aggregate --out {metrics_dir}`.")  # fmt: skip
    return aggregate


def _departures(registry: Registry, aggregate: Mapping, marks: Mapping) -> list[str]:
    """The config settings (claims/ setup claims) in which the runs differ from the paper."""
    config, metrics, found = aggregate["config"], aggregate["metrics"], []
    for claim in registry.claims:
        rule = registry.rules[claim.tolerance]
        on_config = claim.kind == "setup" and claim.config is not None
        on_config |= claim.kind == "point" and set(claim.run_leaves()) <= set(CONFIG_METRICS)
        if not on_config or rule.type == "informational" or claim.id in marks:
            continue
        try:
            passed = check_setup(claim, rule, metrics, config).passed
        except MissingMetrics:
            passed = False
        if not passed:
            found.append(claim.config or CONFIG_METRICS[claim.run_leaves()[0]])
    return list(dict.fromkeys(found))


def _missing_runs(aggregate: Mapping) -> list[str]:
    present = {(r["dataset"], r["method"], r["seed"]): r["phases"] for r in aggregate["runs"]}
    missing = []
    for dataset, method, seed, extended in planned_runs(dict(aggregate["config"])):
        phases = present.get((dataset, method, seed), [])
        if "joint" not in phases or (extended and "extended" not in phases):
            missing.append(f"{dataset}-{method}-{seed}")
    return missing


def _listed(names: list[str], most: int = 4) -> str:
    more = f" and {len(names) - most} more" if len(names) > most else ""
    return ", ".join(names[:most]) + more


def incomparability(aggregate: Mapping, registry: Registry, marks: Mapping) -> tuple[str | None, str | None]:
    """(why no claim is comparable, why no measured claim is): None where nothing stops it.

    The second reason (a setting departing from the paper's) leaves the setup claims judged,
    so the departing setting itself shows `not_reproduced`."""
    reasons = []
    if aggregate.get("profile") != "paper":
        reasons.append(f"profile {aggregate.get('profile')!r} is not 'paper'")
    if aggregate.get("data_source") != "official":
        reasons.append(f"data {aggregate.get('data_source')!r} is not 'official' (procedural data)")
    missing = _missing_runs(aggregate)
    if missing:
        reasons.append(f"runs {_listed(missing)} of the config are missing")
    departures = _departures(registry, aggregate, marks)
    setting = (f"the runs' config departs from the paper's in {_listed(departures)}"
               if departures else None)  # fmt: skip
    return "; ".join(reasons) or None, setting
