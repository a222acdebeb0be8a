"""Checks of a resolved RunConfig that need more than one knob and the datasets' grids: run
before anything is allocated or trained (cli/common.run_config), each one sentence naming the
setting to change."""

from __future__ import annotations

import numpy as np

from artifact.config.params import RunConfig
from artifact.errors import ConfigError


def constant_factors(cfg: RunConfig, name: str) -> tuple[int, list[str]]:
    """(evaluation samples, the factors that never vary on them) of dataset `name` under `cfg`:
    the same draw as data.prepare (grid_subset) and data.splits (split, evaluation sample)."""
    from artifact.data.spec import get_spec, grid_factors, grid_subset
    from artifact.data.splits import eval_indices, split_indices

    spec = get_spec(name)
    rows = grid_subset(spec.n_images, cfg.data.max_images, cfg.data.subset_seed)
    _, val = split_indices(len(rows), name, cfg.data)
    chosen = np.asarray(rows)[eval_indices(val, cfg.data).numpy()]
    factors = grid_factors(chosen, spec.factor_sizes)
    fixed = [spec.factor_names[i] for i in range(factors.shape[1]) if np.unique(factors[:, i]).size < 2]
    return len(chosen), fixed


def check_run_config(cfg: RunConfig) -> RunConfig:
    """Refuse a profile whose evaluation samples cannot measure every factor (MIG undefined)."""
    for name in cfg.data.datasets:
        n, fixed = constant_factors(cfg, name)
        if fixed:
            raise ConfigError(
                f"profile {cfg.profile!r} keeps {n} {name} evaluation samples (max_images "
                f"{cfg.data.max_images}) on which {', '.join(fixed)} never vary, so no metric "
                f"can see them; raise profiles.{cfg.profile}.max_images or n_eval_samples."
            )
    return cfg
