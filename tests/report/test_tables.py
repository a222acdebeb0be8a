"""The table cells this run computes itself (Tables 2, 3, 6, 7): per-seed pairing, ranges and
ratios over aggregate.json, and how a cell picks what it shows."""

from __future__ import annotations

import statistics

from hypothesis import given
from hypothesis import strategies as st

from artifact.report.paper import Ref
from artifact.report.reductions import change, paired, ratio, seed_range
from artifact.report.tables import Cell, render_cell


def entry(values: list[float], seeds: list[int]) -> dict:
    std = statistics.stdev(values) if len(values) > 1 else 0.0
    return {
        "mean": statistics.fmean(values),
        "std": std,
        "n": len(values),
        "values": values,
        "seeds": seeds,
    }


@given(st.lists(st.tuples(st.floats(0, 100), st.floats(0, 100)), min_size=2, max_size=5))
def test_recovery_is_the_mean_and_std_of_per_seed_differences(pairs):
    seeds = list(range(42, 42 + len(pairs)))
    metrics = {"a": entry([p[0] for p in pairs], seeds), "b": entry([p[1] for p in pairs], seeds)}
    result = paired(("a", "b"), lambda a, b: b - a)(metrics)
    differences = [b - a for a, b in pairs]
    assert abs(result["mean"] - statistics.fmean(differences)) < 1e-9
    assert abs(result["std"] - statistics.stdev(differences)) < 1e-6


def test_seeds_are_paired_by_seed_not_by_position():
    metrics = {"a": entry([1.0, 2.0], [42, 43]), "b": entry([20.0, 10.0], [43, 42])}
    assert paired(("a", "b"), lambda a, b: b - a)(metrics)["mean"] == statistics.fmean([9.0, 18.0])


def test_a_stage_total_range_sums_stages_per_seed_first():
    metrics = {"s1": entry([1.0, 3.0], [42, 43]), "s2": entry([5.0, 1.0], [42, 43])}
    assert seed_range(("s1", "s2"))(metrics) == [4.0, 6.0]


def test_missing_keys_give_no_value_rather_than_an_error():
    assert seed_range(("x",))({}) is None
    assert paired(("x", "y"), lambda a, b: b - a)({}) is None
    assert change("x", "y", 3)({}) is None
    assert ratio("x", "y")({}) is None


def test_a_claim_without_a_number_shows_this_runs_own_reduction():
    metrics = {"m0": entry([0.2, 0.2], [42, 43]), "m1": entry([0.1, 0.1], [42, 43])}
    claim = {"id": "t", "location": "Table 2, MIG change, dSprites", "verdict": "not_reproduced",
             "expected": {"text": "Stable"}, "observed": {"text": "m0 -> m1: long words", "mean": None}}  # fmt: skip
    cell = Cell(Ref("table 2", (), ("dsprites", "mig")), compute=change("m0", "m1", 3))
    used: set[str] = set()
    text = render_cell(cell, [claim], metrics, used)
    assert text == "**0.200 → 0.100 (-50%)**<br>paper Stable<br>*not reproduced*" and used == {"t"}
