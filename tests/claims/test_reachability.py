"""Reachability bounds: the laws they obey, the cap against our own MI estimator, the issue's
numbers from an independent root-finder, and the audit's per-reading lists of the paper."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import brentq

from artifact.claims import load_registry
from artifact.claims.audit import reachability as rb
from artifact.claims.audit.paper_audit import audit_registry
from artifact.claims.audit.unreachable import bound_readings
from artifact.metrics.mutual_info import mutual_info_matrix

DSPRITES = (3, 6, 40, 32, 32)
SHAPES3D = (10, 10, 10, 8, 4, 15)
BINNINGS = ("equal_width", "zero_and_positive", "active_inactive")
SETTINGS = settings(max_examples=40, deadline=None)
REGISTRY = load_registry()
REPORT = audit_registry(REGISTRY, (20,))


def reading(binning="equal_width", n_bins=20, unit="nats", normalisation="none", sizes=DSPRITES):
    return dict(n_bins=n_bins, binning=binning, unit=unit, normalisation=normalisation,
                factor_sizes=sizes)  # fmt: skip


@SETTINGS
@given(st.integers(2, 30), st.sampled_from(BINNINGS), st.integers(1, 400), st.integers(0, 2**31))
def test_no_neuron_beats_the_cap_on_our_own_estimator(n_bins, binning, n_active, seed):
    """The binned code of a neuron active on n_active of N samples, bins chosen freely (here as
    a function of the factor, the most informative case), never has MI above the cap."""
    rng = np.random.default_rng(seed)
    n = 400
    factor = rng.integers(0, 40, n)
    bins_used = 2 if binning == "active_inactive" else n_bins
    code = np.zeros(n, dtype=np.int64)
    active = rng.choice(n, n_active, replace=False)
    lowest = 0 if binning == "equal_width" else 1  # equal-width bin 0 may hold actives too
    code[active] = lowest + factor[active] % (bins_used - lowest)
    mi = float(mutual_info_matrix(code[:, None], factor[:, None], bins_used, [40])[0, 0])
    cap = float(rb.mi_score_cap(np.array(n_active / n), **reading(binning, n_bins, sizes=(40,))))
    assert mi <= cap + 1e-9


@SETTINGS
@given(st.sampled_from(BINNINGS), st.integers(2, 40), st.integers(1, 500), st.integers(64, 9000))
def test_counts_fall_with_the_threshold_and_grow_with_k_and_in_bits(binning, n_bins, k, width):
    t = np.linspace(0.05, 1.2, 24)
    nats = rb.max_specialised(t, width, k, **reading(binning, n_bins))
    assert np.all(np.diff(nats) <= 0)
    assert np.all(rb.max_specialised(t, width, k + 10, **reading(binning, n_bins)) >= nats)
    assert np.all(rb.max_specialised(t, width, k, **reading(binning, n_bins, unit="bits")) >= nats)
    assert np.all(rb.max_specialised(t, width, None, **reading(binning, n_bins)) >= nats)
    # the budget: the counted neurons' least rates p* fit into k
    p_star = rb.min_rate(t, **reading(binning, n_bins))
    finite = np.isfinite(p_star)
    assert np.all(nats[finite] * p_star[finite] < k + 1e-9)


def _reference_count(t: float, n_bins: int, k: int, log_bins: float) -> int:
    """The issue's construction with scipy: p* solves h(p) + p log_bins = t."""
    p = brentq(lambda p: -(p * math.log(p) + (1 - p) * math.log1p(-p)) + p * log_bins - t,
               1e-12, (n_bins - 1) / n_bins)  # fmt: skip
    return math.ceil(k / p) - 1


def test_the_registered_reading_caps_what_the_issue_computed():
    counts = rb.max_specialised(np.array([0.2, 0.3, 0.5]), 8192, 50, **reading())
    # ours uses ln(B - 1) (bin 0 holds the inactive mass); the issue's h(p) + p ln 20 is looser
    assert list(counts) == [_reference_count(t, 20, 50, math.log(19)) for t in (0.2, 0.3, 0.5)]
    looser = [_reference_count(t, 20, 50, math.log(20)) for t in (0.2, 0.3, 0.5)]
    assert looser == [1905, 1190, 652] and all(
        c <= lo for c, lo in zip(counts, looser, strict=True)
    )


def test_binary_bins_cap_mi_at_ln2_nats_but_one_bit():
    t = np.array([0.69, 0.7, 0.99, 1.0])
    nats = rb.max_specialised(t, 8192, None, **reading("active_inactive"))
    bits = rb.max_specialised(t, 8192, None, **reading("active_inactive", unit="bits"))
    assert list(nats) == [8192, 0, 0, 0] and list(bits) == [8192, 8192, 8192, 0]
    per_h = rb.max_specialised(np.array([0.49, 0.5]), 8192, None,
                               **reading("active_inactive", normalisation="factor_entropy", sizes=SHAPES3D))  # fmt: skip
    assert list(per_h) == [8192, 0]  # ln 2 / ln 4 = 0.5: no Shapes3D neuron exceeds 0.5


@SETTINGS
@given(st.integers(1, 500), st.integers(64, 9000), st.floats(1e-4, 0.5))
def test_dead_and_sparsity_floors_follow_the_budget(k, width, rate):
    floor = float(rb.dead_floor_pct(np.array([rate]), width, k)[0])
    alive = width * (1 - floor / 100)
    assert alive * rate <= k + 1e-6 and 0 <= floor <= 100
    assert rb.dead_floor_pct(np.array([rate]), width, None)[0] == 0
    assert rb.sparsity_floor_pct(width, k) == pytest.approx(100 * max(0, 1 - k / width))


def test_the_audit_lists_the_papers_unreachable_numbers_per_reading():
    reach = REPORT.reachability
    assert set(reach.readings) == {".".join(r.name.split(".")[:4]) for r in bound_readings((20,))}
    registered = {f.claim for f in reach.readings["codes.equal_width20.nats.raw"]}
    assert {"t4.dsprites.0.2", "t4.dsprites.0.3", "t1.dsprites.topk.specialised",
            "s4.4.topk_sparsity"} <= registered  # fmt: skip
    assert "t4.dsprites.0.5" not in registered  # 555 <= 646
    assert reach.readings["pre_cut.equal_width20.nats.raw"] == []  # no Top-k budget
    assert reach.everywhere == []  # some reading reaches every number
    assert REPORT.summary["unreachable_everywhere"] == 0


def test_l1_claims_have_no_budget_under_any_activations():
    codes = {f.claim for f in REPORT.reachability.readings["codes.equal_width20.nats.raw"]}
    assert not any(".l1." in claim for claim in codes)


def test_reachability_is_absent_without_bin_counts():
    assert audit_registry(REGISTRY).reachability is None
