"""VAE losses, chosen by name (the disentangling-vae conventions).

    from train.losses import get_loss
    loss_fn = get_loss("betaB", distribution="laplace", c_max=50.0, gamma=100.0, anneal_steps=5000)
    terms = loss_fn(data, recon, mu, logvar, step, weight=hair_weight_map)
    terms["loss"].backward()

Every loss is the negative ELBO variant of its paper, per image (sums over pixels and latent
dimensions), averaged over the batch:

- ``vae``:   rec + kl                                  (Kingma & Welling, beta = 1)
- ``betaH``: rec + beta * kl                           (Higgins et al. 2017)
- ``betaB``: rec + gamma * |kl - C|, C grows linearly from ``c_init`` to ``c_max`` nats over
             ``anneal_steps`` steps                    (Burgess et al. 2018, capacity annealing)

``vae`` and ``betaH`` take an optional linear KL warm-up (``warmup_steps``) for the first steps.

Reconstruction distributions (the per-pixel negative log-likelihood up to a constant, summed):

- ``bernoulli``: binary cross-entropy(recon, data)
- ``laplace``:   3 * |recon - data|            (a Laplace of scale 1/3; disentangling-vae's factor)
- ``gaussian``:  255 * (recon - data) ** 2     (= mse(255 recon, 255 data) / 255)

``weight`` (B, 1, S, S) multiplies the per-pixel term, e.g. 1 + hair_weight * hair_mask.

Adversarial terms for a decoder against a discriminator's logits (``get_adversarial(name)``,
names in ADVERSARIAL), each a mean over the logits:

- ``hinge``:          D: relu(1 - real) + relu(1 + fake);   G: -fake     (Lim & Ye 2017, VQGAN)
- ``nonsaturating``:  D: softplus(-real) + softplus(fake);  G: softplus(-fake)   (Goodfellow 2014)

``feature_matching`` is the feature term: the mean absolute difference of a network's features
of the decode and of the real crop, summed over layers (pix2pixHD on the discriminator's
features; a perceptual loss on the attribute classifier's). ``adaptive_weight`` balances the
adversarial gradient against the reconstruction's at the decoder's last layer (VQGAN).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

RECONSTRUCTIONS = ("bernoulli", "laplace", "gaussian")


def reconstruction_loss(data: torch.Tensor, recon: torch.Tensor, distribution: str = "laplace",
                        weight: torch.Tensor | None = None) -> torch.Tensor:
    """Per-image reconstruction NLL, averaged over the batch.

    Args:
        data: (B, C, H, W) float target in [0, 1].
        recon: (B, C, H, W) float decoder output in [0, 1].
        distribution: one of RECONSTRUCTIONS.
        weight: optional (B, 1, H, W) or (B, C, H, W) per-pixel weight.

    Returns:
        A scalar tensor.
    """
    if distribution == "bernoulli":
        per_pixel = F.binary_cross_entropy(recon, data, reduction="none")
    elif distribution == "laplace":
        per_pixel = 3.0 * (recon - data).abs()
    elif distribution == "gaussian":
        per_pixel = 255.0 * (recon - data) ** 2
    else:
        raise ValueError(f"unknown reconstruction distribution {distribution!r}; "
                         f"choose one of {RECONSTRUCTIONS}")
    if weight is not None:
        per_pixel = per_pixel * weight
    return per_pixel.sum() / data.shape[0]


def kl_per_dimension(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, exp(logvar)) || N(0, 1)) per latent dimension, averaged over the batch: (Z,)."""
    return (0.5 * (-1.0 - logvar + mu.pow(2) + logvar.exp())).mean(dim=0)


