"""Report figures of a training run (PNG, matplotlib).

    python -m train.report runs/vae128 --out docs/report                      # data from specs.json
    python -m train.report runs/vae128 --out docs/report --data data/aligned128 --styles engines/styles.json
    python -m train.report /tmp/run --out /tmp/report --top 8 --images 500

Writes into ``--out``:

    loss.png                 train and validation curves: total, reconstruction and KL apart
    reconstructions.png      test faces (top of each pair) against their reconstructions
    samples.png              decodes of random samples from the prior N(0, I)
    traversals.png           each latent dimension traversed from one prior sample, as
                             disentangling-vae draws them (rows sorted by KL; for a large latent the
                             top ``--top`` dimensions, and the title says so)
    style_traversals.png     each named style from the same prior sample, -2..+2 x its strength
    grid.png                 a 10 x 10 grid over the two most informative dimensions (rest at 0)
    latent_kl.png            KL and posterior spread per dimension (which dimensions are used)
    latent_histograms.png    posterior means of the test faces per dimension against N(0, 1)
    latent_correlation.png   correlation matrix of the posterior means
    extremes.png             real test faces at the bottom and top 1% of each top dimension, the
                             rest of their latent nearest the mean
    summary.json             the numbers quoted in the figures

Figures that need faces (all but loss, samples and the traversals) use the test split of
``--data`` (default: the run's specs.json ``data``); without data they are skipped, and the
dimensions are ranked by how much the decoder's output moves instead of by KL. Styles come from
``--styles`` (default: ``RUN/styles.json``, else ``engines/styles.json`` when its latent size
matches), else from the test faces' CelebA attributes (mean latent difference).
"""
from __future__ import annotations

import argparse
import csv
import glob
import json
import logging
import math
import os
import sys
import textwrap

import numpy as np

from mirror.backends import decode_crops, encode_crops
from mirror.errors import MirrorError
from train.metrics import kl_per_dimension, psnr

log = logging.getLogger(__name__)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MAX_BYTES = 290_000          # each PNG stays under this (quantized, then shrunk if needed)
TRAVERSAL_STEPS = 9
TRAVERSAL_LIMIT = 1.96       # disentangling-vae: the prior's 2.5%..97.5% quantiles
EXTREME_SHARE = 0.01         # bottom and top 1%
EXTREME_FACES = 6            # faces shown per side
# CelebA attributes behind the styles, for a run without a style library (mean differences).
ATTRIBUTE_STYLES = {"bangs": "Bangs", "bald": "Bald", "receding": "Receding_Hairline",
                    "blond": "Blond_Hair", "black": "Black_Hair", "brown": "Brown_Hair",
                    "gray": "Gray_Hair", "wavy": "Wavy_Hair", "straight": "Straight_Hair"}
FIGURES = ("loss.png", "reconstructions.png", "samples.png", "traversals.png", "style_traversals.png",
           "grid.png", "latent_kl.png", "latent_histograms.png", "latent_correlation.png", "extremes.png")


# --- inputs ----------------------------------------------------------------------------------

def read_history(run: str) -> tuple[list[dict], list[dict]]:
    """The run's step rows (step, loss, rec, kl, ...) and epoch rows (step, val_loss, val_rec,
    val_kl, val_psnr): from history.json/epochs.json, else history.csv, else TensorBoard events.

    Raises:
        MirrorError: when the run folder holds no loss history at all.
    """
    def load(name):
        path = os.path.join(run, name)
        if os.path.isfile(path):
            try:
                with open(path) as f:
                    return json.load(f)
            except ValueError:
                log.warning("unreadable %s, ignored", path)
        return None

    steps, epochs = load("history.json"), load("epochs.json")
    if not steps and os.path.isfile(os.path.join(run, "history.csv")):
        with open(os.path.join(run, "history.csv"), newline="") as f:
            steps = [{k: float(v) for k, v in row.items() if v not in ("", None)} for row in csv.DictReader(f)]
    if not steps or epochs is None:
        tb_steps, tb_epochs = _tensorboard_history(run)
        steps, epochs = steps or tb_steps, epochs if epochs is not None else tb_epochs
    if not steps:
        raise MirrorError(f"no loss history in {run} (history.json, history.csv or TensorBoard events)")
    return steps, epochs or []


