"""Profiles: how `smoke`, `cpu` and the other presets scale the paper's values into the
RunConfig a run uses (epochs, the k schedule's break points, SAE width and k, images)."""

from __future__ import annotations

import math

from artifact.config.params import Params, ProfileName, RunConfig, Stage3Config
from artifact.errors import ConfigError


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
