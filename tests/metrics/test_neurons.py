"""Neuron metrics (section 3.4, 4.6): rates, dead %, specialised count, both sweeps from one
pass; the MI equals the sklearn loop on the documented binning; the sweep laws hold."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from artifact.errors import TrainingError
from artifact.metrics import mutual_info
from artifact.metrics.neurons import neuron_report
from tests.helpers import paper_section
from tests.helpers.mi_reference import random_factors, reference_discretize, reference_mi

SIZES = [3, 6, 10]
SETTINGS = settings(max_examples=30, deadline=None)


def sparse_codes(
    rng: np.random.Generator, n: int, m: int, k: int, factors: np.ndarray
) -> np.ndarray:
    """Top-k-like codes [N, M]: k positive entries per sample, some neurons tied to factor 0."""
    scores = rng.normal(size=(n, m)) + np.linspace(-2, 2, m)
    scores[:, : m // 4] += 3.0 * (factors[:, [0]] == np.arange(m // 4) % SIZES[0])
    keep = np.argsort(-scores, axis=1)[:, :k]
    codes = np.zeros((n, m))
    np.put_along_axis(codes, keep, np.maximum(np.take_along_axis(scores, keep, 1), 0) + 0.01, 1)
    return codes


def reference_zero_and_positive(codes: np.ndarray, n_bins: int) -> np.ndarray:
    """Bin 0 for codes <= 0; np.histogram/np.digitize bins 1.. over each column's positives."""
    binned = np.zeros(codes.shape, dtype=np.int64)
    for d in range(codes.shape[1]):
        positive = codes[:, d] > 0
        if positive.any():
            column = codes[positive, d]
            edges = np.histogram(column, n_bins - 1)[1][:-1]
            binned[positive, d] = np.digitize(column, edges) if np.ptp(column) > 0 else 1
    return binned


@pytest.fixture(scope="module")
def case() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    factors = random_factors(rng, 2000, SIZES)
    codes = sparse_codes(rng, 2000, 64, 8, factors)
    codes[:, 5] = 0.0  # a dead neuron: a constant column
    codes[:, 6] = rng.random(2000) + 0.5  # active on every sample: its minimum is not 0
    return codes, factors


@pytest.mark.parametrize("binning", ["equal_width", "zero_and_positive"])
@pytest.mark.parametrize("shift", [0.0, -0.05], ids=["codes>=0", "with_negatives"])
def test_neuron_mi_equals_the_sklearn_loop_on_the_documented_bins(case, binning, shift):
    codes, factors = case
    codes = codes + shift
    report = neuron_report(codes, factors, SIZES, paper_section("metrics", neuron_binning=binning))
    binned = (
        reference_discretize(codes, 20)
        if binning == "equal_width"
        else reference_zero_and_positive(codes, 20)
    )
    np.testing.assert_allclose(report.mi.numpy(), reference_mi(binned, factors), atol=1e-9)


def test_a_dead_neuron_has_rate_0_mi_0_and_counts_as_dead(case):
    codes, factors = case
    report = neuron_report(
        torch.from_numpy(codes), torch.from_numpy(factors), SIZES, paper_section("metrics")
    )
    assert report.activation_rate[5] == 0.0
    assert (report.mi[5] == 0.0).all()
    expected_dead = 100.0 * np.mean((codes > 0).mean(axis=0) < 0.001)
    assert report.dead_pct == pytest.approx(expected_dead) and report.dead_pct >= 100 / 64


def test_rates_sparsity_and_default_counts_follow_their_definitions(case):
    codes, factors = case
    cfg = paper_section("metrics", specialisation_threshold=0.05)
    report = neuron_report(codes.astype(np.float32), factors, SIZES, cfg)
    np.testing.assert_allclose(report.activation_rate.numpy(), (codes > 0).mean(axis=0))
    assert report.activation_rate.dtype == torch.float64
    assert report.effective_sparsity_pct == pytest.approx(100 * (codes == 0).mean(axis=1).mean())
    assert report.specialised == int((report.mi.amax(dim=1) > 0.05).sum())
    assert report.specialised > 0  # the factor-tied neurons


def test_default_thresholds_agree_with_their_sweep_entries(case):
    codes, factors = case
    report = neuron_report(codes, factors, SIZES, paper_section("metrics"))
    assert report.dead_pct == report.dead_pct_at[0.001]
    assert report.specialised == report.specialised_at[0.5]
    assert list(report.dead_pct_at) == [0.0005, 0.001, 0.002, 0.005, 0.01]
    assert list(report.specialised_at) == [0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]