def _tensorboard_history(run: str) -> tuple[list[dict], list[dict]]:
    if not glob.glob(os.path.join(run, "events.out.tfevents.*")):
        return [], []
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(run, size_guidance={"scalars": 0})
    events.Reload()
    tags = events.Tags().get("scalars", [])

    def rows(prefix, rename):
        table: dict[int, dict] = {}
        for tag in tags:
            if tag.startswith(prefix):
                key = rename(tag[len(prefix):])
                for event in events.Scalars(tag):
                    table.setdefault(event.step, {"step": event.step})[key] = event.value
        return [table[s] for s in sorted(table)]

    return rows("train/", lambda k: k), rows("val/", lambda k: "val_" + k)


def find_data(folder: str | None, specs: dict) -> str | None:
    """The prepared data folder: the one given, else specs' ``data`` (as is, or under the repo)."""
    if folder:
        if not os.path.isfile(os.path.join(folder, "crops.npy")):
            raise MirrorError(f"{folder} is not a prepared aligned set (no crops.npy)")
        return folder
    data = specs.get("data")
    for candidate in (data, os.path.join(ROOT, data or "")):
        if data and os.path.isfile(os.path.join(candidate, "crops.npy")):
            return candidate
    log.warning("no data folder (%s not found): figures of real faces are skipped", data)
    return None


def test_faces(folder: str, size: int, limit: int):
    """Up to ``limit`` faces of the test split (else val, else all) as an AlignedSet."""
    from train.data import AlignedSet

    for split in ("test", "val", "all"):
        try:
            faces = AlignedSet(folder, split, limit, masks=False)
        except MirrorError:
            continue
        if faces.size != size:
            raise MirrorError(f"{folder} holds {faces.size} px crops but the run's model takes {size} px")
        return faces, split
    raise MirrorError(f"no faces in {folder}")


def find_styles(path: str | None, run: str, latent_dim: int) -> tuple[dict, str] | None:
    """({name: (direction (Z,), strength)}, source) from a styles.json, or None."""
    candidates = [path] if path else [os.path.join(run, "styles.json"), os.path.join(ROOT, "engines", "styles.json")]
    for candidate in candidates:
        if not candidate or not os.path.isfile(candidate):
            if path:
                raise MirrorError(f"style library not found: {path}")
            continue
        try:
            with open(candidate) as f:
                library = json.load(f)
            styles = {name: (np.asarray(s["direction"], np.float32), float(s.get("strength", 1.0)))
                      for name, s in library["styles"].items()}
        except (ValueError, KeyError, TypeError):
            raise MirrorError(f"broken style library: {candidate}") from None
        if all(d.shape == (latent_dim,) for d, _ in styles.values()):
            return styles, candidate
        if path:
            raise MirrorError(f"{path} is for a latent of another size than this run's {latent_dim}")
    return None


def attribute_styles(mu: np.ndarray, attributes: np.ndarray, names: list[str]) -> dict:
    """{style: (direction, 1.0)}: mean latent with the CelebA attribute minus mean without."""
    styles = {}
    for style, attribute in ATTRIBUTE_STYLES.items():
        if attribute in names:
            positive = attributes[:, names.index(attribute)] > 0
            if positive.sum() >= 2 and (~positive).sum() >= 2:
                styles[style] = ((mu[positive].mean(0) - mu[~positive].mean(0)).astype(np.float32), 1.0)
    return styles


# --- the model -------------------------------------------------------------------------------

