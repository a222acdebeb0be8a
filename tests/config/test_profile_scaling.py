"""What a profile scales beyond epochs, width and data (issue 15, item 10), and what the paper
profile never does silently (item 12). The differences a profile keeps are listed in the
register's "profiles" row (docs/interpretations.md)."""

from __future__ import annotations

import pytest
import torch

from artifact.config import resolve
from artifact.data.spec import get_spec
from artifact.data.splits import eval_indices, n_train, split_indices
from artifact.errors import ConfigError
from artifact.train.revival import bias_boost, boost_count_scale
from tests.helpers import ROOT, paper_config, paper_params

REDUCED = ("cpu", "smoke", "laptop")


@pytest.mark.parametrize("profile", REDUCED)
def test_reinitialisation_can_fire_inside_a_scaled_stage3(profile):
    """The "more than 5 epochs" window keeps its fraction of stage 3, so a neuron can be
    inactive long enough before the stage ends (at 5 of 3 epochs it never could)."""
    paper, cfg = paper_config(), paper_config(profile)
    assert cfg.train.revival.inactive_epochs + 1 < cfg.train.stage3.n_epochs
    paper_fraction = paper.train.revival.inactive_epochs / paper.train.stage3.n_epochs
    assert cfg.train.revival.inactive_epochs <= round(
        paper_fraction * cfg.train.stage3.n_epochs + 0.5
    )
    assert paper.train.revival.inactive_epochs == paper_params().train.revival.inactive_epochs


@pytest.mark.parametrize("profile", REDUCED)
@pytest.mark.parametrize("dataset", ["dsprites", "shapes3d"])
def test_the_bias_boost_of_a_firing_rate_is_the_paper_scale_boost(profile, dataset):
    """The boost reads firings per epoch; scaled to the paper's epoch it depends on the rate."""
    paper, cfg = paper_config(), paper_config(profile)
    n_images = min(get_spec(dataset).n_images, cfg.data.max_images or get_spec(dataset).n_images)
    per_epoch = n_train(n_images, dataset, cfg.data)
    full = n_train(get_spec(dataset).n_images, dataset, paper.data)
    rates = torch.tensor([0.0, 1e-5, 1e-4, 1e-3])
    ours = bias_boost(rates * per_epoch * 3, 3, cfg.train.revival,
                      boost_count_scale(dataset, per_epoch, cfg.data))  # fmt: skip
    theirs = bias_boost(rates * full * 3, 3, paper.train.revival,
                        boost_count_scale(dataset, full, paper.data))  # fmt: skip
    assert boost_count_scale(dataset, full, paper.data) == 1.0
    torch.testing.assert_close(ours, theirs)
    assert ours[-1] < 0.5 * ours[0]  # a neuron firing on 0.1 % of images loses most of it


@pytest.mark.parametrize("profile", ("paper", "slice", *REDUCED))
@pytest.mark.parametrize("dataset", ["dsprites", "shapes3d"])
def test_every_profile_evaluates_on_the_samples_it_configures(profile, dataset):
    cfg = paper_config(profile)
    n_images = min(get_spec(dataset).n_images, cfg.data.max_images or get_spec(dataset).n_images)
    _, val = split_indices(n_images, dataset, cfg.data)
    assert len(eval_indices(val, cfg.data)) == cfg.data.n_eval_samples


def test_a_profile_asking_more_evaluation_samples_than_its_validation_split_is_refused():
    params = paper_params()
    greedy = params.profiles["cpu"].model_copy(update={"n_eval_samples": 4000})
    params = params.model_copy(update={"profiles": {**params.profiles, "cpu": greedy}})
    with pytest.raises(ConfigError, match=r"profiles\.cpu\.n_eval_samples to at most 1,667"):
        resolve(params, "cpu")


def test_a_paper_scale_run_never_silently_uses_procedural_data():
    """Item 12: params.yaml's data.source resolves to the official files at the paper profile
    (data.source: auto, issue 14); procedural data there must be asked for by name."""
    assert paper_params().data.source in ("auto", "official")
    assert paper_config("paper").data.source == "official"


def test_the_register_lists_what_the_profiles_do_not_scale():
    row = next(line for line in (ROOT / "docs" / "interpretations.md").read_text().splitlines()
               if line.startswith("| profiles |"))  # fmt: skip
    for difference in ("beta", "latent SAE", "bias boost", "inactive_epochs", "n_eval_samples"):
        assert difference in row, difference
