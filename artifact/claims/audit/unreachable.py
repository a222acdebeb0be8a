"""The paper's counts and rates that a reading caps by construction (reachability.py's bounds),
listed per reading before any run.

A reading here is what the bounds depend on: the activations (codes a~ or pre-cut a), the
binning and its bin count, the MI unit and normalisation (the bias boost and MIG's bins bound
nothing). The Top-k budget k, the width and the default thresholds are the paper's own numbers
(claims/: s3.2.k_start / k_end, s3.1.conv_sae_width, s3.4 thresholds); factor sizes are the
datasets' (data/spec.py).
"""

from __future__ import annotations

import functools
import itertools
import re

import numpy as np
from pydantic import BaseModel

from artifact.claims.audit import reachability as rb
from artifact.claims.registry.loader import Registry
from artifact.claims.registry.models import Claim
from artifact.data.spec import get_spec
from artifact.metrics.readings import AXES, Reading

_KEY = re.compile(
    r"^(?P<dataset>dsprites|shapes3d)\.(?P<method>topk|l1)\.(?P<extended>extended_)?"
    r"(?P<family>specialised|dead_pct|effective_sparsity_pct)(?:_thr_(?P<thr>[0-9.e\-]+))?"
    r"(?P<start>_at_k_start)?$"
)


class Unreachable(BaseModel):
    claim: str
    location: str
    reading: str
    value: str
    bound: str
    explanation: str


def bound_name(reading: Reading) -> str:
    """The part of a reading's name the bounds depend on: codes.equal_width20.nats.raw."""
    return ".".join(reading.name.split(".")[:4])


def bound_readings(neuron_bins: tuple[int, ...]) -> list[Reading]:
    """Every combination of the axes the bounds depend on, at each bin count."""
    combos = itertools.product(AXES["activations"], AXES["mi_unit"], AXES["mi_normalisation"],
                               AXES["neuron_binning"], sorted(set(neuron_bins)))  # fmt: skip
    out = {}
    for act, unit, norm, binning, bins in combos:
        reading = Reading(act, unit, norm, binning, bins, "off", bins)
        out.setdefault(bound_name(reading), reading)
    return list(out.values())


def _setting(registry: Registry, *, config: str | None = None, metric: str | None = None) -> float:
    for claim in registry.claims:
        if (
            claim.value is not None
            and claim.value.mean is not None
            and (
                (config is not None and claim.config == config and claim.kind == "setup")
                or (metric is not None and claim.metric == metric and claim.kind == "point")
            )
        ):
            return float(claim.value.mean)
    raise KeyError(config or metric)


def _targets(claim: Claim) -> list[str]:
    if claim.kind in ("mean_std", "point") and claim.metric:
        return [claim.metric]
    if claim.kind == "range" and claim.statistic == "mean" and claim.metrics:
        return [m for m in claim.metrics if isinstance(m, str)]
    return []


@functools.cache
def _min_rate(threshold: float, n_bins: int, binning: str, unit: str, normalisation: str,
              factor_sizes: tuple[int, ...]) -> float:  # fmt: skip
    """p* of one threshold under one reading's MI cap. The audit asks it about 2,200 times for
    about 280 distinct arguments (claims share thresholds, readings share caps), and each answer
    is a 60-step bisection, so it is computed once per process."""
    return float(rb.min_rate(np.array([threshold]), n_bins=n_bins, binning=binning, unit=unit,
                             normalisation=normalisation, factor_sizes=factor_sizes)[0])  # fmt: skip


def claim_bounds(claim: Claim, reading: Reading, paper: dict) -> Unreachable | None:
    """The finding when no training could reach `claim` under `reading`, else None."""
    matches = [m for m in map(_KEY.match, _targets(claim)) if m is not None]
    if claim.value is None or not matches:
        return None
    interval = claim.value.interval()
    for match in matches:
        k = None
        if match["method"] == "topk" and reading.activations == "codes":
            k = paper["k_start"] if match["start"] else paper["k_end"]
        width, family = paper["width"], match["family"]
        where = f"{'k = ' + format(k, 'g') if k else 'no Top-k budget'}, width {width:g}"
        if family == "specialised":
            thr = float(match["thr"] or paper["specialisation_threshold"])
            sizes = get_spec(match["dataset"]).factor_sizes
            p_star = _min_rate(thr, reading.neuron_bins, reading.neuron_binning, reading.mi_unit,
                               reading.mi_normalisation, sizes)  # fmt: skip
            cap = int(rb.specialised_budget(np.array([p_star]), int(width), k)[0])
            if interval.lo > cap or (interval.lo_open and interval.lo >= cap):
                return _finding(claim, reading, f"at most {cap:,} neurons", f"MI > {thr:g} under "
                                f"{bound_name(reading)} ({where}; factor sizes {sizes})")  # fmt: skip
        elif family == "dead_pct":
            thr = float(match["thr"] or paper["dead_threshold"])
            floor = float(rb.dead_floor_pct(np.array([thr]), int(width), k)[0])
            if interval.hi < floor:
                return _finding(claim, reading, f"at least {floor:.4g}% dead",
                                f"activation rate >= {thr:g} for at most k / rate neurons ({where})")  # fmt: skip
        else:
            floor = rb.sparsity_floor_pct(int(width), k)
            if interval.hi < floor:
                return _finding(claim, reading, f"at least {floor:.4g}% zeros",
                                f"at most k of the width active per sample ({where})")  # fmt: skip
    return None


def _finding(claim: Claim, reading: Reading, bound: str, why: str) -> Unreachable:
    return Unreachable(claim=claim.id, location=claim.location, reading=bound_name(reading),
                       value=claim.value.raw, bound=bound,
                       explanation=f"{claim.location} reports {claim.value.raw}; {why} allows {bound}")  # fmt: skip


def paper_settings(registry: Registry) -> dict:
    return {
        "k_start": _setting(registry, config="train.stage3.k_start"),
        "k_end": _setting(registry, config="train.stage3.k_end"),
        "width": _setting(registry, metric="model.conv_sae_width"),
        "specialisation_threshold": _setting(registry, config="metrics.specialisation_threshold"),
        "dead_threshold": _setting(registry, config="metrics.dead_threshold"),
    }


def unreachable_claims(registry: Registry, readings: list[Reading]) -> dict[str, list[Unreachable]]:
    """{bound reading name: the claims it caps}, every reading listed (an empty list: none)."""
    paper = paper_settings(registry)
    out: dict[str, list[Unreachable]] = {}
    for reading in readings:
        found = [claim_bounds(claim, reading, paper) for claim in registry.claims]
        out[bound_name(reading)] = [f for f in found if f is not None]
    return out


def unreachable_everywhere(per_reading: dict[str, list[Unreachable]]) -> list[str]:
    """The claims that every listed reading caps: no reading of these axes can reach them."""
    sets = [{f.claim for f in found} for found in per_reading.values()]
    return sorted(set.intersection(*sets)) if sets else []
