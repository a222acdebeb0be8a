"""Convolutional VAE of section 3.1 (the encoder of Higgins et al. [7], 10 latents).

Encoder: four 4x4 convs, the first three with stride 2 (64 -> 32 -> 16 -> 8), the last with
stride 1 so that the flat conv features h keep 8x8 maps: h has channels[-1] * 64 = 4096 dims,
the input of the conv SAE ("h_flat in R^4096"). Then fc -> (mu, logvar). The decoder mirrors it
with transposed convolutions and returns logits of a Bernoulli likelihood per pixel.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from artifact.config import ModelConfig


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
        self.feature_shape = (c4, 8, 8)
        feature_dim = cfg.conv_feature_dim
        self.encoder_conv = nn.Sequential(
            nn.Conv2d(in_channels, c1, 4, stride=2, padding=1), nn.ReLU(),  # 32x32
            nn.Conv2d(c1, c2, 4, stride=2, padding=1), nn.ReLU(),  # 16x16
            nn.Conv2d(c2, c3, 4, stride=2, padding=1), nn.ReLU(),  # 8x8
            nn.Conv2d(c3, c4, 3, stride=1, padding=1), nn.ReLU(),  # 8x8: h
        )  # fmt: skip
        self.encoder_fc = nn.Sequential(
            nn.Linear(feature_dim, cfg.fc_hidden), nn.ReLU(), nn.Linear(cfg.fc_hidden, 2 * cfg.n_latents)
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
