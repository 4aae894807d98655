"""The report's drawing: tile mosaics, loss curves and latent statistics as matplotlib figures,
saved as PNGs of bounded size."""
from __future__ import annotations

import logging
import math
import os
import textwrap

import numpy as np

log = logging.getLogger(__name__)

MAX_BYTES = 290_000          # each PNG stays under this (quantized, then shrunk if needed)


def mosaic(tiles: np.ndarray, gap: int = 2, background: int = 255) -> np.ndarray:
    """(R, C, S, S, 3) uint8 BGR tiles -> one (H, W, 3) RGB image with ``gap`` pixels between."""
    rows, cols, size = tiles.shape[0], tiles.shape[1], tiles.shape[2]
    out = np.full((rows * (size + gap) - gap, cols * (size + gap) - gap, 3), background, np.uint8)
    for r in range(rows):
        for c in range(cols):
            out[r * (size + gap):r * (size + gap) + size, c * (size + gap):c * (size + gap) + size] = \
                tiles[r, c, :, :, ::-1]
    return out


def tile_figure(tiles: np.ndarray, title: str, row_labels=None, col_labels=None, xlabel: str = "",
                ylabel: str = "", tile_inches: float = 0.8, gap: int = 2):
    """A figure showing a mosaic of tiles with optional row and column labels."""
    import matplotlib.pyplot as plt

    rows, cols, size = tiles.shape[:3]
    image = mosaic(tiles, gap)
    left = 1.7 if row_labels is not None else 0.25
    width, height = cols * tile_inches + left + 0.25, rows * tile_inches + 0.9 + (0.35 if col_labels else 0)
    fig, ax = plt.subplots(figsize=(width, height))
    ax.imshow(image, interpolation="lanczos")
    step = size + gap
    ax.set_xticks([c * step + size / 2 for c in range(cols)] if col_labels else [])
    ax.set_yticks([r * step + size / 2 for r in range(rows)] if row_labels is not None else [])
    if col_labels:
        ax.set_xticklabels(col_labels, fontsize=8)
    if row_labels is not None:
        ax.set_yticklabels(row_labels, fontsize=8)
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_xlabel(xlabel, fontsize=9)
    ax.set_ylabel(ylabel, fontsize=9)
    ax.set_title(textwrap.fill(title, max(40, int((width - left) * 14))), fontsize=10, loc="left")
    fig.tight_layout()
    return fig


