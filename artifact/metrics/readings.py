"""Evaluation-time readings of the paper's neuron metrics and MIG, all from one evaluation pass.

Section 3.4 leaves open how "mutual information between neuron activations and each generative
factor" is read. Every question that a checkpoint can answer without retraining is an axis
(docs/interpretations.md, Readings):

    activations       codes (a~, after the Top-k cut) | pre_cut (a = ReLU(W_e h + b_e), before it)
    mi_unit           nats | bits
    mi_normalisation  none | factor_entropy (MI / H(factor), unitless: the unit no longer matters)
    neuron_binning    equal_width | zero_and_positive | active_inactive (n_bins of the neuron)
    neuron_bins       the bin count of equal_width / zero_and_positive
    bias_boost        off | on (the section 3.2 boost added to the pre-activations at evaluation)
    mig_bins          MIG's bin count on the latent means

What is shared: one activation matrix per (activations, bias_boost); one contingency table per
(matrix, binning, bins), whose active entries are found once (metrics/neurons.py); active/inactive
is a sum over the bins of any finer zero_and_positive table; unit and normalisation are
elementwise transforms of one MI matrix; thresholds are comparisons.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields

import torch

from artifact.config import MetricsConfig
from artifact.config.readings import ReadingGrid
from artifact.metrics.keys import threshold_label
from artifact.metrics.mig import mig
from artifact.metrics.mutual_info import as_tensor, entropy, factor_table
from artifact.metrics.neurons import (
    NeuronCounts,
    TableSpec,
    neuron_counts,
    neuron_tables,
    normalise_by_entropy,
    table_spec,
)

# The axes and their values (integers: any bin count >= 2). The frozen vocabulary of readings.
AXES: Mapping[str, tuple] = {
    "activations": ("codes", "pre_cut"),
    "mi_unit": ("nats", "bits"),
    "mi_normalisation": ("none", "factor_entropy"),
    "neuron_binning": ("equal_width", "zero_and_positive", "active_inactive"),
    "neuron_bins": ("integer >= 2",),
    "bias_boost": ("off", "on"),
    "mig_bins": ("integer >= 2",),
}
Source = tuple[str, str]  # (activations, bias_boost): one activation matrix


@dataclass(frozen=True)
class Reading:
    """One combination of the axes' values."""

    activations: str
    mi_unit: str
    mi_normalisation: str
    neuron_binning: str
    neuron_bins: int
    bias_boost: str
    mig_bins: int

    def __post_init__(self) -> None:
        for axis, values in AXES.items():
            value = getattr(self, axis)
            if isinstance(value, str) and value not in values:
                raise ValueError(f"reading axis {axis} has no value {value!r} (one of {values})")
        if self.neuron_binning == "active_inactive":  # two bins whatever neuron_bins says
            object.__setattr__(self, "neuron_bins", 2)

    @property
    def name(self) -> str:
        """e.g. codes.equal_width20.nats.raw.boost_off.mig20: every axis, in axis order."""
        binning = self.neuron_binning
        if binning != "active_inactive":
            binning += str(self.neuron_bins)
        norm = "raw" if self.mi_normalisation == "none" else "per_h"
        return ".".join((self.activations, binning, self.mi_unit, norm,
                         f"boost_{self.bias_boost}", f"mig{self.mig_bins}"))  # fmt: skip

    @property
    def source(self) -> Source:
        return (self.activations, self.bias_boost)

    @property
    def table(self) -> TableSpec:
        return table_spec(self.neuron_binning, self.neuron_bins)

    def axes(self) -> dict:
        return asdict(self)


def primary(cfg: MetricsConfig, bias_boost: str) -> Reading:
    """The registered reading: the top-level metrics knobs (MI in nats, on the codes a~)."""
    return Reading(activations="codes", mi_unit="nats", mi_normalisation=cfg.mi_normalisation,
                   neuron_binning=cfg.neuron_binning, neuron_bins=cfg.n_bins,
                   bias_boost=bias_boost, mig_bins=cfg.n_bins)  # fmt: skip


def grid_readings(grid: ReadingGrid, base: Reading) -> list[Reading]:
    """Every combination of a grid; an axis it leaves out keeps `base`'s value."""
    axes = [f.name for f in fields(Reading)]
    values = [getattr(grid, axis) or (getattr(base, axis),) for axis in axes]
    return [Reading(**dict(zip(axes, combo, strict=True))) for combo in itertools.product(*values)]


