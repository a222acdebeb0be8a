"""Training-time readings: the questions a checkpoint cannot answer, one DVC experiment each.

The k schedule's shape, whether SAE gradients reach the encoder, tied SAE weights, free bits
per dimension or in total, the decoder bias, the VAE layout and the revival's inactivity rule
change what is trained. `plan` turns each value other than params.yaml's into one queued
`dvc exp run --queue -S ...` at a chosen profile; `table` judges each experiment's
aggregate.json and lays the numeric outcomes out as claims x readings.

The values of each axis are read from the config model's types (one source of truth): a
Literal's members, or both values of a bool.
"""

from __future__ import annotations

import shlex
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path

from artifact.config import ModelConfig, Params, Stage1Config, Stage3Config
from artifact.config.params import RevivalConfig

# axis (a params.yaml path) -> (config model, field)
TRAINING_AXES: Mapping[str, tuple[type, str]] = {
    "train.stage3.k_shape": (Stage3Config, "k_shape"),
    "train.stage3.sae_grad_to_encoder": (Stage3Config, "sae_grad_to_encoder"),
    "model.sae_tied": (ModelConfig, "sae_tied"),
    "train.stage1.free_bits_mode": (Stage1Config, "free_bits_mode"),
    "model.sae_decoder_bias": (ModelConfig, "sae_decoder_bias"),
    "model.vae_layout": (ModelConfig, "vae_layout"),
    "train.revival.inactive_rule": (RevivalConfig, "inactive_rule"),
}
# A value that needs a companion setting to validate (ModelConfig's own rule).
COMPANIONS: Mapping[tuple[str, str], dict[str, str]] = {
    ("model.vae_layout", "conv8x8_fc"): {"model.fc_hidden": "256"},
}


def axis_values(model: type, field: str) -> tuple:
    annotation = model.model_fields[field].annotation
    if annotation is bool:
        return (False, True)
    args = typing.get_args(annotation)
    if not args:
        raise TypeError(f"{model.__name__}.{field} is neither a Literal nor a bool")
    return args


def _current(params: Params, path: str) -> object:
    node: object = params
    for part in path.split("."):
        node = getattr(node, part)
    return node


def _yaml(value: object) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def planned(params: Params) -> list[tuple[str, dict[str, str]]]:
    """[(experiment name, {param path: value})], one per training-time value not in params."""
    out = []
    for path, (model, field) in TRAINING_AXES.items():
        if field not in model.model_fields:  # a knob another change removed: nothing to plan
            continue
        for value in axis_values(model, field):
            if value == _current(params, path):
                continue
            sets = {path: _yaml(value)} | COMPANIONS.get((path, _yaml(value)), {})
            name = f"reading-{path.rsplit('.', 1)[-1]}-{_yaml(value)}".replace("_", "-")
            out.append((name, sets))
    return out


def exp_commands(params: Params, profile: str) -> list[list[str]]:
    """The `dvc exp run --queue` argv of every planned training-time reading."""
    commands = []
    for name, sets in planned(params):
        argv = ["dvc", "exp", "run", "--queue", "--name", name, "-S", f"profile={profile}"]
        for path, value in sets.items():
            argv += ["-S", f"{path}={value}"]
        commands.append(argv)
    return commands


def shell_line(argv: Sequence[str]) -> str:
    return shlex.join(argv)


def readings_table(aggregates: Mapping[str, dict]) -> dict:
    """{"readings": [...], "claims": {claim id: {reading: pass | fail | None}}} over the
    experiments' aggregates, claims whose outcome differs between readings first."""
    from artifact.claims import audit_registry, load_registry, verify_claims

    registry = load_registry()
    audit = audit_registry(registry)
    reports = {name: verify_claims(agg, registry, audit) for name, agg in aggregates.items()}
    claims: dict[str, dict[str, str | None]] = {}
    for name, report in reports.items():
        for result in report.claims:
            if result.numeric_outcome is not None or result.verdict != "informational":
                claims.setdefault(result.id, {})[name] = result.numeric_outcome
    ordered = sorted(claims.items(), key=lambda kv: len(set(kv[1].values())) == 1)
    return {"readings": list(aggregates), "claims": dict(ordered)}


def load_experiments(directories: Sequence[Path]) -> dict[str, dict]:
    """{experiment label: aggregate.json} of each directory (an experiment's --out)."""
    from artifact.claims.verify.verdicts import load_aggregate

    return {Path(d).name: load_aggregate(Path(d)) for d in directories}
