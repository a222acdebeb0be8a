"""params.yaml: validation with one line naming the key, and profiles that scale, not fork."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from artifact.config import load_params, resolve
from artifact.errors import ConfigError
from artifact.train.schedules import k_schedule

ROOT = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "params.yaml"
    path.write_text(text)
    return path


def test_repository_params_hold_the_papers_values():
    params = load_params(ROOT / "params.yaml")
    assert params.profile == "paper"
    assert params.train.seeds == (42, 43, 44)
    assert params.train.lr == 1e-5 and params.train.batch_size == 512
    assert params.train.stage1.n_epochs == 30 and params.train.stage2.n_epochs == 10
    assert params.train.stage3.n_epochs == 50 and params.train.extended.n_epochs == 100
    assert (params.model.conv_feature_dim, params.model.conv_sae_width) == (4096, 8192)


def test_unknown_key_is_refused_naming_it(tmp_path):
    with pytest.raises(ConfigError, match="unknown key 'train.learning_rate'"):
        load_params(write(tmp_path, "train:\n  learning_rate: 0.1\n"))


def test_wrong_type_is_refused_naming_the_key(tmp_path):
    with pytest.raises(ConfigError, match="'train.batch_size'"):
        load_params(write(tmp_path, "train:\n  batch_size: many\n"))


def test_out_of_range_value_is_refused_naming_the_key(tmp_path):
    with pytest.raises(ConfigError, match="'train.lr'"):
        load_params(write(tmp_path, "train:\n  lr: -1\n"))


def test_broken_yaml_is_refused_with_its_line(tmp_path):
    with pytest.raises(ConfigError, match="not valid YAML at line"):
        load_params(write(tmp_path, "train:\n  lr: [1\n"))


def test_missing_file_is_one_sentence(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_params(tmp_path / "nope.yaml")


def test_paper_profile_is_the_identity():
    params = load_params(ROOT / "params.yaml")
    cfg = resolve(params, "paper")
    assert cfg.train == params.train and cfg.model == params.model


@pytest.mark.parametrize("profile", ["smoke", "cpu"])
def test_profiles_scale_epochs_width_and_k_together(profile):
    params = load_params(ROOT / "params.yaml")
    cfg, preset = resolve(params, profile), params.profiles[profile]
    assert cfg.model.conv_sae_width < params.model.conv_sae_width
    # sparsity fraction k / width is the paper's, up to rounding
    paper_fraction = params.train.stage3.k_end / params.model.conv_sae_width
    assert abs(cfg.train.stage3.k_end / cfg.model.conv_sae_width - paper_fraction) < 2 / cfg.model.conv_sae_width
    assert cfg.train.stage3.k_warmup_epochs >= 1  # the warm-up at k_start survives scaling
    assert cfg.data.max_images == preset.max_images


def test_resolved_digest_changes_with_a_knob_but_not_with_paths(tmp_path):
    params = load_params(ROOT / "params.yaml")
    base = resolve(params, "smoke")
    moved = resolve(params.model_copy(update={"paths": params.paths.model_copy(update={"out": tmp_path})}), "smoke")
    other = resolve(params, "cpu")
    assert base.digest() == moved.digest() != other.digest()


def test_every_key_of_params_yaml_is_a_model_field():
    raw = yaml.safe_load((ROOT / "params.yaml").read_text())
    assert load_params(ROOT / "params.yaml").model_dump(mode="json").keys() == raw.keys()


@settings(max_examples=200, deadline=None)
@given(scale=st.floats(min_value=0.001, max_value=1.0))
def test_a_scaled_stage3_keeps_warmup_anneal_and_ends_at_the_target_k(scale):
    """However short a profile makes stage 3, its first epoch is at k_start and its last at k_end."""
    params = load_params(ROOT / "params.yaml")
    preset = params.profiles["smoke"].model_copy(update={"epoch_scale": scale})
    scaled = params.model_copy(update={"profiles": {**params.profiles, "smoke": preset}})
    stage3 = resolve(scaled, "smoke").train.stage3
    ks = [k_schedule(epoch, stage3) for epoch in range(stage3.n_epochs)]
    assert stage3.n_epochs >= 3
    assert ks[0] == stage3.k_start and ks[-1] == stage3.k_end


@pytest.mark.parametrize(
    ("source", "profile", "resolved"),
    [
        ("auto", "paper", "official"),
        ("auto", "smoke", "procedural"),
        ("auto", "cpu", "procedural"),
        ("auto", "slice", "procedural"),
        ("procedural", "paper", "procedural"),
        ("official", "smoke", "official"),
    ],
)
def test_data_source_auto_is_official_only_at_the_paper_profile(source, profile, resolved):
    params = load_params(ROOT / "params.yaml", {"data": {"source": source}})
    cfg = resolve(params, profile)
    assert cfg.data.source == resolved  # what every run records: never `auto`


def test_a_run_config_refuses_an_unresolved_auto_source():
    cfg = resolve(load_params(ROOT / "params.yaml"), "smoke")
    with pytest.raises(ValueError, match="resolved"):
        type(cfg).model_validate(cfg.model_dump() | {"data": cfg.data.model_dump() | {"source": "auto"}})


def test_the_slice_profile_keeps_every_paper_size_and_cuts_only_batches_and_seeds():
    params = load_params(ROOT / "params.yaml")
    paper, cut = resolve(params, "paper"), resolve(params, "slice")
    assert cut.model == paper.model and cut.model.conv_sae_width == 8192
    assert (cut.train.stage2.k, cut.train.stage3.k_start, cut.train.stage3.k_end) == (500, 500, 50)
    assert cut.data.max_images is None and cut.data.n_eval_samples == paper.data.n_eval_samples
    assert cut.data.datasets == paper.data.datasets and cut.train.methods == paper.train.methods
    assert cut.train.seeds == paper.train.seeds[:1] and cut.train.max_batches_per_epoch >= 1
    ks = [k_schedule(e, cut.train.stage3) for e in range(cut.train.stage3.n_epochs)]
    assert ks[0] == 500 and ks[-1] == 50 and cut.train.stage3.k_warmup_epochs >= 1  # eq. 4's parts
    assert cut.train.extended.n_epochs >= 1 and paper.train.max_batches_per_epoch is None
