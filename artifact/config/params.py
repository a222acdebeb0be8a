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

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from artifact.config.readings import NeuronBinning, ReadingGrid
from artifact.config.slurm import SlurmConfig

DatasetName = Literal["dsprites", "shapes3d"]
Method = Literal["topk", "l1"]
ProfileName = Literal["paper", "laptop", "cpu", "smoke", "slice"]
PositiveInt = Annotated[int, Field(gt=0)]
PositiveFloat = Annotated[float, Field(gt=0, allow_inf_nan=False)]  # a finite lr, width, ...
Fraction = Annotated[float, Field(gt=0, le=1)]
OpenUnit = Annotated[float, Field(gt=0, lt=1)]  # a threshold on a rate
# An MI threshold: positive and finite, not capped at 1 (unnormalised MI reaches ln 40 nats).
MIThreshold = PositiveFloat


def _distinct(values: tuple, what: str) -> tuple:
    """A list knob must name something, and each thing once (a repeated seed is no new run)."""
    if not values:
        raise ValueError(f"{what} is empty")
    repeated = sorted({str(v) for v in values if values.count(v) > 1})
    if repeated:
        raise ValueError(f"{what} repeats {', '.join(repeated)}")
    return values


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PathsConfig(_Frozen):
    out: Path
    data_dir: Path


DataSource = Literal["official", "procedural"]


class DataConfig(_Frozen):
    # auto (params.yaml only): official at the paper profile, procedural at every reduced one;
    # profiles.resolve replaces it, so a RunConfig (and every record) says which was used.
    source: Literal["auto", "official", "procedural"]
    datasets: Annotated[tuple[DatasetName, ...], AfterValidator(lambda v: _distinct(v, "datasets"))]
    split_seed: int
    dsprites_train_fraction: Fraction
    shapes3d_n_train: PositiveInt
    n_eval_samples: PositiveInt
    eval_seed: int
    subset_seed: int  # which grid images a capped profile (max_images) draws
    # Set by a profile (null = the whole grid); not a paper knob.
    max_images: PositiveInt | None = None


# The encoder layouts of vae.py: four 4x4 stride-2 convs to 4x4 maps with linear heads (the
# paper's 68.6M parameters), or three stride-2 convs and a 3x3 stride-1 conv keeping 8x8 maps
# with a hidden fc layer (this artifact's first layout, 69.4M).
VaeLayout = Literal["conv4x4_heads", "conv8x8_fc"]
LAYOUT_MAP_SIDE = {"conv4x4_heads": 4, "conv8x8_fc": 8}


class ModelConfig(_Frozen):
    n_latents: PositiveInt
    vae_layout: VaeLayout
    conv_channels: tuple[PositiveInt, PositiveInt, PositiveInt, PositiveInt]
    fc_hidden: PositiveInt | None  # the hidden fc layer of conv8x8_fc; null for conv4x4_heads
    conv_sae_width: PositiveInt
    latent_sae_width: PositiveInt
    sae_tied: bool
    sae_decoder_bias: bool
    # Set by a profile (1 = the paper's width); not a paper knob. The latent SAE is not scaled,
    # so its k is the paper's k (the conv SAE's k divided by this).
    sae_width_scale: Annotated[float, Field(gt=0, le=1)] = 1.0

    @model_validator(mode="after")
    def _fc_hidden_matches_the_layout(self) -> ModelConfig:
        if (self.vae_layout == "conv8x8_fc") != (self.fc_hidden is not None):
            raise ValueError("fc_hidden must be set for vae_layout conv8x8_fc and null for conv4x4_heads")
        return self

    @property
    def conv_feature_dim(self) -> int:
        """Length of h_flat: the last conv layer's channels times its map (4x4 or 8x8)."""
        return self.conv_channels[-1] * LAYOUT_MAP_SIDE[self.vae_layout] ** 2


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
    sae_target_grad: bool  # with sae_grad_to_encoder: the targets h, mu of ||h - h_hat||^2 pass gradient
    free_bits: bool  # stage 1's free-bits floor kept in the stage-3 / extended VAE loss

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
    # What "inactive" means for re-initialisation: no firing in an epoch, or an epoch's
    # training activation rate below metrics.dead_threshold (the evaluation's "dead").
    inactive_rule: Literal["zero_firings", "below_dead_threshold"]


