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

import statistics

import pytest

from artifact.claims import verify_claims
from artifact.config import RunConfig
from artifact.errors import InputError
from artifact.metrics.keys import DATASETS, METHODS
from tests.helpers.claims import AUDIT, MARKED, REGISTRY, paper_aggregate, shift_out_of_tolerance


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


@pytest.mark.parametrize("key", [f"{d}.{m}.{n}" for d in DATASETS for m in METHODS
                                 for n in ("mig", "specialised", "dead_pct", "mse")])  # fmt: skip
def test_moving_one_metric_out_of_tolerance_fails_exactly_the_claims_that_read_it(key):
    aggregate = paper_aggregate()
    shift_out_of_tolerance(aggregate["metrics"][key])
    report = verify_claims(aggregate, REGISTRY, AUDIT)
    failed = {c.id for c in report.claims if c.verdict == "not_reproduced"}
    table1 = f"t1.{key}"
    assert failed <= _readers(key)
    assert (table1 in failed) == (table1 not in MARKED)
    assert report.failed()


def test_a_metric_read_by_one_claim_fails_that_claim_alone():
    aggregate = paper_aggregate()
    shift_out_of_tolerance(aggregate["metrics"]["shapes3d.l1.mse"])
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
    with pytest.raises(InputError, match="config_digest"):  # an edited config, digest unchanged
        verify_claims(aggregate, REGISTRY, AUDIT)
    aggregate["config_digest"] = RunConfig.model_validate(aggregate["config"]).digest()
    for run in aggregate["runs"]:
        run["config_digest"] = aggregate["config_digest"]
    verdicts = {c.id: c.verdict for c in verify_claims(aggregate, REGISTRY, AUDIT).claims}
    assert verdicts["s3.3.lr"] == "not_reproduced" and verdicts["s3.3.batch_size"] == "reproduced"
    assert verdicts["t1.dsprites.topk.dead_pct"] == "not_comparable"  # measured under another lr
    del aggregate["config"]
    with pytest.raises(InputError, match="'config'"):
        verify_claims(aggregate, REGISTRY, AUDIT)


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


def test_a_derived_claim_reports_the_numbers_of_the_seeds_it_used():
    """s4.5.shapes3d.spec_increase once showed `300 ± 714.1 (n=3)` from one seed's `[100.0]`:
    its mean, spread and n must be those of the seeds the quantity is defined on."""
    payload = paper_aggregate()
    before = payload["metrics"]["shapes3d.topk.specialised"]
    before.update(values=[0.0, 0.0, 30.0], mean=10.0, std=statistics.stdev([0.0, 0.0, 30.0]))
    after = payload["metrics"]["shapes3d.topk.extended_specialised"]
    after.update(values=[5.0, 7.0, 60.0], mean=24.0, std=statistics.stdev([5.0, 7.0, 60.0]))
    claim = next(c for c in verify_claims(payload, REGISTRY, AUDIT).claims
                 if c.id == "s4.5.shapes3d.spec_increase")  # fmt: skip
    assert claim.observed.seeds == [44] and claim.observed.values == [100.0]
    assert (claim.observed.mean, claim.observed.std, claim.observed.n) == (100.0, 0.0, 1)
    assert "±" not in claim.observed.text and claim.observed.text.startswith("100")
    before.update(values=[0.0, 0.0, 0.0], mean=0.0, std=0.0)  # defined on no seed: not computable
    claim = next(c for c in verify_claims(payload, REGISTRY, AUDIT).claims
                 if c.id == "s4.5.shapes3d.spec_increase")  # fmt: skip
    assert claim.observed is None and claim.metrics_missing
