"""The claim registry's schema: each quantitative statement of the paper as a pydantic model.

A claim names where the paper says it, the paper's words, the value as printed (see values.py),
what it maps to in aggregate.json (a metric key of artifact/metrics/keys.py, an expression over
metric keys, or a path into the resolved config) and the name of its tolerance rule
(claims/tolerances.yaml). `paper_checks` state what the paper's *other* numbers imply about
this one; `artifact audit-paper` evaluates them. The format is documented in claims/README.md.
"""

from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from artifact.claims.registry.values import Value, parse_value
from artifact.metrics.keys import all_metric_keys

Kind = Literal[
    "mean_std", "derived", "point", "range", "ordering", "trend", "setup", "informational"
]  # fmt: skip
RuleType = Literal[
    "standard_error", "relative", "inclusion", "overlap", "std_bound", "sign", "trend", "exact",
    "informational",
]  # fmt: skip
Op = Literal[
    "ratio", "difference", "relative_change_pct", "percent_of", "reduction_pct",
    "sum", "product", "count", "min", "max",
]  # fmt: skip
BINARY_OPS = frozenset(
    {"ratio", "difference", "relative_change_pct", "percent_of", "reduction_pct"}
)
RULES_FOR_KIND: dict[str, frozenset[str]] = {
    "mean_std": frozenset({"standard_error"}),
    "derived": frozenset({"standard_error"}),
    "point": frozenset({"relative", "exact"}),
    "range": frozenset({"inclusion", "overlap", "std_bound"}),
    "ordering": frozenset({"sign"}),
    "trend": frozenset({"trend"}),
    "setup": frozenset({"exact"}),
    "informational": frozenset({"informational"}),
}
# Only an order or a direction can be judged at another scale; every number depends on it.
SCALE_FREE_KINDS = frozenset({"ordering", "trend"})
RANGE_RULE_FOR_STATISTIC = {"mean": "inclusion", "seeds": "overlap", "std": "std_bound"}


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Expr(_Frozen):
    """`op` applied to operands: metric keys (run side), claim ids (paper side), numbers or
    nested expressions. YAML may write `{ratio: [a, b]}` for `{op: ratio, of: [a, b]}`."""

    op: Op
    of: tuple[Operand, ...] = Field(min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _compact_form(cls, data: object) -> object:
        if isinstance(data, dict) and len(data) == 1 and "op" not in data:
            ((op, operands),) = data.items()
            return {"op": op, "of": operands}
        return data

    @model_validator(mode="after")
    def _arity(self) -> Expr:
        if self.op in BINARY_OPS and len(self.of) != 2:
            raise ValueError(f"'{self.op}' takes exactly two operands, got {len(self.of)}")
        return self

    def leaves(self) -> list[str]:
        return [name for operand in self.of for name in operand_leaves(operand)]

    def __str__(self) -> str:
        return f"{self.op}({', '.join(str(o) for o in self.of)})"


Operand = Union[str, float, Expr]  # noqa: UP007 (a forward reference needs Union)
Expr.model_rebuild()


def operand_leaves(operand: Operand) -> list[str]:
    if isinstance(operand, Expr):
        return operand.leaves()
    return [operand] if isinstance(operand, str) else []


class Rule(_Frozen):
    """A tolerance rule: how a claim of a kind is judged, and why (one line)."""

    type: RuleType
    why: Annotated[str, Field(min_length=10)]
    n_se: Annotated[float, Field(gt=0)] = 3.0
    assumed_paper_rel_std: Annotated[float, Field(gt=0)] | None = None
    rel: Annotated[float, Field(ge=0)] = 0.0
    abs: Annotated[float, Field(ge=0)] = 0.0
    rel_band: Annotated[float, Field(ge=0)] = 0.0
    quantile: Annotated[float, Field(gt=0.5, lt=1)] = 0.975


class AuditSettings(_Frozen):
    """How the audit weighs a gap between two of the paper's numbers (claims/tolerances.yaml)."""

    n_se: Annotated[float, Field(gt=0)]
    spread_rule: str
    why: Annotated[str, Field(min_length=10)]


class PaperCheck(_Frozen):
    """What the paper's other numbers imply about this claim's value: `value relation expr`."""

    expr: Expr
    relation: Literal["==", ">=", "<="] = "=="
    severity: Literal["contradiction", "minor"] = "contradiction"
    why: str | None = None


class Claim(_Frozen):
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.\-]*$")]
    location: Annotated[str, Field(min_length=3)]
    text: Annotated[str, Field(min_length=1)]
    kind: Kind
    tolerance: Annotated[str, Field(min_length=1)]
    value: Value | None = None
    n: Annotated[int, Field(ge=1)] | None = None
    metric: str | None = None
    expr: Expr | None = None
    metrics: tuple[Operand, ...] | None = None
    pairs: tuple[tuple[Operand, Operand], ...] | None = None
    relation: Literal[">", ">=", "<", "<="] | None = None
    direction: Literal["increase", "decrease", "stable", "no_decrease", "no_increase"] | None = None
    max_rel_change: Annotated[float, Field(ge=0)] | None = None
    statistic: Literal["mean", "seeds", "std"] = "mean"
    seed: int | None = None
    config: str | None = None
    reduce: Literal["value", "count", "range"] = "value"
    fact: str | None = None
    items: tuple[str | float, ...] | None = None
    # Whether the statement holds or fails whatever the scale (an order, a direction), so a
    # reduced run can judge it qualitatively; set on every claim (claims/README.md, Scale-free).
    scale_free: bool
    paper_checks: tuple[PaperCheck, ...] = ()
    also_at: tuple[str, ...] = ()
    note: str | None = None

    @field_validator("value", mode="before")
    @classmethod
    def _parse_value(cls, raw: object) -> object:
        if raw is None or isinstance(raw, Value | dict):
            return raw
        return parse_value(raw)  # ValueError names the problem; the loader adds the claim id

    @model_validator(mode="after")
    def _fields_fit_kind(self) -> Claim:
        need = {
            "mean_std": ("metric", "value", "n"),
            "derived": ("expr", "value"),
            "point": ("value",),
            "range": ("metrics", "value"),
            "ordering": ("pairs", "relation"),
            "trend": ("pairs", "direction"),
            "setup": ("value",),
        }.get(self.kind, ())
        missing = [name for name in need if getattr(self, name) is None]
        if missing:
            raise ValueError(f"a {self.kind} claim needs {', '.join(missing)}")
        numeric_kinds = ("mean_std", "derived", "point", "range")
        if self.kind in numeric_kinds and not self.value.numeric:
            raise ValueError(f"a {self.kind} claim needs a numeric value, got '{self.value.raw}'")
        if self.kind in ("mean_std", "derived", "point") and self.value.shape != "number":
            raise ValueError(f"a {self.kind} claim needs one number, got '{self.value.raw}'")
        if self.kind == "point" and self.metric is None and self.expr is None:
            raise ValueError("a point claim needs a metric or an expr")
        if self.kind == "setup" and self.config is None and self.metric is None:
            raise ValueError("a setup claim needs a config path or a metric (else: informational)")
        if self.scale_free and self.kind not in SCALE_FREE_KINDS:
            raise ValueError(f"a {self.kind} claim states a number, so it cannot be scale_free")
        if self.items is not None and self.value is not None and self.value.shape != "number":
            raise ValueError("items are counted against a single number value")
        unknown = sorted(set(self.run_leaves()) - all_metric_keys())
        if unknown:
            raise ValueError(f"unknown metric key(s) {unknown}: see artifact/metrics/keys.py")
        return self

    def run_leaves(self) -> list[str]:
        """Every metric key this claim reads from aggregate.json."""
        operands: list[Operand] = []
        if self.metric:
            operands.append(self.metric)
        if self.expr is not None:
            operands.append(self.expr)
        operands += list(self.metrics or ())
        for left, right in self.pairs or ():
            operands += [left, right]
        return [leaf for operand in operands for leaf in operand_leaves(operand)]

    def paper_leaves(self) -> list[str]:
        """Claim ids this claim's paper checks read."""
        return [leaf for check in self.paper_checks for leaf in check.expr.leaves()]


class BibEntry(_Frozen):
    number: int
    key: str
    entry: str


class Citation(_Frozen):
    location: str
    words: str
    number: int
    intended: str


class Formula(_Frozen):
    """A printed formula, what the words around it say it does, and the reading that does it."""

    id: str
    location: str
    text: str
    literal: str
    reading: str
    definitions: dict[str, str] = {}
    variable: str = "t"
    domain: tuple[float, float]
    start_claim: str
    end_claim: str
    monotone: Literal["non_increasing", "non_decreasing"]


class Note(_Frozen):
    """A finding no computation over the registry can reach (it needs facts outside the paper)."""

    id: str
    locations: tuple[str, ...]
    values: dict[str, str]
    explanation: str
    source: str
    marks: tuple[str, ...] = ()
