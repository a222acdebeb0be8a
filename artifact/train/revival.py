"""Revival of inactive neurons (section 3.2): bias boosting and re-initialisation.

Bias boosting: b_i(t) = b_base * exp(-0.01 * sum_s I[a~_i(s) > 0] / t), added to neuron i's
pre-activation in training (not at evaluation: `metrics.eval_bias_boost`). We read s as the
training samples seen so far in the stage and t as the number of epochs completed, so count / t
is the neuron's firings per epoch: a neuron that fires on a few samples an epoch gets nearly
b_base, one that fires often gets ~0. A profile's epoch holds fewer images than the paper's, so
the count is scaled to the paper's epoch (`boost_count_scale`): a neuron firing on a fraction p
of the images gets the boost it would get at paper scale.

Re-initialisation: "neurons inactive for more than 5 epochs are re-initialized from the
empirical distribution of active neurons when the overall dead rate exceeds 50%": "inactive" in
an epoch is a training activation rate below the dead threshold (`inactive_rule`:
below_dead_threshold; zero_firings: no firing at all), so the neurons that count towards the
dead rate are the ones re-initialised. Per weight coordinate, a Gaussian fitted to the active
neurons' encoder rows, encoder biases and decoder columns; the revived neurons' AdamW moments
are reset. All vectorised, seeded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch

from artifact.config import DataConfig, RevivalConfig
from artifact.data.spec import get_spec
from artifact.data.splits import n_train

if TYPE_CHECKING:
    from artifact.model.sae import SparseAutoencoder


@dataclass
class RevivalState:
    cumulative_fires: torch.Tensor  # [m] int64, firings since the stage began
    epoch_fires: torch.Tensor  # [m] int64, firings in the current epoch
    epochs_inactive: torch.Tensor  # [m] int64, consecutive epochs without a firing
    epochs_done: int = 0
    n_reinitialised: int = 0

    @classmethod
    def fresh(cls, width: int, device: torch.device | str = "cpu") -> RevivalState:
        zeros = lambda: torch.zeros(width, dtype=torch.int64, device=device)  # noqa: E731
        return cls(zeros(), zeros(), zeros())

    def state_dict(self) -> dict:
        return {
            "cumulative_fires": self.cumulative_fires.cpu(),
            "epoch_fires": self.epoch_fires.cpu(),
            "epochs_inactive": self.epochs_inactive.cpu(),
            "epochs_done": self.epochs_done,
            "n_reinitialised": self.n_reinitialised,
        }

    @classmethod
    def from_state_dict(cls, state: dict, device: torch.device | str = "cpu") -> RevivalState:
        return cls(
            state["cumulative_fires"].to(device),
            state["epoch_fires"].to(device),
            state["epochs_inactive"].to(device),
            int(state["epochs_done"]),
            int(state["n_reinitialised"]),
        )


def bias_boost(
    cumulative_fires: torch.Tensor, epochs_done: int, cfg: RevivalConfig, count_scale: float = 1.0
) -> torch.Tensor:
    """b_i(t) of section 3.2 for every neuron: [m] int -> [m] float. Zero before the first epoch ends.

    count_scale multiplies the firings per epoch (`boost_count_scale`: 1 at the paper's epoch).
    """
    if not cfg.enabled or epochs_done == 0:
        return torch.zeros(
            cumulative_fires.shape, dtype=torch.float32, device=cumulative_fires.device
        )
    fires_per_epoch = cumulative_fires.to(torch.float32) * (count_scale / epochs_done)
    return cfg.bias_base * torch.exp(-cfg.bias_rate * fires_per_epoch)


def boost_count_scale(dataset: str, images_per_epoch: int, data_cfg: DataConfig) -> float:
    """The paper's training images per epoch (the full grid's training split) over this run's,
    so the boost depends on a neuron's firing rate as at paper scale: 1 at the paper profile."""
    n_images = get_spec(dataset).n_images
    return n_train(n_images, dataset, data_cfg) / max(1, images_per_epoch)


def inactive_this_epoch(
    fires: torch.Tensor, rate: torch.Tensor, dead_threshold: float, cfg: RevivalConfig
) -> torch.Tensor:
    """Boolean [m]: the neurons "inactive" this epoch, by `cfg.inactive_rule`."""
    if cfg.inactive_rule == "zero_firings":
        return fires == 0
    return rate < dead_threshold


def neurons_to_reinitialise(
    epochs_inactive: torch.Tensor,
    epoch_rate: torch.Tensor,
    dead_threshold: float,
    cfg: RevivalConfig,
) -> torch.Tensor:
    """Boolean [m]: inactive for more than `inactive_epochs` epochs, if the dead rate exceeds the trigger."""
    dead_fraction = (epoch_rate < dead_threshold).to(torch.float32).mean()
    if not cfg.enabled or dead_fraction <= cfg.dead_rate_trigger:
        return torch.zeros_like(epochs_inactive, dtype=torch.bool)
    return epochs_inactive > cfg.inactive_epochs


def _sample_like_active(
    weights: torch.Tensor, active: torch.Tensor, n: int, generator
) -> torch.Tensor:
    """Draw n rows from a per-coordinate Gaussian fitted to the active rows of weights [m, d]."""
    donors = weights[active]
    mean = donors.mean(dim=0)
    std = donors.std(dim=0, unbiased=False) if donors.shape[0] > 1 else torch.zeros_like(mean)
    noise = torch.randn((n, *mean.shape), generator=generator, dtype=weights.dtype).to(
        weights.device
    )
    return mean + std * noise


@torch.no_grad()
def reinitialise_(
    sae: SparseAutoencoder,
    optimizer: torch.optim.Optimizer,
    revive: torch.Tensor,
    active: torch.Tensor,
    generator: torch.Generator,
) -> int:
    """Re-draw the encoder rows, biases and decoder columns of neurons `revive` (bool [m]) in place."""
    n = int(revive.sum())
    if n == 0 or int(active.sum()) == 0:
        return 0
    # Every neuron-indexed parameter (W_e, b_e and, untied, the decoder atoms) holds neuron j in
    # row j, so one boolean row index re-draws the neuron and clears its AdamW moments alike.
    for param in sae.neuron_parameters():
        rows = param.unsqueeze(1) if param.dim() == 1 else param  # b_e [m] -> [m, 1]
        rows[revive] = _sample_like_active(rows, active, n, generator)
        state = optimizer.state.get(param, {})
        for moment in ("exp_avg", "exp_avg_sq"):
            if moment in state:
                state[moment][revive] = 0
    return n
