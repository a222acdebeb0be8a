"""The sparse Top-k fast path of the SAE (section 3.1, eqs. 1-3): the same function, k/m of the work.

Under Top-k only k of the m = 8192 conv-SAE neurons are non-zero per image, so a dense step wastes
most of its work on zeros. Here only the encoder's forward product is dense (every pre-activation
is needed to find the top k); the decoder and the whole backward pass touch the k active neurons
of each image only:

    forward   pre = h @ W_e.T + bias          [B, m]  dense (the one matmul)
              idx = top-k of pre per row        [B, k]
              vals = ReLU(pre.gather(1, idx))   [B, k]
              h_hat = sum_i vals[:, i] * W_d[:, idx[:, i]]      (embedding_bag, sum mode)
    backward  d vals  = <dh_hat[b], W_d[:, j]> at the active (b, j) pairs   (gather-dot)
              d W_d[:, j] = sum_b vals[b, j] dh_hat[b]           (sparse outer products)
              d W_e[j]    = sum_b dpre[b, j] h[b]               (sparse rows)
              d h         = sum_j dpre[:, j] W_e[j]             (so joint training reaches the VAE)
              d bias[j]   = sum_b dpre[b, j]

The plain equivalent is `SparseAutoencoder`'s dense path in sae.py (a = ReLU(pre), a~ = a * mask,
h_hat = a~ @ W_d.T, + b_d where the SAE has one); tests/model/test_topk_sparse.py checks losses and gradients against it.
The kernels are ATen's embedding_bag forward and its two backward halves (dense weight gradient,
per-sample-weight gradient), which are the sparse products above with the pairs as bags; they are
deterministic on CPU and CUDA (`_embedding_bag_dense_backward` and
`_embedding_bag_per_sample_weights_backward` are private ATen ops: torch is pinned, and the tests
run them). The decoder's columns, its atoms, are contiguous rows of the `atoms` parameter (sae.py),
so each active pair reads or writes one contiguous row. The gradients of W_e and W_d come out
dense ([m, d], zero off the active rows), as AdamW needs them.
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from torch.autograd import Function

FastTopk = Literal["auto", "sparse", "dense"]

# "auto" takes the sparse path on CPU while k / m <= 1 / AUTO_SPARSE_MIN_RATIO. Measured on 2 cores
# at m = 8192 (docs/performance.md): sparse is 2.9x faster at k = 50, 1.6x at k = 500, even at 1000.
AUTO_SPARSE_MIN_RATIO = 8
# Inside the sparse path, one piece is chosen by k: the decoder's forward product. embedding_bag
# reads one atom per active pair (B k rows of d floats, 4 GB at k = 500: memory-bound), the
# dense product (codes scattered into [B, m]) reads each atom once and multiplies zeros. Measured
# with torch.profiler on 2 cores at m = 8192, d = 4096 (benchmarks/README.md, issue 17): 41 ms
# at k = 50 against the dense 220 ms, 439 ms at k = 500; they cross near k = m / 32.
# The backward pieces stay sparse at every k: their dense forms cost as much or more.
DENSE_DECODE_MIN_RATIO = 32
_SUM_MODE = 0  # ATen's embedding_bag mode code for "sum"


def topk_select(pre: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The k largest pre-activations per row: (values [B, k], indices [B, k]).

    Eq. 2 ranks a = ReLU(pre) by magnitude; ranking pre itself keeps the same values (ReLU is
    monotone and a >= 0) and breaks ties among ReLU's zeros by the pre-activation. Exact ties in
    pre follow torch.topk's fixed rule. Both paths call this one function, so they pick the same
    neurons bit for bit.
    """
    return torch.topk(pre, k, dim=1, largest=True, sorted=False)


def dense_decode(k: int, width: int) -> bool:
    """The one place the sparse path's pieces are chosen: the decoder dense where k > m / 32."""
    return k * DENSE_DECODE_MIN_RATIO > width


def use_sparse_path(fast_topk: FastTopk, k: int | None, width: int, device: torch.device) -> bool:
    """The one place the path is chosen: sparse for Top-k when asked, or by `auto` where it pays."""
    if k is None or fast_topk == "dense":
        return False
    if fast_topk == "sparse":
        return True
    # On a GPU the dense SAE products take a fraction of a millisecond and the sparse kernels'
    # launches would not pay off (not measured here: `artifact bench --device cuda` shows both).
    return device.type == "cpu" and k * AUTO_SPARSE_MIN_RATIO <= width


