"""`artifact audit-paper`: the paper's numbers checked against each other and its formulas.

Everything is computed from claims/ (one source of truth): the same quantity reported in two
places, numbers duplicated across quantities, the ratios, differences, ranges, orderings and
trends the text states against the tables, counts against the lists and seeds they count,
single-seed figure readings against the 3-seed means, across-seed ranges against mean ± std,
threshold sweeps against their definition, formulas against their words and citations
against the bibliography. Only claims/notes.yaml is prose, for facts from outside the paper.

The phases run in order because each decides which reports later ones may trust: a report
marked paper_inconsistent never lends its value to another check.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from artifact.claims.audit import numbers, readings
from artifact.claims.audit.paper_logic import Check
from artifact.claims.audit.ranges import range_feasibility
from artifact.claims.audit.text import citation_checks, formula_checks, note_checks
from artifact.claims.audit.unreachable import (
    Unreachable,
    bound_readings,
    paper_settings,
    unreachable_claims,
    unreachable_everywhere,
)
from artifact.claims.registry.loader import Registry, load_registry
from artifact.claims.registry.quantities import PaperIndex

SCHEMA = "artifact.audit/1"


class Finding(BaseModel):
    id: str
    check: str
    severity: Literal["contradiction", "minor"]
    locations: list[str]
    values: dict[str, str]
    explanation: str
    claims: list[str]
    marks: list[str]
    matters_for_claims: bool


class PassedCheck(BaseModel):
    id: str
    check: str
    explanation: str


class Reachability(BaseModel):
    """Per reading (the axes the bounds read), the claims no training could reach under it."""

    settings: dict[str, float]  # the paper's k, width and default thresholds the bounds use
    readings: dict[str, list[Unreachable]]
    everywhere: list[str]  # claims unreachable under every listed reading


class AuditReport(BaseModel):
    findings: list[Finding]
    passed: list[PassedCheck]
    summary: dict[str, int]
    provenance: dict
    reachability: Reachability | None = None


def _marks(checks: list[Check]) -> set[str]:
    return {mark for check in checks for mark in check.marks}


def run_checks(registry: Registry) -> list[Check]:
    n_se = registry.audit.n_se
    checks = numbers.duplicates(PaperIndex(registry))
    checks += note_checks(registry)
    index = PaperIndex(registry, _marks(checks))
    found, overrides = numbers.same_quantity(index, n_se)
    checks += found
    index = PaperIndex(registry, _marks(checks))
    index.primary_override = overrides
    checks += numbers.paper_checks(index) + numbers.item_counts(index)
    index = PaperIndex(registry, _marks(checks))
    index.primary_override = overrides
    checks += numbers.claim_consistency(index, n_se)
    index = PaperIndex(registry, _marks(checks))
    index.primary_override = overrides
    checks += readings.seed_vs_mean(index) + readings.monotone_sweeps(index)
    checks += readings.default_rows(index, n_se)
    checks += range_feasibility(index) + formula_checks(registry) + citation_checks(registry)
    return checks


def reachability(registry: Registry, neuron_bins: tuple[int, ...]) -> Reachability | None:
    """The bounds of every reading at these bin counts; None without bins or without the
    paper's k and width in the registry (a test registry of a few claims)."""
    if not neuron_bins:
        return None
    try:
        settings = paper_settings(registry)
    except KeyError:
        return None
    per_reading = unreachable_claims(registry, bound_readings(neuron_bins))
    return Reachability(settings=settings, readings=per_reading,
                        everywhere=unreachable_everywhere(per_reading))  # fmt: skip


def audit_registry(registry: Registry, neuron_bins: tuple[int, ...] = ()) -> AuditReport:
    """The audit; with `neuron_bins` (params.yaml's bin counts) also the reachability bounds."""
    checks = run_checks(registry)
    findings = [
        Finding(id=c.id, check=c.check, severity=c.severity, locations=c.locations, values=c.values,
                explanation=c.explanation, claims=c.claims, marks=c.marks,
                matters_for_claims=bool(c.marks))
        for c in checks if c.severity is not None
    ]  # fmt: skip
    passed = [PassedCheck(id=c.id, check=c.check, explanation=c.explanation)
              for c in checks if c.severity is None]  # fmt: skip
    summary = {
        "contradiction": sum(f.severity == "contradiction" for f in findings),
        "minor": sum(f.severity == "minor" for f in findings),
        "passed": len(passed),
        "claims_marked": len({mark for f in findings for mark in f.marks}),
    }
    provenance = {
        "schema": SCHEMA,
        "registry_digest": registry.digest,
        "n_claims": len(registry.claims),
    }
    reach = reachability(registry, neuron_bins)
    if reach is not None:
        summary["unreachable_somewhere"] = len(
            {f.claim for fs in reach.readings.values() for f in fs}
        )
        summary["unreachable_everywhere"] = len(reach.everywhere)
    return AuditReport(findings=findings, passed=passed, summary=summary, provenance=provenance,
                       reachability=reach)  # fmt: skip


def audit_paper(claims_dir: Path | None = None, neuron_bins: tuple[int, ...] = ()) -> AuditReport:
    """Audit the paper's self-consistency from the claim registry (default: claims/)."""
    return audit_registry(load_registry(claims_dir), neuron_bins)


def marked_claims(report: AuditReport) -> dict[str, list[str]]:
    """claim id -> the findings that make its verdict paper_inconsistent."""
    marks: dict[str, list[str]] = {}
    for finding in report.findings:
        for claim_id in finding.marks:
            marks.setdefault(claim_id, []).append(finding.id)
    return marks
