"""A paper's number as written ("34.4 ± 0.9", "~1,188", "0.14–0.23", "< 42", "68.6M") and the
interval of true values its rounding allows.

Claims store the paper's words as a string so that the precision the paper printed (0.040 has
three decimals, YAML's 0.04 would have two) is kept: the resolution of a number is one unit of
its last printed digit, and a printed value stands for the interval value ± resolution / 2.
A value written with "~" is approximate: its interval is widened to ±5 % (APPROX_REL).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict

APPROX_REL = 0.05  # "~" widens a value's interval to ±5 % (a reading off a figure, or "about")

_NUMBER = r"[+\-−]?\d[\d,]*(?:\.\d+)?(?:[eE][+\-−]?\d+)?"
_SUFFIX = {"": 1.0, "k": 1e3, "M": 1e6}
_NUMBER_RE = re.compile(rf"^(?P<num>{_NUMBER})\s*(?P<suffix>[kM]?)\s*[%×x]?$")
_PM_RE = re.compile(r"\s*(?:±|\+-|\+/-)\s*")
_RANGE_RE = re.compile(
    rf"^(?P<low>{_NUMBER})\s*[%×x]?\s*(?:–|—|-|to)\s*(?P<high>{_NUMBER})\s*[%×x]?$"
)
_BOUND_RE = re.compile(rf"^(?P<op><=|>=|<|>|≤|≥)\s*(?P<num>{_NUMBER})\s*[%×x]?$")


@dataclass(frozen=True)
class Interval:
    """Closed interval [lo, hi]; `lo_open`/`hi_open` mark a strict bound (from "<" or ">")."""

    lo: float
    hi: float
    lo_open: bool = False
    hi_open: bool = False

    @classmethod
    def point(cls, value: float) -> Interval:
        return cls(value, value)

    @property
    def mid(self) -> float:
        if math.isinf(self.lo) or math.isinf(self.hi):
            return self.hi if math.isinf(self.lo) else self.lo
        return (self.lo + self.hi) / 2

    def gap(self, other: Interval) -> float:
        """Distance between the two intervals; 0 when they overlap or touch (to float noise)."""
        gap = max(0.0, other.lo - self.hi, self.lo - other.hi)
        return 0.0 if gap <= _noise(self.lo, self.hi, other.lo, other.hi) else gap

    def contains(self, x: float) -> bool:
        noise = _noise(self.lo, self.hi, x)
        above = x - self.lo > noise or (abs(x - self.lo) <= noise and not self.lo_open)
        below = self.hi - x > noise or (abs(x - self.hi) <= noise and not self.hi_open)
        return above and below

    def overlaps(self, other: Interval) -> bool:
        lo, hi = max(self.lo, other.lo), min(self.hi, other.hi)
        noise = _noise(self.lo, self.hi, other.lo, other.hi)
        if abs(hi - lo) > noise:
            return lo < hi
        # The intervals touch (to the same float noise gap() allows): they overlap unless an
        # endpoint where they meet is open.
        lo_open = (self.lo_open and self.lo == lo) or (other.lo_open and other.lo == lo)
        hi_open = (self.hi_open and self.hi == hi) or (other.hi_open and other.hi == hi)
        return not (lo_open or hi_open)

    def __str__(self) -> str:
        if self.lo == self.hi:
            return f"{self.lo:.6g}"
        if (
            math.isfinite(self.lo)
            and math.isfinite(self.hi)
            and (self.hi - self.lo) <= 0.002 * abs(self.mid)
        ):
            return f"≈{self.mid:.5g}"
        left = "(" if self.lo_open else "["
        right = ")" if self.hi_open else "]"
        return f"{left}{self.lo:.6g}, {self.hi:.6g}{right}"


def _noise(*values: float) -> float:
    """What float arithmetic on printed values can blur: 1e-9 of their size."""
    finite = [abs(v) for v in values if math.isfinite(v)]
    return 1e-9 * max([1.0, *finite])


def _to_float(text: str) -> float:
    return float(text.replace(",", "").replace("−", "-"))


def _resolution(text: str) -> float:
    """One unit of the last printed digit: '34.4' -> 0.1, '1,188' -> 1, '1e-5' -> 1e-5."""
    text = text.replace(",", "").replace("−", "-").lstrip("+-")
    mantissa, _, exponent = text.lower().partition("e")
    decimals = len(mantissa.partition(".")[2])
    return 10.0 ** (-decimals) * 10.0 ** (int(exponent) if exponent else 0)


class Value(BaseModel):
    """A parsed paper value. `shape` says which fields are set:
    number (mean, optional std), range (low, high), bound (low or high), list (items), literal."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    raw: str
    shape: Literal["number", "range", "bound", "list", "literal"]
    mean: float | None = None
    std: float | None = None
    std_resolution: float | None = None
    low: float | None = None
    high: float | None = None
    strict: bool = False
    resolution: float = 0.0
    high_resolution: float | None = None  # a range's high end, printed with its own precision
    approx: bool = False
    items: tuple[float | str, ...] | None = None
    literal: str | None = None

    @property
    def half_width(self) -> float:
        """How far the true value may sit from the printed one (rounding, or '~')."""
        half = self.resolution / 2
        if self.approx and self.mean is not None:
            half = max(half, APPROX_REL * abs(self.mean))
        return half

    def interval(self, exact: bool = False) -> Interval:
        """The true values the printed one allows: rounding half up, so [v - r/2, v + r/2);
        `exact` for a count or a setting, which is not rounded."""
        if self.shape == "number":
            if exact and not self.approx:
                return Interval.point(self.mean)
            return Interval(self.mean - self.half_width, self.mean + self.half_width, hi_open=True)
        if self.shape == "range":
            return Interval(
                self.low - self.resolution / 2, self.high + self.high_resolution / 2, hi_open=True
            )
        if self.shape == "bound":
            if self.low is not None:
                return Interval(self.low, math.inf, lo_open=self.strict)
            return Interval(-math.inf, self.high, hi_open=self.strict)
        if self.shape == "list":
            return Interval.point(float(len(self.items or ())))
        raise ValueError(f"value '{self.raw}' is not numeric")

    @property
    def numeric(self) -> bool:
        return self.shape in ("number", "range", "bound")


