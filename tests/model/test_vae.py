"""The conv VAE of section 3.1 and the loss terms of section 3.3."""

from __future__ import annotations

import math

import pytest
import torch

from artifact.model.vae import ConvVAE
from artifact.train.losses import free_bits_kl, gaussian_kl, sae_loss, vae_loss
from tests.helpers import paper_section


@pytest.mark.parametrize("channels", [1, 3])
def test_flat_conv_features_have_4096_dims_and_images_round_trip(channels):
    vae = ConvVAE(channels, paper_section("model"))
    x = torch.rand(2, channels, 64, 64)
    out = vae(x, torch.randn(2, 10))
    assert out.h.shape == (2, 4096)
    assert out.mu.shape == out.logvar.shape == out.z.shape == (2, 10)
    assert out.logits.shape == x.shape


def test_without_noise_the_code_is_the_mean():
    vae = ConvVAE(1, paper_section("model"))
    out = vae(torch.rand(3, 1, 64, 64), None)
    assert torch.equal(out.z, out.mu)


def test_kl_of_the_prior_is_zero_and_positive_elsewhere():
    zeros = torch.zeros(4, 10)
    assert torch.allclose(gaussian_kl(zeros, zeros), torch.zeros(10))
    assert (gaussian_kl(torch.ones(4, 10), zeros) > 0).all()


def test_free_bits_floor_the_total_kl_at_5_nats():
    small = torch.full((10,), 0.1)  # 1 nat in total
    large = torch.full((10,), 1.0)  # 10 nats in total
    assert free_bits_kl(small, 5.0, "total").item() == pytest.approx(5.0)
    assert free_bits_kl(large, 5.0, "total").item() == pytest.approx(10.0)
    assert free_bits_kl(small, 0.5, "per_dim").item() == pytest.approx(5.0)


def test_kl_below_the_free_bits_gets_no_gradient():
    mu = torch.full((4, 10), 0.1, requires_grad=True)
    logits = torch.zeros(4, 1, 64, 64)
    vae_loss(logits, torch.rand(4, 1, 64, 64), mu, torch.zeros(4, 10), 1.0, 5.0, "total").backward()
    assert torch.count_nonzero(mu.grad) == 0


def test_sae_loss_is_squared_error_plus_weighted_l1():
    h, h_hat = torch.ones(2, 3), torch.zeros(2, 3)
    assert sae_loss(h, h_hat, torch.tensor(4.0), 0.5).item() == pytest.approx(3.0 + 2.0)


def test_bernoulli_reconstruction_is_small_for_confident_correct_logits():
    x = (torch.rand(2, 1, 64, 64) > 0.5).float()
    confident = (x * 2 - 1) * 20
    loss = vae_loss(confident, x, torch.zeros(2, 10), torch.zeros(2, 10), 0.0, 0.0, "total")
    assert loss.item() < 1e-3 * 64 * 64 and math.isfinite(loss.item())
