"""The convolutional VAE of the hair mirror, and how a run folder rebuilds it. Training
(``train/``) builds and trains it; the mirror's PyTorch backend runs it.

    from mirror.edit.vae import VAE, load_model
    model = VAE(size=128, latent_dim=128, width=32)
    mu, logvar = model.encoder(images)            # images (B, 3, S, S) float32 BGR in [0, 1]
    recon = model.decoder(mu)                     # (B, 3, S, S) float32 BGR in [0, 1]
    model = load_model("runs/vae128")             # specs.json + model.pt of a run

Architecture (the disentangling-vae / Burgess et al. layout, widened and made deeper at low
resolution): the encoder halves the resolution with 4x4 stride-2 convolutions down to 4x4,
doubling the channels from ``width`` up to ``max_width``, then one linear layer gives ``mu`` and
``logvar``. The decoder mirrors it with 4x4 stride-2 transposed convolutions; a sigmoid keeps the
image in [0, 1]. ``blocks`` residual 3x3 blocks sit at each resolution up to 16x16 in both halves
(cheap there, and they add most of the capacity that matters for the face layout).
"""
from __future__ import annotations

import json
import logging
import math
import os

import torch
from torch import nn

from mirror.face.align import SIZES
from mirror.errors import MirrorError

log = logging.getLogger(__name__)

CHECKPOINT = "model.pt"
SPECS = "specs.json"