def _scaled(num: str, suffix: str) -> tuple[float, float]:
    factor = _SUFFIX[suffix]
    return _to_float(num) * factor, _resolution(num) * factor


def parse_value(raw: str | float | int | list) -> Value:
    """Parse the paper's way of writing a number; raise ValueError with the reason."""
    if isinstance(raw, bool):
        raise ValueError("a value must be a number or the paper's words, not a boolean")
    if isinstance(raw, list):
        items = tuple(item if isinstance(item, str) else float(item) for item in raw)
        return Value(raw=str(raw), shape="list", items=items)
    text = str(raw).strip()
    approx = text.startswith("~")
    text = text.lstrip("~").strip()
    if text.startswith("[") and text.endswith("]"):
        parts = [part.strip() for part in text[1:-1].split(",") if part.strip()]
        items = tuple(_to_float(p) if re.fullmatch(_NUMBER, p) else p for p in parts)
        return Value(raw=str(raw), shape="list", items=items)
    if match := _BOUND_RE.match(text):
        op, num = match["op"], _to_float(match["num"])
        strict = op in ("<", ">")
        lower = op in (">", ">=", "≥")
        return Value(raw=str(raw), shape="bound", strict=strict, approx=approx,
                     low=num if lower else None, high=None if lower else num,
                     resolution=_resolution(match["num"]))  # fmt: skip
    if match := _RANGE_RE.match(text):
        low, high = _to_float(match["low"]), _to_float(match["high"])
        if low > high:
            raise ValueError(f"range '{text}' has its low end above its high end")
        return Value(raw=str(raw), shape="range", low=low, high=high, resolution=_resolution(match["low"]),
                     high_resolution=_resolution(match["high"]), approx=approx)  # fmt: skip
    mean_text, *rest = _PM_RE.split(text)
    if len(rest) > 1:
        raise ValueError(f"'{text}' has more than one ±")
    match = _NUMBER_RE.match(mean_text.strip())
    if match is None:
        if rest or not re.fullmatch(r"[A-Za-z][\w\-]*", text):
            raise ValueError(f"'{text}' is not a number the claims parser understands")
        return Value(raw=str(raw), shape="literal", literal=text)
    mean, resolution = _scaled(match["num"], match["suffix"])
    std = std_resolution = None
    if rest:
        std_match = _NUMBER_RE.match(rest[0].strip())
        if std_match is None:
            raise ValueError(f"the spread in '{text}' is not a number")
        std, std_resolution = _scaled(std_match["num"], std_match["suffix"] or match["suffix"])
        if std < 0:
            raise ValueError(f"the standard deviation in '{text}' is negative")
    return Value(raw=str(raw), shape="number", mean=mean, std=std, std_resolution=std_resolution,
                 resolution=resolution, approx=approx)  # fmt: skip
