"""The paper's train / validation splits and the fixed evaluation sample (section 3).

"80-20 train-validation split" for dSprites; "400,000 training and 80,000 validation images"
for Shapes3D. The paper does not say how the split was drawn: we draw it uniformly at random
with `data.split_seed` (numpy's PCG64, whose streams are stable across versions), so it is the
same for every run, method and seed of a dataset, and recorded through the config digest.
"""

from __future__ import annotations

import numpy as np
import torch

from artifact.config import DataConfig
from artifact.data.spec import get_spec


def n_train(dataset_len: int, name: str, data_cfg: DataConfig) -> int:
    """Training images: a fraction of dSprites; 400,000 of 480,000 Shapes3D images, scaled
    proportionally when a profile caps the set (max_images)."""
    if name == "dsprites":
        fraction = data_cfg.dsprites_train_fraction
    else:
        fraction = data_cfg.shapes3d_n_train / get_spec(name).n_images
    return min(dataset_len, round(fraction * dataset_len))


def split_indices(
    dataset_len: int, name: str, data_cfg: DataConfig
) -> tuple[torch.Tensor, torch.Tensor]:
    """(train_idx, val_idx): disjoint, sorted int64 positions covering range(dataset_len)."""
    permutation = np.random.default_rng(data_cfg.split_seed).permutation(dataset_len)
    cut = n_train(dataset_len, name, data_cfg)
    train, val = np.sort(permutation[:cut]), np.sort(permutation[cut:])
    return torch.from_numpy(train.astype(np.int64)), torch.from_numpy(val.astype(np.int64))


def eval_indices(val_idx: torch.Tensor, data_cfg: DataConfig) -> torch.Tensor:
    """The evaluation sample: n_eval_samples of the validation positions (all if fewer), drawn
    without replacement with `eval_seed`, sorted; "MIG ... with 10,000 samples"."""
    n = min(data_cfg.n_eval_samples, len(val_idx))
    chosen = np.random.default_rng(data_cfg.eval_seed).choice(len(val_idx), size=n, replace=False)
    return val_idx[torch.from_numpy(np.sort(chosen).astype(np.int64))]
