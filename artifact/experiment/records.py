"""The runs' own records: what every step after training (aggregate, claims, report,
verify-claims) takes the profile, data source, config and provenance from.

params.yaml says what a run *should* be; only the metrics files a run wrote say what it *was*.
Each file is checked (schema, run key, finite numbers, the config matching its digest), and
the runs of one directory must agree on profile, data source and config, or nothing is read.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from artifact.errors import InputError
from artifact.experiment.layout import joint_metrics_paths, phase_metrics_in, runs_dir
from artifact.storage.atomic import read_json

RUN_SCHEMA = "artifact.run_metrics/1"  # train/phase_runner.METRICS_SCHEMA (kept torch-free here)
DATA_SOURCES = ("official", "procedural")
LABELS = ("profile", "data_source", "config_digest")  # what every run of a directory shares


def non_finite_key(node: object, prefix: str = "") -> str | None:
    """The dotted key of the first NaN or infinite number in a JSON tree (None: all finite)."""
    if not prefix:  # the whole tree: a finite one passes at C speed, and only a bad one is walked
        try:
            json.dumps(node, allow_nan=False)
            return None
        except (ValueError, TypeError):  # a NaN or infinity somewhere, or not plain JSON types
            pass
    if isinstance(node, float) and not math.isfinite(node):
        return prefix or "(top level)"
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, child in items:
        found = non_finite_key(child, f"{prefix}.{key}" if prefix else str(key))
        if found is not None:
            return found
    return None


def config_digest_of(config: object, path: Path | str) -> str:
    """The digest of a recorded config, recomputed; refuses a config that is not a RunConfig."""
    from artifact.config import RunConfig  # pydantic models: only when a step reads runs

    try:
        return RunConfig.model_validate(config).digest()
    except ValidationError as exc:
        key = ".".join(str(p) for p in exc.errors()[0]["loc"])
        raise InputError(
            f"{path} key 'config.{key}' is not a valid run config; rerun the phase that wrote it."
        ) from None


def _check_run_file(payload: object, path: Path, phase: str) -> dict:
    """One run metrics file, refused in one sentence naming the file and the bad key."""

    def refuse(key: str, what: str) -> InputError:
        return InputError(f"{path} key '{key}' {what}; rerun the training phase that wrote it.")

    if not isinstance(payload, dict) or payload.get("schema") != RUN_SCHEMA:
        raise refuse("schema", f"is not {RUN_SCHEMA}")
    bad = non_finite_key(payload)
    if bad is not None:
        raise refuse(bad, "is NaN or infinite")
    run = payload.get("run")
    if not isinstance(run, dict) or run.get("phase") != phase:
        raise refuse("run.phase", f"is not '{phase}'")
    if not isinstance(run.get("seed"), int) or isinstance(run.get("seed"), bool):
        raise refuse("run.seed", "is not an integer")
    for key in ("dataset", "method", "profile", "data_source", "config_digest"):
        holder = run if key in ("dataset", "method") else payload
        if not isinstance(holder.get(key), str):
            raise refuse(f"run.{key}" if holder is run else key, "is missing or not a string")
    if payload["data_source"] not in DATA_SOURCES:
        raise refuse("data_source", f"is {payload['data_source']!r}, not one of {DATA_SOURCES}")
    if not isinstance(payload.get("final"), dict):
        raise refuse("final", "is missing (the phase never evaluated)")
    n_parameters = payload.get("n_parameters")
    if n_parameters is not None and (not isinstance(n_parameters, int) or n_parameters <= 0):
        raise refuse("n_parameters", "is not a positive integer")
    config = payload.get("config")
    if not isinstance(config, dict) or config.get("profile") != payload["profile"]:
        raise refuse("config.profile", f"does not say the file's profile {payload['profile']!r}")
    if config_digest_of(config, path) != payload["config_digest"]:
        raise refuse("config_digest", "does not match the recorded config (the file was edited)")
    return payload


@dataclass(frozen=True)
class RunRecord:
    """One (dataset, method, seed) run: its stage-3 metrics and, when run, extended training's."""

    name: str
    path: Path
    joint: dict
    extended: dict | None

    @property
    def dataset(self) -> str:
        return self.joint["run"]["dataset"]

    @property
    def method(self) -> str:
        return self.joint["run"]["method"]

    @property
    def seed(self) -> int:
        return self.joint["run"]["seed"]

    def summary(self) -> dict:
        """What aggregate.json records of this run (verify-claims checks it against the disk)."""
        return {"name": self.name, "dataset": self.dataset, "method": self.method,
                "seed": self.seed, "phases": ["joint"] + (["extended"] if self.extended else []),
                **{label: self.joint[label] for label in LABELS}}  # fmt: skip


