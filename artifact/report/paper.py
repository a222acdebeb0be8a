"""The paper's numbers, as claims.json states them, found for a table cell or a figure marker.

The report never types a paper number itself: claims/ is the one source of truth (STYLE.md 9),
and claims.json carries each claim's `expected` value and verdict. A cell names the aggregate key
it shows and where the paper prints it ("table 1"); the claim is the one whose `metric` is that
key at that place or, for a claim without a `metric`, the one whose `location` names every token.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

NOT_AVAILABLE = "—"


@dataclass(frozen=True)
class Ref:
    """Where the paper prints a number: its place (`table 1`, `figure 8`), the aggregate keys it
    may map to (the first is what this run shows when no claim says otherwise), and location
    tokens (alternatives separated by `|`) for claims without a metric."""

    where: str
    metrics: tuple[str, ...] = ()
    tokens: tuple[str, ...] = ()


DATASET_TOKENS = {"dsprites": "dsprites", "shapes3d": "shapes3d|shapes 3d|3d shapes|3dshapes"}
METHOD_TOKENS = {"topk": "top k|topk", "l1": "l1"}
DATASET_NAMES = {"dsprites": "dSprites", "shapes3d": "Shapes3D"}
METHOD_NAMES = {"topk": "Top-k", "l1": "L1"}


def _normalise(text: str) -> str:
    return " " + re.sub(r"[^a-z0-9.]+", " ", text.lower()).strip() + " "


def _has(text: str, token: str) -> bool:
    """Whole-word prefix match of any `|` alternative; a token ending in a digit must end there
    too ('table 1' does not match 'table 10', 'k 50' does not match 'k 500')."""
    for alternative in token.split("|"):
        alternative = _normalise(alternative).strip()
        tail = r"(?![0-9.]*[0-9])" if alternative[-1:].isdigit() else ""
        if re.search(r"(?<![a-z0-9])" + re.escape(alternative) + tail, text):
            return True
    return False


def claim_list(claims_payload: dict | None) -> list[dict]:
    if not claims_payload or not isinstance(claims_payload.get("claims"), list):
        return []
    return [c for c in claims_payload["claims"] if isinstance(c, dict)]


def _segments(claim: dict) -> list[str]:
    """The places a claim is printed: claims.json joins a claim's locations with '; '."""
    return [_normalise(part) for part in str(claim.get("location", "")).split(";")]


def _leaves(claim: dict) -> list[str]:
    """The aggregate keys a claim reads (claims.json: `metrics`, else its one `metric`)."""
    leaves = claim.get("metrics")
    if isinstance(leaves, list) and leaves:
        return [str(leaf) for leaf in leaves]
    return [claim["metric"]] if isinstance(claim.get("metric"), str) else []


def find_claim(claims: list[dict], ref: Ref) -> dict | None:
    """The claim `ref` points at, or None (the first in file order when several match).

    A claim that reads exactly one of `ref.metrics` and is printed at `ref.where` matches. Words
    match a claim only when one side has no metric (a computed cell, a claim of words): a claim
    with metrics is never matched to a metric cell by its location alone.
    """
    placed = [c for c in claims if any(_has(s, ref.where) for s in _segments(c))]
    for claim in placed:
        leaves = _leaves(claim)
        if len(leaves) == 1 and leaves[0] in ref.metrics:
            return claim
    if not ref.tokens:
        return None
    for claim in placed:
        if ref.metrics and _leaves(claim):
            continue
        for segment in _segments(claim):
            if _has(segment, ref.where) and all(_has(segment, t) for t in ref.tokens):
                return claim
    return None


def format_number(value: float, digits: int | None = None) -> str:
    """1188.0 -> '1,188'; 34.41 -> '34.4'; 1.8 -> '1.8'; 0.01634 -> '0.0163' (digits=None:
    three significant digits, whole numbers from 100)."""
    if not math.isfinite(value):
        return NOT_AVAILABLE
    if digits is None:
        if abs(value) >= 100:
            return f"{value:,.0f}"
        return f"{value:.3g}"
    return f"{value:,.{digits}f}"


def format_value(value: object, digits: int | None = None, prefer_text: bool = True) -> str:
    """A claim's or the aggregate's value as text: mean ± std, a range, a number or words.
    `prefer_text`: a dict's own `text` (claims.json's rendering) wins over its numbers."""
    if value is None:
        return NOT_AVAILABLE
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return format_number(float(value), digits)
    if isinstance(value, str):
        return value
    if isinstance(value, list | tuple) and len(value) == 2:
        return f"{format_value(value[0], digits)} – {format_value(value[1], digits)}"
    if isinstance(value, dict):
        has_number = isinstance(value.get("mean"), int | float)
        if isinstance(value.get("text"), str) and value["text"] and (prefer_text or not has_number):
            return value["text"]  # claims.json's own rendering: the paper's words, or this run's
        if isinstance(value.get("mean"), int | float):
            text = format_value(value["mean"], digits)
            std = value.get("std")
            if isinstance(std, int | float) and (std > 0 or (value.get("n") or 0) > 1):
                text += f" ± {format_value(std, digits)}"
            return text
        for low, high in (("low", "high"), ("min", "max"), ("lower", "upper")):
            if value.get(low) is not None and value.get(high) is not None:
                return format_value([value[low], value[high]], digits)
        if "value" in value:
            return format_value(value["value"], digits)
        return ", ".join(f"{key} {format_value(item, digits)}" for key, item in value.items())
    return str(value)


def point(value: object) -> tuple[float, float, float] | None:
    """(centre, low, high) of a value to mark on a plot, or None when it is not a number."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value), float(value), float(value)
    if isinstance(value, list | tuple) and len(value) == 2:
        ends = [point(item) for item in value]
        if ends[0] and ends[1]:
            low, high = sorted((ends[0][0], ends[1][0]))
            return (low + high) / 2, low, high
        return None
    if isinstance(value, dict):
        mean = value.get("mean")
        if isinstance(mean, int | float):
            std = value.get("std") if isinstance(value.get("std"), int | float) else 0.0
            return float(mean), float(mean - std), float(mean + std)
        for low, high in (("low", "high"), ("min", "max"), ("lower", "upper")):
            if value.get(low) is not None and value.get(high) is not None:
                return point([value[low], value[high]])
        if "value" in value:
            return point(value["value"])
    return None


def verdict_text(claim: dict | None) -> str:
    if claim is None:
        return "no claim"
    return str(claim.get("verdict", "no verdict")).replace("_", " ")
