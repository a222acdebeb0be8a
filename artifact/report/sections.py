"""The report's text sections besides tables and figures: the run's status, the claims'
summary, the claims no table shows, the `audit-paper` findings and the provenance record.

Each returns Markdown. A missing claims.json or audit.json is said in its section, with the
command that writes it, rather than failing the report.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from artifact.experiment.layout import phase_paths
from artifact.report.inputs import MetricsDir
from artifact.report.paper import claim_list, format_value, verdict_text
from artifact.train.run_key import RunKey

VERDICT_ORDER = (
    "reproduced", "not_reproduced", "not_comparable", "not_run", "paper_inconsistent",
    "informational",
)  # fmt: skip


def md_cell(text: object) -> str:
    """Text safe inside a Markdown table cell."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def status(data: MetricsDir) -> str:
    seeds = sorted({run.seed for run in data.runs})
    lines = [
        f"- Metrics directory: `{data.path}`",
        f"- Profile: **{data.profile or 'unknown'}**; data source: **{data.data_source or 'unknown'}**",
        f"- Runs: {len(data.runs)} ({', '.join(data.datasets)} × {', '.join(data.methods)} × "
        f"seeds {', '.join(map(str, seeds))}); with extended training: "
        f"{sum(run.has_extended for run in data.runs)}",
    ]
    if data.profile != "paper" or data.data_source != "official":
        lines += [
            "",
            "> **Not a reproduction.** This run used the "
            f"`{data.profile}` profile on `{data.data_source}` data: a scaled-down check of the "
            "code path. Its numbers are shown beside the paper's for orientation only; claims "
            "say `not comparable` for them.",
        ]
    return "\n".join(lines) + "\n"


def claims_summary(data: MetricsDir) -> str:
    if data.claims is None:
        return (
            "claims.json was not found in the metrics directory, so the tables show no paper "
            "values or verdicts; run `artifact claims` (or `artifact verify-claims --format json`) "
            "and rebuild the report.\n"
        )
    claims = claim_list(data.claims)
    counts = Counter(str(c.get("verdict")) for c in claims)
    order = [v for v in VERDICT_ORDER if v in counts] + sorted(set(counts) - set(VERDICT_ORDER))
    lines = ["| verdict | claims |", "|---|---|"]
    lines += [f"| {v.replace('_', ' ')} | {counts[v]} |" for v in order]
    lines.append(f"| **total** | **{len(claims)}** |")
    return (
        "Each table cell shows **this run's value**, the paper's value and the claim's verdict "
        "(from claims.json). `no claim` marks a cell the claims registry does not check.\n\n"
        + "\n".join(lines)
        + "\n"
    )


def other_claims(data: MetricsDir, used: set[str]) -> str:
    """Every claim that no table cell shows, so the report lists each claim once."""
    if data.claims is None:
        return "claims.json was not found; run `artifact claims`.\n"
    rest = [c for c in claim_list(data.claims) if str(c.get("id")) not in used]
    if not rest:
        return "Every claim appears in a table above.\n"
    lines = ["| id | location | paper | this run | verdict |", "|---|---|---|---|---|"]
    for claim in rest:
        cells = (
            f"`{claim.get('id')}`",
            claim.get("location", ""),
            format_value(claim.get("expected")),
            format_value(claim.get("observed"), prefer_text=False),
            verdict_text(claim),
        )
        lines.append("| " + " | ".join(md_cell(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"


def _values(values: object) -> str:
    if isinstance(values, dict):
        return "; ".join(f"{key}: {format_value(value)}" for key, value in values.items())
    if isinstance(values, list):
        return "; ".join(format_value(value) for value in values)
    return format_value(values)


def audit(data: MetricsDir) -> str:
    if data.audit is None:
        return (
            "audit.json was not found in the metrics directory; run `artifact claims` "
            "(or `artifact audit-paper --format json`) and rebuild the report.\n"
        )
    findings = data.audit.get("findings") or []
    if not findings:
        return "The audit found no inconsistency in the paper.\n"
    noun = "finding" if len(findings) == 1 else "findings"
    lines = [f"{len(findings)} {noun}: places where the paper disagrees with itself.", ""]
    for finding in findings:
        locations = finding.get("locations") or []
        where = "; ".join(map(str, locations)) if isinstance(locations, list) else str(locations)
        severity = f" ({finding['severity']})" if finding.get("severity") else ""
        lines += [
            f"- **`{finding.get('id')}`**{severity}: {finding.get('explanation', '')}",
            f"  - where: {where}",
            f"  - values: {_values(finding.get('values'))}",
        ]
        if finding.get("claims"):
            matters = "; the verdicts of these claims say paper inconsistent"
            matters = matters if finding.get("matters_for_claims") else ""
            ids = ", ".join(f"`{c}`" for c in finding["claims"])
            lines.append(f"  - claims: {ids}{matters}")
    return "\n".join(lines) + "\n"


def provenance(data: MetricsDir) -> str:
    """The environment record of the numbers (aggregate.json's), and claims.json's if it differs."""
    records = []
    if data.aggregate is not None:
        record = dict(data.aggregate.get("provenance") or {})
        same = data.claims is not None and data.claims.get("provenance") == record
        if data.aggregate.get("config_digest"):
            record.setdefault("config_digest", data.aggregate["config_digest"])
        records.append(("aggregate.json", record))
    else:
        same = False
    if data.claims is not None and data.claims.get("provenance") and not same:
        records.append(("claims.json", data.claims["provenance"]))
    if not records and data.run_provenance:
        run = data.runs[0]
        records.append(
            (str(phase_paths(Path(), RunKey(run.dataset, run.seed, run.method), "joint").metrics), data.run_provenance)
        )
    if not records:
        return (
            "No provenance record: aggregate.json, claims.json and the runs' records are missing.\n"
        )
    parts = []
    for source, record in records:
        text = json.dumps(record, indent=2, sort_keys=True, default=str)
        parts.append(f"From `{source}`:\n\n```json\n{text}\n```\n")
    return "\n".join(parts)
