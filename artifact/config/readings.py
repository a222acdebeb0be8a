"""The evaluation-time readings of section 3.4 as config: which combinations evaluation computes.

The paper leaves open how its neuron metrics are read (docs/interpretations.md, Readings). Each
open question is an axis; `metrics.readings` in params.yaml lists grids of values, every
combination of a grid is one reading, and the union of the grids is what evaluation stores.
An axis a grid leaves out takes the registered reading's value (the top-level metrics knobs),
so the registered reading is always the first one and today's keys keep their meaning.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

Activations = Literal["codes", "pre_cut"]  # a~ (after Top-k), or a = ReLU(W_e h + b_e) before it
MiUnit = Literal["nats", "bits"]
MiNormalisation = Literal["none", "factor_entropy"]
NeuronBinning = Literal["equal_width", "zero_and_positive", "active_inactive"]
BiasBoost = Literal["off", "on"]  # the section 3.2 boost added to the pre-activations at evaluation
BinCount = Annotated[int, Field(ge=2)]


class ReadingGrid(BaseModel):
    """One grid of readings: the values of each axis (None: the registered reading's value)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    activations: tuple[Activations, ...] | None = None
    mi_unit: tuple[MiUnit, ...] | None = None
    mi_normalisation: tuple[MiNormalisation, ...] | None = None
    neuron_binning: tuple[NeuronBinning, ...] | None = None
    neuron_bins: tuple[BinCount, ...] | None = None
    bias_boost: tuple[BiasBoost, ...] | None = None
    mig_bins: tuple[BinCount, ...] | None = None
