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
    "reproduced", "not_reproduced", "holds_at_reduced_scale", "fails_at_reduced_scale",
    "not_comparable", "not_run", "paper_inconsistent", "informational",
)  # fmt: skip
QUALITATIVE = ("holds_at_reduced_scale", "fails_at_reduced_scale")


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
            f"`{data.profile}` profile on `{data.data_source}` data, scaled down from the "
            "paper. Its numbers are shown beside the paper's for orientation only; claims "
            "say `not comparable` for them, and the claims whose statement does not depend on "
            "scale say `holds at reduced scale` or `fails at reduced scale`.",
        ]
    return "\n".join(lines) + "\n"


def _stage_end(data: MetricsDir, dataset: str, stage: str, name: str) -> str:
    values = [r[name] for run in data.runs if run.dataset == dataset
              for r in [run.last(stage)] if r and isinstance(r.get(name), int | float)]  # fmt: skip
    if not values:
        return "-"
    low, high = min(values), max(values)
    return f"{low:.4g}" if low == high else f"{low:.4g}–{high:.4g}"


def reduced_scale(data: MetricsDir, figure: str | None) -> str:
    """What a reduced run can and cannot tell: whether its models learned (the curves, and the
    MSE and MIG at the end of each stage), then the qualitative findings it supports or
    contradicts; the numbers it cannot speak to are the rest of the report."""
    lines = [f"This run used the reduced `{data.profile}` profile. It cannot reproduce or refute "
             "any number of the paper (every numeric claim says `not comparable`). It can tell "
             "whether the paper's orderings and trends, the claims that do not depend on scale, "
             "appear at this scale, provided the models learned.", ""]  # fmt: skip
    if figure:
        lines += [f"![Learning curves](figures/{figure})", "",
                  "Reconstruction MSE (log scale) and MIG after every epoch; t < 0 is stages 1-2.",
                  ""]  # fmt: skip
    lines += ["| dataset | MSE end of stage 1 | MSE end of stage 3 | MIG end of stage 1 | "
              "MIG end of stage 3 |", "|---|---|---|---|---|"]  # fmt: skip
    for dataset in data.datasets:
        cells = [_stage_end(data, dataset, stage, name)
                 for name in ("mse", "mig") for stage in ("stage1", "stage3")]  # fmt: skip
        lines.append(f"| {dataset} | {cells[0]} | {cells[1]} | {cells[2]} | {cells[3]} |")
    qualitative = [c for c in claim_list(data.claims) if c.get("verdict") in QUALITATIVE]
    if data.claims is None:
        lines += ["", "claims.json was not found; run `artifact claims` for the verdicts."]
    for verdict, heading in zip(QUALITATIVE, ("supports", "contradicts"), strict=True):
        found = [c for c in qualitative if c.get("verdict") == verdict]
        lines += ["", f"**Qualitative findings this run {heading}** ({len(found)}):", ""]
        lines += [f"- `{c.get('id')}` ({c.get('location', '')}): {md_cell(c.get('text', ''))} "
                  f"— this run: {md_cell(format_value(c.get('observed'), prefer_text=True))}"
                  for c in found] or ["- none"]  # fmt: skip
    return "\n".join(lines) + "\n"


def protocol_notes(data: MetricsDir) -> str:
    """Two facts of the protocol a reader of the tables needs (docs/interpretations.md): the
    latent SAE is dense at the paper's k, and which epoch "at k = 500" is."""
    config = next((run.config for run in data.runs if run.config), {})
    width = (config.get("model") or {}).get("latent_sae_width", "its")
    lines = [
        f"- The latent SAE ({width} neurons) takes eq. 2's top k like the conv SAE, but every k of "
        "the schedule (500 -> 50) is at least its width, so it keeps all its neurons: it is dense, "
        "never sparse. Dead and specialised neurons are the conv SAE's.",
    ]
    topk = next((run for run in data.runs if run.method == "topk"), None)
    stage3 = [r for r in topk.records if r["stage"] == "stage3"] if topk is not None else []
    ks = [r["k"] for r in stage3 if isinstance(r.get("k"), int)]
    if ks:
        at_start = [r["epoch"] for r in stage3 if r.get("k") == max(ks)]
        lines.append(
            f"- \"At k = {max(ks)}\" (Table 2) is the last stage-3 evaluation at the starting k: "
            f"stage-3 epoch {at_start[-1]} of this run (the paper's schedule: epoch 6, since eq. 4 "
            "rounds k(5) = k(6) = 500); for L1, the end of stage 2."
        )
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
