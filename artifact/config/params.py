"""Typed view of params.yaml: the only way code reads a knob.

`Params` mirrors the file (frozen, extra keys forbidden). The models type and bound each value
but hold no defaults: params.yaml is the one source of the paper's values (a missing key is
an error naming it). profiles.resolve applies a profile and returns the `RunConfig` a run uses.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from artifact.config.slurm import SlurmConfig

DatasetName = Literal["dsprites", "shapes3d"]
Method = Literal["topk", "l1"]
ProfileName = Literal["paper", "cpu", "smoke"]
PositiveInt = Annotated[int, Field(gt=0)]
PositiveFloat = Annotated[float, Field(gt=0)]
Fraction = Annotated[float, Field(gt=0, le=1)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PathsConfig(_Frozen):
    out: Path
    data_dir: Path


class DataConfig(_Frozen):
    source: Literal["official", "procedural"]
    datasets: tuple[DatasetName, ...]
    split_seed: int
    dsprites_train_fraction: Fraction
    shapes3d_n_train: PositiveInt
    n_eval_samples: PositiveInt
    eval_seed: int
    subset_seed: int  # which grid images a capped profile (max_images) draws
    # Set by a profile (null = the whole grid); not a paper knob.
    max_images: PositiveInt | None = None


class ModelConfig(_Frozen):
    n_latents: PositiveInt
    conv_channels: tuple[PositiveInt, PositiveInt, PositiveInt, PositiveInt]
    fc_hidden: PositiveInt
    conv_sae_width: PositiveInt
    latent_sae_width: PositiveInt
    sae_tied: bool

    @property
    def conv_feature_dim(self) -> int:
        """Length of h_flat: the last conv layer's channels times its 8x8 map."""
        return self.conv_channels[-1] * 8 * 8


class Stage1Config(_Frozen):
    n_epochs: PositiveInt
    beta_start: Annotated[float, Field(ge=0)]
    beta_end: Annotated[float, Field(ge=0)]
    free_bits_nats: Annotated[float, Field(ge=0)]
    free_bits_mode: Literal["total", "per_dim"]


class Stage2Config(_Frozen):
    n_epochs: PositiveInt
    k: PositiveInt
    l1_lambda: Annotated[float, Field(ge=0)]


class Stage3Config(_Frozen):
    n_epochs: PositiveInt
    k_start: PositiveInt
    k_end: PositiveInt
    k_warmup_epochs: Annotated[int, Field(ge=0)]
    k_anneal_end_epoch: PositiveInt
    k_shape: Literal["quarter_cosine", "half_cosine"]
    topk_l1_lambda: Annotated[float, Field(ge=0)]
    l1_lambda_start: Annotated[float, Field(ge=0)]
    l1_lambda_end: Annotated[float, Field(ge=0)]
    sae_grad_to_encoder: bool

    @model_validator(mode="after")
    def _schedule_is_ordered(self) -> Stage3Config:
        if self.k_end > self.k_start:
            raise ValueError("k_end must not exceed k_start")
        if not self.k_warmup_epochs <= self.k_anneal_end_epoch <= self.n_epochs:
            raise ValueError("need k_warmup_epochs <= k_anneal_end_epoch <= n_epochs")
        return self


class ExtendedConfig(_Frozen):
    n_epochs: Annotated[int, Field(ge=0)]
    methods: tuple[Method, ...]


class RevivalConfig(_Frozen):
    enabled: bool
    bias_base: Annotated[float, Field(ge=0)]
    bias_rate: Annotated[float, Field(ge=0)]
    inactive_epochs: Annotated[int, Field(ge=0)]
    dead_rate_trigger: Fraction


class TrainConfig(_Frozen):
    seeds: tuple[int, ...]
    methods: tuple[Method, ...]
    batch_size: PositiveInt
    lr: PositiveFloat
    adam_betas: tuple[Annotated[float, Field(ge=0, lt=1)], Annotated[float, Field(ge=0, lt=1)]]
    weight_decay: Annotated[float, Field(ge=0)]
    grad_clip_norm: PositiveFloat
    precision: Literal["tf32", "bf16", "fp32"]
    fast_topk: Literal["auto", "sparse", "dense"]
    stage1: Stage1Config
    stage2: Stage2Config
    stage3: Stage3Config
    extended: ExtendedConfig
    revival: RevivalConfig


class MetricsConfig(_Frozen):
    dead_threshold: PositiveFloat
    specialisation_threshold: PositiveFloat
    n_bins: Annotated[int, Field(ge=2)]
    mi_normalisation: Literal["none", "factor_entropy"]
    neuron_binning: Literal["equal_width", "zero_and_positive"]
    specialisation_sweep: tuple[PositiveFloat, ...]
    dead_sweep: tuple[PositiveFloat, ...]


class ProfileConfig(_Frozen):
    epoch_scale: Annotated[float, Field(gt=0, le=1)]
    sae_width_scale: Annotated[float, Field(gt=0, le=1)]
    max_images: PositiveInt | None
    n_eval_samples: PositiveInt


class Params(_Frozen):
    """The whole params.yaml."""

    profile: ProfileName
    paths: PathsConfig
    data: DataConfig
    model: ModelConfig
    train: TrainConfig
    metrics: MetricsConfig
    profiles: dict[ProfileName, ProfileConfig]
    slurm: SlurmConfig  # where `reproduce --executor slurm` runs; never part of a RunConfig


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
