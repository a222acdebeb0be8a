"""Datasets: dSprites and Shapes3D, from the official files or rendered procedurally.

What the rest of the code uses: `FactorDataset`, `prepare_dataset` (the DVC `data` stage),
`load_dataset`, `split_indices` and `eval_indices`. See docs/data.md.
"""

from artifact.data.dataset import FactorDataset
from artifact.data.prepare import load_dataset, prepare_dataset
from artifact.data.splits import eval_indices, split_indices

__all__ = ["FactorDataset", "eval_indices", "load_dataset", "prepare_dataset", "split_indices"]
