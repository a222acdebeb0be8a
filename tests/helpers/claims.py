"""Test helper: claim registries and aggregates for the claims tests.

`paper_aggregate()` is a synthetic aggregate built from the registry's own values (claims/ is
the one source of the paper's numbers): each metric's mean is the paper's reference report of it,
its std the paper's (5 % where none is printed), over seeds 42, 43, 44 as (mean - std, mean,
mean + std). Quantities the paper never states get values consistent with its words (MIG and
MSE stable from k = 500 to k = 50, 1,500 dSprites specialised neurons at k = 500).
"""

from __future__ import annotations

import copy
import functools
import shutil
from pathlib import Path

import yaml

from artifact.claims import CLAIMS_DIR, audit_registry, load_registry, marked_claims
from artifact.claims.registry.quantities import PaperIndex
from artifact.config import load_params, resolve
from artifact.experiment.aggregate import SCHEMA
from artifact.experiment.records import planned_runs
from artifact.metrics.keys import DATASETS, METHODS, all_metric_keys
from tests.helpers import ROOT

SEEDS = [42, 43, 44]
PARAMS = load_params(ROOT / "params.yaml")
REGISTRY = load_registry()
# Quantities the paper does not print, filled in consistently with its words.
FILLED = {
    "dsprites.topk.specialised_at_k_start": (1500.0, 60.0),
    "dsprites.topk.extended_specialised_thr_0.4": (1300.0, None),
    "dsprites.topk.extended_specialised_thr_0.6": (200.0, None),
    "shapes3d.topk.extended_specialised_thr_0.4": (850.0, None),
    "shapes3d.topk.extended_specialised_thr_0.6": (330.0, None),
}


def _entry(mean: float, std: float) -> dict:
    values = [mean - std, mean, mean + std]
    return {"mean": mean, "std": std, "n": 3, "values": values, "seeds": list(SEEDS)}


AUDIT = audit_registry(REGISTRY)
MARKED = set(marked_claims(AUDIT))


def paper_aggregate(profile: str = "paper", data_source: str = "official") -> dict:
    """A fresh copy of the paper's numbers as an aggregate.json payload."""
    payload = copy.deepcopy(_paper_aggregate())
    cfg = resolve(PARAMS, profile)
    payload["profile"], payload["data_source"] = profile, data_source
    payload["config"], payload["config_digest"] = cfg.model_dump(mode="json"), cfg.digest()
    payload["runs"] = [  # the run records aggregate.json embeds (experiment/records.py)
        {"name": f"{d}-{m}-{s}", "dataset": d, "method": m, "seed": s,
         "phases": ["joint", "extended"] if extended else ["joint"], "profile": profile,
         "data_source": data_source, "config_digest": cfg.digest()}
        for d, m, s, extended in planned_runs(payload["config"])
    ]  # fmt: skip
    return payload


@functools.cache
def _paper_aggregate() -> dict:
    index = PaperIndex(REGISTRY, MARKED)
    metrics: dict[str, dict] = {}
    for key in sorted(all_metric_keys()):
        if key in FILLED:
            mean, std = FILLED[key]
        else:
            primary = index.primary(key)
            if primary is None:
                continue
            mean = primary.value.mean
            spread = index.per_seed_std(key)
            std = spread[0] if spread is not None else None
        std = 0.05 * abs(mean) if std is None else std
        metrics[key] = (
            _entry(mean, std)
            if not key.startswith("model.")
            else {"mean": mean, "std": 0.0, "n": 1, "values": [mean], "seeds": []}
        )
    for dataset in DATASETS:
        for method in METHODS:
            base = f"{dataset}.{method}"
            for name in (
                "mig",
                "mse",
            ):  # stable from k = 500 to k = 50 and through extended training
                metrics[f"{base}.{name}_at_k_start"] = copy.deepcopy(metrics[f"{base}.{name}"])
                if method == "topk":
                    metrics[f"{base}.extended_{name}"] = copy.deepcopy(metrics[f"{base}.{name}"])
            sparsity = 100 * (1 - 50 / 8192) if method == "topk" else 99.55
            metrics[f"{base}.effective_sparsity_pct"] = _entry(sparsity, 0.02)
            for stage, minutes in (
                ("stage1", 7.6),
                ("stage2", 2.0),
                ("stage3", 20.0),
                ("extended", 35.0),
            ):
                metrics[f"{base}.{stage}_minutes"] = _entry(minutes, 0.1)
        metrics[f"{dataset}.l1.dead_pct_at_k_start"] = copy.deepcopy(
            metrics[f"{dataset}.topk.dead_pct_at_k_start"]
        )
    # Shapes3D MIG: a gradual decrease from k = 500 (Table 2), by 0.02 in every seed.
    start = metrics["shapes3d.topk.mig_at_k_start"]
    start["values"] = [v + 0.02 for v in start["values"]]
    start["mean"] += 0.02
    assert set(metrics) <= all_metric_keys()
    return {"schema": SCHEMA, "profile": "paper", "data_source": "official",
            "config_digest": "0" * 64, "provenance": {}, "metrics": metrics}  # fmt: skip


def shift_out_of_tolerance(entry: dict) -> None:
    """Move a metric ten of its standard deviations (or 10 % of its mean) away."""
    step = 10 * max(entry["std"], 0.1 * abs(entry["mean"]))
    entry["mean"] += step
    entry["values"] = [v + step for v in entry["values"]]


GOOD = {"id": "t1.dsprites.topk.dead_pct", "location": "Table 1, dSprites / Top-k, Dead (%)",
        "text": "34.4 ± 0.9", "kind": "mean_std", "metric": "dsprites.topk.dead_pct",
        "value": "34.4 ± 0.9", "n": 3, "tolerance": "seeds"}  # fmt: skip


def write_registry(directory: Path, claims: list[dict], defaults: dict | None = None) -> Path:
    """A claims directory: the repository's tolerance rules, no references, formulas or notes.
    `scale_free` (required on every claim) defaults to false, as in the repository's files."""
    directory.mkdir(parents=True, exist_ok=True)
    defaults = {"scale_free": False} | (defaults or {})
    shutil.copy(CLAIMS_DIR / "tolerances.yaml", directory / "tolerances.yaml")
    (directory / "references.yaml").write_text("bibliography: []\ncitations: []\n")
    (directory / "formulas.yaml").write_text("formulas: []\n")
    (directory / "notes.yaml").write_text("notes: []\n")
    body = {"claims": claims} | ({"defaults": defaults} if defaults else {})
    (directory / "20_claims.yaml").write_text(
        yaml.safe_dump(body, allow_unicode=True, sort_keys=False)
    )
    return directory
