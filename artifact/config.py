"""Typed view of params.yaml: the only way code reads a knob.

`Params` mirrors the file (frozen, extra keys forbidden). `resolve(params)` applies the chosen
profile and returns a `RunConfig` whose values are the ones a run actually uses; every run
records it. A profile scales the paper's values, it never changes which code runs.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from artifact.errors import ConfigError

DatasetName = Literal["dsprites", "shapes3d"]
Method = Literal["topk", "l1"]
ProfileName = Literal["paper", "cpu", "smoke"]
PositiveInt = Annotated[int, Field(gt=0)]
PositiveFloat = Annotated[float, Field(gt=0)]
Fraction = Annotated[float, Field(gt=0, le=1)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PathsConfig(_Frozen):
    out: Path = Path("results")
    data_dir: Path = Path("data")


class DataConfig(_Frozen):
    source: Literal["official", "procedural"] = "procedural"
    datasets: tuple[DatasetName, ...] = ("dsprites", "shapes3d")
    split_seed: int = 0
    dsprites_train_fraction: Fraction = 0.8
    shapes3d_n_train: PositiveInt = 400_000
    n_eval_samples: PositiveInt = 10_000
    eval_seed: int = 0
    subset_seed: int = 0  # which grid images a capped profile (max_images) draws
    # Set by a profile (null = the whole grid); not a paper knob.
    max_images: PositiveInt | None = None


class ModelConfig(_Frozen):
    n_latents: PositiveInt = 10
    conv_channels: tuple[PositiveInt, PositiveInt, PositiveInt, PositiveInt] = (32, 32, 64, 64)
    fc_hidden: PositiveInt = 256
    conv_sae_width: PositiveInt = 8192
    latent_sae_width: PositiveInt = 20
    sae_tied: bool = False

    @property
    def conv_feature_dim(self) -> int:
        """Length of h_flat: the last conv layer's channels times its 8x8 map."""
        return self.conv_channels[-1] * 8 * 8


class Stage1Config(_Frozen):
    n_epochs: PositiveInt = 30
    beta_start: Annotated[float, Field(ge=0)] = 0.1
    beta_end: Annotated[float, Field(ge=0)] = 1.0
    free_bits_nats: Annotated[float, Field(ge=0)] = 5.0
    free_bits_mode: Literal["total", "per_dim"] = "total"


class Stage2Config(_Frozen):
    n_epochs: PositiveInt = 10
    k: PositiveInt = 500
    l1_lambda: Annotated[float, Field(ge=0)] = 0.01


class Stage3Config(_Frozen):
    n_epochs: PositiveInt = 50
    k_start: PositiveInt = 500
    k_end: PositiveInt = 50
    k_warmup_epochs: Annotated[int, Field(ge=0)] = 5
    k_anneal_end_epoch: PositiveInt = 45
    k_shape: Literal["quarter_cosine", "half_cosine"] = "quarter_cosine"
    topk_l1_lambda: Annotated[float, Field(ge=0)] = 0.01
    l1_lambda_start: Annotated[float, Field(ge=0)] = 0.001
    l1_lambda_end: Annotated[float, Field(ge=0)] = 0.1
    sae_grad_to_encoder: bool = True

    @model_validator(mode="after")
    def _schedule_is_ordered(self) -> Stage3Config:
        if self.k_end > self.k_start:
            raise ValueError("k_end must not exceed k_start")
        if not self.k_warmup_epochs <= self.k_anneal_end_epoch <= self.n_epochs:
            raise ValueError("need k_warmup_epochs <= k_anneal_end_epoch <= n_epochs")
        return self


class ExtendedConfig(_Frozen):
    n_epochs: Annotated[int, Field(ge=0)] = 100
    methods: tuple[Method, ...] = ("topk",)


class RevivalConfig(_Frozen):
    enabled: bool = True
    bias_base: Annotated[float, Field(ge=0)] = 0.1
    bias_rate: Annotated[float, Field(ge=0)] = 0.01
    inactive_epochs: Annotated[int, Field(ge=0)] = 5
    dead_rate_trigger: Fraction = 0.5


class TrainConfig(_Frozen):
    seeds: tuple[int, ...] = (42, 43, 44)
    methods: tuple[Method, ...] = ("topk", "l1")
    batch_size: PositiveInt = 512
    lr: PositiveFloat = 1e-5
    adam_betas: tuple[Annotated[float, Field(ge=0, lt=1)], Annotated[float, Field(ge=0, lt=1)]] = (
        0.9,
        0.999,
    )
    weight_decay: Annotated[float, Field(ge=0)] = 1e-5
    grad_clip_norm: PositiveFloat = 1.0
    precision: Literal["tf32", "bf16", "fp32"] = "tf32"
    fast_topk: Literal["auto", "sparse", "dense"] = "auto"
    stage1: Stage1Config = Stage1Config()
    stage2: Stage2Config = Stage2Config()
    stage3: Stage3Config = Stage3Config()
    extended: ExtendedConfig = ExtendedConfig()
    revival: RevivalConfig = RevivalConfig()


class MetricsConfig(_Frozen):
    dead_threshold: PositiveFloat = 0.001
    specialisation_threshold: PositiveFloat = 0.5
    n_bins: Annotated[int, Field(ge=2)] = 20
    mi_normalisation: Literal["none", "factor_entropy"] = "none"
    neuron_binning: Literal["equal_width", "zero_and_positive"] = "equal_width"
    specialisation_sweep: tuple[PositiveFloat, ...] = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)
    dead_sweep: tuple[PositiveFloat, ...] = (0.0005, 0.001, 0.002, 0.005, 0.01)


