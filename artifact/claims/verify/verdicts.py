"""Verdicts: every claim of the registry judged against one aggregate.json.

Order of precedence (claims/README.md): paper_inconsistent (the audit found the paper
contradicting itself on this number) > informational (never pass or fail) >
holds_at_reduced_scale / fails_at_reduced_scale (a scale-free claim on a run of a reduced
profile: judged qualitatively; such a run never reaches `reproduced`) > not_comparable (the
runs' profile is not `paper`, their data not `official`, a planned run is missing, or a setting
departs from the paper's: trust.py) > not_run (a metric is missing) >
reproduced / not_reproduced. The numeric outcome is computed whenever the metrics exist, so a
smoke run or an inconsistent claim still shows what this run measured.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel

from artifact.claims.audit.paper_audit import AuditReport, audit_registry, marked_claims
from artifact.claims.registry.loader import Registry, load_registry
from artifact.claims.registry.models import Claim
from artifact.claims.registry.quantities import PaperIndex
from artifact.claims.verify.checks import (
    MissingMetrics,
    Outcome,
    check_informational,
    check_ordering,
    check_point,
    check_range,
    check_setup,
    check_statistical,
    check_trend,
)
from artifact.claims.verify.trust import incomparability, load_aggregate, validate_aggregate

__all__ = ["load_aggregate", "validate_aggregate", "verify_claims"]  # load/validate: trust.py

Verdict = Literal[
    "reproduced", "not_reproduced", "holds_at_reduced_scale", "fails_at_reduced_scale", "not_run",
    "not_comparable", "paper_inconsistent", "informational",
]  # fmt: skip
# A scale-free claim (an order or a direction, claims/README.md) on a run of any profile but
# this one is judged qualitatively: holds / fails at reduced scale, never (not_)reproduced.
PAPER_PROFILE = "paper"
VERDICTS: tuple[str, ...] = Verdict.__args__  # type: ignore[attr-defined]
SCHEMA = "artifact.claims/1"


class Expected(BaseModel):
    text: str
    mean: float | None = None
    std: float | None = None
    n: int | None = None
    low: float | None = None
    high: float | None = None


class Observed(BaseModel):
    text: str
    mean: float | None = None
    std: float | None = None
    n: int | None = None
    values: list[float] = []
    seeds: list[int] = []


class ClaimResult(BaseModel):
    id: str
    location: str
    text: str
    kind: str
    metric: str | None
    metrics: list[str]
    expected: Expected
    observed: Observed | None
    tolerance: str
    verdict: Verdict
    distance: float | None = None
    numeric_outcome: Literal["pass", "fail"] | None = None
    note: str | None = None
    findings: list[str] = []
    metrics_missing: bool = False  # a metric it reads is absent (whatever the verdict)


class ClaimsReport(BaseModel):
    claims: list[ClaimResult]
    summary: dict[str, int]
    provenance: dict

    def failed(self, strict: bool = False) -> bool:
        """True when a checked claim did not reproduce; with strict also when a claim is
        not_run or lacks a metric it reads (an aggregate with no metrics at all fails)."""
        if any(claim.verdict == "not_reproduced" for claim in self.claims):
            return True
        return strict and any(
            claim.verdict == "not_run" or (claim.metrics_missing and claim.verdict != "informational")
            for claim in self.claims
        )


def _expected(claim: Claim) -> Expected:
    value = claim.value
    if value is None:
        words = claim.relation or claim.direction or ""
        return Expected(text=f"{words}: {claim.text}" if words else claim.text)
    statistical = claim.kind in ("mean_std", "derived")
    text = value.raw + (f" (n={claim.n})" if statistical and claim.n and claim.n > 1 else "")
    text += f" [seed {claim.seed}]" if claim.seed is not None else ""
    return Expected(
        text=text, mean=value.mean, std=value.std, n=claim.n, low=value.low, high=value.high
    )


def _outcome(claim: Claim, registry: Registry, metrics: Mapping, config: Mapping | None,
             index: PaperIndex) -> Outcome:  # fmt: skip
    rule = registry.rules[claim.tolerance]
    if rule.type == "informational":
        return check_informational(claim, metrics, config)
    if claim.kind in ("mean_std", "derived"):
        return check_statistical(claim, rule, metrics, index)
    if claim.kind == "point":
        return check_point(claim, rule, metrics)
    if claim.kind == "range":
        return check_range(claim, rule, metrics)
    if claim.kind == "ordering":
        return check_ordering(claim, metrics)
    if claim.kind == "trend":
        return check_trend(claim, rule, metrics)
    return check_setup(claim, rule, metrics, config)


def judge(claim: Claim, registry: Registry, aggregate: Mapping, index: PaperIndex,
          marks: Mapping[str, list[str]],
          reasons: tuple[str | None, str | None] = (None, None)) -> ClaimResult:  # fmt: skip
    """One claim's verdict against one (validated) aggregate; `reasons` is
    trust.incomparability's (why no claim, why no measured claim is comparable)."""
    rule = registry.rules[claim.tolerance]
    metrics, config = aggregate["metrics"], aggregate["config"]
    notes = [claim.note] if claim.note else []
    outcome, missing = None, None
    try:
        outcome = _outcome(claim, registry, metrics, config, index)
    except MissingMetrics as exc:
        missing = exc.args[0]
    except (ZeroDivisionError, ValueError, OverflowError) as exc:
        missing = [f"not computable ({exc})"]
    numeric = (
        None
        if outcome is None or outcome.passed is None
        else ("pass" if outcome.passed else "fail")
    )
    profile = aggregate.get("profile")
    reduced = profile != PAPER_PROFILE  # then `reproduced` is out of reach whatever `reasons` say
    on_config = claim.kind == "setup" and claim.config is not None
    reason = "; ".join(r for r in (reasons[0], None if on_config else reasons[1]) if r) or None
    if claim.id in marks:
        verdict = "paper_inconsistent"
        notes.append(f"the paper contradicts itself here (audit: {', '.join(marks[claim.id])})"
                     + (f"; the numbers alone would {numeric}" if numeric else ""))  # fmt: skip
    elif rule.type == "informational":
        verdict = "informational"
    elif reduced and claim.scale_free and numeric is not None:
        verdict = "holds_at_reduced_scale" if numeric == "pass" else "fails_at_reduced_scale"
        notes.append(f"judged qualitatively on the reduced profile {profile!r}")
        notes += [reason] if reason else []  # last: the renderers drop the run-level reason
    elif reason is not None or reduced:
        reason = reason or f"profile {profile!r} is not {PAPER_PROFILE!r}"
        verdict = "not_comparable"
        notes.append(reason + (f"; the numbers alone would {numeric}" if numeric else ""))
    elif missing is not None:
        verdict = "not_run"
    else:
        verdict = "reproduced" if outcome.passed else "not_reproduced"
    if missing is not None:
        notes.append(f"missing from aggregate.json: {', '.join(map(str, missing))}")
    observed = None
    if outcome is not None:
        observed = Observed(text=outcome.observed, mean=outcome.mean, std=outcome.std, n=outcome.n,
                            values=list(outcome.values), seeds=list(outcome.seeds))  # fmt: skip
    distance = outcome.distance if outcome is not None else None
    leaves = list(dict.fromkeys(claim.run_leaves()))
    return ClaimResult(
        id=claim.id, location="; ".join((claim.location, *claim.also_at)), text=claim.text,
        kind=claim.kind, metric=leaves[0] if leaves else None, metrics=leaves,
        expected=_expected(claim), observed=observed,
        tolerance=f"{claim.tolerance}: {outcome.tolerance if outcome else rule.why}",
        verdict=verdict, distance=distance if distance is None or math.isfinite(distance) else None,
        numeric_outcome=numeric, note=" | ".join(notes) or None, findings=marks.get(claim.id, []),
        metrics_missing=missing is not None,
    )  # fmt: skip


