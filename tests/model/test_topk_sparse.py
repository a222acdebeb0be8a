"""The sparse Top-k path computes the same function as the dense reference (sae.py).

Losses, outputs and gradients of every parameter and of the input agree to 1e-5 in float32 and
to round-off in float64, at several k, tied and untied, including exact ties among the
pre-activations and top-k sets that reach into ReLU's zeros.
"""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from artifact.model.sae import SparseAutoencoder
from artifact.model.topk_sparse import AUTO_SPARSE_MIN_RATIO, use_sparse_path


def _pair(d_in, width, tied, seed, dtype, decoder_bias=True):
    """A dense and a sparse SAE with the same weights, random biases and a random boost."""
    gen = torch.Generator().manual_seed(seed)
    dense = SparseAutoencoder(
        d_in, width, tied=tied, fast_topk="dense", generator=gen, decoder_bias=decoder_bias
    ).to(dtype)
    with torch.no_grad():
        dense.b_e.copy_(0.3 * torch.randn(width, generator=gen))
        if decoder_bias:
            dense.b_d.copy_(torch.randn(d_in, generator=gen))
        dense.set_boost_(0.1 * torch.rand(width, generator=gen).to(dtype))
    sparse = SparseAutoencoder(
        d_in, width, tied=tied, fast_topk="sparse", decoder_bias=decoder_bias
    ).to(dtype)
    sparse.load_state_dict(dense.state_dict())
    return dense, sparse


def _run(sae, h, k):
    """Loss MSE + 0.01 L1 (section 3.3) of one batch; returns output, loss and every gradient."""
    x = h.clone().requires_grad_(True)
    out = sae(x, k, return_dense=True)
    loss = (x - out.h_hat).pow(2).sum(dim=1).mean() + 0.01 * out.l1
    loss.backward()
    grads = {name: p.grad for name, p in sae.named_parameters()}
    return out, loss.detach(), grads, x.grad


def _assert_same(dense, sparse, h, k, tol):
    out_d, loss_d, grads_d, dh_d = _run(dense, h, k)
    out_s, loss_s, grads_s, dh_s = _run(sparse, h, k)
    close = dict(rtol=tol, atol=tol)
    torch.testing.assert_close(loss_s, loss_d, **close)
    torch.testing.assert_close(out_s.h_hat, out_d.h_hat, **close)
    torch.testing.assert_close(out_s.codes, out_d.codes, **close)
    torch.testing.assert_close(out_s.l1, out_d.l1, **close)
    assert torch.equal(out_s.active_idx, out_d.active_idx)
    assert torch.equal(out_s.fire_counts, out_d.fire_counts)
    assert grads_s.keys() == grads_d.keys()
    for name in grads_d:
        torch.testing.assert_close(grads_s[name], grads_d[name], **close, msg=name)
    torch.testing.assert_close(dh_s, dh_d, **close)


@pytest.mark.parametrize("tied", [False, True])
@pytest.mark.parametrize("k", [1, 4, 17, 48])
def test_sparse_path_matches_dense_losses_and_gradients_float32(tied, k):
    dense, sparse = _pair(24, 48, tied, seed=k, dtype=torch.float32)
    h = torch.randn(13, 24, generator=torch.Generator().manual_seed(100 + k))
    _assert_same(dense, sparse, h, k, tol=1e-5)


@pytest.mark.parametrize("tied", [False, True])
def test_sparse_path_matches_dense_without_a_decoder_bias_as_in_eq_3(tied):
    """The default SAE (eq. 3, no b_d): both paths agree and neither has a decoder bias."""
    dense, sparse = _pair(24, 48, tied, seed=5, dtype=torch.float32, decoder_bias=False)
    assert dense.b_d is None and sparse.b_d is None
    h = torch.randn(13, 24, generator=torch.Generator().manual_seed(105))
    _assert_same(dense, sparse, h, 9, tol=1e-5)


@pytest.mark.parametrize("tied", [False, True])
def test_sparse_path_matches_dense_with_exact_ties_in_the_preactivations(tied):
    dense, sparse = _pair(16, 40, tied, seed=3, dtype=torch.float64)
    with torch.no_grad():  # duplicated neurons: exactly equal pre-activations, one kept, one not
        for sae in (dense, sparse):
            sae.W_e[20:] = sae.W_e[:20]
            sae.b_e[20:] = sae.b_e[:20]
            sae.boost.zero_()
    h = torch.randn(9, 16, generator=torch.Generator().manual_seed(4), dtype=torch.float64)
    h[0] = 0.0  # pre = b_e: ties between the copies, and repeated values within a row
    for k in (1, 5, 21, 39):
        dense.zero_grad(), sparse.zero_grad()
        _assert_same(dense, sparse, h, k, tol=1e-10)


