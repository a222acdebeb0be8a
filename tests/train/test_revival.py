"""Revival of dead neurons (section 3.2): bias boost and re-initialisation, on a small SAE."""

from __future__ import annotations

import torch

from artifact.model.sae import SparseAutoencoder
from artifact.train.revival import bias_boost, neurons_to_reinitialise, reinitialise_
from tests.helpers import paper_section


def _trained_sae(tied: bool) -> tuple[SparseAutoencoder, torch.optim.AdamW]:
    """A width-16 SAE after one AdamW step, so every parameter has non-zero moments."""
    sae = SparseAutoencoder(8, 16, tied=tied, fast_topk="dense", generator=torch.Generator().manual_seed(0))
    optimizer = torch.optim.AdamW(sae.parameters(), lr=1e-2)
    h = torch.randn(32, 8, generator=torch.Generator().manual_seed(1))
    out = sae(h, k=None)  # L1 mode: every neuron gets a gradient
    (((out.h_hat - h) ** 2).mean() + 0.01 * out.l1).backward()
    optimizer.step()
    return sae, optimizer


def test_reinitialise_redraws_only_the_revived_neurons_and_clears_their_moments():
    for tied in (False, True):
        sae, optimizer = _trained_sae(tied)
        revive = torch.zeros(16, dtype=torch.bool)
        revive[[2, 7, 11]] = True
        before = {id(p): p.detach().clone() for p in sae.neuron_parameters()}
        decoder_before = sae.decoder_atoms().detach().clone()
        n = reinitialise_(sae, optimizer, revive, ~revive, torch.Generator().manual_seed(3))
        assert n == 3
        for param in sae.neuron_parameters():
            old = before[id(param)]
            assert torch.equal(param[~revive], old[~revive])  # the living are untouched
            assert not torch.equal(param[revive], old[revive])  # the revived are re-drawn
            for moment in ("exp_avg", "exp_avg_sq"):
                state = optimizer.state[param][moment]
                assert torch.count_nonzero(state[revive]) == 0
                assert torch.count_nonzero(state[~revive]) > 0
        # the decoder the forward pass uses is the re-drawn one (untied: its own atoms)
        assert not torch.equal(sae.decoder_atoms()[revive], decoder_before[revive])


def test_reinitialise_without_active_donors_changes_nothing():
    sae, optimizer = _trained_sae(False)
    before = sae.W_e.detach().clone()
    revive = torch.ones(16, dtype=torch.bool)
    assert reinitialise_(sae, optimizer, revive, ~revive, torch.Generator()) == 0
    assert torch.equal(sae.W_e, before)


def test_bias_boost_is_full_for_silent_neurons_and_fades_with_firing():
    cfg = paper_section("train.revival")
    fires = torch.tensor([0, 10, 100, 10_000])
    boost = bias_boost(fires, epochs_done=2, cfg=cfg)
    assert boost[0] == cfg.bias_base
    assert torch.all(boost[1:] < boost[:-1])  # strictly fading with the firing rate
    assert torch.count_nonzero(bias_boost(fires, epochs_done=0, cfg=cfg)) == 0


def test_reinitialisation_waits_for_the_dead_rate_trigger():
    cfg = paper_section("train.revival")
    inactive = torch.tensor([6, 6, 0, 0])  # two neurons silent for more than 5 epochs
    few_dead = torch.tensor([0.0, 0.0, 0.5, 0.5])  # 50% dead: not above the trigger
    many_dead = torch.tensor([0.0, 0.0, 0.0, 0.5])  # 75% dead
    assert not neurons_to_reinitialise(inactive, few_dead, 0.001, cfg).any()
    assert neurons_to_reinitialise(inactive, many_dead, 0.001, cfg).tolist() == [True, True, False, False]
