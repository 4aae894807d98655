"""Report figures of a training run (PNG, matplotlib).

    python -m train.report runs/vae128 --out docs/report                      # data from specs.json
    python -m train.report runs/vae128 --out docs/report --data data/aligned128 --styles engines/styles.json
    python -m train.report /tmp/run --out /tmp/report --top 8 --images 500

Writes into ``--out``:

    loss.png                 train and validation curves: total, reconstruction and KL apart
    reconstructions.png      test faces (top of each pair) against their reconstructions
    samples.png              decodes of random samples: the top rows from a Gaussian fitted to real
                             faces' posterior means (the style library's ``latent_prior``, else
                             fitted to the test faces), the bottom rows from the prior N(0, I)
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
import json
import math
import os
import sys

import numpy as np

from mirror.backends import decode_crops, encode_crops
from mirror.cli import setup_logging
from mirror.errors import MirrorError
from mirror.edit.styles import LatentPrior
from train.figures import plot_correlation, plot_histograms, plot_kl, plot_loss, save, tile_figure
from train.metrics import kl_per_dimension, psnr
from train.report_inputs import ROOT, attribute_styles, find_data, find_styles, read_history, test_faces

TRAVERSAL_STEPS = 9
TRAVERSAL_LIMIT = 1.96       # disentangling-vae: the prior's 2.5%..97.5% quantiles
EXTREME_SHARE = 0.01         # bottom and top 1%
EXTREME_FACES = 6            # faces shown per side
SAMPLE_ROWS, SAMPLE_COLS = 6, 10
FITTED_ROWS = 4              # rows of samples.png drawn from the fitted prior (the rest: N(0, I))
FIGURES = ("loss.png", "reconstructions.png", "samples.png", "traversals.png", "style_traversals.png",
           "grid.png", "latent_kl.png", "latent_histograms.png", "latent_correlation.png", "extremes.png")


# --- the model -------------------------------------------------------------------------------

def fitted_prior(found, mu: np.ndarray | None, split: str | None) -> tuple[LatentPrior | None, str]:
    """(prior, what it was fitted to) for samples.png: the style library's (``find_styles``),
    else a Gaussian fitted to the faces' ``mu``; (None, "") without either."""
    if found and found[2] is not None:
        return found[2], f"{found[2].images} train faces (the style library)"
    if mu is not None and len(mu) > 2 * mu.shape[1]:
        return LatentPrior.fit(mu), f"{len(mu)} {split} faces"
    return None, ""


def random_samples(model, rng: np.random.Generator, prior: LatentPrior | None, source: str):
    """samples.png: FITTED_ROWS rows of decodes of ``prior`` samples (fitted to ``source``), the
    other rows of N(0, I) samples; all of N(0, I) without a prior."""
    fitted = FITTED_ROWS if prior is not None else 0
    latents = rng.standard_normal((SAMPLE_ROWS, SAMPLE_COLS, model.latent_dim)).astype(np.float32)
    if fitted:
        latents[:fitted] = prior.sample(rng, fitted * SAMPLE_COLS).reshape(fitted, SAMPLE_COLS, -1)
    title = (f"random samples: top {fitted} rows from a Gaussian fitted to the posterior means of {source}, "
             f"bottom {SAMPLE_ROWS - fitted} from the VAE's prior N(0, I)" if fitted else
             "random samples from the prior N(0, I) (no fitted prior: no style library with one, no faces)")
    labels = ["fitted Gaussian"] * fitted + ["N(0, I)"] * (SAMPLE_ROWS - fitted)
    return tile_figure(decode_crops(model, latents), title, labels, tile_inches=0.95)


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
    from mirror.edit.vae import read_specs

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
    faces = mu = logvar = split = None
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

    # random samples: the fitted prior above N(0, I)
    found = find_styles(styles_path, run, z_dim)
    prior, fitted_to = fitted_prior(found, mu, split)
    summary["samples_prior"] = fitted_to or "N(0, I) only"
    written.append(save(random_samples(model, rng, prior, fitted_to), os.path.join(out, "samples.png")))

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
    if found:
        styles, source = found[:2]
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
    setup_logging(args.verbose, native=True)
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