class _Pairs:
    """The active (sample, neuron) pairs of a batch, flattened, in the layout ATen's kernels take."""

    def __init__(self, idx: torch.Tensor):
        n_samples, k = idx.shape
        self.shape = idx.shape
        self.neurons = idx.reshape(-1)  # [B*k]
        self.samples = torch.arange(n_samples, device=idx.device).repeat_interleave(k)  # [B*k]
        self.offsets = torch.arange(0, n_samples * k, k, device=idx.device)  # [B]
        self.bag_size = torch.full((n_samples,), k, dtype=idx.dtype, device=idx.device)

    def scatter_outer(self, rows: torch.Tensor, coef: torch.Tensor, width: int) -> torch.Tensor:
        """out[j] = sum over pairs (b, j) of coef[b, i] * rows[b]: [B, d], [B, k] -> [m, d] dense.

        Plain equivalent: codes.T @ rows with codes = zeros(B, m).scatter(1, idx, coef).
        """
        no_max = torch.empty(0, dtype=self.neurons.dtype, device=rows.device)
        return torch.ops.aten._embedding_bag_dense_backward(
            rows.contiguous(), self.neurons, self.samples, self.bag_size, no_max,
            width, False, _SUM_MODE, coef.reshape(-1).contiguous(), -1,
        )  # fmt: skip

    def gather_dot(self, rows: torch.Tensor, table: torch.Tensor) -> torch.Tensor:
        """out[b, i] = <rows[b], table[idx[b, i]]>: [B, d], [m, d] -> [B, k].

        Plain equivalent: (rows @ table.T).gather(1, idx). The pairs go in neuron order so that
        each table row is read from memory once, however many samples share it.
        """
        neurons, order = torch.sort(self.neurons, stable=True)
        dots = torch.ops.aten._embedding_bag_per_sample_weights_backward(
            rows.contiguous(), table, neurons, self.offsets, self.samples[order], _SUM_MODE, -1
        )
        return torch.empty_like(dots).scatter_(0, order, dots).view(self.shape)

    def sum_per_neuron(self, coef: torch.Tensor, width: int) -> torch.Tensor:
        """out[j] = sum over pairs (b, j) of coef[b, i]: [B, k] -> [m] (a bias gradient)."""
        flat = coef.reshape(-1)
        if flat.device.type == "cpu":  # deterministic on CPU; CUDA's index_add_ uses atomics
            return torch.zeros(width, dtype=flat.dtype).index_add_(0, self.neurons, flat)
        dense = torch.zeros((self.shape[0], width), dtype=coef.dtype, device=coef.device)
        return dense.scatter_(1, self.neurons.view(self.shape), coef).sum(0)


class _TopKEncode(Function):
    """(pre.gather(1, idx), idx) with pre = h @ W_e.T + bias and idx its top k; gradients only
    at the active pairs. Plain equivalent: the dense path of sae.py restricted to the kept neurons."""

    @staticmethod
    def forward(ctx, h, W_e, bias, k):
        pre = torch.addmm(bias, h, W_e.t())  # [B, m]
        pre_k, idx = topk_select(pre, k)  # [B, k], [B, k]
        ctx.save_for_backward(h, W_e, idx)
        ctx.mark_non_differentiable(idx)
        return pre_k, idx

    @staticmethod
    def backward(ctx, d_pre_k, _d_idx):
        h, W_e, idx = ctx.saved_tensors
        pairs, width = _Pairs(idx), W_e.shape[0]
        d_pre_k = d_pre_k.to(W_e.dtype).contiguous()
        d_h = d_W_e = d_bias = None
        if ctx.needs_input_grad[0]:  # dpre @ W_e with dpre sparse
            d_h = F.embedding_bag(idx, W_e, per_sample_weights=d_pre_k, mode="sum").to(h.dtype)
        if ctx.needs_input_grad[1]:
            d_W_e = pairs.scatter_outer(h.to(W_e.dtype), d_pre_k, width)
        if ctx.needs_input_grad[2]:
            d_bias = pairs.sum_per_neuron(d_pre_k, width)
        return d_h, d_W_e, d_bias, None


class _SparseDecode(Function):
    """h_hat[b] = sum_i vals[b, i] * atoms[idx[b, i]] for atoms [m, d] = W_d.T.
    Plain equivalent: codes @ atoms with codes = zeros(B, m).scatter(1, idx, vals)."""

    @staticmethod
    def forward(ctx, vals, idx, atoms):
        ctx.save_for_backward(vals, idx, atoms)
        if dense_decode(idx.shape[1], atoms.shape[0]):  # a~ [B, m] @ W_d.T: every atom read once
            codes = torch.zeros((idx.shape[0], atoms.shape[0]), dtype=vals.dtype, device=vals.device)
            return codes.scatter_(1, idx, vals) @ atoms
        return F.embedding_bag(idx, atoms, per_sample_weights=vals, mode="sum")  # [B, d]

    @staticmethod
    def backward(ctx, d_h_hat):
        vals, idx, atoms = ctx.saved_tensors
        pairs = _Pairs(idx)
        d_vals = d_atoms = None
        if ctx.needs_input_grad[0]:
            d_vals = pairs.gather_dot(d_h_hat, atoms)
        if ctx.needs_input_grad[2]:
            d_atoms = pairs.scatter_outer(d_h_hat, vals, atoms.shape[0])
        return d_vals, None, d_atoms


def sparse_topk_forward(
    h: torch.Tensor, W_e: torch.Tensor, bias: torch.Tensor, atoms: torch.Tensor, k: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Top-k encode and decode through the k active atoms: (h_hat without b_d [B, d], idx [B, k],
    vals [B, k] = ReLU of the kept pre-activations, differentiable).

    Runs in the parameters' precision (fp32) even under autocast: the kernels take one dtype.
    """
    with torch.autocast(device_type=h.device.type, enabled=False):
        pre_k, idx = _TopKEncode.apply(h.to(W_e.dtype), W_e, bias, k)
        vals = torch.relu(pre_k)
        h_hat = _SparseDecode.apply(vals, idx, atoms.contiguous())
    return h_hat, idx, vals