def verify_claims(aggregate: dict, registry: Registry | None = None,
                  audit: AuditReport | None = None) -> ClaimsReport:  # fmt: skip
    """Every claim's verdict against `aggregate` (the parsed aggregate.json). `registry`
    defaults to claims/; `audit` (the registry's audit, computed when not given) decides which
    claims are paper_inconsistent."""
    validate_aggregate(aggregate)
    registry = registry or load_registry()
    audit = audit or audit_registry(registry)
    marks = marked_claims(audit)
    index = PaperIndex(registry, marks)
    reasons = incomparability(aggregate, registry, marks)
    results = [judge(claim, registry, aggregate, index, marks, reasons) for claim in registry.claims]
    summary = {verdict: 0 for verdict in VERDICTS}
    for result in results:
        summary[result.verdict] += 1
    summary["total"] = len(results)
    provenance = {
        "schema": SCHEMA,
        "registry_digest": registry.digest,
        "aggregate_profile": aggregate.get("profile"),
        "aggregate_data_source": aggregate.get("data_source"),
        "aggregate_config_digest": aggregate.get("config_digest"),
        "aggregate_provenance": aggregate.get("provenance") or {},
        "aggregate_runs": [run["name"] for run in aggregate["runs"]],
        "not_comparable_because": "; ".join(r for r in reasons if r) or None,
    }
    return ClaimsReport(claims=results, summary=summary, provenance=provenance)
