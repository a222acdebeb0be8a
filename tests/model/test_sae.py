"""The SAE of section 3.1 (eqs. 1-3): Top-k and L1 modes, bias boost, initialisation, layout."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from artifact.model.sae import SparseAutoencoder


def _sae(d_in=12, width=32, tied=False, seed=0, fast_topk="dense", decoder_bias=False):
    gen = torch.Generator().manual_seed(seed)
    sae = SparseAutoencoder(
        d_in, width, tied=tied, fast_topk=fast_topk, generator=gen, decoder_bias=decoder_bias
    )
    with torch.no_grad():
        sae.b_e.copy_(0.2 * torch.randn(width, generator=gen))
    return sae


def _pre(sae, h):
    return h @ sae.W_e.T + sae.b_e + sae.boost


@settings(max_examples=30, deadline=None)
@given(k=st.integers(1, 32), seed=st.integers(0, 999), fast=st.sampled_from(["dense", "sparse"]))
def test_top_k_keeps_the_k_largest_activations_of_each_sample(k, seed, fast):
    sae = _sae(seed=seed, fast_topk=fast)
    h = torch.randn(6, 12, generator=torch.Generator().manual_seed(seed))
    out = sae(h, k, return_dense=True)
    a = torch.relu(_pre(sae, h))
    kth = a.sort(dim=1, descending=True).values[:, k - 1 : k]
    assert ((out.codes > 0).sum(dim=1) <= k).all()
    assert torch.equal(out.codes != 0, (out.codes != 0) & (a >= kth))  # only the top k survive
    torch.testing.assert_close(out.codes.sum(dim=1), a.topk(k, dim=1).values.sum(dim=1))
    kept = out.codes != 0
    torch.testing.assert_close(out.codes[kept], a[kept])  # kept values are a itself (eq. 2)
    assert out.active_idx.shape == out.active_val.shape == (6, k)
    torch.testing.assert_close(out.codes.gather(1, out.active_idx), out.active_val)


@pytest.mark.parametrize("fast", ["dense", "sparse"])
def test_reconstruction_is_the_decoder_applied_to_the_codes_without_a_bias(fast):
    """Eq. 3, h_hat = W_d a~: the default SAE has no decoder bias (`model.sae_decoder_bias`)."""
    sae = _sae(fast_topk=fast)
    assert sae.b_d is None and "b_d" not in dict(sae.named_parameters())
    h = torch.randn(5, 12)
    out = sae(h, 7, return_dense=True)
    torch.testing.assert_close(out.h_hat, out.codes @ sae.decoder_weight().T)


@pytest.mark.parametrize("fast", ["dense", "sparse"])
def test_a_decoder_bias_when_asked_is_added_to_the_reconstruction(fast):
    sae = _sae(fast_topk=fast, decoder_bias=True)
    with torch.no_grad():
        sae.b_d.copy_(torch.randn(12))
    h = torch.randn(5, 12)
    out = sae(h, 7, return_dense=True)
    torch.testing.assert_close(out.h_hat, out.codes @ sae.decoder_weight().T + sae.b_d)


def test_l1_mode_keeps_every_positive_activation():
    sae = _sae()
    h = torch.randn(5, 12)
    out = sae(h, None, return_dense=True)
    torch.testing.assert_close(out.codes, torch.relu(_pre(sae, h)))
    assert out.active_idx is None and out.active_val is None


@pytest.mark.parametrize("fast", ["dense", "sparse"])
def test_l1_penalty_and_fire_counts_follow_the_codes(fast):
    sae = _sae(fast_topk=fast)
    h = torch.randn(9, 12)
    out = sae(h, 5, return_dense=True)
    torch.testing.assert_close(out.l1, out.codes.abs().sum(dim=1).mean())
    assert out.fire_counts.dtype == torch.int64 and out.fire_counts.shape == (32,)
    assert torch.equal(out.fire_counts, (out.codes > 0).sum(dim=0))
    assert not out.fire_counts.requires_grad


def test_codes_are_only_materialised_on_request():
    sae = _sae(fast_topk="sparse")
    assert sae(torch.randn(3, 12), 4).codes is None
    assert sae(torch.randn(3, 12), None).codes is None


def test_k_above_the_width_keeps_every_neuron_like_l1():
    sae = _sae(d_in=10, width=20)
    h = torch.randn(4, 10)
    torch.testing.assert_close(sae(h, 500).h_hat, sae(h, None).h_hat)
    with pytest.raises(ValueError):
        sae(h, 0)


@pytest.mark.parametrize("fast", ["dense", "sparse"])
def test_bias_boost_adds_to_the_preactivation_and_can_make_a_neuron_fire(fast):
    sae = _sae(fast_topk=fast)
    h = torch.randn(8, 12)
    silent = int(sae(h, 2).fire_counts.argmin())
    boost = torch.zeros(32)
    boost[silent] = 100.0
    sae.set_boost_(boost)
    out = sae(h, 2, return_dense=True)
    assert out.fire_counts[silent] == 8
    torch.testing.assert_close(out.codes[:, silent], torch.relu(_pre(sae, h))[:, silent])
    assert "boost" not in dict(sae.named_parameters())  # not learned
    with pytest.raises(ValueError):
        sae.set_boost_(torch.zeros(31))
    without = sae(h, 2, return_dense=True, boost=False)  # the evaluation's default
    torch.testing.assert_close(without.codes, _sae(fast_topk=fast)(h, 2, return_dense=True).codes)


def test_initialisation_has_unit_norm_atoms_and_the_encoder_as_their_transpose():
    sae = SparseAutoencoder(64, 128)
    atoms = sae.decoder_weight()  # [d, m]
    assert atoms.shape == (64, 128)
    torch.testing.assert_close(atoms.norm(dim=0), torch.ones(128))
    assert torch.equal(sae.W_e, atoms.T)
    assert not sae.b_e.any() and sae.b_d is None and not sae.boost.any()
    assert not SparseAutoencoder(64, 128, decoder_bias=True).b_d.any()


def test_initialisation_is_a_function_of_the_seed():
    torch.manual_seed(7)
    a = SparseAutoencoder(16, 32)
    torch.manual_seed(7)
    b = SparseAutoencoder(16, 32)
    c = SparseAutoencoder(16, 32, generator=torch.Generator().manual_seed(8))
    assert torch.equal(a.W_e, b.W_e) and torch.equal(a.W_d, b.W_d)
    assert not torch.equal(a.W_e, c.W_e)


def test_untied_paper_width_has_two_dictionaries_and_tied_shares_one():
    untied, tied = SparseAutoencoder(4096, 8192), SparseAutoencoder(4096, 8192, tied=True)
    n_untied = sum(p.numel() for p in untied.parameters())
    assert n_untied == 2 * 4096 * 8192 + 8192  # ~67.1M of the paper's 68.6M (no b_d, eq. 3)
    assert sum(p.numel() for p in tied.parameters()) == 4096 * 8192 + 8192
    assert tied.W_d.data_ptr() == tied.W_e.data_ptr() and tied.W_d.shape == (4096, 8192)


@pytest.mark.parametrize("tied", [False, True])
def test_neuron_parameters_index_neurons_along_dim_0_and_w_d_is_a_view_of_them(tied):
    sae = _sae(tied=tied)
    params = sae.neuron_parameters()
    assert all(p.shape[0] == 32 and p.is_contiguous() for p in params)
    assert len(params) == (2 if tied else 3)
    with torch.no_grad():  # revival writes rows of W_d.T; they must land in the parameter
        sae.W_d.T[5] = 7.0
    assert (sae.decoder_atoms()[5] == 7.0).all()


def test_state_dict_round_trip_keeps_outputs():
    a, b = _sae(seed=1), _sae(seed=2)
    b.load_state_dict(a.state_dict())
    h = torch.randn(3, 12)
    assert torch.equal(a(h, 4).h_hat, b(h, 4).h_hat)
