"""Section 3's protocol where the code had departed from it (issue 15): the order of evaluation
and revival, the bias boost at evaluation, what re-initialisation calls inactive, the stage-3
loss's free bits and SAE targets, the MSE's code and the "at k = 500" state. Each test pins the
default params.yaml sets (docs/interpretations.md names it in the register's test column)."""

from __future__ import annotations

import pytest
import torch
import yaml

from artifact.config import deep_merge, parse_params, resolve
from artifact.data.dataset import FactorDataset
from artifact.metrics.mse import reconstruction_mse
from artifact.model.hybrid import HybridModel
from artifact.train import epoch_loop
from artifact.train.evaluation import evaluate
from artifact.train.phase_plan import plan_for
from artifact.train.phase_runner import _at_k_start
from artifact.train.revival import RevivalState, inactive_this_epoch
from artifact.train.run_key import RunKey, Splits
from artifact.train.step import forward_loss, make_optimizer
from tests.helpers import ROOT, TINY, paper_config

N_TRAIN, N_EVAL = 192, 40


def tiny_cfg(overrides: dict | None = None):
    """The tests' TINY config (64-wide SAE), with `overrides` merged into params.yaml."""
    raw = deep_merge(yaml.safe_load((ROOT / "params.yaml").read_text()), TINY)
    return resolve(parse_params(deep_merge(raw, overrides or {}), source="test"))


def synthetic_dataset() -> tuple[FactorDataset, Splits]:
    """Random binary images with a random grid of five factors: enough for every metric."""
    gen = torch.Generator().manual_seed(0)
    n = N_TRAIN + N_EVAL
    sizes = (3, 6, 40, 32, 32)
    factors = torch.stack([torch.randint(0, s, (n,), generator=gen) for s in sizes], dim=1)
    images = (torch.rand(n, 64, 64, 1, generator=gen) > 0.7).to(torch.uint8)
    names = ("shape", "scale", "orientation", "posX", "posY")
    dataset = FactorDataset("dsprites", images, factors, names, sizes, "procedural", None)
    return dataset, Splits(torch.arange(N_TRAIN), torch.arange(N_TRAIN, n))


def _stage3_state(cfg, epochs_inactive: int = 100) -> dict:
    torch.manual_seed(0)
    model = HybridModel("dsprites", cfg.model, cfg.train)
    revival = RevivalState.fresh(cfg.model.conv_sae_width)
    revival.epochs_inactive += epochs_inactive  # every neuron long inactive
    revival.epochs_done = 1
    return {"model": model, "optimizer": make_optimizer(list(model.parameters()), cfg.train),
            "revival": revival}  # fmt: skip


def _run_stage3_epoch(cfg) -> tuple[dict, dict]:
    dataset, splits = synthetic_dataset()
    state = _stage3_state(cfg)
    key = RunKey("dsprites", 42, "topk")
    record = epoch_loop.run_epoch(state, "stage3", 0, 0, key, cfg, dataset, splits)
    return record, state


def test_the_epoch_is_evaluated_before_its_revival():
    """Item 1: a revival changes the next epoch's model, never the record of the epoch it ends."""
    revives = tiny_cfg({"train": {"revival": {"dead_rate_trigger": 0.01, "inactive_epochs": 0}}})
    never = tiny_cfg({"train": {"revival": {"dead_rate_trigger": 1.0, "inactive_epochs": 0}}})
    revived_record, revived = _run_stage3_epoch(revives)
    plain_record, plain = _run_stage3_epoch(never)
    assert revived_record["n_reinitialised"] > 0 and plain_record["n_reinitialised"] == 0
    assert not torch.equal(revived["model"].conv_sae.W_e, plain["model"].conv_sae.W_e)
    for name in ("mig", "mse", "dead_pct", "specialised", "effective_sparsity_pct", "dead_pct_at"):
        assert revived_record[name] == plain_record[name], name


def _boosted_model(cfg, fold: bool = False) -> HybridModel:
    """A fresh model with a random bias boost (which reorders the top k); `fold`: the same boost
    added to b_e instead, so it is part of the model itself."""
    torch.manual_seed(0)
    model = HybridModel("dsprites", cfg.model, cfg.train)
    boost = 3.0 * torch.rand(cfg.model.conv_sae_width, generator=torch.Generator().manual_seed(2))
    if fold:
        with torch.no_grad():
            model.conv_sae.b_e += boost
    else:
        model.conv_sae.set_boost_(boost)
    return model


def _evaluate(model, cfg, metrics_cfg=None):
    dataset, splits = synthetic_dataset()
    k = plan_for("stage3", 0, "topk", cfg).k
    metrics_cfg = metrics_cfg or cfg.metrics
    return evaluate(model, dataset, splits.evaluation, k, metrics_cfg, cfg.train.batch_size, True)


def test_evaluation_leaves_the_bias_boost_out_by_default():
    """Item 2: the boost is a training-time device; metrics.eval_bias_boost keeps it."""
    cfg = tiny_cfg()
    assert cfg.metrics.eval_bias_boost is False
    unboosted = _boosted_model(cfg)
    unboosted.conv_sae.set_boost_(torch.zeros(cfg.model.conv_sae_width))
    default = _evaluate(_boosted_model(cfg), cfg)
    assert default["dead_pct"] == _evaluate(unboosted, cfg)["dead_pct"]
    keep = cfg.metrics.model_copy(update={"eval_bias_boost": True})
    kept = _evaluate(_boosted_model(cfg), cfg, keep)
    folded = _evaluate(_boosted_model(cfg, fold=True), cfg)
    assert kept["dead_pct"] == folded["dead_pct"] != default["dead_pct"]


