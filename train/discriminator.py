"""A small PatchGAN discriminator (pix2pix's N-layer design) for the decoder fine-tune.

    from train.discriminator import PatchDiscriminator
    disc = PatchDiscriminator(width=32, layers=3)
    logits, features = disc(images)     # (B, 3, 128, 128) in [0, 1] -> (B, 1, 14, 14), [4 maps]

Each output logit judges one ~70 px patch as real or decoded. Every convolution carries spectral
normalisation (Miyato et al. 2018) instead of batch norm, so real and fake batches can go
through it separately and the hinge loss stays stable on small CPU batches. ``features`` are the
activations after each hidden layer, for feature matching.
"""
from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm


class PatchDiscriminator(nn.Module):
    """(B, 3, S, S) float32 BGR in [0, 1] -> (logits (B, 1, h, w), features list of (B, C, h, w)).

    Args:
        width: channels of the first layer; doubled per layer up to 8 x width.
        layers: stride-2 layers after the first (pix2pix's n_layers); the receptive field is
            70 px for 3.
    """

    def __init__(self, width: int = 32, layers: int = 3):
        if width < 1 or layers < 1:
            raise ValueError(f"width and layers must be >= 1, got {width}, {layers}")
        super().__init__()
        blocks = [nn.Sequential(spectral_norm(nn.Conv2d(3, width, 4, stride=2, padding=1)), nn.LeakyReLU(0.2))]
        channels = width
        for i in range(1, layers + 1):
            out = width * min(2 ** i, 8)
            stride = 2 if i < layers else 1
            blocks.append(nn.Sequential(spectral_norm(nn.Conv2d(channels, out, 4, stride=stride, padding=1)),
                                        nn.LeakyReLU(0.2)))
            channels = out
        self.blocks = nn.ModuleList(blocks)
        self.out = spectral_norm(nn.Conv2d(channels, 1, 4, stride=1, padding=1))

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        h, features = image * 2 - 1, []
        for block in self.blocks:
            h = block(h)
            features.append(h)
        return self.out(h), features