class TrainConfig(_Frozen):
    seeds: Annotated[tuple[int, ...], AfterValidator(lambda v: _distinct(v, "seeds"))]
    methods: Annotated[tuple[Method, ...], AfterValidator(lambda v: _distinct(v, "methods"))]
    batch_size: PositiveInt
    lr: PositiveFloat
    adam_betas: tuple[Annotated[float, Field(ge=0, lt=1)], Annotated[float, Field(ge=0, lt=1)]]
    weight_decay: Annotated[float, Field(ge=0)]
    grad_clip_norm: PositiveFloat
    precision: Literal["tf32", "bf16", "fp32"]
    fast_topk: Literal["auto", "sparse", "dense"]
    step_capture: Literal["eager", "compile"]  # train/capture.py: compile applies on CUDA only
    # How often a phase checkpoints (0: at every step boundary); not in the checkpoint digest.
    checkpoint_minutes: Annotated[float, Field(ge=0)]
    stage1: Stage1Config
    stage2: Stage2Config
    stage3: Stage3Config
    extended: ExtendedConfig
    revival: RevivalConfig
    # Set by a profile (null = every batch of the epoch); not a paper knob.
    max_batches_per_epoch: PositiveInt | None = None

    @model_validator(mode="after")
    def _extended_methods_are_trained(self) -> TrainConfig:
        stray = [m for m in self.extended.methods if m not in self.methods]
        if stray:
            raise ValueError(f"extended.methods {', '.join(stray)} not in methods (only a trained "
                             "method can be trained on)")  # fmt: skip
        return self


class MetricsConfig(_Frozen):
    dead_threshold: OpenUnit
    specialisation_threshold: MIThreshold
    n_bins: Annotated[int, Field(ge=2)]
    mi_normalisation: Literal["none", "factor_entropy"]
    neuron_binning: NeuronBinning
    specialisation_sweep: Annotated[tuple[MIThreshold, ...], AfterValidator(lambda v: _distinct(v, "thresholds"))]
    dead_sweep: Annotated[tuple[OpenUnit, ...], AfterValidator(lambda v: _distinct(v, "thresholds"))]
    # Evaluation-time readings computed beside the registered one (artifact/metrics/readings.py).
    readings: tuple[ReadingGrid, ...]
    eval_bias_boost: bool  # keep the training-time bias boost in the evaluation's forward pass


class ProfileConfig(_Frozen):
    epoch_scale: Annotated[float, Field(gt=0, le=1)]
    sae_width_scale: Annotated[float, Field(gt=0, le=1)]
    max_images: PositiveInt | None
    n_eval_samples: PositiveInt
    # Optional cuts of the `slice` kind (null or absent: the paper's): the first n_seeds of
    # train.seeds, and at most this many batches in every epoch.
    n_seeds: PositiveInt | None = None
    max_batches_per_epoch: PositiveInt | None = None
    # Optimiser overrides of a reduced profile (null or absent: train.lr / train.batch_size, the
    # paper's). The `laptop` profile sets them from measured learning curves: at the paper's lr
    # and batch a few-thousand-image epoch is too few steps to learn (docs/interpretations.md).
    lr: PositiveFloat | None = None
    batch_size: PositiveInt | None = None


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

    @model_validator(mode="after")
    def _source_is_resolved(self) -> RunConfig:
        if self.data.source == "auto":
            raise ValueError("a RunConfig needs data.source resolved to official or procedural")
        return self

    def digest(self, exclude: dict | None = None) -> str:
        """sha256 of the resolved values, excluding paths (a moved output dir is the same run)
        and whatever `exclude` names (pydantic's nested exclude syntax)."""
        payload = self.model_dump(mode="json", exclude={"paths": True, **(exclude or {})})
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
