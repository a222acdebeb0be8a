"""Convolutional VAE of section 3.1 (the encoder of Higgins et al. [7], 10 latents).

Two layouts (`model.vae_layout`; docs/interpretations.md), both with h_flat of 4096 dims, the
input of the conv SAE ("h_flat in R^4096"), and a decoder that mirrors the encoder with
transposed convolutions and returns logits of a Bernoulli likelihood per pixel:

- `conv4x4_heads` (default): four 4x4 stride-2 convs (64 -> 32 -> 16 -> 8 -> 4), channels
  32-64-128-256, so h = 256 x 4 x 4; linear heads h -> (mu, logvar); decoder z -> 4096 -> four
  4x4 stride-2 transposed convs. With the two SAEs this is 68.62M parameters, the paper's
  "68.6M" to 0.04 %.
- `conv8x8_fc`: three 4x4 stride-2 convs and a 3x3 stride-1 conv keeping 8x8 maps (channels
  32-32-64-64, h = 64 x 8 x 8), a hidden fc layer before the heads; 69.4M with the SAEs.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from artifact.config import ModelConfig
from artifact.config.params import LAYOUT_MAP_SIDE


def _stride2_convs(
    layer: type[nn.Module], channels: tuple[int, ...], last_relu: bool
) -> nn.Sequential:
    """4x4 stride-2 (transposed) convs between successive channel counts, each halving (doubling)
    the map, ReLU between them (and after the last when `last_relu`)."""
    layers: list[nn.Module] = []
    for i, (c_in, c_out) in enumerate(zip(channels, channels[1:], strict=False)):
        layers.append(layer(c_in, c_out, 4, stride=2, padding=1))
        if last_relu or i < len(channels) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def encoder_map_sides(cfg: ModelConfig) -> tuple[int, int, int, int]:
    """Side of each encoder conv's output map (for memory estimates): 64 halved per stride 2."""
    return (32, 16, 8, LAYOUT_MAP_SIDE[cfg.vae_layout])


@dataclass
class VAEOutput:
    h: torch.Tensor  # [B, 4096] flat conv features (the conv SAE's input)
    mu: torch.Tensor  # [B, n_latents]
    logvar: torch.Tensor  # [B, n_latents]
    z: torch.Tensor  # [B, n_latents] sample (mu at evaluation)
    logits: torch.Tensor  # [B, C, 64, 64]


class ConvVAE(nn.Module):
    def __init__(self, in_channels: int, cfg: ModelConfig):
        super().__init__()
        c1, c2, c3, c4 = cfg.conv_channels
        side = LAYOUT_MAP_SIDE[cfg.vae_layout]
        self.feature_shape = (c4, side, side)
        feature_dim, heads = cfg.conv_feature_dim, 2 * cfg.n_latents
        if cfg.vae_layout == "conv4x4_heads":
            self.encoder_conv = _stride2_convs(
                nn.Conv2d, (in_channels, c1, c2, c3, c4), last_relu=True
            )
            self.encoder_fc = nn.Linear(feature_dim, heads)  # the mu and log-variance heads
            self.decoder_fc = nn.Sequential(nn.Linear(cfg.n_latents, feature_dim), nn.ReLU())
            self.decoder_conv = _stride2_convs(
                nn.ConvTranspose2d, (c4, c3, c2, c1, in_channels), last_relu=False
            )
            return
        self.encoder_conv = nn.Sequential(
            nn.Conv2d(in_channels, c1, 4, stride=2, padding=1), nn.ReLU(),  # 32x32
            nn.Conv2d(c1, c2, 4, stride=2, padding=1), nn.ReLU(),  # 16x16
            nn.Conv2d(c2, c3, 4, stride=2, padding=1), nn.ReLU(),  # 8x8
            nn.Conv2d(c3, c4, 3, stride=1, padding=1), nn.ReLU(),  # 8x8: h
        )  # fmt: skip
        self.encoder_fc = nn.Sequential(
            nn.Linear(feature_dim, cfg.fc_hidden), nn.ReLU(), nn.Linear(cfg.fc_hidden, heads)
        )  # fmt: skip
        self.decoder_fc = nn.Sequential(
            nn.Linear(cfg.n_latents, cfg.fc_hidden), nn.ReLU(), nn.Linear(cfg.fc_hidden, feature_dim), nn.ReLU()
        )  # fmt: skip
        self.decoder_conv = nn.Sequential(
            nn.Conv2d(c4, c3, 3, stride=1, padding=1), nn.ReLU(),
            nn.ConvTranspose2d(c3, c2, 4, stride=2, padding=1), nn.ReLU(),  # 16x16
            nn.ConvTranspose2d(c2, c1, 4, stride=2, padding=1), nn.ReLU(),  # 32x32
            nn.ConvTranspose2d(c1, in_channels, 4, stride=2, padding=1),  # 64x64 logits
        )  # fmt: skip

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """x [B, C, 64, 64] -> (h [B, 4096], mu [B, D], logvar [B, D])."""
        h = self.encoder_conv(x).flatten(1)
        mu, logvar = self.encoder_fc(h).chunk(2, dim=1)
        return h, mu, logvar

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """z [B, D] -> logits [B, C, 64, 64]."""
        return self.decoder_conv(self.decoder_fc(z).view(-1, *self.feature_shape))

    def forward(self, x: torch.Tensor, noise: torch.Tensor | None) -> VAEOutput:
        """`noise` [B, D] ~ N(0, 1) drawn by the caller from a seeded generator; None -> z = mu."""
        h, mu, logvar = self.encode(x)
        z = mu if noise is None else mu + torch.exp(0.5 * logvar) * noise
        return VAEOutput(h=h, mu=mu, logvar=logvar, z=z, logits=self.decode(z))