def test_sparse_path_matches_dense_when_top_k_reaches_into_relu_zeros():
    dense, sparse = _pair(16, 32, False, seed=5, dtype=torch.float64)
    with torch.no_grad():
        for sae in (dense, sparse):
            sae.b_e.fill_(-3.0)  # most pre-activations negative: a~ has fewer than k non-zeros
            sae.boost.zero_()
    h = torch.randn(11, 16, generator=torch.Generator().manual_seed(6), dtype=torch.float64)
    out = dense(h, 20, return_dense=True)
    assert ((out.codes > 0).sum(dim=1) < 20).all()
    _assert_same(dense, sparse, h, 20, tol=1e-10)


@settings(max_examples=25, deadline=None)
@given(
    d_in=st.integers(1, 12),
    width=st.integers(1, 30),
    batch=st.integers(1, 7),
    k_fraction=st.floats(0.0, 1.0),
    tied=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_sparse_and_dense_paths_agree_for_any_shape(d_in, width, batch, k_fraction, tied, seed):
    k = max(1, round(k_fraction * width))
    dense, sparse = _pair(d_in, width, tied, seed, dtype=torch.float64)
    h = torch.randn(batch, d_in, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    _assert_same(dense, sparse, h, k, tol=1e-10)


def test_features_without_grad_get_no_input_gradient_on_the_sparse_path():
    _, sparse = _pair(8, 16, False, seed=0, dtype=torch.float32)
    h = torch.randn(4, 8)
    out = sparse(h, 3)
    (out.h_hat.sum() + out.l1).backward()
    assert h.grad is None
    assert all(p.grad is not None for p in sparse.parameters())


def test_sparse_path_under_bf16_autocast_runs_in_float32():
    dense, sparse = _pair(16, 32, False, seed=1, dtype=torch.float32)
    h = torch.randn(5, 16)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = sparse(h, 4)
    assert out.h_hat.dtype == torch.float32
    torch.testing.assert_close(out.h_hat, dense(h, 4).h_hat, rtol=1e-5, atol=1e-5)


def test_auto_takes_the_sparse_path_only_for_small_k_on_cpu():
    cpu, cuda = torch.device("cpu"), torch.device("cuda")
    assert use_sparse_path("auto", 50, 8192, cpu)
    assert use_sparse_path("auto", 8192 // AUTO_SPARSE_MIN_RATIO, 8192, cpu)
    assert not use_sparse_path("auto", 8192 // AUTO_SPARSE_MIN_RATIO + 1, 8192, cpu)
    assert not use_sparse_path("auto", None, 8192, cpu)  # L1 mode is dense
    assert not use_sparse_path("auto", 50, 8192, cuda)
    assert use_sparse_path("sparse", 50, 8192, cuda)
    assert not use_sparse_path("sparse", None, 8192, cpu)
    assert not use_sparse_path("dense", 1, 8192, cpu)


def test_sparse_path_gradients_are_bitwise_reproducible():
    runs = []
    for _ in range(2):
        _, sparse = _pair(32, 64, False, seed=9, dtype=torch.float32)
        h = torch.randn(16, 32, generator=torch.Generator().manual_seed(10))
        _, loss, grads, dh = _run(sparse, h, 6)
        runs.append((loss, grads, dh))
    (loss_a, grads_a, dh_a), (loss_b, grads_b, dh_b) = runs
    assert torch.equal(loss_a, loss_b) and torch.equal(dh_a, dh_b)
    assert all(torch.equal(grads_a[name], grads_b[name]) for name in grads_a)


def test_the_decoder_piece_is_chosen_by_k_and_both_pieces_compute_the_same_function(monkeypatch):
    from artifact.model import topk_sparse

    assert not topk_sparse.dense_decode(50, 8192) and topk_sparse.dense_decode(500, 8192)
    width, k = 64, 3  # 3 * 32 > 64: the dense decoder; then forced off, the embedding_bag one
    dense, sparse = _pair(16, width, False, seed=11, dtype=torch.float64)
    h = torch.randn(7, 16, generator=torch.Generator().manual_seed(12), dtype=torch.float64)
    assert topk_sparse.dense_decode(k, width)
    _assert_same(dense, sparse, h, k, tol=1e-10)
    monkeypatch.setattr(topk_sparse, "DENSE_DECODE_MIN_RATIO", 1)  # 3 * 1 <= 64
    assert not topk_sparse.dense_decode(k, width)
    dense.zero_grad(), sparse.zero_grad()
    _assert_same(dense, sparse, h, k, tol=1e-10)