class ResBlock(nn.Module):
    """x + conv3x3(act(conv3x3(act(x)))), shape-preserving."""

    def __init__(self, channels: int):
        super().__init__()
        self.body = nn.Sequential(nn.LeakyReLU(0.2), nn.Conv2d(channels, channels, 3, padding=1),
                                  nn.LeakyReLU(0.2), nn.Conv2d(channels, channels, 3, padding=1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


def _widths(size: int, width: int, max_width: int) -> list[int]:
    """Channels after each stride-2 stage, from S/2 down to 4."""
    stages = int(math.log2(size // 4))
    return [min(width * 2 ** i, max_width) for i in range(stages)]


class Encoder(nn.Module):
    """(B, 3, S, S) float32 in [0, 1] -> (mu, logvar), each (B, Z) float32."""

    def __init__(self, size: int, latent_dim: int, width: int, max_width: int, blocks: int):
        super().__init__()
        layers: list[nn.Module] = []
        channels, resolution = 3, size
        for out in _widths(size, width, max_width):
            layers += [nn.Conv2d(channels, out, 4, stride=2, padding=1), nn.LeakyReLU(0.2)]
            channels, resolution = out, resolution // 2
            if resolution <= 16:
                layers += [ResBlock(channels) for _ in range(blocks)]
        self.conv = nn.Sequential(*layers)
        self.head = nn.Linear(channels * 16, 2 * latent_dim)
        self.latent_dim = latent_dim

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.conv(image * 2 - 1).flatten(1)
        mu, logvar = self.head(h).chunk(2, dim=1)
        return mu, logvar


UPSAMPLES = ("transposed", "nearest", "bilinear")


class Decoder(nn.Module):
    """(B, Z) float32 -> (B, 3, S, S) float32 in [0, 1].

    ``upsample_layers`` of the last stages (0: none) double the resolution with ``upsample``
    ("nearest" or "bilinear") followed by a 3x3 convolution instead of a 4x4 stride-2 transposed
    convolution: the same receptive field without the transposed convolution's uneven overlap,
    the classic source of checkerboard patterns (Odena et al. 2016).
    """

    def __init__(self, size: int, latent_dim: int, width: int, max_width: int, blocks: int,
                 upsample: str = "transposed", upsample_layers: int = 0):
        super().__init__()
        stages = len(_widths(size, width, max_width))
        if upsample not in UPSAMPLES:
            raise ValueError(f"unknown upsample {upsample!r}; choose one of {UPSAMPLES}")
        if not 0 <= upsample_layers <= stages or (upsample == "transposed") != (upsample_layers == 0):
            raise ValueError(f"upsample_layers must be 1..{stages} with upsample nearest or bilinear, "
                             f"0 with transposed; got {upsample_layers} with {upsample!r}")
        widths = _widths(size, width, max_width)[::-1]
        self.start = widths[0]
        self.head = nn.Linear(latent_dim, self.start * 16)
        layers: list[nn.Module] = []
        channels, resolution = self.start, 4
        outs = widths[1:] + [3]
        for i, out in enumerate(outs):
            if resolution <= 16:
                layers += [ResBlock(channels) for _ in range(blocks)]
            if i >= len(outs) - upsample_layers:
                layers += [nn.LeakyReLU(0.2), nn.Upsample(scale_factor=2, mode=upsample),
                           nn.Conv2d(channels, out, 3, padding=1)]
            else:
                layers += [nn.LeakyReLU(0.2), nn.ConvTranspose2d(channels, out, 4, stride=2, padding=1)]
            channels, resolution = out, resolution * 2
        self.conv = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h = self.head(z).view(-1, self.start, 4, 4)
        return torch.sigmoid(self.conv(h))


class VAE(nn.Module):
    """Convolutional VAE.

    Args:
        size: image side S in pixels (64, 128 or 256).
        latent_dim: Z, the number of latent dimensions.
        width: channels after the first stride-2 convolution; doubles at each stage.
        max_width: cap on the channels.
        blocks: residual blocks per resolution at 16x16 and below, in each half.
        upsample: how the decoder's last ``upsample_layers`` stages double the resolution
            ("nearest" or "bilinear" + 3x3 convolution); "transposed" (with 0) for none.
        upsample_layers: how many of the decoder's last stages do so (0: all transposed).
    """

    def __init__(self, size: int = 128, latent_dim: int = 128, width: int = 32,
                 max_width: int = 256, blocks: int = 1, upsample: str = "transposed",
                 upsample_layers: int = 0):
        super().__init__()
        if size not in SIZES:
            raise ValueError(f"image size must be one of {SIZES}, got {size}")
        if latent_dim < 1 or width < 1 or max_width < width or blocks < 0:
            raise ValueError(f"bad model sizes: latent_dim={latent_dim}, width={width}, "
                             f"max_width={max_width}, blocks={blocks}")
        self.size, self.latent_dim = size, latent_dim
        self.encoder = Encoder(size, latent_dim, width, max_width, blocks)
        self.decoder = Decoder(size, latent_dim, width, max_width, blocks, upsample, upsample_layers)

    def forward(self, image: torch.Tensor, sample: bool = True):
        """Returns (recon (B, 3, S, S), mu (B, Z), logvar (B, Z), z (B, Z))."""
        mu, logvar = self.encoder(image)
        z = reparameterize(mu, logvar) if sample and self.training else mu
        return self.decoder(z), mu, logvar, z


def reparameterize(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """z = mu + sigma * eps, eps ~ N(0, I)."""
    return mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)


MODEL_KEYS = ("size", "latent_dim", "width", "max_width", "blocks")
# Keys a model's specs may carry, with the value that a specs.json without them means.
OPTIONAL_MODEL_KEYS = {"upsample": "transposed", "upsample_layers": 0}


def model_from_specs(specs: dict) -> VAE:
    """Builds an untrained VAE from the ``model`` part of a run's specs."""
    return VAE(**{key: specs[key] for key in MODEL_KEYS},
               **{key: specs.get(key, default) for key, default in OPTIONAL_MODEL_KEYS.items()})


def transposed_to_upsample(weight: torch.Tensor) -> torch.Tensor:
    """The 3x3 kernel that, after a nearest 2x upsample, comes closest (least squares over the
    four output phases) to a 4x4 stride-2 padding-1 transposed convolution.

    Per axis, the transposed kernel w gives an even output 2m the inputs (m-1, m) with taps
    (w3, w1) and an odd output 2m+1 the inputs (m, m+1) with (w2, w0); nearest upsample + a 3x3
    kernel c gives them (c0, c1 + c2) and (c0 + c1, c2). c = P w with P the least-squares
    solution of those four equations, applied along both axes.

    Args:
        weight: (C_in, C_out, 4, 4) float32, a ConvTranspose2d's weight.
    Returns:
        (C_out, C_in, 3, 3) float32, a Conv2d's weight.
    """
    if weight.shape[-2:] != (4, 4):
        raise ValueError(f"need a 4x4 transposed kernel, got {tuple(weight.shape)}")
    a = torch.tensor([[1.0, 0, 0], [0, 1, 1], [1, 1, 0], [0, 0, 1]], dtype=torch.float64)
    order = torch.zeros(4, 4, dtype=torch.float64)
    for row, tap in enumerate((3, 1, 2, 0)):
        order[row, tap] = 1.0
    p = torch.linalg.pinv(a) @ order                       # (3, 4)
    w = weight.double().transpose(0, 1)                    # (C_out, C_in, 4, 4)
    return (p @ w @ p.T).float()


def read_specs(run_dir: str) -> dict:
    """The run's specs.json as a dict; MirrorError when missing or unreadable."""
    path = os.path.join(run_dir, SPECS)
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        raise MirrorError(f"no {SPECS} in {run_dir} (not a run folder?)") from None
    except (OSError, ValueError) as error:
        raise MirrorError(f"unreadable {path}: {error}") from None


def write_specs(run_dir: str, specs: dict) -> None:
    with open(os.path.join(run_dir, SPECS), "w") as f:
        json.dump(specs, f, indent=4, sort_keys=True)
        f.write("\n")


def load_checkpoint(path: str) -> dict:
    """torch.load with a one-line MirrorError for a missing or corrupt file."""
    if not os.path.isfile(path):
        raise MirrorError(f"checkpoint not found: {path}")
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises many types for a damaged file
        raise MirrorError(f"corrupt checkpoint {path}: torch.load cannot read it "
                          f"({type(error).__name__})") from None
    if not isinstance(checkpoint, dict) or "model" not in checkpoint:
        raise MirrorError(f"corrupt checkpoint {path}: no model weights in it")
    return checkpoint


def load_model(run_dir: str) -> VAE:
    """Rebuilds the run's model from specs.json and loads model.pt; returns it in eval mode."""
    specs = read_specs(run_dir)
    try:
        model = model_from_specs(specs["model"])
    except (KeyError, TypeError, ValueError) as error:
        raise MirrorError(f"bad model specs in {run_dir}: {error}") from None
    checkpoint = load_checkpoint(os.path.join(run_dir, CHECKPOINT))
    try:
        model.load_state_dict(checkpoint["model"])
    except RuntimeError as error:
        raise MirrorError(f"checkpoint does not match specs.json in {run_dir}: "
                          f"{str(error).splitlines()[0]}") from None
    return model.eval()
