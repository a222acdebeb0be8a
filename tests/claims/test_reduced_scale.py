"""Qualitative verdicts: a scale-free claim (an order, a direction) on a reduced profile's run is
judged `holds_at_reduced_scale` / `fails_at_reduced_scale`, every other claim of such a run stays
`not_comparable`, and no reduced run can ever say `reproduced` (claims/README.md, Scale-free).
Synthetic aggregates only (tests/helpers/claims.py)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from artifact.claims import verify_claims
from artifact.claims.registry.models import SCALE_FREE_KINDS, Claim
from artifact.claims.registry.quantities import PaperIndex
from artifact.claims.verify.verdicts import judge
from tests.helpers.claims import AUDIT, MARKED, REGISTRY, paper_aggregate

QUALITATIVE = {"holds_at_reduced_scale", "fails_at_reduced_scale"}
SCALE_FREE = {c.id for c in REGISTRY.claims if c.scale_free}


def _verdicts(aggregate: dict) -> dict[str, object]:
    return {c.id: c for c in verify_claims(aggregate, REGISTRY, AUDIT).claims}


def test_every_claim_says_whether_it_is_scale_free_and_only_orders_and_directions_are():
    assert SCALE_FREE, "the registry marks no claim scale-free"
    assert all(REGISTRY.claims[i].kind in SCALE_FREE_KINDS for i, c in enumerate(REGISTRY.claims)
               if c.scale_free)  # fmt: skip
    base = {"id": "x.y", "location": "Table 1", "text": "34.4", "tolerance": "seeds"}
    with pytest.raises(ValidationError, match="scale_free"):
        Claim(**base, kind="mean_std", metric="dsprites.topk.dead_pct", value="34.4", n=3)
    with pytest.raises(ValidationError, match="cannot be scale_free"):
        Claim(**base, kind="mean_std", metric="dsprites.topk.dead_pct", value="34.4", n=3,
              scale_free=True)  # fmt: skip


def test_a_reduced_run_judges_scale_free_claims_qualitatively_and_nothing_else():
    results = _verdicts(paper_aggregate("laptop", "procedural"))
    verdicts = {r.verdict for r in results.values()}
    assert not verdicts & {"reproduced", "not_reproduced"}
    for claim_id, result in results.items():
        if result.verdict in QUALITATIVE:
            assert claim_id in SCALE_FREE and "reduced profile 'laptop'" in result.note
        elif claim_id in SCALE_FREE and claim_id not in MARKED:
            assert result.verdict == "not_comparable" and result.numeric_outcome is None
    # The paper's own numbers satisfy the paper's orderings and trends.
    held = {i for i, r in results.items() if r.verdict == "holds_at_reduced_scale"}
    assert held == {i for i in SCALE_FREE - MARKED if results[i].numeric_outcome == "pass"}
    assert len(held) >= 20


def test_a_reversed_ordering_fails_at_reduced_scale_without_failing_the_run():
    aggregate = paper_aggregate("laptop", "procedural")
    metrics = aggregate["metrics"]
    for dataset in ("dsprites", "shapes3d"):  # L1 now kills fewer neurons than Top-k
        l1, topk = metrics[f"{dataset}.l1.dead_pct"], metrics[f"{dataset}.topk.dead_pct"]
        metrics[f"{dataset}.l1.dead_pct"] = {**l1, "mean": topk["mean"] / 2,
                                             "values": [v / 2 for v in topk["values"]]}  # fmt: skip
    report = verify_claims(aggregate, REGISTRY, AUDIT)
    result = next(c for c in report.claims if c.id == "abs.l1_equal_or_worse")
    assert result.verdict == "fails_at_reduced_scale"
    assert not report.failed() and not report.failed(strict=False)
    assert report.summary["fails_at_reduced_scale"] >= 1


@pytest.mark.parametrize("source", ["official", "procedural"])
def test_the_paper_profile_never_gets_a_qualitative_verdict(source):
    results = _verdicts(paper_aggregate("paper", source))
    assert not {r.verdict for r in results.values()} & QUALITATIVE


def test_judge_alone_cannot_reproduce_on_a_reduced_profile():
    """Even without trust.py's reasons, a reduced profile never reaches `reproduced`."""
    aggregate = paper_aggregate("laptop", "official")
    marks = {claim_id: ["x"] for claim_id in MARKED}
    index = PaperIndex(REGISTRY, marks)
    verdicts = {judge(c, REGISTRY, aggregate, index, marks).verdict for c in REGISTRY.claims}
    assert "reproduced" not in verdicts and "not_reproduced" not in verdicts
    assert "holds_at_reduced_scale" in verdicts and "not_comparable" in verdicts