class ProfileConfig(_Frozen):
    epoch_scale: Annotated[float, Field(gt=0, le=1)] = 1.0
    sae_width_scale: Annotated[float, Field(gt=0, le=1)] = 1.0
    max_images: PositiveInt | None = None
    n_eval_samples: PositiveInt = 10_000


class Params(_Frozen):
    """The whole params.yaml."""

    profile: ProfileName = "paper"
    paths: PathsConfig = PathsConfig()
    data: DataConfig = DataConfig()
    model: ModelConfig = ModelConfig()
    train: TrainConfig = TrainConfig()
    metrics: MetricsConfig = MetricsConfig()
    profiles: dict[ProfileName, ProfileConfig] = Field(
        default_factory=lambda: {"paper": ProfileConfig()}
    )


class RunConfig(_Frozen):
    """What one run uses: params with the profile applied. Stored in checkpoints and metrics."""

    profile: ProfileName
    paths: PathsConfig
    data: DataConfig
    model: ModelConfig
    train: TrainConfig
    metrics: MetricsConfig

    def digest(self, exclude: dict | None = None) -> str:
        """sha256 of the resolved values, excluding paths (a moved output dir is the same run)
        and whatever `exclude` names (pydantic's nested exclude syntax)."""
        payload = self.model_dump(mode="json", exclude={"paths": True, **(exclude or {})})
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def _scaled_epochs(n_epochs: int, scale: float) -> int:
    return max(1, round(n_epochs * scale)) if n_epochs > 0 else 0


def _scaled_stage3(stage3: Stage3Config, scale: float, width_scale: float) -> Stage3Config:
    """Scale the k schedule with the stage: break points keep their fraction of the stage,
    k keeps its fraction of the dictionary width (so sparsity is the paper's).

    The schedule keeps its three parts however short the stage: at least one epoch at k_start
    (the warm-up), at least one of annealing, and, as the paper's last 5 of 50 epochs, at least
    one at k_end. So a scaled stage 3 has at least 3 epochs and always ends at the target k.
    """
    has_warmup = stage3.k_warmup_epochs > 0
    has_plateau = stage3.k_anneal_end_epoch < stage3.n_epochs
    n_epochs = max(
        _scaled_epochs(stage3.n_epochs, scale),
        min(stage3.n_epochs, int(has_warmup) + 1 + int(has_plateau)),
    )
    fraction = n_epochs / stage3.n_epochs
    warmup = round(stage3.k_warmup_epochs * fraction)
    warmup = min(n_epochs, max(int(has_warmup), warmup))
    anneal_end = round(stage3.k_anneal_end_epoch * fraction)
    anneal_end = max(warmup + 1, min(anneal_end, n_epochs - int(has_plateau)))
    return stage3.model_copy(
        update={
            "n_epochs": n_epochs,
            "k_warmup_epochs": warmup,
            "k_anneal_end_epoch": min(n_epochs, anneal_end),
            "k_start": max(1, round(stage3.k_start * width_scale)),
            "k_end": max(1, round(stage3.k_end * width_scale)),
        }
    )


def resolve(params: Params, profile: ProfileName | None = None) -> RunConfig:
    """Apply a profile (default: the file's `profile`) to the paper's values."""
    name = profile or params.profile
    if name not in params.profiles:
        raise ConfigError(f"profile '{name}' is not defined under 'profiles:' in params.yaml.")
    preset = params.profiles[name]
    scale, width = preset.epoch_scale, preset.sae_width_scale
    train = params.train
    train = train.model_copy(
        update={
            "stage1": train.stage1.model_copy(
                update={"n_epochs": _scaled_epochs(train.stage1.n_epochs, scale)}
            ),
            "stage2": train.stage2.model_copy(
                update={
                    "n_epochs": _scaled_epochs(train.stage2.n_epochs, scale),
                    "k": max(1, round(train.stage2.k * width)),
                }
            ),
            "stage3": _scaled_stage3(train.stage3, scale, width),
            "extended": train.extended.model_copy(
                update={"n_epochs": _scaled_epochs(train.extended.n_epochs, scale)}
            ),
        }
    )
    model = params.model.model_copy(
        update={"conv_sae_width": max(1, math.ceil(params.model.conv_sae_width * width))}
    )
    data = params.data.model_copy(
        update={"max_images": preset.max_images, "n_eval_samples": preset.n_eval_samples}
    )
    return RunConfig(
        profile=name,
        paths=params.paths,
        data=data,
        model=model,
        train=train,
        metrics=params.metrics,
    )


def _describe(error: dict) -> str:
    key = ".".join(str(part) for part in error["loc"]) or "(top level)"
    if error["type"] == "extra_forbidden":
        return f"unknown key '{key}'"
    return f"'{key}': {error['msg']}"


def parse_params(raw: object, source: str = "params.yaml") -> Params:
    """Validate a parsed YAML document; one line per bad key."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(
            f"{source} must be a mapping of keys to values, not {type(raw).__name__}."
        )
    try:
        return Params.model_validate(raw)
    except ValidationError as exc:
        lines = "; ".join(_describe(e) for e in exc.errors())
        raise ConfigError(f"{source} is invalid: {lines}.") from None


def load_params(path: Path | str = "params.yaml", overrides: dict | None = None) -> Params:
    """Read and validate params.yaml. `overrides` is a nested dict merged on top (tests, CLI)."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"params file {path} does not exist; pass --params FILE.")
    try:
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{path} is not valid YAML{where}; fix the syntax.") from None
    if overrides:
        raw = deep_merge(raw if isinstance(raw, dict) else {}, overrides)
    return parse_params(raw, source=str(path))


def deep_merge(base: dict, update: dict) -> dict:
    """A copy of `base` with `update` merged in, recursively for nested mappings."""
    merged = dict(base)
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged
