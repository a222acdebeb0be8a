"""Profiles: how `smoke`, `cpu` and the other presets scale the paper's values into the
RunConfig a run uses (epochs, the k schedule's break points and the revival window, SAE width
and k, images). What a profile does not scale is listed in docs/interpretations.md ("profiles")."""

from __future__ import annotations

import math

from artifact.config.params import (
    DataConfig,
    DataSource,
    Params,
    ProfileName,
    RunConfig,
    Stage3Config,
)
from artifact.errors import ConfigError

# `data.source: auto`: the paper profile is the one whose numbers can count as a reproduction,
# so it reads the official files (fetched when missing); every reduced profile renders offline.
AUTO_SOURCE_PROFILE = "paper"


def resolved_source(source: str, profile: str) -> DataSource:
    """data.source with `auto` decided by the profile (official only at the paper profile)."""
    if source != "auto":
        return source  # type: ignore[return-value]
    return "official" if profile == AUTO_SOURCE_PROFILE else "procedural"


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


def _check_eval_samples(data: DataConfig, profile: str) -> None:
    """Refuse a profile that asks for more evaluation samples than a validation split holds, so
    the configured count is the count every evaluation uses."""
    from artifact.data.spec import get_spec  # lazily: artifact.data imports the config
    from artifact.data.splits import n_train

    splits = []
    for name in data.datasets:
        n_images = min(get_spec(name).n_images, data.max_images or get_spec(name).n_images)
        splits.append((n_images - n_train(n_images, name, data), n_images, name))
    if not splits:
        return
    n_val, n_images, name = min(splits)
    if data.n_eval_samples > n_val:
        raise ConfigError(
            f"profile '{profile}' evaluates on {data.n_eval_samples:,} samples but {name}'s "
            f"validation split holds {n_val:,} of its {n_images:,} images; set "
            f"profiles.{profile}.n_eval_samples to at most {n_val:,}."
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
            "stage3": (stage3 := _scaled_stage3(train.stage3, scale, width)),
            # "inactive for more than 5 epochs" of 50: the window keeps its fraction of stage 3,
            # so re-initialisation can fire in a scaled stage 3 as in the paper's.
            "revival": train.revival.model_copy(
                update={
                    "inactive_epochs": round(
                        train.revival.inactive_epochs * stage3.n_epochs / train.stage3.n_epochs
                    )
                }
            ),
            "extended": train.extended.model_copy(
                update={"n_epochs": _scaled_epochs(train.extended.n_epochs, scale)}
            ),
            "seeds": train.seeds[: preset.n_seeds] if preset.n_seeds else train.seeds,
            "lr": preset.lr if preset.lr is not None else train.lr,
            "batch_size": preset.batch_size if preset.batch_size is not None else train.batch_size,
            "max_batches_per_epoch": preset.max_batches_per_epoch,
        }
    )
    model = params.model.model_copy(
        update={
            "conv_sae_width": max(1, math.ceil(params.model.conv_sae_width * width)),
            "sae_width_scale": width,
        }
    )
    data = params.data.model_copy(
        update={
            "max_images": preset.max_images,
            "n_eval_samples": preset.n_eval_samples,
            "source": resolved_source(params.data.source, name),
        }
    )
    _check_eval_samples(data, name)
    return RunConfig(
        profile=name,
        paths=params.paths,
        data=data,
        model=model,
        train=train,
        metrics=params.metrics,
    )