def test_the_reported_mse_is_decoded_from_the_latent_mean():
    """Item 7: MSE is sigmoid(decoder(mu)) against x, no sample of q(z|x)."""
    cfg = tiny_cfg()
    torch.manual_seed(0)
    model = HybridModel("dsprites", cfg.model, cfg.train)
    dataset, splits = synthetic_dataset()
    x = dataset.float_batch(splits.evaluation)
    with torch.no_grad():
        _, mu, _ = model.vae.encode(x)
        expected = reconstruction_mse(x, torch.sigmoid(model.vae.decode(mu)))
    record = evaluate(model, dataset, splits.evaluation, 4, cfg.metrics, len(x), with_sae=False)
    assert record["mse"] == pytest.approx(float(expected), rel=1e-6)


def test_a_neuron_firing_below_the_dead_threshold_is_inactive_for_reinitialisation():
    """Item 8: "inactive" is the evaluation's "dead" (rate < metrics.dead_threshold) by default;
    train.revival.inactive_rule = zero_firings counts only neurons that never fired."""
    fires = torch.tensor([0, 1, 5000])  # of 10,000 samples: silent, rate 1e-4, rate 0.5
    rate = fires / 10_000
    default = paper_config().train.revival
    assert inactive_this_epoch(fires, rate, 0.001, default).tolist() == [True, True, False]
    zero = default.model_copy(update={"inactive_rule": "zero_firings"})
    assert inactive_this_epoch(fires, rate, 0.001, zero).tolist() == [True, False, False]


def _stage3_loss(cfg, model, x, noise):
    plan = plan_for("stage3", 0, "topk", cfg)
    loss, _ = forward_loss(model, x, noise, plan, cfg.train)
    return loss, plan


def test_stage3_keeps_stage1s_free_bits_unless_switched_off():
    """Item 6: train.stage3.free_bits; the KL of a fresh model is below the 5-nat floor."""
    with_bits, without = tiny_cfg(), tiny_cfg({"train": {"stage3": {"free_bits": False}}})
    assert with_bits.train.stage3.free_bits is True
    torch.manual_seed(0)
    model = HybridModel("dsprites", with_bits.model, with_bits.train)
    x = synthetic_dataset()[0].float_batch(torch.arange(8))
    noise = torch.randn(8, 10, generator=torch.Generator().manual_seed(1))
    loss_bits, plan = _stage3_loss(with_bits, model, x, noise)
    loss_plain, _ = _stage3_loss(without, model, x, noise)
    with torch.no_grad():
        _, mu, logvar = model.vae.encode(x)
    kl = float((0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar)).mean(0).sum())
    assert kl < with_bits.train.stage1.free_bits_nats
    expected = plan.beta * (with_bits.train.stage1.free_bits_nats - kl)
    assert float((loss_bits - loss_plain).detach()) == pytest.approx(expected, rel=1e-4)


def _encoder_grad(cfg) -> torch.Tensor:
    torch.manual_seed(0)
    model = HybridModel("dsprites", cfg.model, cfg.train)
    x = synthetic_dataset()[0].float_batch(torch.arange(8))
    loss, _ = _stage3_loss(cfg, model, x, torch.zeros(8, 10))
    loss.backward()
    return model.vae.encoder_conv[0].weight.grad.clone()


def test_the_sae_targets_pass_gradient_to_the_encoder_unless_detached():
    """Item 5: the literal joint loss differentiates ||h - h_hat||^2 through its target h too;
    train.stage3.sae_target_grad = false detaches the targets (the SAE input keeps its gradient)."""
    literal = tiny_cfg()
    assert literal.train.stage3.sae_target_grad is True
    detached = tiny_cfg({"train": {"stage3": {"sae_target_grad": False}}})
    vae_only = tiny_cfg({"train": {"stage3": {"sae_grad_to_encoder": False}}})
    g_literal, g_detached, g_vae = (_encoder_grad(c) for c in (literal, detached, vae_only))
    assert not torch.allclose(g_literal, g_detached)
    assert not torch.allclose(g_detached, g_vae)  # the input still carries the SAE loss


def test_the_state_at_k_500_is_the_last_stage3_epoch_at_k_start_epoch_6_of_the_paper():
    """Item 9: eq. 4's rounding keeps k(5) = k(6) = 500; the register says epoch 6."""
    cfg = paper_config()
    records = [{"stage": "stage2", "epoch": e, "k": cfg.train.stage2.k} for e in range(10)]
    records += [{"stage": "stage3", "epoch": e, "k": plan_for("stage3", e, "topk", cfg).k}
                for e in range(cfg.train.stage3.n_epochs)]  # fmt: skip
    chosen = _at_k_start(records, cfg)
    assert chosen["stage"] == "stage3" and chosen["epoch"] == 6
    assert records[10 + 7]["k"] < 500
    row = next(line for line in (ROOT / "docs" / "interpretations.md").read_text().splitlines()
               if line.startswith('| "at k=500" metrics (Table 2)'))  # fmt: skip
    assert f"epoch {chosen['epoch']}" in row


def test_the_latent_sae_keeps_the_papers_k_under_every_profile():
    """Item 10: the latent SAE (never scaled) is dense at the paper's k, and so at any profile's."""
    for profile in ("paper", "cpu", "smoke"):
        cfg = paper_config(profile)
        for epoch in range(cfg.train.stage3.n_epochs):
            assert plan_for("stage3", epoch, "topk", cfg).latent_k == cfg.model.latent_sae_width
        assert plan_for("stage2", 0, None, cfg).latent_k == cfg.model.latent_sae_width