def decoder_sensitivity(model, rng: np.random.Generator, samples: int = 8) -> np.ndarray:
    """(Z,) mean absolute change of the decode when one dimension goes from -2 to +2 (no data).

    Args:
        model: a ``mirror.backends.Backend``.
    """
    base = rng.standard_normal((samples, model.latent_dim)).astype(np.float32)
    scores = np.zeros(model.latent_dim)
    for d in range(model.latent_dim):
        low, high = base.copy(), base.copy()
        low[:, d], high[:, d] = -2.0, 2.0
        images = decode_crops(model, np.concatenate([low, high])).astype(np.float32)
        scores[d] = np.abs(images[:samples] - images[samples:]).mean()
    return scores


# --- drawing ---------------------------------------------------------------------------------

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
    panels = [("loss", "total loss (negative ELBO variant)"), ("rec", "reconstruction"), ("kl", "KL (nats)")]
    has_psnr = any("val_psnr" in r for r in epochs)
    fig, axes = plt.subplots(1, 3 + has_psnr, figsize=(4.2 * (3 + has_psnr), 3.6))
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
    detail = {"betaH": f"beta={specs.get('beta')}", "betaB": f"C_max={specs.get('c_max')}, gamma={specs.get('gamma')}"}
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


def extreme_faces(mu: np.ndarray, d: int, count: int, share: float = EXTREME_SHARE) -> tuple[np.ndarray, np.ndarray, int]:
    """Rows of the faces at the bottom and top ``share`` of dimension ``d`` whose other dimensions
    are nearest the mean (standardized distance), each side in increasing order of ``d``.

    Returns:
        (bottom rows, top rows, pool size per side).
    """
    n = len(mu)
    pool = min(max(int(math.ceil(share * n)), count), max(n // 2, 1))
    order = np.argsort(mu[:, d])
    std = mu.std(axis=0) + 1e-6
    others = np.delete((mu - mu.mean(axis=0)) / std, d, axis=1)
    distance = np.linalg.norm(others, axis=1)
    bottom = order[:pool][np.argsort(distance[order[:pool]], kind="stable")[:count]]
    top = order[::-1][:pool][np.argsort(distance[order[::-1][:pool]], kind="stable")[:count]]
    return bottom[np.argsort(mu[bottom, d])], top[np.argsort(mu[top, d])], pool


# --- the report ------------------------------------------------------------------------------

def report(run: str, out: str, data: str | None = None, styles_path: str | None = None,
           images: int = 2000, top: int = 16, seed: int = 0, threads: int = 2) -> dict:
    """Writes every figure of the run into ``out``; returns the summary (also summary.json).

    Raises:
        MirrorError: for a missing or broken run folder, data folder or style library.
    """
    import matplotlib

    matplotlib.use("Agg")
    from mirror.backends.torch import TorchBackend
    from mirror.vae import read_specs

    if not os.path.isdir(run):
        raise MirrorError(f"run folder not found: {run}")
    if images < 10 or top < 2:
        raise ValueError("images must be >= 10 and top >= 2")
    specs = read_specs(run)
    model = TorchBackend(None, run=run, threads=max(1, threads), device="cpu")
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(seed)
    z_dim = model.latent_dim
    summary: dict = {"run": run, "latent_dim": z_dim, "size": model.size, "figures": []}
    written = summary["figures"]

    steps, epochs = read_history(run)
    written.append(plot_loss(steps, epochs, specs, os.path.join(out, "loss.png")))
    if epochs:
        summary["last_epoch"] = epochs[-1]

    folder = find_data(data, specs)
    faces = mu = logvar = None
    if folder:
        faces, split = test_faces(folder, model.size, images)
        mu, logvar = encode_crops(model, faces.crops)
        kl = kl_per_dimension(mu, logvar)
        ranking = f"KL on {len(mu)} {split} faces"
        summary.update(faces=len(mu), split=split, kl_total=round(float(kl.sum()), 3),
                       active_dims=int((kl > 0.1).sum()),
                       kl_per_dim=[round(float(v), 4) for v in kl])
    else:
        kl = decoder_sensitivity(model, rng)
        ranking = "decoder sensitivity (no data)"
    order = np.argsort(-kl, kind="stable")
    summary["ranking"] = ranking
    summary["order"] = order.tolist()
    shown = order[:min(top, z_dim)] if z_dim > top else order
    dims_note = (f"every dimension ({z_dim}), sorted by {ranking}" if len(shown) == z_dim else
                 f"the top {len(shown)} of {z_dim} dimensions by {ranking}")
    score_name = "KL" if folder else "sens."

    # reconstructions
    if faces is not None:
        count = min(12, len(faces))
        pick = np.linspace(0, len(faces) - 1, count).round().astype(int)
        recon = decode_crops(model, mu[pick])
        crops = faces.crops[pick]
        scores = psnr(recon / 255.0, crops / 255.0)
        rows = []
        for half in range(0, count, 6):
            part = slice(half, min(half + 6, count))
            rows += [crops[part], recon[part]]
        width = max(len(r) for r in rows)
        rows = [np.concatenate([r, np.full((width - len(r),) + r.shape[1:], 255, np.uint8)]) for r in rows]
        labels = ["original", "reconstruction"] * (len(rows) // 2)
        summary["reconstruction_psnr"] = round(float(scores.mean()), 2)
        written.append(save(tile_figure(
            np.stack(rows), f"{split} faces and their reconstructions (decode of the posterior mean); "
            f"PSNR {scores.mean():.1f} dB", labels, tile_inches=1.1), os.path.join(out, "reconstructions.png")))

    # samples from the prior
    prior = rng.standard_normal((6, 10, z_dim)).astype(np.float32)
    written.append(save(tile_figure(decode_crops(model, prior), "random samples from the prior N(0, I)",
                                    tile_inches=0.95), os.path.join(out, "samples.png")))

    # traversals from one prior sample (disentangling-vae's plot)
    base = rng.standard_normal(z_dim).astype(np.float32)
    values = np.linspace(-TRAVERSAL_LIMIT, TRAVERSAL_LIMIT, TRAVERSAL_STEPS).astype(np.float32)
    latents = np.repeat(base[None, None], len(shown), 0).repeat(TRAVERSAL_STEPS, 1)
    for r, d in enumerate(shown):
        latents[r, :, d] = values
    written.append(save(tile_figure(
        decode_crops(model, latents), f"latent traversals from one prior sample: {dims_note}",
        [f"z{d}  {score_name} {kl[d]:.2f}" for d in shown], [f"{v:+.2f}" for v in values],
        xlabel="value of the dimension (prior 2.5% .. 97.5%)"), os.path.join(out, "traversals.png")))

    # named styles from the same prior sample
    found = find_styles(styles_path, run, z_dim)
    if found:
        styles, source = found
        source = os.path.relpath(source, ROOT) if source.startswith(ROOT) else source
    elif faces is not None:
        styles, source = attribute_styles(mu, faces.attributes, faces.names), f"attribute mean differences on {split} faces"
    else:
        styles, source = {}, ""
    if styles:
        amounts = np.linspace(-2, 2, TRAVERSAL_STEPS).astype(np.float32)
        latents = np.stack([base + amounts[:, None] * (strength * direction)[None]
                            for direction, strength in styles.values()])
        written.append(save(tile_figure(
            decode_crops(model, latents), f"style traversals from the same prior sample ({source})",
            [f"{name}" for name in styles], [f"{a:+.1f}" for a in amounts],
            xlabel="times the style's default strength"), os.path.join(out, "style_traversals.png")))
        summary["styles"] = {"source": source, "names": list(styles)}

    # 10 x 10 grid over the two most informative dimensions
    first, second = int(order[0]), int(order[min(1, z_dim - 1)])
    grid_values = np.linspace(-TRAVERSAL_LIMIT, TRAVERSAL_LIMIT, 10).astype(np.float32)
    latents = np.zeros((10, 10, z_dim), np.float32)
    latents[:, :, second] = grid_values[::-1, None]
    latents[:, :, first] = grid_values[None, :]
    written.append(save(tile_figure(
        decode_crops(model, latents), f"10 x 10 grid over the two most informative dimensions by {ranking} "
        "(all others 0)", [f"{v:+.2f}" for v in grid_values[::-1]], [f"{v:+.2f}" for v in grid_values],
        xlabel=f"z{first}  ({score_name} {kl[first]:.2f})", ylabel=f"z{second}  ({score_name} {kl[second]:.2f})",
        tile_inches=0.8), os.path.join(out, "grid.png")))

    if mu is not None:
        written.append(plot_kl(kl, logvar, order, os.path.join(out, "latent_kl.png")))
        written.append(plot_histograms(mu, kl, shown, z_dim, os.path.join(out, "latent_histograms.png")))
        written.append(plot_correlation(mu, order, kl, os.path.join(out, "latent_correlation.png")))
        # real faces at the extremes of the top dimensions
        dims = shown[:min(8, len(shown))]
        tiles, labels, pool = [], [], 0
        for d in dims:
            bottom, top_rows, pool = extreme_faces(mu, int(d), EXTREME_FACES)
            row = np.full((2 * EXTREME_FACES + 1, model.size, model.size, 3), 255, np.uint8)
            row[EXTREME_FACES - len(bottom):EXTREME_FACES] = faces.crops[bottom]
            row[EXTREME_FACES + 1:EXTREME_FACES + 1 + len(top_rows)] = faces.crops[top_rows]
            tiles.append(row)
            labels.append(f"z{d}  {mu[bottom, d].min():+.1f} | {mu[top_rows, d].max():+.1f}")
        share = pool / len(mu)
        written.append(save(tile_figure(
            np.stack(tiles), f"{split} faces at the extremes of the top dimensions: left the lowest "
            f"{100 * share:.0f}%, right the highest {100 * share:.0f}% ({pool} of {len(mu)} faces each), "
            f"of those the {EXTREME_FACES} nearest the mean elsewhere",
            labels, ["lowest"] + [""] * (EXTREME_FACES - 1) + ["", ""] + [""] * (EXTREME_FACES - 2) + ["highest"],
            tile_inches=0.75), os.path.join(out, "extremes.png")))

    summary["figures"] = [os.path.basename(p) for p in written]
    with open(os.path.join(out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=4, sort_keys=True)
        f.write("\n")
    return summary


def parse_arguments(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m train.report", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", help="training run folder (specs.json, model.pt, history)")
    parser.add_argument("--out", required=True, help="folder for the PNG figures")
    parser.add_argument("--data", help="prepared aligned set for the test faces (default: specs.json's data)")
    parser.add_argument("--styles", help="styles.json (default: RUN/styles.json, else engines/styles.json)")
    parser.add_argument("--images", type=int, default=2000, help="test faces encoded (default: 2000)")
    parser.add_argument("--top", type=int, default=16,
                        help="dimensions traversed when the latent is larger (default: 16)")
    parser.add_argument("--seed", type=int, default=0, help="random seed for prior samples (default: 0)")
    parser.add_argument("--threads", type=int, default=2, help="torch threads (default: 2)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every figure")
    args = parser.parse_args(argv)
    if args.images < 10:
        parser.error("--images must be at least 10")
    if args.top < 2:
        parser.error("--top must be at least 2")
    return args


def main(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s: %(message)s")
    try:
        summary = report(args.run, args.out, args.data, args.styles, args.images, args.top, args.seed,
                         args.threads)
    except MirrorError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for name in summary["figures"]:
        print(f"wrote {os.path.join(args.out, name)}")
    missing = [f for f in FIGURES if f not in summary["figures"]]
    if missing:
        print(f"skipped {', '.join(missing)} (no data folder or styles)")
    return 0


if __name__ == "__main__":
    sys.exit(main(parse_arguments()))