@dataclass(frozen=True)
class RunSet:
    """Every run of one output directory, all of one profile, data source and config."""

    directory: Path
    runs: tuple[RunRecord, ...]

    def _first(self, key: str):
        return self.runs[0].joint[key]

    @property
    def profile(self) -> str:
        return self._first("profile")

    @property
    def data_source(self) -> str:
        return self._first("data_source")

    @property
    def config(self) -> dict:
        return self._first("config")

    @property
    def config_digest(self) -> str:
        return self._first("config_digest")

    @property
    def provenance(self) -> dict:
        provenance = self._first("provenance")
        return provenance if isinstance(provenance, dict) else {}


def _load_run(directory: Path) -> RunRecord:
    joint_path = phase_metrics_in(directory, "joint")
    joint = _check_run_file(read_json(joint_path, "run metrics"), joint_path, "joint")
    run = joint["run"]
    expected = f"{run['dataset']}-{run['method']}-{run['seed']}"
    if directory.name != expected:
        raise InputError(f"{joint_path} key 'run' names run {expected}, not its directory "
                         f"{directory.name}; move it back or rerun that run.")  # fmt: skip
    extended_path, extended = phase_metrics_in(directory, "extended"), None
    if extended_path.is_file():
        extended = _check_run_file(read_json(extended_path, "run metrics"), extended_path, "extended")
        for label in LABELS:
            if extended[label] != joint[label]:
                raise InputError(f"{extended_path} key '{label}' differs from {joint_path}'s; "
                                 "rerun the extended phase of that run.")  # fmt: skip
    return RunRecord(directory.name, joint_path, joint, extended)


def load_runs(out_dir: Path) -> RunSet:
    """Every run under out_dir/runs, checked; refuses a directory of mixed runs or no runs."""
    out_dir = Path(out_dir)
    paths = joint_metrics_paths(out_dir)
    if not paths:
        raise InputError(f"no run metrics under {runs_dir(out_dir)}; run `artifact reproduce` first.")
    runs = tuple(_load_run(path.parent) for path in paths)
    first = runs[0]
    for other in runs[1:]:
        for label in LABELS:
            if other.joint[label] != first.joint[label]:
                raise InputError(
                    f"runs under {runs_dir(out_dir)} mix {label.replace('_', ' ')}s: {first.name} "
                    f"has {first.joint[label]!r} and {other.name} has {other.joint[label]!r}; "
                    "keep each configuration in its own output directory."
                )
    config = first.joint["config"]
    planned = (config["data"]["datasets"], config["train"]["methods"], config["train"]["seeds"])
    for run in runs:
        if not (run.dataset in planned[0] and run.method in planned[1] and run.seed in planned[2]):
            raise InputError(f"{run.path} key 'run' names a run its own config does not plan "
                             "(dataset, method or seed); remove that run directory.")  # fmt: skip
    return RunSet(out_dir, runs)


def planned_runs(config: dict) -> list[tuple[str, str, int, bool]]:
    """(dataset, method, seed, has extended training) of every run a config plans."""
    train = config["train"]
    extended = train["extended"]["methods"] if train["extended"]["n_epochs"] > 0 else []
    return [(d, m, s, m in extended) for d in config["data"]["datasets"]
            for m in train["methods"] for s in train["seeds"]]  # fmt: skip
