"""Sparse autoencoder of section 3.1 (eqs. 1-3), in Top-k or L1 mode, with the bias boost of 3.2.

    a  = ReLU(W_e h + b_e + boost)                     eq. 1 (+ the section 3.2 boost)
    a~ = a * I_top-k(a)   (Top-k, k int)  or  a~ = a   (L1, k None)          eq. 2
    h_hat = W_d a~        (+ b_d with `model.sae_decoder_bias`)              eq. 3

The paper ties W_e = D^T and W_d = D, but its 68.6M parameters need two 4096 x 8192 matrices, so
the weights are untied by default (`model.sae_tied`; docs/interpretations.md). The paper gives no
initialisation; we take Gao et al.'s ("Scaling and evaluating sparse autoencoders", 2024; OpenAI's
sparse_autoencoder): random unit-norm atoms (columns of W_d), W_e = W_d^T at the start, zero
biases. Eq. 3 has no decoder bias, so b_d exists only with `decoder_bias` (off by default). The
bias boost b_i(t) is a buffer, not a parameter: revival code sets it (set_boost_); forward(...,
boost=False) leaves it out (the evaluation's default, `metrics.eval_bias_boost`).

The untied decoder is stored as its transpose, the parameter `atoms` [m, d] (row j = column j of
W_d, atom j of the dictionary D); `W_d` and `decoder_weight()` are the [d, m] view of it. The
sparse path reads and writes whole atoms, so they must be contiguous (OpenAI's train.py stores its
decoder column-major for the same reason), and the optimizer wants contiguous parameters: torch's
fused AdamW copies a column-major [d, m] parameter to and from a contiguous buffer every step,
which cost 0.1-0.35 of the encoder matmul's time per step here (docs/performance.md). With `atoms`, every
parameter except b_d (when present) has the neurons along dim 0 (`neuron_parameters`), which is what revival's
per-neuron re-initialisation and moment resets index.

Two paths compute the same function, chosen in one place (`topk_sparse.use_sparse_path`): the
plain dense path below (the reference) and the sparse Top-k path of topk_sparse.py, which does
k/m of the decoder's and the backward pass's work.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from artifact.model.topk_sparse import FastTopk, sparse_topk_forward, topk_select, use_sparse_path


@dataclass
class SAEOutput:
    h_hat: torch.Tensor  # [B, d] reconstruction
    codes: torch.Tensor | None  # [B, m] dense a~, only with return_dense=True (evaluation)
    active_idx: torch.Tensor | None  # [B, k] int64 kept neurons (Top-k); None in L1 mode
    active_val: torch.Tensor | None  # [B, k] their values (differentiable); None in L1 mode
    l1: torch.Tensor  # scalar: batch mean of sum_j |a~_j| (differentiable)
    fire_counts: torch.Tensor  # [m] int64: samples of the batch with a~_j > 0 (no grad)


class SparseAutoencoder(nn.Module):
    def __init__(
        self,
        d_in: int,
        width: int,
        tied: bool = False,
        fast_topk: FastTopk = "auto",
        generator: torch.Generator | None = None,
        decoder_bias: bool = False,
    ):
        super().__init__()
        self.d_in, self.width, self.tied, self.fast_topk = d_in, width, tied, fast_topk
        atoms = torch.randn(width, d_in, generator=generator)  # [m, d]
        atoms /= atoms.norm(dim=1, keepdim=True).clamp_min(1e-12)
        self.W_e = nn.Parameter(atoms.clone())  # [m, d]
        if not tied:
            self.atoms = nn.Parameter(atoms)  # [m, d] = W_d.T
        self.b_e = nn.Parameter(torch.zeros(width))
        self.b_d = nn.Parameter(torch.zeros(d_in)) if decoder_bias else None
        self.register_buffer("boost", torch.zeros(width))

    @property
    def W_d(self) -> torch.Tensor:
        """W_d [d, m] (the dictionary D), a view: of `atoms` untied, of W_e tied (W_d = W_e.T)."""
        return self.W_e.t() if self.tied else self.atoms.t()

    def decoder_weight(self) -> torch.Tensor:
        """W_d [d, m]: see `W_d`."""
        return self.W_d

    def decoder_atoms(self) -> torch.Tensor:
        """W_d.T [m, d], contiguous: the parameter itself (`atoms`, or W_e when tied)."""
        return self.W_e if self.tied else self.atoms

    def neuron_parameters(self) -> list[nn.Parameter]:
        """The parameters indexed by neuron along dim 0: W_e [m, d], b_e [m] and, untied, atoms [m, d].

        Revival re-draws row j of each for neuron j and resets the same rows of their AdamW moments.
        """
        return [self.W_e, self.b_e] + ([] if self.tied else [self.atoms])

    @torch.no_grad()
    def set_boost_(self, boost: torch.Tensor) -> None:
        """Set the section 3.2 bias boost b_i(t) [m], added to the pre-activations from now on."""
        if boost.shape != (self.width,):
            raise ValueError(f"boost must have shape ({self.width},), not {tuple(boost.shape)}")
        self.boost.copy_(boost)

    def forward(
        self, h: torch.Tensor, k: int | None, return_dense: bool = False, boost: bool = True
    ) -> SAEOutput:
        """h [B, d] -> SAEOutput. k: neurons kept per sample (Top-k; capped at the width), None: L1.
        boost: add the bias boost to the pre-activations (training); False leaves it out."""
        if k is not None:
            if k < 1:
                raise ValueError(f"k must be at least 1, not {k}")
            k = min(k, self.width)
        bias = self.b_e + self.boost if boost else self.b_e  # [m]
        if use_sparse_path(self.fast_topk, k, self.width, h.device):
            return self._forward_sparse(h, bias, k, return_dense)
        return self._forward_dense(h, bias, k, return_dense)

    def _forward_dense(
        self, h: torch.Tensor, bias: torch.Tensor, k: int | None, return_dense: bool
    ) -> SAEOutput:
        """The plain reference: every product dense, a~ materialised."""
        pre = torch.addmm(bias, h, self.W_e.t())  # [B, m]
        a = torch.relu(pre)
        idx = val = None
        if k is None:
            codes = a
        else:
            _, idx = topk_select(pre, k)  # [B, k]
            mask = torch.zeros_like(a).scatter_(1, idx, 1.0)
            codes = a * mask
            val = codes.gather(1, idx)
        h_hat = codes @ self.decoder_atoms()  # [B, d]
        if self.b_d is not None:
            h_hat = h_hat + self.b_d
        return SAEOutput(
            h_hat=h_hat,
            codes=codes if return_dense else None,
            active_idx=idx,
            active_val=val,
            l1=codes.sum(dim=1).mean(),  # a~ >= 0, so |a~| = a~
            fire_counts=(codes.detach() > 0).sum(dim=0),
        )

    def _forward_sparse(
        self, h: torch.Tensor, bias: torch.Tensor, k: int, return_dense: bool
    ) -> SAEOutput:
        """The fast path (topk_sparse.py): same outputs, the decoder and backward at k/m cost."""
        h_hat, idx, val = sparse_topk_forward(h, self.W_e, bias, self.decoder_atoms(), k)
        codes = None
        if return_dense:
            codes = torch.zeros((h.shape[0], self.width), dtype=val.dtype, device=val.device)
            codes = codes.scatter(1, idx, val)
        fired = idx[val.detach() > 0]
        return SAEOutput(
            h_hat=h_hat if self.b_d is None else h_hat + self.b_d,
            codes=codes,
            active_idx=idx,
            active_val=val,
            l1=val.sum(dim=1).mean(),
            fire_counts=torch.bincount(fired, minlength=self.width),
        )
