"""The paper's number strings: parsed with the precision the paper printed, and the interval
arithmetic the audit relies on."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from artifact.claims.registry.models import Expr
from artifact.claims.registry.operands import interval_value
from artifact.claims.registry.values import Interval, parse_value


@pytest.mark.parametrize(("raw", "mean", "std", "resolution"), [
    ("34.4 ± 0.9", 34.4, 0.9, 0.1), ("1,188 ± 42", 1188, 42, 1), ("0.040 ± 0.002", 0.04, 0.002, 0.001),
    ("68.6M", 68.6e6, None, 0.1e6), ("−54", -54, None, 1), ("+0.3", 0.3, None, 0.1), ("1e-5", 1e-5, None, 1e-5),
    ("1.8×", 1.8, None, 0.1), ("90.0%", 90.0, None, 0.1)])  # fmt: skip
def test_a_number_keeps_the_precision_the_paper_printed(raw, mean, std, resolution):
    value = parse_value(raw)
    assert value.shape == "number" and value.mean == pytest.approx(mean) and value.std == std
    assert value.resolution == pytest.approx(resolution)


def test_ranges_bounds_lists_literals_and_approximations_parse():
    assert (parse_value("0.14–0.23").low, parse_value("0.14–0.23").high) == (0.14, 0.23)
    sweep = parse_value("0.0005–0.01")
    assert (sweep.resolution, sweep.high_resolution) == (pytest.approx(1e-4), pytest.approx(0.01))
    bound = parse_value("< 42")
    assert bound.shape == "bound" and bound.high == 42 and bound.strict
    assert parse_value(">= 300").low == 300 and not parse_value(">= 300").strict
    assert parse_value("[42, 43, 44]").items == (42.0, 43.0, 44.0)
    assert parse_value("tf32").literal == "tf32"
    approx = parse_value("~1,188")
    assert approx.approx and approx.half_width == pytest.approx(0.05 * 1188)


@pytest.mark.parametrize("raw", ["34.4 ± -0.9", "3 ± 4 ± 5", "0.23–0.14", "12abc", "34.4 +/ 0.9"])
def test_malformed_numbers_are_refused(raw):
    with pytest.raises(ValueError):
        parse_value(raw)


@given(st.integers(-(10**6), 10**6), st.integers(0, 4))
def test_a_printed_number_lies_in_its_own_rounding_interval(units, decimals):
    text = f"{units / 10**decimals:.{decimals}f}"
    value = parse_value(text)
    interval = value.interval()
    assert interval.contains(value.mean)
    assert interval.hi - interval.lo == pytest.approx(10.0**-decimals)
    # rounding half up: the next printed value's interval does not overlap this one
    neighbour = parse_value(f"{(units + 1) / 10**decimals:.{decimals}f}").interval()
    assert not interval.overlaps(neighbour)


intervals = st.tuples(st.floats(-1e3, 1e3), st.floats(0, 1e3)).map(
    lambda t: Interval(t[0], t[0] + t[1])
)


@given(intervals, intervals)
def test_gap_is_symmetric_non_negative_and_zero_exactly_for_closed_overlap(a, b):
    assert a.gap(b) == b.gap(a) >= 0
    assert (a.gap(b) == 0) == a.overlaps(b)


@given(st.floats(1, 100), st.floats(0, 1), st.floats(1, 100), st.floats(0, 1))
def test_ratio_interval_contains_every_ratio_of_its_operands(a, da, b, db):
    expr = Expr.model_validate({"ratio": ["x", "y"]})
    leaves = {"x": Interval(a, a + da), "y": Interval(b, b + db)}
    result = interval_value(expr, leaves.get)
    for x in (a, a + da, a + da / 2):
        for y in (b, b + db, b + db / 2):
            assert result.lo - 1e-9 <= x / y <= result.hi + 1e-9


def test_a_ratio_over_a_denominator_that_may_be_zero_is_unbounded():
    expr = Expr.model_validate({"ratio": ["x", "y"]})
    assert interval_value(expr, {"x": Interval(1, 2), "y": Interval(-1, 1)}.get) is None
    assert math.isinf(Interval(0, math.inf).hi)
