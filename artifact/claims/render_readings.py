"""The readings reports as text: claims x readings (verify-claims --readings) and the audit's
reachability per reading. Readings are numbered R0 (the registered one), R1, ... with a legend,
so a row of 50 readings fits a terminal."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from artifact.claims.audit.paper_audit import Reachability
from artifact.claims.verify.readings import ReadingsReport

MARK = {"pass": ("✓", "green"), "fail": ("✗", "red"), None: ("·", "dim")}


def _cell(outcome: str | None, unreachable: bool) -> Text:
    mark, style = MARK[outcome]
    return Text(mark + ("u" if unreachable else ""), style="magenta" if unreachable else style)


def legend(report: ReadingsReport) -> list[str]:
    return [f"R{i} = {name}" + (" (registered)" if name == report.registered else "")
            for i, name in enumerate(report.readings)]  # fmt: skip


def table_sentences(report: ReadingsReport) -> list[str]:
    """One sentence per table: which readings make it hold."""
    index = {name: f"R{i}" for i, name in enumerate(report.readings)}
    out = []
    for table, names in report.tables.items():
        held = ", ".join(index[n] for n in names) if names else "no reading"
        out.append(f"{table} holds under {held} ({len(names)} of {len(report.readings)}).")
    return out


def readings_table(report: ReadingsReport) -> Group:
    table = Table(title="Claims under every evaluation-time reading (✓ pass, ✗ fail, "
                  "· not computable, u: unreachable under that reading)", expand=False)  # fmt: skip
    table.add_column("claim", overflow="fold")
    for i in range(len(report.readings)):
        table.add_column(f"R{i}", justify="center")
    for claim in report.claims:
        cells = [_cell(claim.outcomes[n], n in claim.unreachable) for n in report.readings]
        table.add_row(claim.id, *cells)
    return Group(table, *legend(report), "", *table_sentences(report))


def readings_markdown(report: ReadingsReport) -> str:
    heads = [f"R{i}" for i in range(len(report.readings))]
    lines = ["# Claims under every evaluation-time reading", "",
             "| claim | " + " | ".join(heads) + " |", "|---|" + "---|" * len(heads)]  # fmt: skip
    for claim in report.claims:
        cells = [MARK[claim.outcomes[n]][0] + ("u" if n in claim.unreachable else "")
                 for n in report.readings]  # fmt: skip
        lines.append(f"| `{claim.id}` | " + " | ".join(cells) + " |")
    lines += ["", *(f"- {line}" for line in legend(report)), "", *table_sentences(report)]
    return "\n".join(lines) + "\n"


def reachability_lines(reach: Reachability) -> list[str]:
    """Per reading, the claims no training could reach under it, with the bound."""
    settings = ", ".join(f"{k} {v:g}" for k, v in reach.settings.items())
    lines = [f"Reachability (the paper's {settings}):"]
    for reading, found in reach.readings.items():
        if not found:
            lines.append(f"  {reading}: every claim reachable")
            continue
        lines.append(f"  {reading}: {len(found)} unreachable")
        lines += [f"    {f.claim} ({f.value}): {f.bound}" for f in found]
    everywhere = ", ".join(reach.everywhere) or "none"
    lines.append(f"Unreachable under every reading: {everywhere}")
    return lines
