"""The audit's checks of the paper's numbers against each other (section by section they are
listed in claims/README.md). Each function takes the PaperIndex and returns Checks; the ones
that find a contradiction name the claims whose verdict becomes paper_inconsistent (`marks`).
"""

from __future__ import annotations

import re

from artifact.claims.audit.paper_logic import Check, claim_check, classify, paper_holds
from artifact.claims.registry.models import Claim
from artifact.claims.registry.operands import interval_value
from artifact.claims.registry.quantities import PaperIndex, is_exact
from artifact.claims.registry.values import Interval


def _significant_digits(raw: str) -> int:
    digits = re.sub(r"[^0-9]", "", raw.split("±")[0].split("e")[0]).lstrip("0")
    return len(digits)


def duplicates(index: PaperIndex) -> list[Check]:
    """The same mean ± std (3+ significant digits) printed for two different quantities is a
    likely copy: the first quantity in paper order keeps it, the other reports are marked."""
    groups: dict[tuple[float, float], list[Claim]] = {}
    for claim in index.registry.claims:
        value = claim.value
        if (
            claim.kind == "mean_std"
            and value.std is not None
            and _significant_digits(value.raw) >= 3
        ):
            groups.setdefault((value.mean, value.std), []).append(claim)
    checks = []
    for (mean, std), claims in groups.items():
        keys = list(dict.fromkeys(index.canonical(c.metric) for c in claims))
        if len(keys) < 2:
            continue
        marks = [c.id for c in claims if index.canonical(c.metric) != keys[0]]
        checks.append(claim_check(
            f"duplicate:{mean:g}±{std:g}", "duplicate", "contradiction",
            f"{mean:g} ± {std:g} is printed for {len(keys)} different quantities ({', '.join(keys)}); "
            f"two 3-seed means and stds agreeing to every digit is a likely copy. The first in the "
            f"paper's order ({keys[0]}) keeps it; the other reports are marked paper_inconsistent.",
            claims, marks))  # fmt: skip
    return checks


def _candidates(claims: list[Claim]) -> list[list[Claim]]:
    """Claims grouped by the value they state (intervals that overlap, or equal lists)."""
    out: list[list[Claim]] = []
    for claim in claims:
        for group in out:
            first = group[0].value
            if first.shape == "list" or claim.value.shape == "list":
                same = first.items == claim.value.items
            else:
                same = first.interval().overlaps(claim.value.interval())
            if same:
                group.append(claim)
                break
        else:
            out.append([claim])
    return out


def _with_value(index: PaperIndex, key: str, interval: Interval):
    """The paper's values with one metric set to a candidate value."""

    def lookup(name: str) -> Interval | None:
        return interval if index.canonical(name) == key else index.leaf_interval(name)

    return lookup


def _support(key: str, group: list[Claim], candidates: list[list[Claim]], index: PaperIndex,
             n_se: float) -> tuple[int, list[str]]:  # fmt: skip
    """How many reports state this value, plus the paper's derived statements that hold with it
    and not with every other candidate."""
    stated = sum(c.id not in index.marked for c in group)
    corroborating = []
    for claim in index.registry.claims:
        if (
            claim.id in index.marked
            or claim.seed is not None
            or claim.kind not in ("derived", "range", "ordering", "trend")
        ):
            continue
        if key not in {index.canonical(leaf) for leaf in claim.run_leaves()}:
            continue
        outcomes = []
        for candidate in candidates:
            held = paper_holds(claim, index, _with_value(index, key, candidate[0].value.interval()))
            outcomes.append(
                held is not None
                and classify(held.gap, held.se, n_se, held.holds) != "contradiction"
            )
        if outcomes[candidates.index(group)] and not all(outcomes):
            corroborating.append(claim.id)
    return stated + len(corroborating), corroborating


def _se(claim: Claim, index: PaperIndex) -> float:
    if claim.kind != "mean_std":
        return 0.0
    return index.paper_se(claim, index.registry.rules[index.registry.audit.spread_rule])[0]


