"""Evaluation-time readings: the configured set, names, and every reading equal to computing
it alone (neuron_report with that reading's knobs), from shared tables; evaluation stores them
and its registered reading equals the top-level keys."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from artifact.config import resolve
from artifact.config.loading import load_params
from artifact.config.readings import ReadingGrid
from artifact.data.dataset import FactorDataset
from artifact.metrics import neurons
from artifact.metrics.mig import mig
from artifact.metrics.neurons import neuron_report
from artifact.metrics.readings import (
    AXES,
    Reading,
    configured,
    evaluate_readings,
    parse_name,
    primary,
)
from artifact.model.hybrid import HybridModel
from artifact.train.evaluation import evaluate
from tests.helpers import ROOT, paper_section
from tests.helpers.mi_reference import random_factors
from tests.metrics.test_neurons import SIZES, sparse_codes

CFG = paper_section("metrics")


def readings_cfg(*grids: dict):
    return paper_section("metrics", readings=tuple(ReadingGrid(**g) for g in grids))


def test_the_registered_reading_comes_first_and_grids_multiply_without_repeats():
    cfg = readings_cfg(
        {"activations": ["codes", "pre_cut"], "mi_unit": ["nats", "bits"]},
        {"mi_unit": ["nats"], "neuron_binning": ["active_inactive", "equal_width"]},
    )
    readings = configured(cfg, "off")
    assert readings[0] == primary(cfg, "off")
    names = [r.name for r in readings]
    assert len(names) == len(set(names))
    # 2 x 2 from the first grid (the registered one among them) + 1 new from the second.
    assert len(readings) == 5
    assert all(r.mig_bins == cfg.n_bins and r.bias_boost == "off" for r in readings)


@settings(max_examples=40, deadline=None)
@given(
    st.sampled_from(AXES["activations"]),
    st.sampled_from(AXES["mi_unit"]),
    st.sampled_from(AXES["mi_normalisation"]),
    st.sampled_from(AXES["neuron_binning"]),
    st.integers(2, 64),
    st.sampled_from(AXES["bias_boost"]),
    st.integers(2, 64),
)
def test_a_reading_name_says_every_axis(act, unit, norm, binning, bins, boost, mig_bins):
    reading = Reading(act, unit, norm, binning, bins, boost, mig_bins)
    assert parse_name(reading.name) == reading
    assert reading.name.count(".") == len(AXES) - 2  # bins live inside the binning's part


def test_an_unknown_axis_value_is_refused():
    with pytest.raises(ValueError, match="no value"):
        Reading("codes", "bans", "none", "equal_width", 20, "off", 20)


@pytest.fixture(scope="module")
def case():
    rng = np.random.default_rng(3)
    factors = random_factors(rng, 1500, SIZES)
    codes = torch.as_tensor(sparse_codes(rng, 1500, 48, 6, factors))
    dense = torch.relu(torch.as_tensor(rng.normal(size=(1500, 48))) + codes)
    mus = torch.as_tensor(rng.normal(size=(1500, 4)))
    return torch.as_tensor(factors), codes, dense, mus


def _alone(reading: Reading, activations, factors) -> dict:
    """The reading computed on its own: neuron_report with its knobs, thresholds in its unit."""
    scale = math.log(2) if reading.mi_unit == "bits" and reading.mi_normalisation == "none" else 1
    cfg = paper_section(
        "metrics", n_bins=reading.neuron_bins, neuron_binning=reading.neuron_binning,
        mi_normalisation=reading.mi_normalisation,
        specialisation_threshold=CFG.specialisation_threshold * scale,
        specialisation_sweep=tuple(t * scale for t in CFG.specialisation_sweep),
    )  # fmt: skip
    report = neuron_report(activations, factors, SIZES, cfg)
    return {"dead_pct": report.dead_pct, "specialised": report.specialised,
            "specialised_at": list(report.specialised_at.values()),
            "effective_sparsity_pct": report.effective_sparsity_pct}  # fmt: skip


def test_every_reading_equals_the_reading_computed_alone(case):
    factors, codes, dense, mus = case
    cfg = readings_cfg(
        {
            "activations": list(AXES["activations"]),
            "mi_unit": list(AXES["mi_unit"]),
            "mi_normalisation": list(AXES["mi_normalisation"]),
            "neuron_binning": list(AXES["neuron_binning"]),
            "bias_boost": ["off"],
            "mig_bins": [10, 20],
        }
    )
    readings = configured(cfg, "off")
    sources = {("codes", "off"): codes, ("pre_cut", "off"): dense}
    out = evaluate_readings(readings, sources, mus, factors, SIZES, cfg, mse=0.5)
    assert len(out) == 2 * 2 * 2 * 3 * 2
    for reading in readings:
        got = out[reading.name]
        want = _alone(reading, sources[reading.source], factors)
        assert got["dead_pct"] == pytest.approx(want["dead_pct"])
        assert got["effective_sparsity_pct"] == pytest.approx(want["effective_sparsity_pct"])
        assert list(got["specialised_at"].values()) == want["specialised_at"], reading.name
        assert got["mig"] == pytest.approx(mig(mus, factors, n_bins=reading.mig_bins))
        assert got["mse"] == 0.5
    # the unit's law: MI in bits is MI in nats / ln 2, so the same thresholds count no fewer
    for reading in readings:
        if reading.mi_unit == "nats" and reading.mi_normalisation == "none":
            twin = Reading(**(reading.axes() | {"mi_unit": "bits"}))
            nats, bits = out[reading.name]["specialised_at"], out[twin.name]["specialised_at"]
            assert all(bits[t] >= nats[t] for t in nats)


def test_a_matrix_shared_by_two_sources_is_read_once(case, monkeypatch):
    factors, codes, _, mus = case
    calls = []
    real = neurons.neuron_tables

    def counting(matrix, table, specs):
        calls.append(tuple(specs))
        return real(matrix, table, specs)

    monkeypatch.setattr("artifact.metrics.readings.neuron_tables", counting)
    cfg = readings_cfg(
        {
            "activations": ["codes", "pre_cut"],
            "neuron_binning": ["zero_and_positive", "active_inactive"],
        }
    )
    readings = configured(cfg, "off")
    # L1: a~ is a, the same tensor under both sources
    evaluate_readings(readings, {("codes", "off"): codes, ("pre_cut", "off"): codes}, mus,
                      factors, SIZES, cfg, mse=0.0)  # fmt: skip
    assert len(calls) == 1
    assert set(calls[0]) == {
        ("equal_width", 20),
        ("zero_and_positive", 20),
        ("zero_and_positive", 2),
    }


def test_active_inactive_from_a_finer_table_equals_its_own_table(case):
    factors, codes, dense, _ = case
    table = neurons.factor_table(factors, SIZES)
    for matrix in (codes, dense):
        _, _, shared = neurons.neuron_tables(
            matrix, table, [("zero_and_positive", 9), ("zero_and_positive", 2)]
        )
        _, _, alone = neurons.neuron_tables(matrix, table, [("zero_and_positive", 2)])
        torch.testing.assert_close(
            shared[("zero_and_positive", 2)], alone[("zero_and_positive", 2)]
        )


def _tiny_run(eval_bias_boost: bool):
    params = load_params(ROOT / "params.yaml")
    cfg = resolve(params, "smoke")
    metrics = cfg.metrics.model_copy(update={"eval_bias_boost": eval_bias_boost})
    torch.manual_seed(0)
    model = HybridModel("dsprites", cfg.model, cfg.train)
    model.conv_sae.set_boost_(torch.rand(model.conv_sae.width))
    rng = np.random.default_rng(0)
    sizes = (3, 6, 4, 4, 4)
    factors = torch.as_tensor(random_factors(rng, 96, list(sizes)))
    images = torch.as_tensor(rng.integers(0, 2, size=(96, 64, 64, 1)), dtype=torch.uint8)
    dataset = FactorDataset(
        "dsprites", images, factors, ("a", "b", "c", "d", "e"), sizes, "procedural", None
    )
    return model, dataset, metrics


@pytest.mark.parametrize("method_k", [16, None], ids=["topk", "l1"])
def test_evaluation_stores_every_reading_and_its_registered_one_is_the_top_level(method_k):
    model, dataset, metrics = _tiny_run(eval_bias_boost=True)
    model.conv_sae.fast_topk = "dense"
    record = evaluate(model, dataset, torch.arange(96), method_k, metrics, 32, with_sae=True)
    readings = configured(metrics, "on")
    assert list(record["readings"]) == [r.name for r in readings]
    registered = record["readings"][readings[0].name]
    for name in (
        "dead_pct",
        "specialised",
        "effective_sparsity_pct",
        "dead_pct_at",
        "specialised_at",
        "mig",
        "mse",
    ):
        assert registered[name] == pytest.approx(record[name]), name
    off = record["readings"][readings[0].name.replace("boost_on", "boost_off")]
    assert off != registered  # the boost moves the pre-activations, so some metric moves
