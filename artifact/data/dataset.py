"""The dataset a run trains on: uint8 images resident on one device, factor classes beside them.

Images stay uint8 (dSprites 3 GB, Shapes3D 5.9 GB for the full grids) and are converted to
float per batch, so no float copy of the whole set ever exists.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch

from artifact.data.spec import get_spec


@dataclass(frozen=True)
class FactorDataset:
    name: str  # "dsprites" | "shapes3d"
    images: torch.Tensor  # uint8 [N, 64, 64, C], NHWC as the official files; dSprites pixels 0/1
    factors: torch.Tensor  # int64 [N, K] class index of each varying factor, official order
    factor_names: tuple[str, ...]
    factor_sizes: tuple[int, ...]
    source: str  # "official" | "procedural"
    checksum: str | None  # sha256 of the file the images come from (provenance)

    def to(self, device: torch.device | str) -> FactorDataset:
        """The same dataset with images and factors on `device` (no copy if already there)."""
        return replace(self, images=self.images.to(device), factors=self.factors.to(device))

    def float_batch(self, index: torch.Tensor) -> torch.Tensor:
        """float32 [B, C, 64, 64] in [0, 1] of the images at `index`, on the images' device."""
        batch = self.images.index_select(0, index.to(self.images.device))  # [B, 64, 64, C]
        # NCHW while still uint8, then one float copy (converting the permuted view first would
        # give a strided float tensor and a second copy to make it contiguous).
        batch = batch.permute(0, 3, 1, 2).contiguous().to(torch.float32)
        pixel_max = get_spec(self.name).pixel_max
        if pixel_max != 1:
            batch = batch.div_(pixel_max)
        return batch

    def __len__(self) -> int:
        return self.images.shape[0]
