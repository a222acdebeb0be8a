"""Schedules of section 3: pure functions of the epoch, so hypothesis can test their laws.

Epochs count from 0 within their stage. See docs/interpretations.md for each reading.
"""

from __future__ import annotations

import math

from artifact.config import Stage1Config, Stage3Config


def k_schedule(epoch: int, cfg: Stage3Config) -> int:
    """Active neurons k at stage-3 epoch `epoch` (eq. 4).

    Eq. 4 prints k(t) = 50 + 450 cos(pi t / 2) for 5 <= t < 45 and then defines
    tau = (t - 5) / 40 without using it. Taken literally, cos(pi t / 2) oscillates between
    -400 and 500 on integer epochs; we read the formula with tau in place of t
    ("quarter_cosine": k = k_end + (k_start - k_end) cos(pi tau / 2)), which goes 500 -> 50 as
    the words say. "half_cosine" is standard cosine annealing,
    k = k_end + (k_start - k_end) (1 + cos(pi tau)) / 2. Rounded to the nearest integer.
    """
    if epoch < cfg.k_warmup_epochs:
        return cfg.k_start
    if epoch >= cfg.k_anneal_end_epoch:
        return cfg.k_end
    tau = (epoch - cfg.k_warmup_epochs) / (cfg.k_anneal_end_epoch - cfg.k_warmup_epochs)
    if cfg.k_shape == "quarter_cosine":
        shape = math.cos(math.pi * tau / 2)
    else:
        shape = (1 + math.cos(math.pi * tau)) / 2
    k = cfg.k_end + (cfg.k_start - cfg.k_end) * shape
    return int(min(cfg.k_start, max(cfg.k_end, round(k))))


def l1_lambda_schedule(epoch: int, cfg: Stage3Config) -> float:
    """L1 weight at stage-3 epoch `epoch`: "linearly annealed from 0.001 to 0.1 over 50 epochs".

    The first epoch uses the start value and the last epoch the end value.
    """
    if cfg.n_epochs <= 1:
        return cfg.l1_lambda_end
    fraction = min(1.0, max(0.0, epoch / (cfg.n_epochs - 1)))
    return cfg.l1_lambda_start + (cfg.l1_lambda_end - cfg.l1_lambda_start) * fraction


def beta_schedule(epoch: int, cfg: Stage1Config) -> float:
    """KL weight at stage-1 epoch `epoch`: "increases from 0.1 to 1.0 following a cosine schedule".

    beta = start + (end - start) (1 - cos(pi s)) / 2 with s = epoch / (n_epochs - 1): start at
    the first epoch, end at the last, non-decreasing in between.
    """
    if cfg.n_epochs <= 1:
        return cfg.beta_end
    progress = min(1.0, max(0.0, epoch / (cfg.n_epochs - 1)))
    return cfg.beta_start + (cfg.beta_end - cfg.beta_start) * (1 - math.cos(math.pi * progress)) / 2
