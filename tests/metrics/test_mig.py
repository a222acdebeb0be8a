"""MIG: equal to disentanglement_lib's `_compute_mig`, and its laws (range, invariances, built
cases as in disentanglement_lib's mig_test.py)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import mutual_info_score

from artifact.errors import InputError
from artifact.metrics.mig import mig
from tests.helpers.mi_reference import random_factors, reference_discretize, reference_mi

SETTINGS = settings(max_examples=25, deadline=None)
DSPRITES_SIZES = [3, 6, 40, 32, 32]  # the five varying dSprites factors


def reference_mig(codes: np.ndarray, factors: np.ndarray, n_bins: int = 20) -> float:
    """disentanglement_lib `mig._compute_mig`, transcribed to [N, D] / [N, K] inputs."""
    m = reference_mi(reference_discretize(codes, n_bins), factors)  # [D, K]
    h = np.array([mutual_info_score(factors[:, k], factors[:, k]) for k in range(factors.shape[1])])
    sorted_m = np.sort(m, axis=0)[::-1]
    return float(np.mean(np.divide(sorted_m[0, :] - sorted_m[1, :], h)))


@st.composite
def codes_and_factors(draw) -> tuple[np.ndarray, np.ndarray]:
    """Continuous codes [N, D], some following a factor, and integer factors [N, K]."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n, d = draw(st.integers(50, 400)), draw(st.integers(2, 8))
    sizes = draw(st.lists(st.integers(2, 12), min_size=1, max_size=4))
    factors = random_factors(rng, n, sizes)
    codes = rng.normal(size=(n, d)) * draw(st.floats(0.01, 3.0))
    follow = rng.integers(0, len(sizes), d)
    codes += factors[:, follow] * rng.uniform(0, 1, d)  # some dimensions carry a factor
    return codes, factors


def test_mig_equals_disentanglement_lib_compute_mig():
    rng = np.random.default_rng(0)
    factors = random_factors(rng, 3000, DSPRITES_SIZES)
    codes = rng.normal(size=(3000, 10))
    codes[:, :5] += factors / np.array(DSPRITES_SIZES) * rng.uniform(0.5, 4, 5)
    codes[:, 5] = codes[:, 0] * 0.7 + rng.normal(size=3000) * 0.1  # a second-best dimension
    assert mig(codes, factors) == pytest.approx(reference_mig(codes, factors), abs=1e-9)
    as_float32 = codes.astype(np.float32)
    assert mig(torch.from_numpy(as_float32), torch.from_numpy(factors)) == pytest.approx(
        reference_mig(as_float32, factors), abs=1e-9
    )


def test_codes_that_copy_the_factors_score_near_1():
    rng = np.random.default_rng(2)
    factors = random_factors(rng, 5000, [3, 6, 10, 8, 4])
    codes = np.concatenate([factors.astype(float), rng.normal(size=(5000, 5))], axis=1)
    assert mig(codes, factors) > 0.95


def test_independent_noise_scores_near_0():
    rng = np.random.default_rng(3)
    factors = random_factors(rng, 5000, [3, 6, 10, 8, 4])
    assert mig(rng.normal(size=(5000, 10)), factors) < 0.02


def test_a_duplicated_code_scores_0():
    factors = random_factors(np.random.default_rng(4), 2000, [5])
    codes = np.repeat(factors.astype(float), 2, axis=1)
    assert mig(codes, factors) == pytest.approx(0.0, abs=1e-12)


def test_mig_refuses_a_constant_factor_with_one_sentence():
    factors = np.zeros((100, 2), dtype=np.int64)
    factors[::3, 0] = 1
    with pytest.raises(InputError, match=r"factor\(s\) \[1\] take a single value"):
        mig(np.random.default_rng(5).normal(size=(100, 4)), factors)


def test_mig_needs_two_code_dimensions():
    with pytest.raises(ValueError, match="two code dimensions"):
        mig(np.zeros((10, 1)), np.arange(10)[:, None] % 2)


@SETTINGS
@given(codes_and_factors())
def test_mig_lies_in_0_1_and_equals_the_reference(case):
    codes, factors = case
    score = mig(codes, factors)
    assert 0.0 <= score <= 1.0
    assert score == pytest.approx(reference_mig(codes, factors), abs=1e-9)


@SETTINGS
@given(codes_and_factors(), st.randoms(use_true_random=False))
def test_mig_is_invariant_to_permuting_code_dimensions(case, random):
    codes, factors = case
    order = random.sample(range(codes.shape[1]), codes.shape[1])
    assert mig(codes[:, order], factors) == pytest.approx(mig(codes, factors), abs=1e-12)


@SETTINGS
@given(
    codes_and_factors(),
    st.integers(0, 7),
    st.floats(1e-3, 1e3),
    st.floats(-1e3, 1e3),
)
def test_mig_is_invariant_to_positive_affine_rescaling_of_a_dimension(case, dim, scale, shift):
    # Continuous random codes: a value lands within round-off of a bin edge with probability
    # ~1e-13, so the bins, hence MI and MIG, are the same before and after.
    codes, factors = case
    dim %= codes.shape[1]
    rescaled = codes.copy()
    rescaled[:, dim] = scale * codes[:, dim] + shift
    assert mig(rescaled, factors) == pytest.approx(mig(codes, factors), abs=1e-12)


@SETTINGS
@given(codes_and_factors(), st.randoms(use_true_random=False))
def test_mig_is_invariant_to_relabelling_factor_values(case, random):
    codes, factors = case
    relabelled = factors.copy()
    for k in range(factors.shape[1]):
        size = int(factors[:, k].max()) + 1
        relabelled[:, k] = np.array(random.sample(range(100, 100 + 3 * size), size))[factors[:, k]]
    assert mig(codes, relabelled) == pytest.approx(mig(codes, factors), abs=1e-12)
