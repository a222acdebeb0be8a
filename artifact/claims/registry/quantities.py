"""Which claims report the same quantity, and the paper's spread for each quantity.

A quantity is a canonical metric key (with the seed, for a figure's single-seed reading), a
config path, or a named fact. `..._thr_0.001` is the same quantity as `...dead_pct` when the
paper's default dead threshold is 0.001; the defaults are read from the registry's own setup
claims (section 3.4), not assumed here.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable

from artifact.claims.registry.loader import Registry
from artifact.claims.registry.models import Claim, Rule, operand_leaves
from artifact.claims.registry.operands import propagate
from artifact.claims.registry.values import Interval

_THRESHOLD_KEY = re.compile(
    r"^(?P<stem>.*?)(?P<family>specialised|dead_pct)_thr_(?P<thr>[0-9.e\-]+)$"
)
_DEFAULT_PATHS = {
    "specialised": "metrics.specialisation_threshold",
    "dead_pct": "metrics.dead_threshold",
}

Quantity = tuple[str, str, object]
LeafLookup = Callable[[str], Interval | None]


def is_exact(claim: Claim) -> bool:
    """A setting or a stated size/count (setup claims, named facts) is exact, not rounded."""
    return claim.kind == "setup" or (claim.kind == "informational" and claim.fact is not None)


class PaperIndex:
    """The registry seen as quantities. `marked` claims (paper_inconsistent) never lend their
    value or spread to another claim."""

    def __init__(self, registry: Registry, marked: Iterable[str] = ()):
        self.registry = registry
        self.marked = frozenset(marked)
        self.defaults: dict[str, float] = {}
        for family, path in _DEFAULT_PATHS.items():
            for claim in registry.claims:
                if (
                    claim.config == path
                    and claim.value is not None
                    and claim.value.shape == "number"
                ):
                    self.defaults[family] = claim.value.mean
                    break
        self.primary_override: dict[str, Claim | None] = {}
        self._reports_by_key: dict[tuple[str, int | None], list[Claim]] | None = None

    def canonical(self, key: str) -> str:
        match = _THRESHOLD_KEY.match(key)
        if match is None:
            return key
        default = self.defaults.get(match["family"])
        if default is not None and math.isclose(float(match["thr"]), default):
            return f"{match['stem']}{match['family']}"
        return key

    def quantity(self, claim: Claim) -> Quantity | None:
        if claim.value is None or claim.value.shape in ("literal",):
            return None
        if claim.kind in ("mean_std", "point") and claim.metric is not None:
            return ("metric", self.canonical(claim.metric), claim.seed)
        if claim.config is not None:
            return ("config", claim.config, claim.reduce)
        if claim.fact is not None:
            return ("fact", claim.fact, None)
        return None

    def groups(self) -> dict[Quantity, list[Claim]]:
        out: dict[Quantity, list[Claim]] = {}
        for claim in self.registry.claims:
            key = self.quantity(claim)
            if key is not None:
                out.setdefault(key, []).append(claim)
        return out

    def primary(self, key: str, seed: int | None = None) -> Claim | None:
        """The paper's reference report of a metric: the winner of a resolved conflict, else a
        table's cell, else the first unmarked mean_std or point claim in paper order."""
        key = self.canonical(key)
        if seed is None and key in self.primary_override:
            return self.primary_override[key]
        reports = self._reports().get((key, seed), [])
        tables = [claim for claim in reports if claim.location.startswith("Table")]
        return (tables or reports or [None])[0]

    def _reports(self) -> dict[tuple[str, int | None], list[Claim]]:
        """The unmarked mean_std and point claims by (canonical metric, seed), in paper order:
        built once, as `primary` is asked thousands of times per verification."""
        if self._reports_by_key is None:
            self._reports_by_key = {}
            for claim in self.registry.claims:
                if (
                    claim.id not in self.marked
                    and claim.kind in ("mean_std", "point")
                    and claim.metric is not None
                ):
                    key = (self.canonical(claim.metric), claim.seed)
                    self._reports_by_key.setdefault(key, []).append(claim)
        return self._reports_by_key

    def per_seed_std(self, key: str) -> tuple[float, str] | None:
        """The paper's seed-to-seed std of a metric and the claim it comes from (0 for a point
        claim such as the dictionary size, which does not vary with the seed)."""
        key = self.canonical(key)
        primary = self.primary(key)
        if primary is not None and primary.kind == "point":
            return 0.0, primary.id
        for claim in self.registry.claims:
            if claim.id in self.marked or claim.kind != "mean_std" or claim.seed is not None:
                continue
            if self.canonical(claim.metric) == key and claim.value.std is not None:
                return claim.value.std, claim.id
        return None

    def leaf_interval(self, key: str) -> Interval | None:
        claim = self.primary(key)
        return claim.value.interval() if claim is not None else None

    def leaf_std(self, key: str, rule: Rule, interval: Interval | None = None) -> float | None:
        """Per-seed std of a metric: the paper's, else the rule's assumed relative std."""
        spread = self.per_seed_std(key)
        if spread is not None:
            return spread[0]
        interval = interval or self.leaf_interval(key)
        return None if interval is None else rule.assumed_paper_rel_std * abs(interval.mid)

    def paper_se(self, claim: Claim, rule: Rule) -> tuple[float, str]:
        """Standard error of the paper's value (a single seed's spread when claim.n is 1) and
        where it comes from."""
        value, n = claim.value, claim.n or 1
        if value.std is not None:
            return value.std / math.sqrt(n), "the paper's std"
        assumed = rule.assumed_paper_rel_std * abs(value.mean) / math.sqrt(n)
        if claim.kind == "mean_std":
            spread = self.per_seed_std(claim.metric)
            if spread is not None:
                return spread[0] / math.sqrt(n), f"std of {spread[1]}"
            return assumed, f"assumed {rule.assumed_paper_rel_std:.0%} relative std"
        if claim.expr is not None:
            result = self.propagated(claim.expr, rule, n)
            if result is not None:
                return result[1], "propagated from the paper's operands"
        return assumed, f"assumed {rule.assumed_paper_rel_std:.0%} relative std"

    def propagated(self, operand, rule: Rule, n: int, value_of: LeafLookup | None = None
                   ) -> tuple[float, float] | None:  # fmt: skip
        """(value, standard error) of an expression over the paper's primary values (or over
        `value_of`, which the audit uses to try a candidate value of a contested metric)."""
        value_of = value_of or self.leaf_interval
        means, ses = {}, {}
        for leaf in dict.fromkeys(operand_leaves(operand)):
            interval = value_of(leaf)
            std = self.leaf_std(leaf, rule, interval)
            if interval is None or std is None:
                return None
            means[leaf], ses[leaf] = interval.mid, std / math.sqrt(n)
        try:
            return propagate(operand, means, ses)
        except (ZeroDivisionError, KeyError):
            return None

    def interval_of_claim(self) -> Callable[[str], Interval | None]:
        """Paper-side leaf lookup by claim id (for paper_checks)."""

        def lookup(claim_id: str) -> Interval | None:
            claim = self.registry.by_id.get(claim_id)
            if claim is None or claim.value is None or claim.value.shape == "literal":
                return None
            return claim.value.interval(exact=is_exact(claim))

        return lookup

    def count_of_claim(self, claim_id: str) -> int:
        claim = self.registry.by_id[claim_id]
        if claim.value is not None and claim.value.shape == "list":
            return len(claim.value.items or ())
        return 1
