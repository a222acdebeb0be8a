"""`verify-claims --readings`: every claim judged under every evaluation-time reading.

aggregate.json holds, beside the registered reading's metrics, each reading's metrics under the
same keys (aggregate["readings"][name]["metrics"]). Judging a reading is judging the aggregate
with those keys substituted, so the verdict logic is the one of verdicts.py, unchanged. Only
the claims whose metrics a reading changes are listed; the rest read the same under all.

A table (the part of a claim's location before the first comma: "Table 4", "Section 4.4")
holds under a reading when every one of its listed claims has a numeric outcome and passes:
the numbers alone, so a smoke run (verdict not_comparable) still says what its numbers do.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel

from artifact.claims.audit.paper_audit import AuditReport, audit_registry
from artifact.claims.audit.unreachable import bound_name
from artifact.claims.registry.loader import Registry, load_registry
from artifact.claims.verify.verdicts import validate_aggregate, verify_claims
from artifact.errors import InputError
from artifact.metrics.readings import parse_name

SCHEMA = "artifact.claims-readings/1"


class ClaimUnderReadings(BaseModel):
    id: str
    location: str
    table: str
    verdicts: dict[str, str]  # reading -> verdict
    outcomes: dict[str, str | None]  # reading -> pass | fail | None (not computable)
    observed: dict[str, str | None]
    unreachable: list[str]  # readings whose bounds no training could meet (the audit's)


class ReadingsReport(BaseModel):
    readings: list[str]  # the registered reading first
    registered: str
    claims: list[ClaimUnderReadings]
    tables: dict[str, list[str]]  # table -> the readings under which it holds
    provenance: dict


def table_of(location: str) -> str:
    head = location.split(";")[0].split(",")[0].strip()
    if head.count("(") > head.count(")"):  # "Figure 6 (dSprites, seed 42), top-left"
        head = head.split("(")[0].strip()
    return head


def reading_aggregate(aggregate: Mapping, name: str) -> dict:
    """The aggregate as if `name` were the registered reading."""
    return {
        **aggregate,
        "metrics": {**aggregate["metrics"], **aggregate["readings"][name]["metrics"]},
    }


def verify_readings(aggregate: dict, registry: Registry | None = None,
                    audit: AuditReport | None = None) -> ReadingsReport:  # fmt: skip
    """Verdicts per claim per reading, and which readings make each table hold."""
    validate_aggregate(aggregate)
    readings = aggregate.get("readings") or {}
    if not readings:
        raise InputError("aggregate.json holds no readings (metrics.readings was empty, or it "
                         "predates them); rerun the evaluation, or drop --readings.")  # fmt: skip
    registry = registry or load_registry()
    bins = tuple(sorted({parse_name(name).neuron_bins for name in readings}))
    audit = audit or audit_registry(registry, bins)
    if audit.reachability is None:
        audit = audit_registry(registry, bins)
    reach = audit.reachability.readings if audit.reachability else {}
    names = list(readings)
    registered = aggregate.get("registered_reading") or names[0]
    reports = {
        name: verify_claims(reading_aggregate(aggregate, name), registry, audit) for name in names
    }
    varying = {key for entry in readings.values() for key in entry["metrics"]}
    claims = []
    for index, claim in enumerate(registry.claims):
        if not set(claim.run_leaves()) & varying:
            continue
        results = {name: reports[name].claims[index] for name in names}
        unreachable = [name for name in names
                       if any(f.claim == claim.id for f in reach.get(bound_name(parse_name(name)), []))]  # fmt: skip
        claims.append(ClaimUnderReadings(
            id=claim.id, location=claim.location, table=table_of(claim.location),
            verdicts={n: r.verdict for n, r in results.items()},
            outcomes={n: r.numeric_outcome for n, r in results.items()},
            observed={n: r.observed.text if r.observed else None for n, r in results.items()},
            unreachable=unreachable))  # fmt: skip
    tables: dict[str, list[str]] = {}
    for table in dict.fromkeys(c.table for c in claims):
        rows = [c for c in claims if c.table == table]
        tables[table] = [n for n in names if all(c.outcomes[n] == "pass" for c in rows)]
    provenance = {"schema": SCHEMA, "registry_digest": registry.digest,
                  "aggregate_profile": aggregate.get("profile"),
                  "aggregate_data_source": aggregate.get("data_source"), "neuron_bins": list(bins)}  # fmt: skip
    return ReadingsReport(readings=names, registered=registered, claims=claims, tables=tables,
                          provenance=provenance)  # fmt: skip
