"""Finding the paper's value for a cell or marker in claims.json, formatting values, and the
per-epoch series the figures draw: built cases and laws."""

from __future__ import annotations

import statistics

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from artifact.report.inputs import Run, _clock
from artifact.report.paper import Ref, find_claim, format_value, point
from artifact.report.series import schedule, seed_mean_std, stack

CLAIMS = [
    {"id": "t10", "location": "Figure 10, dSprites, threshold 0.2", "expected": 2553},
    {"id": "t1", "location": "Figure 1, dSprites", "expected": 1},
    {"id": "k500", "location": "Table 2, Dead neurons at k=500, dSprites", "expected": 1.2},
    {"id": "k50", "location": "Table 2, Dead neurons at k=50, dSprites", "expected": 34.4},
    {"id": "m", "location": "Table 1, dSprites / Top-k, Dead (%)", "metric": "dsprites.topk.dead_pct",
     "expected": {"mean": 34.4, "std": 0.9, "n": 3}},
    {"id": "other", "location": "Table 1, dSprites / Top-k, Dead (%)", "metric": "dsprites.l1.dead_pct"},
]  # fmt: skip


def test_a_table_number_does_not_match_a_longer_one():
    assert find_claim(CLAIMS, Ref("figure 1", (), ("dsprites",)))["id"] == "t1"


def test_k_50_does_not_match_k_500():
    assert find_claim(CLAIMS, Ref("table 2", (), ("dsprites", "dead", "k 50")))["id"] == "k50"
    assert find_claim(CLAIMS, Ref("table 2", (), ("dsprites", "dead", "500")))["id"] == "k500"


def test_a_claim_is_found_by_its_metric_at_its_place():
    ref = Ref("table 1", ("dsprites.topk.dead_pct",), ("dsprites", "top k", "dead"))
    assert find_claim(CLAIMS, ref)["id"] == "m"
    assert find_claim(CLAIMS, Ref("table 2", ("dsprites.topk.dead_pct",))) is None


def test_a_claim_naming_another_metric_is_never_matched_by_words():
    ref = Ref("table 1", ("dsprites.topk.mig",), ("dsprites", "top k", "dead"))
    assert find_claim(CLAIMS, ref) is None


def test_values_are_formatted_as_the_paper_prints_them():
    assert format_value({"mean": 1188.0, "std": 42.0, "n": 3}) == "1,188 ± 42"
    assert format_value({"mean": 34.41, "std": 0.93, "n": 3}, 1) == "34.4 ± 0.9"
    assert format_value({"low": 0.0163, "high": 0.0171}) == "0.0163 – 0.0171"
    assert format_value(1.8) == "1.8"
    assert format_value(None) == "—"
    assert format_value("Stable; no degradation") == "Stable; no degradation"


@given(st.floats(-1e6, 1e6), st.floats(0, 1e4))
def test_a_marked_value_spans_its_mean_plus_minus_std(mean, std):
    centre, low, high = point({"mean": mean, "std": std, "n": 3})
    assert low <= centre <= high and np.isclose(high - low, 2 * std, atol=1e-6 * (1 + abs(mean)))


@given(st.lists(st.lists(st.floats(-1e3, 1e3), min_size=4, max_size=4), min_size=1, max_size=5))
def test_seed_statistics_are_the_mean_and_sample_std_of_aggregate_json(rows):
    values = np.array(rows)  # (n_seeds, n_t)
    mean, std = seed_mean_std(values)
    for column in range(values.shape[1]):
        seeds = values[:, column].tolist()
        assert np.isclose(mean[column], statistics.fmean(seeds), atol=1e-9)
        expected = statistics.stdev(seeds) if len(seeds) > 1 else 0.0
        assert np.isclose(std[column], expected, atol=1e-6)


def _run(stages_epochs: list[tuple[str, int]], seed: int = 42) -> Run:
    records = [
        {"stage": s, "epoch": e, "k": 10 + e, "dead_pct": float(seed + e)} for s, e in stages_epochs
    ]
    return Run("dsprites", "topk", seed, tuple(records), t=_clock(records))


def test_the_clock_puts_stage_3_at_zero_stage_2_before_and_extended_after():
    run = _run(
        [("stage1", 0), ("stage2", 0), ("stage2", 1), ("stage3", 0), ("stage3", 1), ("extended", 0)]
    )
    assert run.t.tolist() == [-3, -2, -1, 0, 1, 2]


def test_runs_of_different_length_stack_on_their_shared_clock_with_gaps():
    long = _run([("stage3", 0), ("stage3", 1), ("stage3", 2)], seed=42)
    short = _run([("stage3", 0), ("stage3", 1)], seed=43)
    t, values = stack([long, short], "dead_pct", ("stage3",))
    assert t.tolist() == [0, 1, 2]
    assert np.isnan(values[1, 2]) and values[1, 1] == 44.0
    assert schedule(stack([long, short], "k", ("stage3",))[1]).tolist() == [10, 11, 12]


def test_claims_json_text_is_shown_as_written():
    expected = {
        "text": "34.4 ± 0.9 (n=3)",
        "mean": 34.4,
        "std": 0.9,
        "n": 3,
        "low": None,
        "high": None,
    }
    assert format_value(expected) == "34.4 ± 0.9 (n=3)"
    assert point(expected) == (34.4, 34.4 - 0.9, 34.4 + 0.9)
    ranged = {"text": "0.0163 – 0.0171", "mean": None, "std": None, "low": 0.0163, "high": 0.0171}
    assert point(ranged) == pytest.approx((0.0167, 0.0163, 0.0171))


def test_a_claim_printed_in_two_places_is_found_at_either():
    claims = [{"id": "x", "location": "Abstract; Table 3, dSprites, Final Dead%", "metrics": []}]
    assert find_claim(claims, Ref("table 3", (), ("dsprites", "final")))["id"] == "x"
    assert find_claim(claims, Ref("abstract", (), ("dsprites",))) is None  # words of one place only


def test_a_claim_over_two_metrics_is_not_a_cell_of_its_first_metric():
    ratio = {"id": "r", "location": "Table 2, scaling", "metric": "shapes3d.topk.dead_pct",
             "metrics": ["shapes3d.topk.dead_pct", "dsprites.topk.dead_pct"]}  # fmt: skip
    assert find_claim([ratio], Ref("table 2", ("shapes3d.topk.dead_pct",), ("scaling",))) is None
    assert find_claim([ratio], Ref("table 2", (), ("scaling",)))["id"] == "r"
