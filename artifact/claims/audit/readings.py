"""The audit's checks of single readings against the tables: a figure's seed-42 value against
the 3-seed mean (Samuelson's inequality bounds how far one seed can be), the threshold sweeps
against their definition (monotone), and each sweep's default row against the training state
it is mapped to.
"""

from __future__ import annotations

import math
import re

from artifact.claims.audit.paper_logic import Check, claim_check, classify, paper_holds
from artifact.claims.registry.models import Claim
from artifact.claims.registry.operands import interval_value
from artifact.claims.registry.quantities import PaperIndex
from artifact.claims.registry.values import Interval


def seed_vs_mean(index: PaperIndex) -> list[Check]:
    """A figure's single-seed reading against the 3-seed mean of the same quantity. With the
    paper's std s over n seeds no seed lies further than s (n - 1) / sqrt(n) from the mean
    (Samuelson's inequality): beyond it the two cannot both hold."""
    checks, rule = [], index.registry.rules[index.registry.audit.spread_rule]
    for claim in index.registry.claims:
        if claim.seed is None or claim.id in index.marked:
            continue
        if claim.kind in ("ordering", "trend", "range"):
            held = paper_holds(claim, index)
            if held is None:
                continue
            severity = None if held.holds else "minor"
            checks.append(claim_check(f"seed-vs-mean:{claim.id}", "seed_vs_mean", severity,
                                      f"{claim.location} (seed {claim.seed}) says '{claim.text}'; on the "
                                      f"3-seed means: {held.computed} ({'agrees' if held.holds else 'the means disagree'})",
                                      [claim]))  # fmt: skip
            continue
        mean, reference, bound, how = _mean_reference(claim, index, rule)
        if mean is None:
            continue
        gap = claim.value.interval().gap(mean)
        if bound is not None:
            severity = "contradiction" if gap > bound else None
        else:
            severity = None if gap <= 0 else "minor"
        explanation = (f"{claim.location} reads {claim.value.raw} for seed {claim.seed}; the 3-seed mean is {mean}"
                       f"{' (' + reference.location + ')' if reference else ''}; {how}")  # fmt: skip
        involved = [claim] + ([reference] if reference else [])
        checks.append(claim_check(f"seed-vs-mean:{claim.id}", "seed_vs_mean", severity, explanation,
                                  involved, [claim.id] if severity == "contradiction" else []))  # fmt: skip
    return checks


def _mean_reference(
    claim: Claim, index: PaperIndex, rule
) -> tuple[Interval | None, Claim | None, float | None, str]:
    if claim.kind == "mean_std":
        reference = index.primary(claim.metric)
        spread = index.per_seed_std(claim.metric)
        if reference is None:
            return None, None, None, ""
        if spread is not None and spread[0] > 0:
            n = index.registry.by_id[spread[1]].n or 3
            bound = spread[0] * (n - 1) / math.sqrt(n) + reference.value.half_width
            return (
                reference.value.interval(),
                reference,
                bound,
                (
                    f"with std {spread[0]:g} over {n} seeds a seed can be at most {bound:.3g} away (Samuelson)"
                ),
            )
        return (
            reference.value.interval(),
            reference,
            None,
            "the paper gives no spread to bound a single seed",
        )
    same = [c for c in index.registry.claims if c.kind == "derived" and c.seed is None
            and c.id not in index.marked and str(c.expr) == str(claim.expr)]  # fmt: skip
    if same:
        reference, mean = same[0], same[0].value.interval()
    else:
        reference, mean = None, interval_value(claim.expr, index.leaf_interval)
    spread = index.propagated(claim.expr, rule, 1)
    how = (f"a single seed's spread is about {spread[1]:.3g} (partly assumed), so this is not a contradiction"
           if spread else "the paper gives no spread to bound a single seed")  # fmt: skip
    return mean, reference, None, how


_SWEEP = re.compile(r"^(?P<stem>.*?)(?P<family>specialised|dead_pct)_thr_(?P<thr>[0-9.e\-]+)$")


def monotone_sweeps(index: PaperIndex) -> list[Check]:
    """By definition a count above a threshold cannot grow with the threshold and a rate below
    one cannot shrink: Tables 4 and 5 (and Figures 10, 11) must be monotone."""
    groups: dict[tuple, list[tuple[float, Claim]]] = {}
    for claim in index.registry.claims:
        match = _SWEEP.match(claim.metric or "") if claim.kind == "mean_std" else None
        if match:
            groups.setdefault((match["stem"], match["family"], claim.seed), []).append(
                (float(match["thr"]), claim)
            )
    checks = []
    for (stem, family, seed), rows in groups.items():
        rows = sorted({threshold: claim for threshold, claim in reversed(rows)}.items())
        bad = []
        for (_, low), (_, high) in zip(rows, rows[1:], strict=False):
            a, b = low.value.interval(), high.value.interval()
            if (family == "specialised" and b.lo > a.hi) or (family == "dead_pct" and b.hi < a.lo):
                bad += [low.id, high.id]
        what = "non-increasing" if family == "specialised" else "non-decreasing"
        checks.append(claim_check(
            f"monotone:{stem}{family}{'' if seed is None else f'@{seed}'}", "monotone",
            "contradiction" if bad else None,
            f"{stem}{family} over thresholds {', '.join(f'{t:g}' for t, _ in rows)} must be {what}"
            + (f"; violated by {', '.join(dict.fromkeys(bad))}" if bad else ""),
            [c for _, c in rows], list(dict.fromkeys(bad))))  # fmt: skip
    return checks


def default_rows(index: PaperIndex, n_se: float) -> list[Check]:
    """A sweep's row at the default threshold must equal the headline number of the training
    state it reports. Rows mapped to extended training are compared with the end of stage 3:
    if they differ, the table does not report stage 3 (and the mapping is the right one)."""
    checks, rule = [], index.registry.rules[index.registry.audit.spread_rule]
    for claim in index.registry.claims:
        match = (
            _SWEEP.match(claim.metric or "")
            if claim.kind == "mean_std" and claim.seed is None
            else None
        )
        if (
            match is None
            or index.canonical(claim.metric) == claim.metric
            or "extended_" not in match["stem"]
        ):
            continue
        stage3_key = index.canonical(claim.metric).replace("extended_", "")
        stage3 = index.primary(stage3_key)
        if stage3 is None:
            continue
        gap = claim.value.interval().gap(stage3.value.interval())
        se = max(index.paper_se(claim, rule)[0], index.paper_se(stage3, rule)[0])
        severity = None if classify(gap, se, n_se) is None else "minor"
        explanation = (f"{claim.location} gives {claim.value.raw} at the default threshold; the end of stage 3 "
                       f"({stage3.location}) is {stage3.value.raw}: "
                       + ("the same state" if severity is None else
                          "so the table does not report the end of stage 3; it is mapped to the end of "
                          "extended training, which the derived checks of Table 3 compare it with"))  # fmt: skip
        checks.append(
            claim_check(
                f"default-row:{claim.id}", "default_row", severity, explanation, [claim, stage3]
            )
        )
    return checks
