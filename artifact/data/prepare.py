"""The DVC `data` stage: make `{data_dir}/prepared/{name}/` and read it back for training.

procedural: render the grid images the profile uses (all, or the seeded `max_images` subset) and
  write them as one uncompressed images.npy, streamed chunk by chunk so memory stays bounded,
  hashed while written.
official: verify the official file (pinned hash, structure) and write a manifest pointing at it;
  gigabytes are not copied.

Both write grid_indices.npy (which grid images, sorted) and, last, manifest.json, the commit
marker: its `key` names every setting the contents depend on, so a later load under other
settings is refused as stale instead of silently training on the wrong images.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import torch

from artifact.config import DataConfig
from artifact.data.dataset import FactorDataset
from artifact.data.hashing import check_pin, digest_file
from artifact.data.official import inspect_official, load_official
from artifact.data.procedural import iter_images
from artifact.data.spec import DatasetSpec, get_spec, grid_factors, grid_subset, official_path
from artifact.errors import DataError
from artifact.storage.atomic import atomic_write, write_json
from artifact.storage.paths import path_problem

SCHEMA = "artifact.prepared_data/1"
MANIFEST, IMAGES, ROWS = "manifest.json", "images.npy", "grid_indices.npy"


def prepared_dir(name: str, data_dir: Path) -> Path:
    return Path(data_dir) / "prepared" / name


def prepare_key(spec: DatasetSpec, data_cfg: DataConfig) -> dict:
    """Every setting the prepared contents depend on (and nothing else)."""
    return {
        "dataset": spec.name,
        "source": data_cfg.source,
        "max_images": data_cfg.max_images,
        "subset_seed": data_cfg.subset_seed,
        "version": spec.renderer_version if data_cfg.source == "procedural" else "official/1",
    }


def read_manifest(folder: Path) -> dict | None:
    """The manifest of a prepared dir, or None if absent or unreadable."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) and manifest.get("schema") == SCHEMA else None


def _write_npy(path: Path, shape: tuple[int, ...], chunks: Iterable[np.ndarray], on_rows) -> str:
    """Stream uint8 chunks into an .npy of `shape` (atomically); returns its sha256.

    A writer thread hashes and writes one chunk while the next is rendered (hashlib and file
    writes release the GIL), so disk and renderer overlap; at most two chunks are in memory.
    """
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "|u1", "fortran_order": False, "shape": shape}
    )
    sha256 = hashlib.sha256(header.getvalue())

    def write(handle) -> None:
        def consume(data: np.ndarray) -> None:
            sha256.update(data.data)
            handle.write(data.data)

        handle.write(header.getvalue())
        rows = 0
        with ThreadPoolExecutor(max_workers=1) as writer:
            pending = None
            for chunk in chunks:
                data = np.ascontiguousarray(chunk, dtype=np.uint8)
                if pending is not None:
                    pending.result()
                pending = writer.submit(consume, data)
                rows += len(data)
                if on_rows is not None:
                    on_rows(len(data))
            if pending is not None:
                pending.result()
        if rows != shape[0]:
            raise RuntimeError(f"renderer produced {rows} images, expected {shape[0]}")

    atomic_write(path, write)
    return sha256.hexdigest()


def _official_record(spec: DatasetSpec, data_dir: Path, fetch: bool) -> dict:
    path = official_path(spec.name, data_dir)
    problem = path_problem(path)
    if problem == "does not exist" and fetch:  # only a path that is not there is downloaded
        from artifact.data.fetch import ensure_official  # urllib and rich: only when needed

        ensure_official(spec, data_dir)
        problem = path_problem(path)
    if problem == "does not exist":
        raise DataError(
            f"data.source is official but {path} is missing; run `artifact data fetch {spec.name}` "
            "or set data.source: procedural."
        )
    if problem is not None:  # a directory, a loop, an unreadable file: said as such
        raise DataError(f"data.source is official but {path} {problem}; put the official file "
                        f"there (`artifact data fetch {spec.name}`) or set data.source: procedural.")  # fmt: skip
    digest = digest_file(path)
    status = check_pin(
        path, digest, spec.pin, f"delete it and run `artifact data fetch {spec.name}`."
    )
    inspect_official(spec, path)
    stat = path.stat()
    return {
        "file": str(path.relative_to(data_dir)),
        "bytes": digest.size,
        "mtime_ns": stat.st_mtime_ns,
        "md5": digest.md5,
        "sha256": digest.sha256,
        "pin_status": status,
    }


