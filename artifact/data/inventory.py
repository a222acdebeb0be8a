"""What is on disk and whether it can be trusted: `artifact data info` and `artifact data verify`.

Every status is a plain dict (printed as a table or as JSON by the CLI).
"""

from __future__ import annotations

import os
from pathlib import Path

from artifact.config import DataConfig
from artifact.data.hashing import check_pin, digest_file
from artifact.data.official import inspect_official
from artifact.data.prepare import IMAGES, prepare_key, prepared_dir, read_manifest
from artifact.data.spec import SPECS, DatasetSpec, get_spec, grid_subset, official_path
from artifact.errors import DataError
from artifact.storage.paths import path_problem


def official_status(spec: DatasetSpec, path: Path) -> dict:
    """Presence, size, hashes and pin status of an official file; `ok` False on any failure
    (a directory in its place, a symlink loop, an unreadable file: said as such)."""
    problem = path_problem(path)
    status = {
        "kind": "official",
        "dataset": spec.name,
        "path": str(path),
        "present": os.path.lexists(path),
    }
    if problem == "does not exist":
        return {**status, "ok": False, "status": "missing"}
    remedy = f"put the official file there (`artifact data fetch {spec.name}`)."
    if problem is not None:
        return {**status, "ok": False, "status": f"{path} {problem}; {remedy}"}
    try:
        digest = digest_file(path)
    except OSError as error:  # it opened a moment ago: a read error of the disk or the mount
        status["status"] = f"{path} cannot be read ({error.strerror}); {remedy}"
        return {**status, "ok": False}
    status.update(bytes=digest.size, md5=digest.md5, sha256=digest.sha256)
    try:
        pin = check_pin(
            path, digest, spec.pin, f"delete it and run `artifact data fetch {spec.name}`."
        )
        inspect_official(spec, path)
    except DataError as error:
        return {**status, "ok": False, "status": str(error)}
    if pin == "md5 verified":
        pin += f" (pin its sha256 in artifact/data/spec.py: {digest.sha256})"
    return {**status, "ok": True, "status": pin}


def _stale_reason(made: dict, wanted: dict) -> str | None:
    changed = [
        f"{k} {made.get(k)!r}, params say {v!r}" for k, v in wanted.items() if made.get(k) != v
    ]
    return "stale (prepared with " + "; ".join(changed) + ")" if changed else None


def prepared_status(spec: DatasetSpec, data_cfg: DataConfig, data_dir: Path, rehash: bool) -> dict:
    """State of the prepared dir: missing, stale (made for other settings) or ready. With
    `rehash` the procedural images are hashed again and compared with the manifest: then only
    a mismatch fails, a stale dir is intact (it is reported, and `prepare` remakes it)."""
    folder = prepared_dir(spec.name, data_dir)
    status = {"kind": "prepared", "dataset": spec.name, "path": str(folder)}
    manifest = read_manifest(folder)
    if manifest is None:
        return {**status, "present": False, "ok": False, "status": "missing"}
    status.update(
        present=True,
        source=manifest["key"]["source"],
        n_images=manifest["n_images"],
        checksum=manifest["checksum"],
    )
    stale = _stale_reason(manifest["key"], prepare_key(spec, data_cfg))
    if not rehash:
        return {**status, "ok": stale is None, "status": stale or "ready"}
    if manifest["official"] is None:
        images = folder / IMAGES
        actual = digest_file(images).sha256 if images.is_file() else "missing"
        if actual != manifest["checksum"]:
            return {
                **status,
                "ok": False,
                "status": f"{IMAGES} has sha256 {actual}, its manifest says {manifest['checksum']}; run `artifact data prepare {spec.name}`",
            }
        verdict = "sha256 verified"
    else:
        verdict = "manifest of the official file"
    return {**status, "ok": True, "status": verdict + (f"; {stale}" if stale else "")}


def dataset_info(
    name: str,
    data_cfg: DataConfig,
    data_dir: Path,
    source: str | None = None,
    path: Path | None = None,
) -> dict:
    """Images, factors, source and checksum status of one dataset (`artifact data info`)."""
    spec = get_spec(name)
    data_cfg = data_cfg.model_copy(update={"source": source or data_cfg.source})
    info = {
        "dataset": name,
        "source": data_cfg.source,
        "n_images": spec.n_images,
        "n_images_used": len(grid_subset(spec.n_images, data_cfg.max_images, data_cfg.subset_seed)),
        "image_shape": list(spec.image_shape),
        "factor_names": list(spec.factor_names),
        "factor_sizes": list(spec.factor_sizes),
        "pinned": {"md5": spec.pin.md5, "sha256": spec.pin.sha256},
    }
    if data_cfg.source == "official" or path is not None:
        info["official"] = official_status(
            spec, Path(path) if path else official_path(name, data_dir)
        )
    info["prepared"] = prepared_status(spec, data_cfg, data_dir, rehash=False)
    return info


def verify_all(data_cfg: DataConfig, data_dir: Path) -> list[dict]:
    """Check every official file and prepared dir that exists (`artifact data verify`); an
    official path that exists as anything (a directory, a symlink loop, an unreadable file)
    is checked, and fails."""
    checks = []
    for spec in SPECS.values():
        path = official_path(spec.name, data_dir)
        if os.path.lexists(path):
            checks.append(official_status(spec, path))
        if read_manifest(prepared_dir(spec.name, data_dir)) is not None:
            checks.append(prepared_status(spec, data_cfg, data_dir, rehash=True))
    return checks
