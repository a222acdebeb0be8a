"""How close the procedural renderers come to the official pixels (../shared/reference/).

For every official frame, its best match over a set of procedural grid images (by default the whole
grid): dSprites by IoU of the white pixels, Shapes3D by RMSE on [0, 1]. Both are matrix products
over chunks of rendered images (one pass over the grid, bounded memory): for binary images the
intersection is F @ G^T, for RGB ||f - g||^2 = ||f||^2 + ||g||^2 - 2 f . g. A picture writer puts
official | best match | difference side by side for a spread of frames.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from artifact.errors import DataError

DSPRITES_GIF, SHAPES3D_GIF = "dsprites.gif", "3dshapes.gif"


@dataclass(frozen=True)
class Match:
    """Per reference frame: the best grid index and its score (IoU or RMSE)."""

    index: np.ndarray  # int64 [F]
    score: np.ndarray  # float64 [F]


def _gif_frames(path: Path) -> list:
    from PIL import Image  # only the fidelity check needs Pillow

    if not path.is_file():
        raise DataError(f"reference image {path} not found; pass --reference DIR holding it.")
    with Image.open(path) as image:
        frames = []
        for i in range(image.n_frames):
            image.seek(i)
            frames.append(image.convert("RGB"))
        return frames


# Where the 64 x 64 image lies in the 226 x 227 Shapes3D GIF frames (left, top, right, bottom):
# a white and a grey (206) line frame it, and the rows and columns next to them blend image and
# grey; their blend fractions (medians over all frames: 0.887, 0.906, 0.981, 0.883) place the
# image edges, 222.8 px = 64 x 3.48 each way. Box-filtering the whole frame instead would pull
# the grey border into the edge pixels and shift the picture by up to 0.6 px.
SHAPES3D_BOX = (2.113, 2.094, 224.981, 224.883)


def load_reference(directory: Path, name: str) -> np.ndarray:
    """Official frames: dSprites uint8 [320, 64, 64] of 0/1; Shapes3D uint8 [53, 64, 64, 3],
    box-filtered back to 64 x 64 from the image area of the README's upscaled GIF."""
    from PIL import Image

    if name == "dsprites":
        frames = _gif_frames(Path(directory) / DSPRITES_GIF)
        return np.stack([(np.asarray(f)[..., 0] > 127).astype(np.uint8) for f in frames])
    frames = _gif_frames(Path(directory) / SHAPES3D_GIF)
    return np.stack([np.asarray(f.resize((64, 64), Image.BOX, box=SHAPES3D_BOX)) for f in frames])


def best_iou(frames: np.ndarray, chunks: Iterable[np.ndarray]) -> Match:
    """Best IoU of each binary frame [F, 64, 64] over images arriving in chunks [n, 64, 64, 1];
    ties keep the first (lowest) index. Counts < 2^24: float32 products are exact."""
    ref = torch.from_numpy(frames.reshape(len(frames), -1).astype(np.float32))
    ref_area = ref.sum(1, keepdim=True)
    best = torch.full((len(frames),), -1.0, dtype=torch.float64)
    where = torch.zeros(len(frames), dtype=torch.int64)
    offset = 0
    for chunk in chunks:
        grid = torch.from_numpy(chunk.reshape(len(chunk), -1)).to(torch.float32)
        inter = (ref @ grid.T).double()  # [F, n]
        union = ref_area.double() + grid.sum(1).double()[None] - inter
        iou = inter / union.clamp_min(1.0)
        score, at = iou.max(1)
        better = score > best
        best, where = torch.where(better, score, best), torch.where(better, at + offset, where)
        offset += len(chunk)
    return Match(where.numpy(), best.numpy())


def best_rmse(frames: np.ndarray, chunks: Iterable[np.ndarray]) -> Match:
    """Lowest RMSE on [0, 1] of each RGB frame [F, 64, 64, 3] over images in chunks [n, 64, 64, 3];
    ties keep the first index. Sums of squared bytes stay exact in float64."""
    ref = torch.from_numpy(frames.reshape(len(frames), -1).astype(np.float64))
    ref_norm = (ref * ref).sum(1, keepdim=True)
    best = torch.full((len(frames),), np.inf, dtype=torch.float64)
    where = torch.zeros(len(frames), dtype=torch.int64)
    offset = 0
    for chunk in chunks:
        grid = torch.from_numpy(chunk.reshape(len(chunk), -1)).to(torch.float64)
        dist = ref_norm + (grid * grid).sum(1)[None] - 2.0 * ref @ grid.T  # [F, n]
        score, at = dist.min(1)
        better = score < best
        best, where = torch.where(better, score, best), torch.where(better, at + offset, where)
        offset += len(chunk)
    rmse = np.sqrt(np.maximum(best.numpy(), 0.0) / ref.shape[1]) / 255.0
    return Match(where.numpy(), rmse)


def spread(n_frames: int, count: int) -> np.ndarray:
    """`count` frame numbers evenly spread over the reference frames."""
    return np.unique(np.linspace(0, n_frames - 1, count).round().astype(np.int64))


def write_picture(path: Path, official: np.ndarray, matched: np.ndarray, frames: np.ndarray):
    """PNG: one row per chosen frame, official | best match | |difference|, 3x enlarged;
    written to a temporary file and renamed (atomic)."""
    from PIL import Image

    def rgb(images: np.ndarray) -> np.ndarray:
        images = images.reshape(len(images), 64, 64, -1).astype(np.int64)
        images = images * 255 if images.max() <= 1 else images
        return np.broadcast_to(images, (*images.shape[:3], 3))

    left, middle = rgb(official[frames]), rgb(matched)
    difference = np.abs(left - middle)
    gap = np.full((len(frames), 64, 4, 3), 128)
    rows = np.concatenate([left, gap, middle, gap, difference], axis=2)  # [k, 64, 200, 3]
    sheet = np.concatenate(
        list(np.pad(rows, ((0, 0), (2, 2), (0, 0), (0, 0)), constant_values=128))
    )
    image = Image.fromarray(sheet.astype(np.uint8)).resize(
        (sheet.shape[1] * 3, sheet.shape[0] * 3), Image.NEAREST
    )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    image.save(temporary, format="PNG")
    temporary.replace(path)


def measure(name: str, reference_dir: Path, picture: Path | None = None, n_shown: int = 12):
    """Best match of every official frame of `name` over the full procedural grid; the figures
    (and, given `picture`, the official | match | difference sheet of a spread of frames)."""
    import time

    from artifact.data.procedural import iter_images, render_images
    from artifact.data.spec import get_spec

    frames = load_reference(reference_dir, name)
    spec = get_spec(name)
    start = time.perf_counter()
    chunks = iter_images(name, np.arange(spec.n_images))
    match = best_iou(frames, chunks) if name == "dsprites" else best_rmse(frames, chunks)
    seconds = time.perf_counter() - start
    figures: dict = {"dataset": name, "frames": len(frames), "render_match_s": round(seconds, 1)}
    if name == "dsprites":
        figures |= {
            "iou_median": float(np.median(match.score)),
            "iou_min": float(match.score.min()),
            "identical": int((match.score == 1.0).sum()),
        }
    else:
        figures |= {
            "rmse_median": float(np.median(match.score)),
            "rmse_max": float(match.score.max()),
        }
    if picture is not None:
        shown = spread(len(frames), n_shown)
        write_picture(picture, frames, render_images(name, match.index[shown]), shown)
    return figures, match