def prepare_dataset(
    name: str,
    data_cfg: DataConfig,
    data_dir: Path,
    on_images: Callable[[int], None] | None = None,
    fetch: bool = False,
) -> Path:
    """Make the prepared dir of `name` for these settings (idempotent); returns it.
    `on_images(n)` reports rendering progress; `fetch` downloads a missing official file
    (`reproduce` does; the DVC data stage leaves that to `artifact data fetch`)."""
    spec, data_dir = get_spec(name), Path(data_dir)
    problem = path_problem(data_dir, "directory")
    if problem is not None and problem != "does not exist":  # made below when it is not there
        raise DataError(f"data directory {data_dir} {problem}; set paths.data_dir to a directory.")
    folder = prepared_dir(name, data_dir)
    key = prepare_key(spec, data_cfg)
    existing = read_manifest(folder)
    if (
        existing is not None
        and existing["key"] == key
        and _files_intact(folder, existing, data_dir)
    ):
        return folder
    (folder / MANIFEST).unlink(missing_ok=True)  # the old contents are no longer valid
    folder.mkdir(parents=True, exist_ok=True)
    rows = grid_subset(spec.n_images, data_cfg.max_images, data_cfg.subset_seed)
    atomic_write(folder / ROWS, lambda handle: np.save(handle, rows))
    manifest = {
        "schema": SCHEMA,
        "key": key,
        "n_images": len(rows),
        "image_shape": list(spec.image_shape),
        "factor_names": list(spec.factor_names),
        "factor_sizes": list(spec.factor_sizes),
    }
    if data_cfg.source == "official":
        (folder / IMAGES).unlink(missing_ok=True)
        official = _official_record(spec, data_dir, fetch)
        manifest.update(official=official, checksum=official["sha256"])
    else:
        shape = (len(rows), *spec.image_shape)
        checksum = _write_npy(folder / IMAGES, shape, iter_images(name, rows), on_images)
        manifest.update(
            official=None, checksum=checksum, images_bytes=(folder / IMAGES).stat().st_size
        )
    write_json(folder / MANIFEST, manifest)
    return folder


def _official_unchanged(record: dict, data_dir: Path) -> bool:
    """Is the official file still the one `prepare` verified (same size and mtime)?"""
    path = data_dir / record["file"]
    if not path.is_file():
        return False
    stat = path.stat()
    return stat.st_size == record["bytes"] and stat.st_mtime_ns == record["mtime_ns"]


def _files_intact(folder: Path, manifest: dict, data_dir: Path) -> bool:
    if not (folder / ROWS).is_file():
        return False
    if manifest["official"] is None:
        images = folder / IMAGES
        return images.is_file() and images.stat().st_size == manifest["images_bytes"]
    return _official_unchanged(manifest["official"], data_dir)


def _stale(name: str, folder: Path, why: str) -> DataError:
    return DataError(
        f"prepared {name} data in {folder} {why}; run `artifact data prepare {name}` with the same --params."
    )


def load_dataset(name: str, data_cfg: DataConfig, data_dir: Path) -> FactorDataset:
    """The prepared dataset on the CPU: images uint8 (memory-mapped when procedural)."""
    spec, data_dir = get_spec(name), Path(data_dir)
    folder = prepared_dir(name, data_dir)
    manifest = read_manifest(folder)
    if manifest is None:
        raise _stale(name, folder, "is missing")
    key = prepare_key(spec, data_cfg)
    if manifest["key"] != key:
        changed = ", ".join(
            f"{k} {manifest['key'].get(k)!r} -> {v!r}"
            for k, v in key.items()
            if manifest["key"].get(k) != v
        )
        raise _stale(name, folder, f"was made for other settings ({changed})")
    official = manifest["official"]
    if official is not None and not _official_unchanged(official, data_dir):
        path = data_dir / official["file"]
        raise _stale(name, folder, f"refers to {path}, which is gone or has changed since")
    if not _files_intact(folder, manifest, data_dir):
        raise _stale(name, folder, "is incomplete")
    rows = np.load(folder / ROWS, allow_pickle=False)
    if manifest["official"] is None:
        images = np.load(folder / IMAGES, mmap_mode="c", allow_pickle=False)  # pages load on use
        if images.shape != (len(rows), *spec.image_shape) or images.dtype != np.uint8:
            raise _stale(name, folder, f"holds images {images.dtype} {list(images.shape)}")
    else:
        path = data_dir / official["file"]
        images, _ = load_official(spec, path, None if len(rows) == spec.n_images else rows)
    return FactorDataset(
        name=name,
        images=torch.from_numpy(images),
        factors=torch.from_numpy(grid_factors(rows, spec.factor_sizes)),
        factor_names=spec.factor_names,
        factor_sizes=spec.factor_sizes,
        source=manifest["key"]["source"],
        checksum=manifest["checksum"],
    )
