"""A synthetic aggregate equal to the paper's numbers passes every numeric claim; moving one
metric outside its tolerance fails exactly the claims that read it; a smoke-profile or
procedural-data aggregate is never `reproduced`.

The synthetic aggregate is built from the registry's own values (claims/ is the one source of
the paper's numbers): each metric's mean is the paper's reference report of it, its std the
paper's (5 % where none is printed), over seeds 42, 43, 44 as (mean - std, mean, mean + std).
Quantities the paper never states get values consistent with its words (MIG and MSE stable
from k = 500 to k = 50, 1,500 dSprites specialised neurons at k = 500).
"""

from __future__ import annotations

import copy
import functools
from pathlib import Path

import pytest

from artifact.claims import audit_registry, load_registry, marked_claims, verify_claims
from artifact.claims.quantities import PaperIndex
from artifact.config import load_params, resolve
from artifact.metrics.keys import DATASETS, METHODS, all_metric_keys

SEEDS = [42, 43, 44]
PARAMS = load_params(Path(__file__).resolve().parents[1] / "params.yaml")
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
    payload["profile"], payload["data_source"] = profile, data_source
    payload["config"] = resolve(PARAMS, profile).model_dump(mode="json")
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
    return {"schema": "artifact.aggregate/1", "profile": "paper", "data_source": "official",
            "config_digest": "0" * 64, "provenance": {}, "metrics": metrics}  # fmt: skip


def test_an_aggregate_equal_to_the_paper_reproduces_every_numeric_claim():
    report = verify_claims(paper_aggregate(), REGISTRY, AUDIT)
    judged = {c.id: c.verdict for c in report.claims}
    failures = {c.id: (c.expected.text, c.observed.text if c.observed else None, c.note)
                for c in report.claims if c.verdict not in ("reproduced", "informational", "paper_inconsistent")}  # fmt: skip
    assert failures == {}
    assert report.summary["reproduced"] > 200 and not report.failed(strict=True)
    assert all(judged[f"t1.{d}.{m}.{n}"] in ("reproduced", "paper_inconsistent") for d in DATASETS
               for m in METHODS for n in ("mig", "specialised", "dead_pct", "mse"))  # fmt: skip


def _readers(key: str) -> set[str]:
    """Claims that read `key` and are judged (not informational, not paper_inconsistent)."""
    return {claim.id for claim in REGISTRY.claims if key in claim.run_leaves()
            and REGISTRY.rules[claim.tolerance].type != "informational" and claim.id not in MARKED}  # fmt: skip


def _shift(entry: dict) -> None:
    step = 10 * max(entry["std"], 0.1 * abs(entry["mean"]))
    entry["mean"] += step
    entry["values"] = [v + step for v in entry["values"]]


@pytest.mark.parametrize("key", [f"{d}.{m}.{n}" for d in DATASETS for m in METHODS
                                 for n in ("mig", "specialised", "dead_pct", "mse")])  # fmt: skip
def test_moving_one_metric_out_of_tolerance_fails_exactly_the_claims_that_read_it(key):
    aggregate = paper_aggregate()
    _shift(aggregate["metrics"][key])
    report = verify_claims(aggregate, REGISTRY, AUDIT)
    failed = {c.id for c in report.claims if c.verdict == "not_reproduced"}
    table1 = f"t1.{key}"
    assert failed <= _readers(key)
    assert (table1 in failed) == (table1 not in MARKED)
    assert report.failed()


def test_a_metric_read_by_one_claim_fails_that_claim_alone():
    aggregate = paper_aggregate()
    _shift(aggregate["metrics"]["shapes3d.l1.mse"])
    failed = [
        c.id
        for c in verify_claims(aggregate, REGISTRY, AUDIT).claims
        if c.verdict == "not_reproduced"
    ]
    assert failed == ["t1.shapes3d.l1.mse"]


@pytest.mark.parametrize(("profile", "source", "reason"), [
    ("smoke", "procedural", "profile 'smoke'"), ("cpu", "official", "profile 'cpu'"),
    ("paper", "procedural", "procedural data"), ("paper", "mixed", "not 'official'")])  # fmt: skip
def test_a_run_that_is_not_the_papers_is_never_reproduced(profile, source, reason):
    report = verify_claims(paper_aggregate(profile, source), REGISTRY, AUDIT)
    verdicts = {c.verdict for c in report.claims}
    assert "reproduced" not in verdicts and "not_reproduced" not in verdicts
    comparable = [c for c in report.claims if c.verdict == "not_comparable"]
    assert len(comparable) > 200 and all(reason in c.note for c in comparable)
    assert all(c.numeric_outcome in ("pass", "fail", None) for c in comparable)
    assert not report.failed()


def test_a_missing_metric_is_not_run_and_fails_only_under_strict():
    aggregate = paper_aggregate()
    del aggregate["metrics"]["shapes3d.topk.extended_dead_pct"]
    report = verify_claims(aggregate, REGISTRY, AUDIT)
    not_run = {c.id for c in report.claims if c.verdict == "not_run"}
    assert "t3.shapes3d.final_dead" in not_run
    assert all(
        "shapes3d.topk.extended_dead_pct" in c.note for c in report.claims if c.id in not_run
    )
    assert not report.failed() and report.failed(strict=True)


def test_setup_claims_read_the_resolved_config_and_fail_when_it_differs():
    aggregate = paper_aggregate()
    aggregate["config"]["train"]["lr"] = 1e-4
    verdicts = {c.id: c.verdict for c in verify_claims(aggregate, REGISTRY, AUDIT).claims}
    assert verdicts["s3.3.lr"] == "not_reproduced" and verdicts["s3.3.batch_size"] == "reproduced"
    del aggregate["config"]
    verdicts = {c.id: c.verdict for c in verify_claims(aggregate, REGISTRY, AUDIT).claims}
    assert verdicts["s3.3.batch_size"] == "not_run"


def test_json_report_has_the_documented_fields_for_every_claim():
    payload = verify_claims(paper_aggregate(), REGISTRY, AUDIT).model_dump(mode="json")
    assert set(payload) == {"claims", "summary", "provenance"}
    for claim in payload["claims"]:
        assert {"id", "location", "text", "expected", "observed", "tolerance", "verdict"} <= set(
            claim
        )
    assert payload["summary"]["total"] == len(payload["claims"]) == len(REGISTRY.claims)
    assert payload["provenance"]["registry_digest"] == REGISTRY.digest


def test_a_seed_with_a_zero_denominator_is_left_out_and_the_report_stays_valid_json():
    """A smoke run can end stage 3 with 0 specialised neurons: the relative change of Table 3 is
    undefined for that seed, and the claims report must still be strict JSON (no NaN)."""
    import json

    payload = paper_aggregate("smoke", "procedural")
    base = payload["metrics"]["shapes3d.topk.specialised"]
    base["values"] = [0.0, 0.0, 30.0]
    base["mean"] = 10.0
    report = verify_claims(payload).model_dump(mode="json")
    json.dumps(report, allow_nan=False)  # raises on NaN or inf anywhere
    change = next(c for c in report["claims"] if c["id"] == "t3.shapes3d.spec_change")
    assert change["observed"]["seeds"] == [44]
