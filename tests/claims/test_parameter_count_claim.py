"""The parameter-count claim (section 3.5, "68.6M parameters") against the models the config
can build: the default layout passes the tightened tolerance, the first 8x8 layout does not."""

from __future__ import annotations

import pytest

from artifact.claims.registry.loader import load_registry
from artifact.claims.verify.checks import check_point
from artifact.experiment.aggregate import _summary
from artifact.model.hybrid import HybridModel, count_parameters
from tests.helpers import paper_config, paper_section

CLAIM_ID = "s3.5.n_parameters"


def _verdict(model_cfg, dataset: str) -> bool:
    registry = load_registry()
    claim = registry.by_id[CLAIM_ID]
    n = count_parameters(HybridModel(dataset, model_cfg, paper_config().train))
    metrics = {"model.n_parameters": _summary([float(n)], [])}
    return check_point(claim, registry.rules[claim.tolerance], metrics).passed


@pytest.mark.parametrize("dataset", ["dsprites", "shapes3d"])
def test_the_default_model_passes_the_parameter_count_claim(dataset):
    assert _verdict(paper_config().model, dataset)


def test_the_first_8x8_layout_fails_the_tightened_parameter_count_claim():
    legacy = paper_section(
        "model", vae_layout="conv8x8_fc", conv_channels=(32, 32, 64, 64), fc_hidden=256
    )
    assert not _verdict(legacy, "shapes3d")
