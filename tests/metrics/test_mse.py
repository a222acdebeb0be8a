"""Reconstruction MSE (section 3.4): the mean over every pixel, channel and sample."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from artifact.metrics.mse import reconstruction_mse


def test_mse_is_the_mean_over_all_pixels_and_samples_across_blocks():
    rng = np.random.default_rng(0)
    x = rng.random((2500, 3, 4, 4)).astype(np.float32)  # more samples than one block
    x_hat = rng.random((2500, 3, 4, 4)).astype(np.float32)
    expected = np.mean((x.astype(np.float64) - x_hat) ** 2)
    assert reconstruction_mse(torch.from_numpy(x), torch.from_numpy(x_hat)) == pytest.approx(
        expected, rel=1e-12
    )
    assert reconstruction_mse(x, x_hat) == pytest.approx(expected, rel=1e-12)


def test_mse_of_a_perfect_reconstruction_is_0_and_of_a_unit_offset_is_1():
    x = torch.rand(7, 1, 8, 8)
    assert reconstruction_mse(x, x) == 0.0
    assert reconstruction_mse(x, x + 1) == pytest.approx(1.0)


def test_mse_refuses_shapes_that_differ():
    with pytest.raises(ValueError, match="differ in shape"):
        reconstruction_mse(torch.zeros(2, 3), torch.zeros(3, 2))