def test_report_does_not_depend_on_the_chunk_size(case, monkeypatch):
    codes, factors = case
    full = neuron_report(codes, factors, SIZES, paper_section("metrics"))
    monkeypatch.setattr(mutual_info, "CHUNK_ELEMENTS", 3001)  # 1 neuron per chunk, split entries
    chunked = neuron_report(codes, factors, SIZES, paper_section("metrics"))
    torch.testing.assert_close(chunked.mi, full.mi, rtol=0, atol=1e-12)
    assert (chunked.dead_pct_at, chunked.specialised_at) == (full.dead_pct_at, full.specialised_at)


def test_factor_entropy_normalisation_divides_by_the_factor_entropy(case):
    codes, factors = case
    nats = neuron_report(codes, factors, SIZES, paper_section("metrics"))
    normalised = neuron_report(
        codes, factors, SIZES, paper_section("metrics", mi_normalisation="factor_entropy")
    )
    h = torch.tensor([np.log(s) for s in SIZES], dtype=torch.float64)  # ~uniform factors
    torch.testing.assert_close(normalised.mi * h, nats.mi, rtol=0.02, atol=1e-12)
    assert normalised.mi.max() <= 1.0


def test_two_zero_and_positive_bins_measure_active_versus_inactive(case):
    codes, factors = case
    report = neuron_report(
        codes, factors, SIZES, paper_section("metrics", n_bins=2, neuron_binning="zero_and_positive")
    )
    np.testing.assert_allclose(
        report.mi.numpy(), reference_mi((codes > 0).astype(int), factors), atol=1e-9
    )


def test_negative_activations_are_inactive_but_not_zero():
    codes = np.array([[1.0, -1.0], [0.0, 0.0], [2.0, 3.0], [0.0, -2.0]])
    report = neuron_report(codes, np.array([[0], [1], [0], [1]]), [2], paper_section("metrics"))
    np.testing.assert_allclose(report.activation_rate.numpy(), [0.5, 0.25])
    assert report.effective_sparsity_pct == pytest.approx(100 * 3 / 8)


def test_non_finite_activations_are_refused_with_one_sentence():
    codes = np.zeros((4, 3))
    codes[0, 2] = np.inf
    with pytest.raises(TrainingError, match="NaN or infinite"):
        neuron_report(codes, np.zeros((4, 1), dtype=int), [1], paper_section("metrics"))


THRESHOLDS = st.lists(st.floats(1e-4, 0.999), min_size=2, max_size=6, unique=True)  # rates lie in (0, 1)


@SETTINGS
@given(st.integers(0, 2**32 - 1), THRESHOLDS, THRESHOLDS)
def test_dead_fraction_rises_and_specialised_count_falls_with_the_threshold(seed, dead, spec):
    rng = np.random.default_rng(seed)
    factors = random_factors(rng, 300, SIZES)
    codes = sparse_codes(rng, 300, 24, int(rng.integers(1, 12)), factors)
    codes *= rng.random(24) < 0.8  # some neurons dead
    cfg = paper_section("metrics", dead_sweep=tuple(dead), specialisation_sweep=tuple(spec))
    report = neuron_report(codes, factors, SIZES, cfg)
    dead_curve = [report.dead_pct_at[t] for t in sorted(dead)]
    spec_curve = [report.specialised_at[t] for t in sorted(spec)]
    assert dead_curve == sorted(dead_curve)
    assert spec_curve == sorted(spec_curve, reverse=True)
    assert all(0.0 <= value <= 100.0 for value in dead_curve)
    assert all(0 <= count <= 24 for count in spec_curve)


def test_a_neuron_active_on_exactly_the_threshold_rate_is_not_dead():
    # "activation rate < 0.001": 1 active sample in 1000 is a rate of exactly 0.001.
    codes = np.zeros((1000, 2))
    codes[0, 0] = 1.0
    codes[:2, 1] = 1.0
    cfg = paper_section("metrics", dead_sweep=(0.001, 0.0015, 0.002, 0.0025))
    report = neuron_report(codes, np.arange(1000)[:, None] % 2, [2], cfg)
    assert report.dead_pct == 0.0
    assert report.dead_pct_at == {0.001: 0.0, 0.0015: 50.0, 0.002: 50.0, 0.0025: 100.0}
