"""The MI estimator against its references: np.histogram/np.digitize bins (disentanglement_lib's
`_histogram_discretize`) and a per-pair `sklearn.metrics.mutual_info_score` loop; plus the laws
of mutual information, property-tested. The reference functions live in tests/helpers/mi_reference.py."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import mutual_info_score

from artifact.errors import TrainingError
from artifact.metrics import mutual_info
from artifact.metrics.mutual_info import discretize, entropy, mutual_info_matrix
from tests.helpers.mi_reference import random_factors, reference_discretize, reference_mi

SHAPES3D_SIZES = [10, 10, 10, 8, 4, 15]
SETTINGS = settings(max_examples=40, deadline=None)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_discretize_matches_numpy_histogram_digitize_bit_for_bit(dtype):
    rng = np.random.default_rng(0)
    values = rng.normal(size=(3000, 12)) * rng.uniform(1e-3, 1e3, 12) + rng.normal(size=12) * 50
    values[:, 1] = np.round(values[:, 1])  # many ties
    values[:, 2] = rng.integers(0, 19, 3000)  # values on a grid that edges can hit exactly
    values[:, 3] = rng.integers(0, 7, 3000) * 0.1
    values[:, 4] = np.maximum(values[:, 4], 0.0)  # ReLU-like: a spike at 0
    values = values.astype(dtype)
    for n_bins in (2, 7, 20):
        np.testing.assert_array_equal(
            discretize(values, n_bins).numpy(), reference_discretize(values, n_bins)
        )


def test_discretize_puts_a_constant_column_in_bin_0():
    values = torch.randn(100, 3)
    values[:, 1] = 7.5
    binned = discretize(values, 20)
    assert binned.dtype == torch.int64 and binned.shape == (100, 3)
    assert (binned[:, 1] == 0).all()
    assert binned.min() >= 0 and binned.max() == 19


def test_discretize_refuses_non_finite_values_with_one_sentence():
    values = torch.randn(10, 2)
    values[3, 1] = float("nan")
    with pytest.raises(TrainingError, match="NaN or infinite"):
        discretize(values, 20)


def test_vectorised_mi_equals_the_per_pair_sklearn_loop_to_1e9():
    rng = np.random.default_rng(1)
    n = 4000
    factors = random_factors(rng, n, SHAPES3D_SIZES)
    codes = rng.normal(size=(n, 30))
    codes[:, :6] += factors * rng.uniform(0.1, 2.0, 6)  # informative columns
    codes[:, 6] = 0.0  # a dead column
    codes[:, 7] = np.maximum(codes[:, 7], 0) * (rng.random(n) < 0.01)  # rarely active
    binned = reference_discretize(codes, 20)
    ours = mutual_info_matrix(binned, factors, 20, SHAPES3D_SIZES).numpy()
    np.testing.assert_allclose(ours, reference_mi(binned, factors), rtol=0, atol=1e-9)
    assert (ours[6] == 0).all()


def test_mi_does_not_depend_on_the_chunk_size(monkeypatch):
    rng = np.random.default_rng(2)
    factors = random_factors(rng, 500, [3, 5])
    binned = rng.integers(0, 20, (500, 9))
    full = mutual_info_matrix(binned, factors, 20, [3, 5])
    monkeypatch.setattr(mutual_info, "CHUNK_ELEMENTS", 777)  # 1 column per chunk, split entries
    np.testing.assert_allclose(mutual_info_matrix(binned, factors, 20, [3, 5]), full, atol=1e-12)


def test_entropy_equals_sklearn_self_information():
    rng = np.random.default_rng(3)
    labels = random_factors(rng, 1000, SHAPES3D_SIZES)
    expected = [mutual_info_score(labels[:, k], labels[:, k]) for k in range(6)]
    np.testing.assert_allclose(entropy(labels, SHAPES3D_SIZES).numpy(), expected, atol=1e-12)


def test_factor_labels_outside_their_sizes_are_refused():
    with pytest.raises(ValueError, match=r"\[0, size\)"):
        mutual_info_matrix(
            np.zeros((4, 1), dtype=np.int64), np.array([[0], [1], [2], [3]]), 20, [3]
        )


@st.composite
def label_pairs(draw) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Two label columns of one sample set, possibly dependent, possibly constant."""
    n = draw(st.integers(1, 200))
    size_x, size_y = draw(st.integers(1, 12)), draw(st.integers(1, 12))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = rng.integers(0, size_x, n)
    noise = rng.integers(0, size_y, n)
    y = np.where(rng.random(n) < draw(st.floats(0, 1)), x % size_y, noise)
    return x, y, size_x, size_y


def mi_of(x: np.ndarray, y: np.ndarray, size_x: int, size_y: int) -> float:
    return float(mutual_info_matrix(x[:, None], y[:, None], size_x, [size_y])[0, 0])


@SETTINGS
@given(label_pairs())
def test_mi_is_non_negative_symmetric_and_equals_sklearn(pair):
    x, y, size_x, size_y = pair
    forward, backward = mi_of(x, y, size_x, size_y), mi_of(y, x, size_y, size_x)
    assert forward >= 0.0
    assert forward == pytest.approx(backward, abs=1e-12)
    assert forward == pytest.approx(mutual_info_score(x, y), abs=1e-9)


@SETTINGS
@given(label_pairs())
def test_mi_of_a_variable_with_itself_is_its_entropy(pair):
    x, _, size_x, _ = pair
    h = float(entropy(x[:, None], [size_x])[0])
    assert mi_of(x, x, size_x, size_x) == pytest.approx(h, abs=1e-12)


@SETTINGS
@given(label_pairs(), st.randoms(use_true_random=False))
def test_mi_is_invariant_to_relabelling_values(pair, random):
    x, y, size_x, size_y = pair
    relabel_x = np.array(random.sample(range(size_x), size_x))
    relabel_y = np.array(random.sample(range(size_y), size_y))
    relabelled = mi_of(relabel_x[x], relabel_y[y], size_x, size_y)
    assert relabelled == pytest.approx(mi_of(x, y, size_x, size_y), abs=1e-12)