class BaseLoss:
    """Shared parts: the reconstruction distribution and the call signature."""

    def __init__(self, distribution: str = "laplace"):
        if distribution not in RECONSTRUCTIONS:
            raise ValueError(f"unknown reconstruction distribution {distribution!r}; "
                             f"choose one of {RECONSTRUCTIONS}")
        self.distribution = distribution

    def regularizer(self, kl: torch.Tensor, step: int) -> torch.Tensor:
        raise NotImplementedError

    def __call__(self, data, recon, mu, logvar, step: int = 0, weight=None) -> dict:
        """Returns {"loss", "rec", "kl"} scalar tensors; ``loss`` is what to minimise.

        Args:
            data, recon: (B, C, H, W) in [0, 1].
            mu, logvar: (B, Z).
            step: the global training step (for annealing).
            weight: optional per-pixel reconstruction weight, see reconstruction_loss.
        """
        rec = reconstruction_loss(data, recon, self.distribution, weight)
        kl = kl_per_dimension(mu, logvar).sum()
        return {"loss": rec + self.regularizer(kl, step), "rec": rec, "kl": kl}


def _warmup(step: int, warmup_steps: int) -> float:
    return 1.0 if warmup_steps <= 0 else min(1.0, step / warmup_steps)


class BetaHLoss(BaseLoss):
    """rec + beta * kl (beta = 1 is the plain VAE)."""

    def __init__(self, distribution: str = "laplace", beta: float = 4.0, warmup_steps: int = 0):
        super().__init__(distribution)
        self.beta, self.warmup_steps = beta, warmup_steps

    def regularizer(self, kl, step):
        return self.beta * _warmup(step, self.warmup_steps) * kl


class VAELoss(BetaHLoss):
    """The plain VAE: beta = 1."""

    def __init__(self, distribution: str = "laplace", warmup_steps: int = 0):
        super().__init__(distribution, beta=1.0, warmup_steps=warmup_steps)


class BetaBLoss(BaseLoss):
    """rec + gamma * |kl - C(step)|, C annealed linearly from c_init to c_max nats."""

    def __init__(self, distribution: str = "laplace", c_init: float = 0.0, c_max: float = 50.0,
                 gamma: float = 100.0, anneal_steps: int = 100000):
        super().__init__(distribution)
        self.c_init, self.c_max, self.gamma, self.anneal_steps = c_init, c_max, gamma, anneal_steps

    def capacity(self, step: int) -> float:
        if self.anneal_steps <= 0:
            return self.c_max
        return self.c_init + (self.c_max - self.c_init) * min(1.0, step / self.anneal_steps)

    def regularizer(self, kl, step):
        return self.gamma * (kl - self.capacity(step)).abs()


LOSSES = {"vae": VAELoss, "betaH": BetaHLoss, "betaB": BetaBLoss}


def get_loss(name: str, distribution: str = "laplace", beta: float = 4.0, warmup_steps: int = 0,
             c_init: float = 0.0, c_max: float = 50.0, gamma: float = 100.0,
             anneal_steps: int = 100000) -> BaseLoss:
    """Builds the loss ``name`` (one of LOSSES) with the options that apply to it."""
    if name == "vae":
        return VAELoss(distribution, warmup_steps)
    if name == "betaH":
        return BetaHLoss(distribution, beta, warmup_steps)
    if name == "betaB":
        return BetaBLoss(distribution, c_init, c_max, gamma, anneal_steps)
    raise ValueError(f"unknown loss {name!r}; choose one of {tuple(LOSSES)}")


