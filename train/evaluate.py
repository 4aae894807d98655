"""Evaluate shipped engines on the held-out test split.

    python -m train.evaluate --engines engines --data data/aligned128 --json runs/vae128/eval.json
    python -m train.evaluate --engines engines --data data/aligned128 --limit 300 --json /tmp/e.json
    python -m train.evaluate --engines engines --data data/aligned128 --detect-styles all

Needs in ENGINES: encoder.onnx, decoder.onnx, styles.json and classifier.onnx
(``python -m train.classifier``; or pass --classifier).

Reports (JSON):
    psnr, ssim            reconstruction (z = mu) of the test crops, mean over images
    active_units          latent dims whose mu varies over the test set (Var > 0.01, Burda et al.)
    kl_per_dim            mean KL per latent dimension, in nats (sorted, largest first)
    classifier_accuracy   the attribute classifier on the real test crops, per attribute
    edit_success          per style: share of test faces without the style whose edit, as the
                          mirror shows it (composited onto the person's own crop), the classifier
                          judges as having it
    edit_success_decoded  the same on the plain decode of the edited latent
    kept                  per style: the lowest over Male, Smiling, Eyeglasses of the share of
                          edited faces (composited) that keep the class the classifier gave the
                          original crop; kept_detail has all three, kept_decoded the plain decode
    halo, texture, seam   per style, does the edit (composited, as above) look like a photo
                          (train.metrics, on the same faces): halo = mean |edited - original| in
                          grey levels on the background (outside the person's silhouette grown by
                          8% of the crop); texture = variance of the edited Laplacian over the
                          original's where the edit changed the crop by > 12 grey levels (1 is a
                          photo's detail, below 1 a smear); seam = 95th percentile of the change's
                          gradient over that of the photo's own gradient on a 2 px band either side
                          of the protected face interior's boundary (<= 1: no visible step)
    detectability         per style: cross-validated ROC AUC of a small CNN trained to tell the
                          composited edits from real test-split crops of other people who have the
                          style (all of the test split, not only the first --limit; up to 300 per
                          class, balanced); 0.5 = indistinguishable. Only for --detect-styles
                          (default: bangs, blond, bald, gray, receding: 10 s to a minute each);
                          detectability_faces: the images per class it used
    exemplar              exemplar styles (train.styles.exemplar_direction) on random test pairs:
                          mean |decode - reference decode| in the user's hair region before
                          and after the edit, and the change of the user's face interior
                          (beside the reference's difference there, for scale)
    latency_ms            ONNX Runtime CPU, 2 intra-op threads, no spinning: encode + decode of
                          a batch of 2 (median of 100, the lowest of 3 rounds)
    edit_composite        what composited the edits (the mirror's compositor, or the stand-in)
    edit_success_standin, kept_standin   the same with the stand-in compositor, for comparison
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time

import cv2
import numpy as np

from mirror.backends.base import onnx_paths
from mirror.errors import MirrorError
from mirror.regions import face_interior, face_oval, hair_region
from train.metrics import photo_metrics
from train.styles import KEEP, STYLES, has_style, load_styles

log = logging.getLogger(__name__)

# The styles whose look issue 12 sets goals for; detectability is measured for these by default.
DETECT_STYLES = ("bangs", "blond", "bald", "gray", "receding")
LOOK = ("halo", "texture", "seam", "detectability", "detectability_faces")

STANDIN = ("stand-in: the full decode of the edited latent, blended into the crop through a mask "
           "= hair_region (selfie silhouette outside the face oval, above the chin) + the forehead "
           "(face oval above the brows), dilated 5 px, face interior (below the brows) removed, "
           "Gaussian-feathered (sigma 3 px at 128); the face interior and everything else from "
           "the original crop")


def edit_mask(landmarks: np.ndarray, person: np.ndarray) -> np.ndarray:
    """(S, S) float32 in [0, 1]: where the stand-in compositor shows the decoded edit."""
    size = person.shape[0]
    scale = size / 128
    interior = face_interior(landmarks, size)
    forehead = face_oval(landmarks, size) & ~interior
    mask = np.maximum(hair_region(landmarks, person), forehead.astype(np.float32))
    radius = max(1, int(round(5 * scale)))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    mask = cv2.dilate(mask, kernel)
    mask[interior] = 0
    return cv2.GaussianBlur(mask, (0, 0), 3 * scale)


def standin_composite(crops: np.ndarray, decoded: np.ndarray, masks: np.ndarray) -> np.ndarray:
    """Blends decodes into crops.

    Args:
        crops: (N, 3, S, S) float32 originals in [0, 1]; decoded: the same shape, edited decodes;
        masks: (N, S, S) float32 from edit_mask.

    Returns:
        (N, 3, S, S) float32.
    """
    m = masks[:, None]
    return m * decoded + (1 - m) * crops


MIRROR = ("the mirror's own compositor: mirror.editor.compose_crop(crop, recon, edited, landmarks, "
          "person, recolor=<colour style>) in crop space (residual where the decode changes "
          "little, the decode's low frequencies where it changes a lot, face interior untouched); "
          "the frame composite is that crop warped back")


class Compositor:
    """How edits reach the screen in the evaluation: the mirror's ``compose_crop`` when the
    mirror package has it, else the stand-in (see STANDIN)."""

    def __init__(self, dataset, standin: bool = False):
        self.dataset = dataset
        self._masks = {}
        self._compose = None
        if not standin:
            try:
                from mirror.editor import compose_crop
                self._compose = compose_crop
            except ImportError:
                pass
        self.description = MIRROR if self._compose else STANDIN

    def masks(self, rows: np.ndarray) -> np.ndarray:
        for r in rows:
            if r not in self._masks:
                self._masks[r] = edit_mask(self.dataset.landmarks[r], self.dataset.person[r])
        return np.stack([self._masks[r] for r in rows])

    def compose(self, rows: np.ndarray, crops: np.ndarray, mu: np.ndarray, z: np.ndarray,
                engine, style: str = "", decoded: np.ndarray | None = None) -> np.ndarray:
        """Edited (N, 3, S, S) float32 images as the mirror shows them.

        Args:
            rows: row numbers into the dataset; crops: (N, 3, S, S) float32 originals;
            mu: (N, Z) their latents; z: (N, Z) edited latents; style: the style's name.
        """
        decoded = engine.decode(z) if decoded is None else decoded
        if self._compose is None:
            return standin_composite(crops, decoded, self.masks(rows))
        recon = engine.decode(mu).transpose(0, 2, 3, 1)
        edited = decoded.transpose(0, 2, 3, 1)
        originals = crops.transpose(0, 2, 3, 1)
        out = [self._compose(np.ascontiguousarray(c), np.ascontiguousarray(r), np.ascontiguousarray(e),
                             self.dataset.landmarks[i], self.dataset.person[i],
                             recolor=style in STYLES and STYLES[style][2] == "color")[0]
               for c, r, e, i in zip(originals, recon, edited, rows)]
        return np.stack(out).transpose(0, 3, 1, 2)


def _success(probs: np.ndarray, classifier, style: str) -> np.ndarray:
    columns, target, _, _ = STYLES[style]
    present = np.stack([probs[:, classifier.column(c)] > 0.5 for c in columns])
    return present.any(axis=0) if target > 0 else ~present.any(axis=0)


def _original_probs(dataset, classifier) -> np.ndarray:
    cache = getattr(dataset, "_classifier_probs", None)
    if cache is None:
        cache = classifier.predict_crops(dataset.crops)
        dataset._classifier_probs = cache
    return cache


def score_style(engine, classifier, dataset, mu: np.ndarray, style: str, direction: np.ndarray,
                strength: float, max_faces: int | None = None, compositor: Compositor | None = None,
                reals: np.ndarray | None = None) -> dict:
    """Edit success and kept shares of one style at one strength on faces without it, and how
    much the edits look like photos (train.metrics).

    Args:
        engine: train.engine.Engine; classifier: train.classifier.Classifier;
        dataset: train.data.AlignedSet (with masks); mu: (N, Z) its latents.
        max_faces: only the first N faces without the style.
        reals: (M, S, S, 3) uint8 real crops with the style, for detectability (None: not measured).

    Returns:
        {"faces", "success", "success_decoded", "kept", "kept_decoded", "kept_detail", "halo",
        "texture", "seam", "detectability", "detectability_faces"}.
    """
    if compositor is None:
        compositor = getattr(dataset, "_compositor", None) or Compositor(dataset)
        dataset._compositor = compositor
    rows = np.flatnonzero(~has_style(dataset.attributes, dataset.names, style))[:max_faces]
    if len(rows) == 0:
        return {"faces": 0, "success": None, "success_decoded": None, "kept": None,
                "kept_decoded": None, "kept_detail": {}, **{k: None for k in LOOK}}
    z = mu[rows] + strength * np.asarray(direction, np.float32)[None]
    crops = dataset.images(rows).numpy()
    decoded = engine.decode(z)
    shown = compositor.compose(rows, crops, mu[rows], z, engine, style, decoded)
    probs_shown = classifier.predict(shown)
    probs_decoded = classifier.predict(decoded)
    before = _original_probs(dataset, classifier)[rows]
    detail, detail_decoded = {}, {}
    for name in KEEP:
        c = classifier.column(name)
        detail[name] = round(float(((probs_shown[:, c] > 0.5) == (before[:, c] > 0.5)).mean()), 4)
        detail_decoded[name] = round(float(((probs_decoded[:, c] > 0.5) == (before[:, c] > 0.5)).mean()), 4)
    return {"faces": int(len(rows)),
            "success": round(float(_success(probs_shown, classifier, style).mean()), 4),
            "success_decoded": round(float(_success(probs_decoded, classifier, style).mean()), 4),
            "kept": min(detail.values()), "kept_decoded": min(detail_decoded.values()),
            "kept_detail": detail, **look(dataset, rows, shown, reals)}


def look(dataset, rows: np.ndarray, shown: np.ndarray, reals: np.ndarray | None = None) -> dict:
    """train.metrics.photo_metrics of edits (N, 3, S, S) float in [0, 1] of the dataset's ``rows``,
    rounded to uint8 as the mirror shows them; the protected interior is the face below the brows."""
    from train.data import to_crops

    interiors = np.stack([face_interior(dataset.landmarks[r], dataset.size) for r in rows])
    return photo_metrics(to_crops(shown), dataset.crops[rows], dataset.person[rows], interiors, reals)


def real_crops(dataset, style: str) -> np.ndarray:
    """(M, S, S, 3) uint8: every test-split crop of the dataset's folder that has ``style`` (by its
    CelebA labels), also beyond the dataset's limit; none of the dataset's faces without it."""
    from train.data import SPLITS

    folder = dataset.folder
    rows = np.flatnonzero(np.load(os.path.join(folder, "split.npy")) == SPLITS["test"])
    attributes = np.load(os.path.join(folder, "attributes.npy"))[rows]
    rows = rows[has_style(attributes, dataset.names, style)]
    edited = dataset.indices[~has_style(dataset.attributes, dataset.names, style)]
    rows = np.setdiff1d(rows, edited)
    return np.load(os.path.join(folder, "crops.npy"), mmap_mode="r")[rows]


def exemplar_score(engine, dataset, mu: np.ndarray, styles: dict, pairs: int = 300, seed: int = 0) -> dict:
    """How well ``exemplar_direction`` carries a reference's hair to another face.

    For random (user, reference) pairs of the dataset: the mean absolute per-pixel difference
    (in [0, 1] units) between the decode of the user's edited latent and the decode of the
    reference, in the user's hair region (before: the user's own decode), and how much the
    user's face interior (below the brows) changes.
    """
    from train.styles import exemplar_direction

    rng = np.random.default_rng(seed)
    n = len(mu)
    users = rng.integers(0, n, pairs)
    refs = (users + rng.integers(1, n, pairs)) % n
    z = np.stack([mu[u] + exemplar_direction(mu[r], styles, mu[u]) for u, r in zip(users, refs)])
    edited, own, ref = engine.decode(z), engine.decode(mu[users]), engine.decode(mu[refs])
    hair = np.stack([hair_region(dataset.landmarks[u], dataset.person[u]) for u in users])[:, None]
    interior = np.stack([face_interior(dataset.landmarks[u], dataset.size) for u in users])[:, None]

    def mean_in(diff, mask):
        return float((np.abs(diff) * mask).sum() / (mask.sum() * diff.shape[1]))

    return {"pairs": pairs,
            "hair_to_reference_before": round(mean_in(own - ref, hair), 4),
            "hair_to_reference_after": round(mean_in(edited - ref, hair), 4),
            "interior_change": round(mean_in(edited - own, interior), 4),
            "interior_to_reference": round(mean_in(ref - own, interior), 4)}


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    """Mean SSIM of (N, S, S, 3) uint8 image pairs."""
    from skimage.metrics import structural_similarity

    return float(np.mean([structural_similarity(x, y, channel_axis=2, data_range=255)
                          for x, y in zip(a, b)]))


def latency_ms(folder: str, repeats: int = 100, rounds: int = 3, int8: bool = False) -> dict:
    """ms of encode + decode of a batch of 2 at the engine's size (ORT, 2 threads, no spinning).

    The median of ``repeats`` runs, the lowest of ``rounds`` such medians: other processes on a
    shared machine only ever add time, so the quietest round is the model's own cost.
    """
    from train.export import session

    enc, dec = (session(path) for path in onnx_paths(folder, int8))
    size = int(enc.get_inputs()[0].shape[-1])
    image = np.random.default_rng(0).random((2, 3, size, size), dtype=np.float32)
    best = None
    for _ in range(rounds):
        times = {"encode": [], "decode": [], "total": []}
        for i in range(repeats + 10):
            t0 = time.perf_counter()
            mu = enc.run(["mu"], {"image": image})[0]
            t1 = time.perf_counter()
            dec.run(["image"], {"z": mu})
            t2 = time.perf_counter()
            if i >= 10:
                times["encode"].append(t1 - t0)
                times["decode"].append(t2 - t1)
                times["total"].append(t2 - t0)
        medians = {k: round(float(np.median(v)) * 1000, 2) for k, v in times.items()}
        if best is None or medians["total"] < best["total"]:
            best = medians
    return best


def evaluate(engines: str, data: str, limit: int | None = None, classifier_path: str | None = None,
             int8: bool = False, detect_styles: tuple[str, ...] = DETECT_STYLES) -> dict:
    """Runs every measurement of the module docstring (on the INT8 copies of the model with
    ``int8``; detectability only for ``detect_styles``); returns the JSON-ready dict."""
    from train.classifier import Classifier
    from train.data import AlignedSet
    from train.engine import OnnxEngine

    start = time.time()
    engine = OnnxEngine(engines, int8=int8)
    styles = load_styles(os.path.join(engines, "styles.json"))
    classifier = Classifier(classifier_path or os.path.join(engines, "classifier.onnx"))
    test = AlignedSet(data, "test", limit, masks=True)
    if test.size != engine.size:
        raise MirrorError(f"{data} holds {test.size} px crops, the engines want {engine.size}")
    mu, logvar = engine.encode_crops(test.crops)
    recon = engine.decode(mu)
    images = test.images(np.arange(len(test))).numpy()
    mse = ((recon - images) ** 2).reshape(len(test), -1).mean(1)
    psnr = float(np.mean(-10 * np.log10(np.maximum(mse, 1e-10))))
    from train.data import to_crops
    ssim_value = ssim(to_crops(recon), test.crops)
    kl = (0.5 * (mu ** 2 + np.exp(logvar) - logvar - 1)).mean(0)
    probs = _original_probs(test, classifier)
    truth = test.attributes > 0
    accuracy = {name: round(float(((probs[:, classifier.column(name)] > 0.5) == truth[:, i]).mean()), 4)
                for i, name in enumerate(test.names)}
    compositor = Compositor(test)
    # With the mirror's compositor in use, the stand-in is scored too, for comparison.
    standin = Compositor(test, standin=True) if compositor.description != STANDIN else None
    result = {
        "model": "int8 (encoder.int8.onnx, decoder.int8.onnx)" if int8 else "float (encoder.onnx, decoder.onnx)",
        "psnr": round(psnr, 3), "ssim": round(ssim_value, 4),
        "active_units": int((mu.var(0) > 0.01).sum()),
        "active_units_kl": int((kl > 0.01).sum()),
        "kl_total": round(float(kl.sum()), 2),
        "kl_per_dim": [round(float(v), 4) for v in np.sort(kl)[::-1]],
        "classifier_accuracy": accuracy,
        "classifier_mean_accuracy": round(float(np.mean(list(accuracy.values()))), 4),
        "edit_success": {}, "edit_success_decoded": {}, "kept": {}, "kept_decoded": {},
        "kept_detail": {}, "strength": {}, "faces": {}, **{k: {} for k in LOOK},
        "edit_composite": compositor.description,
    }
    if standin is not None:
        result["edit_composite_standin"] = STANDIN
    for name, style in styles["styles"].items():
        if name not in STYLES:
            continue
        reals = real_crops(test, name) if name in detect_styles else None
        score = score_style(engine, classifier, test, mu, name, style["direction"],
                            style["strength"], compositor=compositor, reals=reals)
        for key in LOOK:
            result[key][name] = score[key]
        result["edit_success"][name] = score["success"]
        result["edit_success_decoded"][name] = score["success_decoded"]
        result["kept"][name] = score["kept"]
        result["kept_decoded"][name] = score["kept_decoded"]
        result["kept_detail"][name] = score["kept_detail"]
        result["strength"][name] = style["strength"]
        result["faces"][name] = score["faces"]
        log.info("%s: %s", name, score)
        if standin is not None:
            alt = score_style(engine, classifier, test, mu, name, style["direction"],
                              style["strength"], compositor=standin)
            result.setdefault("edit_success_standin", {})[name] = alt["success"]
            result.setdefault("kept_standin", {})[name] = alt["kept"]
    if "hair_basis" in styles:
        result["exemplar"] = exemplar_score(engine, test, mu, styles)
    result["latency_ms"] = latency_ms(engines, int8=int8)
    result["test_images"] = len(test)
    result["data"] = os.path.abspath(data)
    result["seconds"] = round(time.time() - start, 1)
    return result


def parse_arguments(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m train.evaluate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engines", required=True, help="folder with encoder/decoder.onnx + styles.json")
    parser.add_argument("--data", required=True, help="prepared aligned folder (its test split is used)")
    parser.add_argument("--limit", type=int, default=None, help="only the first N test images")
    parser.add_argument("--classifier", default=None, help="classifier.onnx (default: ENGINES/classifier.onnx)")
    parser.add_argument("--int8", action="store_true", help="evaluate the INT8 copies (python -m train.quantize)")
    parser.add_argument("--json", default=None, help="write the results here too")
    parser.add_argument("--detect-styles", default=",".join(DETECT_STYLES), type=style_list,
                        help="styles whose detectability is measured: comma-separated names, all or "
                             f"none (default: {','.join(DETECT_STYLES)})")
    return parser.parse_args(argv)


def style_list(text: str) -> tuple[str, ...]:
    """--detect-styles: "all", "none" or comma-separated STYLES names."""
    if text == "all":
        return tuple(STYLES)
    names = tuple(n for n in text.split(",") if n and n != "none")
    unknown = [n for n in names if n not in STYLES]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown style(s) {', '.join(unknown)}: choose from "
                                         f"{', '.join(STYLES)}, all or none")
    return names


def main(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        result = evaluate(args.engines, args.data, args.limit, args.classifier, args.int8, args.detect_styles)
    except MirrorError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    text = json.dumps(result, indent=4, sort_keys=True)
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as f:
            f.write(text + "\n")
    summary = {k: v for k, v in result.items() if k not in ("kl_per_dim", "classifier_accuracy", "kept_detail")}
    print(json.dumps(summary, indent=4, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main(parse_arguments()))
