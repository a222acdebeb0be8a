"""Claims and audit reports as a rich table (terminal) or Markdown (a README, a review).
JSON is the reports' own `.model_dump(mode="json")`; nothing here changes a verdict."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

from artifact.claims.audit.paper_audit import AuditReport
from artifact.claims.verify.verdicts import VERDICTS, ClaimsReport

VERDICT_STYLE = {
    "reproduced": "green",
    "not_reproduced": "bold red",
    "holds_at_reduced_scale": "blue",
    "fails_at_reduced_scale": "dark_orange",
    "not_run": "yellow",
    "not_comparable": "cyan",
    "paper_inconsistent": "magenta",
    "informational": "dim",
}
SEVERITY_STYLE = {"contradiction": "bold magenta", "minor": "yellow"}


def summary_line(report: ClaimsReport) -> str:
    counts = ", ".join(f"{report.summary[v]} {v}" for v in VERDICTS if report.summary.get(v))
    return f"{report.summary['total']} claims: {counts}"


def _short_note(note: str | None, reason: str | None) -> str:
    """A claim's note without the run-level not_comparable reason (the caption has it)."""
    note = note or ""
    if reason:
        for tail in ("; the numbers alone would pass", "; the numbers alone would fail", ""):
            note = note.replace(reason + tail, "")
    return note.strip(" |")


def claims_table(report: ClaimsReport) -> Table:
    """One row per claim; the run-level reason for not_comparable goes once into the caption."""
    reason = report.provenance.get("not_comparable_because")
    caption = summary_line(report) + (f"\nnot comparable: {reason}" if reason else "")
    table = Table(title="Claims of the paper against this run", caption=caption, expand=False)
    for name in ("verdict", "claim", "location", "paper", "this run", "numbers", "note"):
        table.add_column(name, overflow="fold")
    for claim in report.claims:
        table.add_row(
            Text(claim.verdict, style=VERDICT_STYLE[claim.verdict]),
            claim.id,
            claim.location,
            claim.expected.text,
            claim.observed.text if claim.observed else "-",
            claim.numeric_outcome or "-",
            _short_note(claim.note, reason),
        )
    return table


def _cell(text: str | None) -> str:
    return (text or "").replace("|", "\\|").replace("\n", " ")


def claims_markdown(report: ClaimsReport) -> str:
    lines = ["# Claims of the paper against this run", "", summary_line(report) + ".", "",
             "| verdict | n |", "|---|---|"]  # fmt: skip
    lines += [f"| {v} | {report.summary.get(v, 0)} |" for v in VERDICTS]
    lines += ["", "| verdict | claim | location | paper | this run | tolerance | note |",
              "|---|---|---|---|---|---|---|"]  # fmt: skip
    for claim in report.claims:
        observed = claim.observed.text if claim.observed else "-"
        cells = (claim.verdict, f"`{claim.id}`", claim.location, claim.expected.text, observed,
                 claim.tolerance, claim.note)  # fmt: skip
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    provenance = report.provenance
    lines += ["", f"Run: profile `{provenance.get('aggregate_profile')}`, data `{provenance.get('aggregate_data_source')}`; "
              f"claim registry `{provenance.get('registry_digest', '')[:12]}`."]  # fmt: skip
    return "\n".join(lines) + "\n"


def audit_table(report: AuditReport) -> Table:
    summary = report.summary
    caption = (f"{summary['contradiction']} contradictions, {summary['minor']} minor, {summary['passed']} checks "
               f"passed; {summary['claims_marked']} claims marked paper_inconsistent")  # fmt: skip
    table = Table(title="The paper's numbers against each other", caption=caption, expand=False)
    for name in ("severity", "finding", "values", "explanation", "marks"):
        table.add_column(name, overflow="fold")
    for finding in report.findings:
        values = "\n".join(f"{where}: {value}" for where, value in finding.values.items())
        table.add_row(Text(finding.severity, style=SEVERITY_STYLE[finding.severity]), finding.id, values,
                      finding.explanation, ", ".join(finding.marks) or "-")  # fmt: skip
    return table


def audit_markdown(report: AuditReport) -> str:
    summary = report.summary
    lines = ["# Audit of the paper's self-consistency", "",
             f"{summary['contradiction']} contradictions, {summary['minor']} minor findings, "
             f"{summary['passed']} checks passed; {summary['claims_marked']} claims marked paper_inconsistent.", "",
             "| severity | finding | locations and values | explanation | claims marked |", "|---|---|---|---|---|"]  # fmt: skip
    for finding in report.findings:
        values = "; ".join(f"{where}: {value}" for where, value in finding.values.items())
        cells = (
            finding.severity,
            f"`{finding.id}`",
            values,
            finding.explanation,
            ", ".join(finding.marks) or "-",
        )
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"
