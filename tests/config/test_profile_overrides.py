"""A profile's optimiser overrides (lr, batch_size): null keeps the paper's, a value replaces it
and nothing else; the `laptop` profile keeps every schedule's shape (docs/interpretations.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from artifact.config import load_params, resolve
from artifact.errors import ConfigError
from artifact.train.phase_plan import phase_digest

ROOT = Path(__file__).resolve().parents[2]
PARAMS = load_params(ROOT / "params.yaml")


@pytest.mark.parametrize("profile", sorted(PARAMS.profiles))
def test_an_override_replaces_lr_and_batch_and_null_keeps_the_papers(profile):
    preset, cfg = PARAMS.profiles[profile], resolve(PARAMS, profile)
    assert cfg.train.lr == (preset.lr if preset.lr is not None else PARAMS.train.lr)
    assert cfg.train.batch_size == (preset.batch_size or PARAMS.train.batch_size)
    keep = ("adam_betas", "weight_decay", "grad_clip_norm", "methods", "precision")
    assert all(getattr(cfg.train, name) == getattr(PARAMS.train, name) for name in keep)


def test_the_laptop_profile_departs_in_lr_and_batch_and_keeps_the_schedules_shape():
    cfg, paper = resolve(PARAMS, "laptop"), PARAMS.train
    assert cfg.train.lr != paper.lr and cfg.train.batch_size != paper.batch_size
    s1, s3 = cfg.train.stage1, cfg.train.stage3
    assert (s1.beta_start, s1.beta_end) == (paper.stage1.beta_start, paper.stage1.beta_end)
    assert (s3.l1_lambda_start, s3.l1_lambda_end) == (paper.stage3.l1_lambda_start, paper.stage3.l1_lambda_end)
    width, paper_width = cfg.model.conv_sae_width, PARAMS.model.conv_sae_width
    for ours, theirs in ((s3.k_start, paper.stage3.k_start), (s3.k_end, paper.stage3.k_end)):
        assert abs(ours / width - theirs / paper_width) <= 1 / width  # k / width kept
    assert 1 <= s3.k_warmup_epochs < s3.k_anneal_end_epoch < s3.n_epochs  # eq. 4's three parts


def test_an_lr_override_changes_the_pretrain_digest(tmp_path):
    preset = PARAMS.profiles["smoke"].model_copy(update={"lr": 1e-3})
    changed = PARAMS.model_copy(update={"profiles": {**PARAMS.profiles, "smoke": preset}})
    before, after = resolve(PARAMS, "smoke"), resolve(changed, "smoke")
    assert after.train.lr == 1e-3
    assert phase_digest(before, "pretrain") != phase_digest(after, "pretrain")


def test_a_non_positive_override_is_refused_naming_the_key(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text("profiles:\n  laptop:\n    batch_size: 0\n")
    with pytest.raises(ConfigError, match="profiles.laptop.batch_size"):
        load_params(path)