def save(fig, path: str, dpi: int = 100) -> str:
    """Saves a figure as PNG, quantized (and shrunk if needed) to stay under MAX_BYTES."""
    import matplotlib.pyplot as plt
    from PIL import Image

    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    if os.path.getsize(path) > MAX_BYTES:
        image = Image.open(path).convert("RGB")
        scale = 1.0
        while True:
            small = image if scale == 1.0 else image.resize(
                (int(image.width * scale), int(image.height * scale)), Image.LANCZOS)
            small.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)
            if os.path.getsize(path) <= MAX_BYTES or scale < 0.3:
                break
            scale *= 0.85
    log.info("wrote %s (%d KB)", path, os.path.getsize(path) // 1024)
    return path


def smooth(values: np.ndarray, window: int) -> np.ndarray:
    if window <= 1 or len(values) < window:
        return values
    kernel = np.ones(window) / window
    padded = np.concatenate([np.full(window // 2, values[0]), values, np.full(window - 1 - window // 2, values[-1])])
    return np.convolve(padded, kernel, mode="valid")


def plot_loss(steps: list[dict], epochs: list[dict], specs: dict, path: str) -> str:
    import matplotlib.pyplot as plt

    x = np.array([r["step"] for r in steps], float)
    panels = [("loss", "total loss (negative ELBO variant)"), ("rec", "reconstruction"), ("kl", "KL (nats)"),
              ("feat", "feature matching"), ("grid", "grid frequencies (checkerboard)"),
              ("adv", "adversarial (decoder)"), ("disc", "discriminator")]
    panels = [(key, name) for key, name in panels if any(key in r for r in steps)]
    has_psnr = any("val_psnr" in r for r in epochs)
    fig, axes = plt.subplots(1, len(panels) + has_psnr, figsize=(4.2 * (len(panels) + has_psnr), 3.6),
                             squeeze=False)
    axes = axes[0]
    window = max(1, len(x) // 60)
    for ax, (key, name) in zip(axes, panels):
        y = np.array([r.get(key, np.nan) for r in steps], float)
        ax.plot(x, y, color="#9ecae1", lw=0.8, label="train (logged)")
        if window > 1:
            ax.plot(x, smooth(y, window), color="#1f77b4", lw=1.5, label=f"train ({window}-row mean)")
        vx = [r["step"] for r in epochs if "val_" + key in r]
        if vx:
            ax.plot(vx, [r["val_" + key] for r in epochs if "val_" + key in r], "o-", color="#d62728",
                    lw=1.5, ms=4, label="validation (per epoch)")
        if key in ("loss", "rec") and np.nanmin(y) > 0 and np.nanmax(y) / max(np.nanmin(y), 1e-9) > 5:
            ax.set_yscale("log")
        ax.set_title(name, fontsize=10)
        ax.set_xlabel("step")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    if has_psnr:
        ax = axes[-1]
        ax.plot([r["step"] for r in epochs if "val_psnr" in r], [r["val_psnr"] for r in epochs if "val_psnr" in r],
                "o-", color="#2ca02c", ms=4)
        ax.set_title("validation PSNR (dB)", fontsize=10)
        ax.set_xlabel("step")
        ax.grid(alpha=0.3)
    loss = specs.get("loss", "?")
    detail = {"betaH": f"beta={specs.get('beta')}", "betaB": f"C_max={specs.get('c_max')}, gamma={specs.get('gamma')}",
              "finetune": f"of the decoder: {specs.get('adversarial')} x{specs.get('disc_weight')}, "
                          f"{specs.get('feature')} features x{specs.get('feature_weight')}"}
    fig.suptitle(f"{os.path.basename(os.path.normpath(specs.get('run', 'run')))}: {loss} "
                 f"{detail.get(loss, '')}, {specs.get('rec_dist', '?')} reconstruction, "
                 f"Z={specs.get('latent_dim', '?')}, {specs.get('size', '?')} px", fontsize=10)
    fig.tight_layout()
    return save(fig, path)


def plot_kl(kl: np.ndarray, logvar: np.ndarray, order: np.ndarray, path: str) -> str:
    import matplotlib.pyplot as plt

    sigma = np.exp(0.5 * logvar).mean(axis=0)
    z = len(kl)
    fig, axes = plt.subplots(2, 1, figsize=(max(6.0, min(0.09 * z + 2, 14)), 5.2), sharex=True)
    axes[0].bar(np.arange(z), kl[order], color="#1f77b4")
    axes[0].axhline(0.1, color="gray", lw=0.8, ls="--")
    axes[0].set_ylabel("KL (nats)")
    active = int((kl > 0.1).sum())
    axes[0].set_title(f"KL per dimension, sorted: {active} of {z} dimensions carry > 0.1 nat "
                      f"(total {kl.sum():.1f} nats)", fontsize=10, loc="left")
    axes[1].bar(np.arange(z), sigma[order], color="#ff7f0e")
    axes[1].axhline(1.0, color="gray", lw=0.8, ls="--")
    axes[1].set_ylabel("mean posterior sigma")
    axes[1].set_xlabel("dimensions, by KL (sigma near 1: unused, the prior)")
    if z <= 40:
        axes[1].set_xticks(np.arange(z))
        axes[1].set_xticklabels([str(d) for d in order], fontsize=7)
    for ax in axes:
        ax.grid(alpha=0.3, axis="y")
    fig.tight_layout()
    return save(fig, path)


def plot_histograms(mu: np.ndarray, kl: np.ndarray, dims: np.ndarray, total: int, path: str) -> str:
    import matplotlib.pyplot as plt

    cols = min(6, len(dims))
    rows = math.ceil(len(dims) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(2.3 * cols, 1.9 * rows + 0.6), squeeze=False)
    for ax, d in zip(axes.flat, dims):
        values = mu[:, d]
        limit = max(4.0, float(np.ceil(np.percentile(np.abs(values), 99.5))))
        grid = np.linspace(-limit, limit, 200)
        ax.hist(np.clip(values, -limit, limit), bins=36, range=(-limit, limit), density=True,
                color="#1f77b4", alpha=0.75)
        ax.plot(grid, np.exp(-grid ** 2 / 2) / np.sqrt(2 * np.pi), color="#d62728", lw=1.2)
        ax.set_title(f"z{d}: KL {kl[d]:.2f}\nmean {values.mean():+.2f} sd {values.std():.2f}", fontsize=8)
        ax.set_yticks([])
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(dims):]:
        ax.axis("off")
    shown = "every dimension" if len(dims) == total else f"the top {len(dims)} of {total} dimensions by KL"
    fig.suptitle(f"posterior means of {len(mu)} test faces against N(0, 1) (red): {shown}", fontsize=10)
    fig.tight_layout()
    return save(fig, path)


def plot_correlation(mu: np.ndarray, order: np.ndarray, kl: np.ndarray, path: str) -> str:
    import matplotlib.pyplot as plt

    active = order[kl[order] > 0.1]
    dims = active if len(active) >= 2 else order
    corr = np.corrcoef(mu[:, dims].T) if len(mu) > 1 else np.eye(len(dims))
    corr = np.nan_to_num(corr)
    off = np.abs(corr[~np.eye(len(dims), dtype=bool)]) if len(dims) > 1 else np.zeros(1)
    size = min(9.0, 3.5 + 0.06 * len(dims))
    fig, ax = plt.subplots(figsize=(size + 1.2, size))
    image = ax.imshow(corr, cmap="RdBu_r", vmin=-1, vmax=1, interpolation="nearest")
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    if len(dims) <= 32:
        ax.set_xticks(range(len(dims)))
        ax.set_yticks(range(len(dims)))
        ax.set_xticklabels([str(d) for d in dims], fontsize=7, rotation=90)
        ax.set_yticklabels([str(d) for d in dims], fontsize=7)
    which = f"the {len(dims)} active dimensions (KL > 0.1)" if dims is active else f"all {len(dims)} dimensions"
    ax.set_xlabel("rank by KL" + (" (tick: dimension)" if len(dims) <= 32 else ""), fontsize=9)
    ax.set_ylabel("rank by KL", fontsize=9)
    ax.set_title(f"correlation of posterior means, {which}, by KL\n"
                 f"mean |r| off the diagonal {off.mean():.3f}, max {off.max():.2f}", fontsize=10, loc="left")
    fig.tight_layout()
    return save(fig, path)