class HingeLoss:
    """Hinge adversarial loss; logits of any shape."""

    def discriminator(self, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        return F.relu(1.0 - real).mean() + F.relu(1.0 + fake).mean()

    def generator(self, fake: torch.Tensor) -> torch.Tensor:
        return -fake.mean()


class NonSaturatingLoss:
    """The non-saturating GAN loss (binary cross-entropy on the logits)."""

    def discriminator(self, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        return F.softplus(-real).mean() + F.softplus(fake).mean()

    def generator(self, fake: torch.Tensor) -> torch.Tensor:
        return F.softplus(-fake).mean()


ADVERSARIAL = {"hinge": HingeLoss, "nonsaturating": NonSaturatingLoss}


def get_adversarial(name: str):
    """The adversarial loss ``name`` (one of ADVERSARIAL)."""
    if name not in ADVERSARIAL:
        raise ValueError(f"unknown adversarial loss {name!r}; choose one of {tuple(ADVERSARIAL)}")
    return ADVERSARIAL[name]()


def feature_matching(real: list[torch.Tensor], fake: list[torch.Tensor]) -> torch.Tensor:
    """Sum over layers of mean |fake - real| (real features are constants).

    Args:
        real, fake: the same network's features of the crops and of their decodes, layer by
            layer, each (B, C, H, W).
    """
    if len(real) != len(fake) or not real:
        raise ValueError(f"need the same non-zero number of layers, got {len(real)} and {len(fake)}")
    return sum((f - r.detach()).abs().mean() for r, f in zip(real, fake))


def adaptive_weight(rec: torch.Tensor, adversarial: torch.Tensor, last_layer: torch.Tensor,
                    limit: float = 1e4) -> torch.Tensor:
    """||d rec / d last_layer|| / ||d adversarial / d last_layer||, clamped to [0, limit] and
    detached (VQGAN's lambda): the adversarial term then pulls as hard as the reconstruction."""
    rec_grad = torch.autograd.grad(rec, last_layer, retain_graph=True)[0]
    adv_grad = torch.autograd.grad(adversarial, last_layer, retain_graph=True)[0]
    return (rec_grad.norm() / (adv_grad.norm() + 1e-4)).clamp(0.0, limit).detach()


def grid_frequencies(size: int, period: int = 8) -> torch.Tensor:
    """(S, S) bool: the 2-D frequencies of a ``period`` px grid and its harmonics, both components
    nonzero multiples of S / period (the off-axis peaks that ``train.metrics.grid_artefact`` reads)."""
    if size % period:
        raise ValueError(f"image side {size} is not a multiple of the grid period {period}")
    on = torch.zeros(size, dtype=torch.bool)
    on[size // period::size // period] = True
    return on[:, None] & on[None, :]


def grid_loss(recon: torch.Tensor, data: torch.Tensor, period: int = 8) -> torch.Tensor:
    """Power of the decode's error at the grid frequencies, per image (mean over the batch).

    sum over the frequencies f of ``grid_frequencies`` and the three channels of
    |FFT2(recon - data)(f)|^2 / S^2 (by Parseval, the part of sum (recon - data)^2 that lies at
    those frequencies). A transposed convolution's checkerboard puts its energy exactly there.

    Args:
        recon, data: (B, C, S, S) float32 in [0, 1]; ``data`` is a constant.
    """
    if recon.shape != data.shape:
        raise ValueError(f"recon {tuple(recon.shape)} and data {tuple(data.shape)} differ")
    size = recon.shape[-1]
    spectrum = torch.fft.fft2(recon - data.detach())
    mask = grid_frequencies(size, period).to(recon.device)
    return (spectrum.abs() ** 2)[..., mask].sum(dim=(1, 2)).mean() / size ** 2


def r1_penalty(logits: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
    """R1 (Mescheder et al. 2018): mean over the batch of ||d mean(logits) / d real||^2 per image
    (a PatchGAN's patch logits averaged, as its loss averages them: on their sum, the penalty
    grows with the square of the number of patches and flattened the discriminator to a
    constant), with the graph kept so the discriminator can be trained on it.

    Args:
        logits: the discriminator's logits of ``real``, any shape with batch first.
        real: (B, C, H, W) the real images, with ``requires_grad`` set before the discriminator ran.
    """
    if not real.requires_grad:
        raise ValueError("real must require grad before the discriminator runs on it")
    grad, = torch.autograd.grad(logits.flatten(1).mean(dim=1).sum() if logits.dim() > 1 else logits.sum(),
                                real, create_graph=True)
    return grad.pow(2).flatten(1).sum(dim=1).mean()


def random_shift(images: torch.Tensor, shift: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """Each image moved by its own random whole-pixel offset in [-shift, shift] on both axes
    (reflect-padded, so no black border); differentiable in ``images``. ``shift`` 0: unchanged.

    Args:
        images: (B, C, H, W).
    """
    if shift <= 0:
        return images
    b, _, h, w = images.shape
    padded = F.pad(images, (shift, shift, shift, shift), mode="reflect")
    offsets = torch.randint(0, 2 * shift + 1, (b, 2), generator=generator)
    return torch.stack([padded[i, :, y:y + h, x:x + w] for i, (y, x) in enumerate(offsets.tolist())])
