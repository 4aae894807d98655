"""Style directions optimised through the decoder and an attribute classifier.

``train.styles --method optimised`` starts from each mean-difference direction
(``train.directions.style_directions``) and refines it with Adam on train faces without the
style, so that the classifier sees the style on the decode of ``mu + a * d`` (a random strength
``a`` around 1) while the rest holds:

    style      BCE of the style's attribute(s) toward 0.95 (0.05 for "no ..." styles): a capped
               push, no reward for pushing the logit further
    keep       BCE of Male, Smiling, Eyeglasses and Young toward the class the classifier gives
               the plain reconstruction (a direction shared by all faces cannot undo what the
               reconstruction itself loses)
    others     BCE of the non-hair attributes toward their probabilities on the plain reconstruction
    exclusive  colour styles: the other hair colours toward 0.05
    face       mean |edit - reconstruction| in the face interior (below the brows): the change
               must happen in the hair, not in the face
    norm       ``norm_weight * |d|^2``

Against adversarial directions (changes the classifier sees and a person does not), the
classifier looks at each decode flipped at random and, for half of the batch, blurred
(``train.classifier.random_blur``), and the strength is jittered. The result is the
displacement at strength 1; ``train.styles`` then calibrates the default strength as for the
mean-difference directions.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from mirror.face.regions import face_interior
from train.classifier import random_blur
from train.directions import KEEP, STYLES, has_style

log = logging.getLogger(__name__)

HOLD = KEEP + ("Young",)
HAIR = ("Bald", "Bangs", "Black_Hair", "Blond_Hair", "Brown_Hair", "Gray_Hair",
        "Receding_Hairline", "Straight_Hair", "Wavy_Hair")
COLOURS = ("Black_Hair", "Blond_Hair", "Brown_Hair", "Gray_Hair")


@dataclass
class OptimiseConfig:
    steps: int = 160            # Adam steps per style
    batch: int = 16             # train faces without the style per step
    lr: float = 0.1             # Adam learning rate on the direction
    start: float = 2.0          # the mean-difference direction times this is the starting point
    jitter: float = 0.3         # strength drawn from [1 - jitter, 1 + jitter] each step
    style_weight: float = 3.0   # the style's own term
    # ... per style where 3 left the decode short of the style at strength 1 (val: brown 0.83,
    # gray 0.80; at these 0.89, 0.90, kept_decoded 0.83 -> 0.85, 0.82 -> 0.81)
    style_weights: dict = field(default_factory=lambda: {"brown": 6.0, "gray": 4.5})
    keep_weight: float = 2.0    # Male, Smiling, Eyeglasses, Young hold their class
    other_weight: float = 1.0   # the other non-hair attributes hold their reconstruction's value
    exclusive_weight: float = 0.5  # colour styles: the other colours off
    face_weight: float = 10.0   # L1 change of the face interior, [0, 1] pixel units
    norm_weight: float = 0.005  # times |d|^2
    seed: int = 0


class DirectionOptimiser:
    """Refines style directions through a torch decoder and a torch classifier.

    Args:
        decoder: (B, Z) float32 -> (B, 3, S, S) float32 in [0, 1] (frozen torch module).
        classifier: (B, 3, S, S) -> (B, 40) logits (frozen torch module, e.g.
            ``train.classifier.load_fused_classifier``); names: its 40 attribute names.
        config: OptimiseConfig.
    """

    def __init__(self, decoder: torch.nn.Module, classifier: torch.nn.Module, names: list[str],
                 config: OptimiseConfig | None = None):
        self.decoder, self.classifier, self.names = decoder, classifier, list(names)
        self.config = config or OptimiseConfig()
        self.decoder.requires_grad_(False)
        self.classifier.requires_grad_(False)

    def optimise(self, style: str, direction: np.ndarray, mu: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
        """One style's direction refined on faces without it.

        Args:
            direction: (Z,) the mean-difference direction; mu: (N, Z) latents of faces without the
                style; landmarks: (N, 478, 2) their crop landmarks (for the face interior).

        Returns:
            (Z,) float64: the displacement at strength 1.
        """
        cfg = self.config
        rng = np.random.default_rng(cfg.seed)
        generator = torch.Generator().manual_seed(cfg.seed)
        columns, target, kind, _ = STYLES[style]
        style_cols, hold_cols = self._columns(columns), self._columns(HOLD)
        other_cols = self._columns([n for n in self.names if n not in HAIR and n not in HOLD])
        exclusive = self._columns([c for c in COLOURS if c not in columns]) if kind == "color" else None
        style_target = 0.95 if target > 0 else 0.05
        with torch.no_grad():
            size = int(self.decoder(torch.zeros(1, mu.shape[1])).shape[-1])
        d = torch.tensor(cfg.start * np.asarray(direction, np.float32), requires_grad=True)
        optimizer = torch.optim.Adam([d], lr=cfg.lr)
        for step in range(cfg.steps):
            rows = rng.choice(len(mu), cfg.batch, replace=False)
            z = torch.from_numpy(mu[rows].astype(np.float32))
            strength = torch.from_numpy(rng.uniform(1 - cfg.jitter, 1 + cfg.jitter, (cfg.batch, 1)).astype(np.float32))
            with torch.no_grad():
                plain = self.decoder(z)
                before = torch.sigmoid(self.classifier(plain))
            edited = self.decoder(z + strength * d)
            flip = torch.from_numpy(rng.random(cfg.batch) < 0.5)
            seen = torch.where(flip[:, None, None, None], edited.flip(3), edited)
            logits = self.classifier(random_blur(seen, generator))
            bce = F.binary_cross_entropy_with_logits
            keep_target = (before[:, hold_cols] > 0.5).float()
            loss = (cfg.style_weights.get(style, cfg.style_weight) * bce(logits[:, style_cols], torch.full((cfg.batch, len(style_cols)), style_target))
                    + cfg.keep_weight * bce(logits[:, hold_cols], keep_target)
                    + cfg.other_weight * bce(logits[:, other_cols], before[:, other_cols])
                    + cfg.norm_weight * (d ** 2).sum())
            if exclusive is not None:
                loss = loss + cfg.exclusive_weight * bce(logits[:, exclusive], torch.full((cfg.batch, len(exclusive)), 0.05))
            interior = torch.from_numpy(np.stack([face_interior(landmarks[r], size) for r in rows])
                                        .astype(np.float32))[:, None]
            face = ((edited - plain).abs() * interior).sum() / (interior.sum() * 3 + 1e-6)
            loss = loss + cfg.face_weight * face
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            if step % 25 == 0 or step == cfg.steps - 1:
                p = torch.sigmoid(logits[:, style_cols]).mean().item()
                log.info("%s step %d: loss %.3f, style p %.2f, face %.4f, |d| %.2f",
                         style, step, loss.item(), p, face.item(), d.norm().item())
        return d.detach().double().numpy()

    def _columns(self, names) -> torch.Tensor:
        return torch.tensor([self.names.index(n) for n in names])

    def refine(self, directions: dict, mu: np.ndarray, dataset) -> dict:
        """{style: (Z,)} mean-difference directions -> optimised ones; ``dataset``: the
        train.data.AlignedSet that ``mu`` encodes."""
        out = {}
        for style in directions:
            rows = np.flatnonzero(~has_style(dataset.attributes, dataset.names, style))
            out[style] = self.optimise(style, directions[style], mu[rows], dataset.landmarks[rows])
        return out