def same_quantity(index: PaperIndex, n_se: float) -> tuple[list[Check], dict[str, Claim | None]]:
    """One quantity reported with values that cannot all hold. For a contradiction the value
    with more support (reports + corroborating derived statements) is kept as the paper's; on
    a tie every report is marked."""
    checks, overrides = [], {}
    for (kind, key, detail), claims in index.groups().items():
        candidates = _candidates(claims)
        if len(candidates) < 2:
            continue
        support = [_support(key, c, candidates, index, n_se) if kind == "metric" else
                   (sum(x.id not in index.marked for x in c), []) for c in candidates]  # fmt: skip
        best = max(s for s, _ in support)
        winners = [c for c, (s, _) in zip(candidates, support, strict=True) if s == best]
        reference = winners[0]
        severities = []
        for candidate in candidates:
            if candidate is reference:
                continue
            gap = reference[0].value.interval().gap(candidate[0].value.interval())
            se = max(_se(c, index) for c in reference + candidate)
            severities.append((candidate, classify(gap, se, n_se) or "minor"))
        severity = "contradiction" if any(s == "contradiction" for _, s in severities) else "minor"
        marks = []
        if severity == "contradiction":
            losers = (
                candidates
                if len(winners) > 1
                else [c for c, s in severities if s == "contradiction"]
            )
            marks = [c.id for group in losers for c in group]
        if kind == "metric" and detail is None:
            keep = len(winners) == 1 and severity == "contradiction"
            overrides[key] = next((c for c in reference if c.id not in index.marked), reference[0]) if keep else (
                None if severity == "contradiction" else overrides.get(key, index.primary(key)))  # fmt: skip
        told = "; ".join(
            f"{c[0].value.raw} ({len(c)} report(s); support {s}{': ' + ', '.join(ids) if ids else ''})"
            for c, (s, ids) in zip(candidates, support, strict=True))  # fmt: skip
        verdict = ("a tie: every report is marked" if len(winners) > 1 else
                   f"{reference[0].value.raw} has the most support and is kept")  # fmt: skip
        what = f"{key}" + (f" (seed {detail})" if kind == "metric" and detail is not None else "")
        checks.append(claim_check(
            f"same-quantity:{what}", "same_quantity", severity,
            f"{what} is reported as {told}. " + (verdict if severity == "contradiction" else
            "The difference is within the paper's own standard error; every report is checked."),
            [c for group in candidates for c in group], marks))  # fmt: skip
    return checks, overrides


def claim_consistency(index: PaperIndex, n_se: float) -> list[Check]:
    """Derived values, ranges, orderings and trends the paper states, on its own numbers."""
    checks = []
    for claim in index.registry.claims:
        if claim.id in index.marked or claim.seed is not None:
            continue
        held = paper_holds(claim, index)
        if held is None:
            continue
        severity = classify(held.gap, held.se, n_se, held.holds)
        explanation = (f"{claim.location} states '{claim.text}' ({claim.value.raw if claim.value else claim.relation or claim.direction}); "
                       f"the paper's own numbers give {held.computed}"
                       + (f" (gap {held.gap:.3g}, paper's standard error {held.se:.3g})" if severity else ""))  # fmt: skip
        marks = [claim.id] if severity == "contradiction" else []
        checks.append(
            claim_check(
                f"{claim.kind}:{claim.id}", claim.kind, severity, explanation, [claim], marks
            )
        )
    return checks


def paper_checks(index: PaperIndex) -> list[Check]:
    """What each claim's paper_checks say its value must be, computed from other claims."""
    checks = []
    lookup = index.interval_of_claim()
    for claim in index.registry.claims:
        for number, rule in enumerate(claim.paper_checks, start=1):
            got = interval_value(rule.expr, lookup, index.count_of_claim)
            if got is None:
                continue
            stated = claim.value.interval(exact=is_exact(claim))
            if rule.relation == "==":
                holds = stated.overlaps(got)
            elif rule.relation == ">=":
                holds = stated.hi >= got.lo
            else:
                holds = stated.lo <= got.hi
            severity = None if holds else rule.severity
            operands = ", ".join(
                f"{leaf} = {index.registry.by_id[leaf].value.raw}"
                for leaf in dict.fromkeys(rule.expr.leaves())
            )
            words = {"==": "equal to", ">=": "at least", "<=": "at most"}[rule.relation]
            explanation = (f"{claim.location} states {claim.value.raw}; {rule.expr.op} of the paper's {operands} "
                           f"gives {got}" + ("" if holds else f", and the statement needs a value {words} that")
                           + (f". {rule.why}" if rule.why else ""))  # fmt: skip
            involved = [claim] + [
                index.registry.by_id[leaf] for leaf in dict.fromkeys(rule.expr.leaves())
            ]
            marks = [claim.id] if severity == "contradiction" else []
            checks.append(claim_check(f"paper-check:{claim.id}#{number}", "paper_check", severity,
                                      explanation, involved, marks))  # fmt: skip
    return checks


def item_counts(index: PaperIndex) -> list[Check]:
    """A stated count against the items the same sentence lists."""
    checks = []
    for claim in index.registry.claims:
        if claim.items is None:
            continue
        holds = claim.value.interval().contains(len(claim.items))
        checks.append(claim_check(
            f"count:{claim.id}", "count", None if holds else "contradiction",
            f"{claim.location} states {claim.value.raw} and lists {len(claim.items)}: {', '.join(map(str, claim.items))}",
            [claim], [] if holds else [claim.id]))  # fmt: skip
    return checks