def configured(cfg: MetricsConfig, bias_boost: str) -> tuple[Reading, ...]:
    """The registered reading first, then every reading of cfg.readings, without repeats."""
    base = primary(cfg, bias_boost)
    out = {base.name: base}
    for grid in cfg.readings:
        out |= {r.name: r for r in grid_readings(grid, base) if r.name not in out}
    return tuple(out.values())


def counts_record(counts: NeuronCounts) -> dict:
    """The neuron part of an evaluation record (thresholds as they appear in keys)."""
    return {
        "dead_pct": float(counts.dead_pct),
        "specialised": int(counts.specialised),
        "effective_sparsity_pct": float(counts.effective_sparsity_pct),
        "dead_pct_at": {threshold_label(t): float(v) for t, v in counts.dead_pct_at.items()},
        "specialised_at": {threshold_label(t): int(v) for t, v in counts.specialised_at.items()},
    }


def in_reading_unit(mi_nats: torch.Tensor, h_nats: torch.Tensor, reading: Reading) -> torch.Tensor:
    """MI [M, K] in nats -> what the reading's thresholds apply to."""
    if reading.mi_normalisation == "factor_entropy":
        return normalise_by_entropy(mi_nats, h_nats)  # a ratio: nats or bits alike
    return mi_nats / math.log(2) if reading.mi_unit == "bits" else mi_nats


def evaluate_readings(
    readings: Sequence[Reading],
    sources: Mapping[Source, torch.Tensor],
    mus: torch.Tensor,
    factors: torch.Tensor,
    factor_sizes: Sequence[int],
    cfg: MetricsConfig,
    mse: float,
) -> dict[str, dict]:
    """{reading name: evaluation record} (mig, mse and the neuron metrics) for every reading.

    sources: the activation matrix [N, M] of each (activations, bias_boost) the readings use;
    the same tensor under two sources (L1's codes are its pre-cut activations) is read once.
    """
    factors = as_tensor(factors).to(mus.device)
    table = factor_table(factors, factor_sizes)
    h = entropy(factors, factor_sizes)  # [K] nats
    migs = {
        b: float(mig(mus.cpu(), factors.cpu(), n_bins=b)) for b in {r.mig_bins for r in readings}
    }
    tables: dict[int, tuple] = {}  # id(matrix) -> (rate, zeros, {spec: mi})
    for source in dict.fromkeys(r.source for r in readings):
        matrix = sources[source]
        specs = sorted({r.table for r in readings if sources[r.source] is matrix})
        if id(matrix) not in tables:
            tables[id(matrix)] = neuron_tables(matrix, table, specs)
    out = {}
    for reading in readings:
        matrix = sources[reading.source]
        rate, zeros, mis = tables[id(matrix)]
        mi = in_reading_unit(mis[reading.table], h, reading)
        counts = neuron_counts(rate, zeros, mi, matrix.shape[0], cfg)
        out[reading.name] = {"mig": migs[reading.mig_bins], "mse": mse, **counts_record(counts)}
    return out


def parse_name(name: str) -> Reading:
    """The reading a name stands for (the inverse of Reading.name); ValueError if malformed."""
    parts = name.split(".")
    if len(parts) != 6 or not parts[4].startswith("boost_") or not parts[5].startswith("mig"):
        raise ValueError(f"{name!r} is not a reading name such as {READING_EXAMPLE}")
    activations, binning, unit, norm, boost, mig_part = parts
    bins = 2
    if binning != "active_inactive":
        stem = binning.rstrip("0123456789")
        binning, bins = stem, int(binning[len(stem) :] or 0)
    return Reading(activations=activations, mi_unit=unit,
                   mi_normalisation="none" if norm == "raw" else "factor_entropy",
                   neuron_binning=binning, neuron_bins=bins, bias_boost=boost[len("boost_"):],
                   mig_bins=int(mig_part[len("mig"):]))  # fmt: skip


READING_EXAMPLE = "codes.equal_width20.nats.raw.boost_off.mig20"


def bin_counts(cfg: MetricsConfig) -> tuple[int, ...]:
    """Every neuron bin count the configured readings use (the reachability bounds read them)."""
    counts = {cfg.n_bins} | {b for grid in cfg.readings for b in (grid.neuron_bins or ())}
    return tuple(sorted(counts))
