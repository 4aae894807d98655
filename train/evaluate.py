"""Evaluate shipped engines on the held-out test split.

    python -m train.evaluate --engines engines --data data/aligned128 --json runs/vae128/eval.json
    python -m train.evaluate --engines engines --data data/aligned128 --limit 300 --json /tmp/e.json
    python -m train.evaluate --engines engines --data data/aligned128 --parts crops
    python -m train.evaluate --engines engines --data data/aligned128 --parts heads,reference,clips \
        --styles bald,receding,hairloss:5,bangs --limit 300 --json /tmp/heads.json
    python -m train.evaluate --engines engines --data data/aligned128 --parts heads,clips --styles bald,bob \
        --transplanted bald --limit 300 --json /tmp/donors.json      # bald from the donor bank

Needs in ENGINES: encoder.onnx, decoder.onnx, styles.json and classifier.onnx
(``python -m train.classifier``; or pass --classifier), and for the heads, reference and clips
parts the CelebA photos the prepared set was made from (whole heads of at least 150 px) and the
clips.

Parts (--parts, default all):
    crops       the figures below, on the prepared set's 128-px test crops
    heads       per style, on whole-head test photos through the mirror's own Pipeline, read at
                the renderer's 256-px detail crop (train.instruments): "heads" {style: {power,
                detectability (counts: only where power >= 0.9), keys, inner_face_p95,
                inner_face_max, kept, success, ...}}. Styles (--styles) are any name the
                Pipeline knows: its library's, hairloss:N, a reference photo's path; NAME@LABELS
                says which CelebA labels real people with a new style have
    reference   "reference_transfer": a reference photo's hair on test pairs, per attribute the
                classifier's agreement with the reference
    clips       "clips": inner_face on the shared clips' frames, per style
    Each style is drawn as the Pipeline draws it: --transplanted names the shape styles it draws
    from the donor bank's real photos (bangs and no_bangs always are, a reference photo's hair is
    always its own, transplanted);
    every figure says which ("kind").
    ("instruments": the settings, the machine and its load, and how long the parts took.)

Reports of the crops part (JSON):
    psnr, ssim            reconstruction (z = mu) of the test crops, mean over images
    active_units          latent dims whose mu varies over the test set (Var > 0.01, Burda et al.)
    kl_per_dim            mean KL per latent dimension, in nats (sorted, largest first)
    classifier_accuracy   the attribute classifier on the real test crops, per attribute
    edit_success          per style: share of test faces without the style whose edit, as the
                          mirror shows it (composited onto the person's own crop), the classifier
                          judges as having it
    edit_success_decoded  the same on the plain decode of the edited latent
    judge_recall          per style: the share of real test-split faces that have the style (all
                          of the split, by their CelebA labels) that the same classifier judges as
                          having it: what a perfect edit would score as edit_success
    judge_groups          per style and group of sex and age (MATCH_ON, by CelebA labels): the
                          edited faces in it and their edit_success, the real faces with the
                          style in it (test and validation splits: the classifier trained on
                          neither) and the judge's recall on them. The judge's recall depends on
                          who wears the style (it sees blond on 0.2 of real blond men, 0.8 of
                          women), and the edited faces are of everyone
    judge_recall_matched  per style: that recall weighted by the edited faces' groups, over the
                          groups with at least GROUP_MIN real faces: what a perfect edit of these
                          faces would score; edit_success_matched the edits' success on the same
                          faces, judge_matched_faces their share of the edited faces
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
    latency_ms            ONNX Runtime CPU, 2 intra-op threads, no spinning: encode + decode of
                          a batch of 2 (median of 100, the lowest of 3 rounds)
    edit_composite        how the edits were drawn (the mirror's own segmenter, editor and renderer)
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
from mirror.cli import setup_logging
from mirror.errors import MirrorError
from mirror.face.regions import face_interior
from mirror.types import AlignedFace
from train.directions import KEEP, STYLES, has_style, load_styles
from train.instruments import InstrumentOptions, run_instruments
from train.metrics import photo_metrics
from train.twosample import match_groups

log = logging.getLogger(__name__)

LOOK = ("halo", "texture", "seam")
GROUP_NAMES = ("older women", "older men", "young women", "young men")   # by match_groups' value
GROUP_MIN = 10   # judge_recall_matched: a group's recall is trusted on this many real faces


class MirrorView:
    """The test crops edited as the mirror shows them: the shipped segmenter, ``HairEditor`` and
    ``HairRenderer`` on each crop, rendered at the crop's own size, then put back by the mirror's
    ``Compositor`` into a frame that is the crop carried on past its edges (its edge pixels
    repeated): hair that reaches the crop's edge goes on there, and the edit follows it past
    the crop's fading border (``render.beyond``) as it does in a frame; the crop is cut back out.

    Args:
        engines: the engines folder; dataset: train.data.AlignedSet; int8: the INT8 model copies.
    """

    description = ("the mirror's own path: mirror.face.segment.HairSegmenter -> mirror.edit.editor.HairEditor "
                   "-> mirror.render.HairRenderer -> mirror.render.compositor.Compositor on each aligned test "
                   "crop (rendered at the crop's size, in a frame that repeats the crop's edges; no "
                   "background plate: photos)")

    def __init__(self, engines: str, dataset, int8: bool = False):
        from mirror.backends import create_backend, load_model_files
        from mirror.edit.attributes import Classifier
        from mirror.edit.choice import DonorChooser
        from mirror.render.compositor import Compositor
        from mirror.edit.editor import HairEditor
        from mirror.render import HairRenderer
        from mirror.face.segment import HairSegmenter
        from mirror.render.texture_bank import TextureBank

        model = load_model_files(engines)
        backend, _ = create_backend("onnxruntime-int8" if int8 else "onnxruntime", model)
        self.segmenter = HairSegmenter(model.segmenter)
        # (donors chosen as the Pipeline chooses them: bangs and no_bangs are only ever drawn from them)
        classifier = Classifier(model.classifier, threads=1) if os.path.isfile(model.classifier) else None
        self.editor = HairEditor(backend, model, self.segmenter, smooth=False,
                                 chooser=DonorChooser.of_model(model, classifier))
        self.renderer = HairRenderer(textures=TextureBank.load(model.textures))
        self.compositor = Compositor()
        self.styles = self.editor.styles
        self.dataset = dataset
        self._faces: dict[int, AlignedFace] = {}

    def face(self, row: int) -> AlignedFace:
        """The aligned, segmented test face of dataset row ``row``, in the middle of its frame
        (``outer``: the crop with its edges repeated half its side outward)."""
        if row not in self._faces:
            crop = self.dataset.crops[row]
            half = crop.shape[0] // 2
            frame = cv2.copyMakeBorder(crop, half, half, half, half, cv2.BORDER_REPLICATE)
            face = AlignedFace(crop, np.float64([[1, 0, -half], [0, 1, -half]]), self.dataset.landmarks[row], crop,
                               outer=frame)
            face.hair, face.person = self.segmenter(crop)
            self._faces[row] = face
        return self._faces[row]

    def show(self, rows: np.ndarray, style: str, strength: float = 1.0) -> np.ndarray:
        """(N, 3, S, S) float32 BGR in [0, 1]: the rows edited with ``style`` as the mirror shows them."""
        chosen = self.styles.get(style)
        out = []
        for r in rows:
            face = self.face(int(r))
            plan = self.editor.edit(face, chosen, strength)
            size, half = face.crop.shape[0], face.crop.shape[0] // 2
            shown = self.compositor.compose(face.outer, face, self.renderer.render(face, plan))
            out.append(shown[half:half + size, half:half + size])
        return np.stack(out).astype(np.float32).transpose(0, 3, 1, 2) / 255.0


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
                strength: float, view: MirrorView | None = None, max_faces: int | None = None) -> dict:
    """Edit success and kept shares of one style at one strength on faces without it, and how
    much the edits look like photos (train.metrics; None for the plain decodes).

    Args:
        engine: a mirror.backends.Backend; classifier: train.classifier.Classifier;
        dataset: train.data.AlignedSet (with masks); mu: (N, Z) its latents.
        view: the mirror's rendering of the edits; None: judge the plain decodes only (the
            latent direction's own effect, as the style calibration does).
        max_faces: only the first N faces without the style.

    Returns:
        {"faces", "success", "groups" ({match_groups value: (faces, success)}), "success_decoded",
        "kept", "kept_decoded", "kept_detail", and LOOK's keys: "halo", "texture", "seam"}.
    """
    rows = np.flatnonzero(~has_style(dataset.attributes, dataset.names, style))[:max_faces]
    if len(rows) == 0:
        return {"faces": 0, "success": None, "groups": {}, "success_decoded": None, "kept": None,
                "kept_decoded": None, "kept_detail": {}, **{k: None for k in LOOK}}
    z = mu[rows] + strength * np.asarray(direction, np.float32)[None]
    decoded = engine.decode(z)
    shown = decoded if view is None else view.show(rows, style)
    probs_shown = classifier.predict(shown)
    probs_decoded = classifier.predict(decoded)
    before = _original_probs(dataset, classifier)[rows]
    success = _success(probs_shown, classifier, style)
    groups = match_groups(dataset.attributes[rows], dataset.names)
    detail, detail_decoded = {}, {}
    for name in KEEP:
        c = classifier.column(name)
        detail[name] = round(float(((probs_shown[:, c] > 0.5) == (before[:, c] > 0.5)).mean()), 4)
        detail_decoded[name] = round(float(((probs_decoded[:, c] > 0.5) == (before[:, c] > 0.5)).mean()), 4)
    return {"faces": int(len(rows)),
            "success": round(float(success.mean()), 4),
            "groups": {g: (int((groups == g).sum()), float(success[groups == g].mean()))
                       for g in np.unique(groups).tolist()},
            "success_decoded": round(float(_success(probs_decoded, classifier, style).mean()), 4),
            "kept": min(detail.values()), "kept_decoded": min(detail_decoded.values()),
            "kept_detail": detail,
            **(look(dataset, rows, shown) if view is not None else {k: None for k in LOOK})}


def look(dataset, rows: np.ndarray, shown: np.ndarray) -> dict:
    """train.metrics.photo_metrics of edits (N, 3, S, S) float in [0, 1] of the dataset's ``rows``,
    rounded to uint8 as the mirror shows them; the protected interior is the face below the brows."""
    from train.data import to_crops

    interiors = np.stack([face_interior(dataset.landmarks[r], dataset.size) for r in rows])
    return photo_metrics(to_crops(shown), dataset.crops[rows], dataset.person[rows], interiors)


def real_faces(dataset, style: str, splits: tuple[str, ...] = ("test",)) -> tuple[np.ndarray, np.ndarray]:
    """((M, S, S, 3) uint8 crops, (M, A) CelebA attributes): every face of the dataset's folder in
    ``splits`` that has ``style`` (by its labels), also beyond the dataset's limit; none of the
    dataset's faces without it."""
    from train.data import SPLITS

    folder = dataset.folder
    rows = np.flatnonzero(np.isin(np.load(os.path.join(folder, "split.npy")), [SPLITS[s] for s in splits]))
    attributes = np.load(os.path.join(folder, "attributes.npy"))[rows]
    rows = rows[has_style(attributes, dataset.names, style)]
    edited = dataset.indices[~has_style(dataset.attributes, dataset.names, style)]
    rows = np.setdiff1d(rows, edited)
    return np.load(os.path.join(folder, "crops.npy"), mmap_mode="r")[rows], np.load(os.path.join(folder, "attributes.npy"))[rows]


def judge_recall(classifier, dataset, style: str) -> float | None:
    """The share of the test split's real faces with ``style`` (``real_faces``) that the
    classifier judges as having it, or None if the split has none."""
    reals, _ = real_faces(dataset, style)
    if len(reals) == 0:
        return None
    return round(float(_success(classifier.predict_crops(np.asarray(reals)), classifier, style).mean()), 4)


def judge_groups(classifier, dataset, style: str, edited: dict) -> tuple[dict, float | None, float | None, float]:
    """The judge's recall per group of sex and age, beside the edits' success there.

    Args:
        edited: score_style's "groups", {match_groups value: (edited faces, their success)}.

    Returns:
        ({group name: {"faces", "success", "reals", "recall"}}, judge_recall_matched,
        edit_success_matched, judge_matched_faces), as the module docstring says; the two
        matched figures None where no group has GROUP_MIN real faces.
    """
    crops, attributes = real_faces(dataset, style, ("test", "val"))
    real = match_groups(attributes, dataset.names)
    seen = (_success(classifier.predict_crops(np.asarray(crops)), classifier, style) if len(crops)
            else np.zeros(0, bool))
    table, trusted = {}, []
    for g, (faces, success) in sorted(edited.items()):
        reals = int((real == g).sum())
        recall = float(seen[real == g].mean()) if reals else None
        table[GROUP_NAMES[g]] = {"faces": faces, "success": round(success, 4), "reals": reals,
                                 "recall": None if recall is None else round(recall, 4)}
        if reals >= GROUP_MIN:
            trusted.append((faces, success, recall))
    total = sum(faces for faces, _ in edited.values())
    if not trusted:
        return table, None, None, 0.0
    faces = np.float64([t[0] for t in trusted])
    weights = faces / faces.sum()
    return (table, round(float(weights @ [t[2] for t in trusted]), 4),
            round(float(weights @ [t[1] for t in trusted]), 4), round(float(faces.sum() / total), 4))


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
    from mirror.backends.onnxruntime import open_session

    enc, dec = (open_session(path, threads=2) for path in onnx_paths(folder, int8))
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
             int8: bool = False, only: tuple[str, ...] | None = None) -> dict:
    """Runs every measurement of the ``crops`` part (module docstring) (on the INT8 copies of
    the model with ``int8``; edits only of the styles in ``only``, if given); returns the
    JSON-ready dict."""
    from train.classifier import Classifier
    from train.data import AlignedSet
    from mirror.backends import encode_crops, open_backend
    from train.metrics import kl_per_dimension, psnr

    start = time.time()
    engine = open_backend(engines, "onnxruntime-int8" if int8 else "onnxruntime", threads=2)
    styles = load_styles(os.path.join(engines, "styles.json"))
    classifier = Classifier(classifier_path or os.path.join(engines, "classifier.onnx"))
    test = AlignedSet(data, "test", limit, masks=True)
    if test.size != engine.size:
        raise MirrorError(f"{data} holds {test.size} px crops, the engines want {engine.size}")
    mu, logvar = encode_crops(engine, test.crops)
    recon = engine.decode(mu)
    images = test.images(np.arange(len(test))).numpy()
    psnr_value = float(psnr(recon, images).mean())
    from train.data import to_crops
    ssim_value = ssim(to_crops(recon), test.crops)
    kl = kl_per_dimension(mu, logvar)
    probs = _original_probs(test, classifier)
    truth = test.attributes > 0
    accuracy = {name: round(float(((probs[:, classifier.column(name)] > 0.5) == truth[:, i]).mean()), 4)
                for i, name in enumerate(test.names)}
    view = MirrorView(engines, test, int8)
    result = {
        "model": "int8 (encoder.int8.onnx, decoder.int8.onnx)" if int8 else "float (encoder.onnx, decoder.onnx)",
        "psnr": round(psnr_value, 3), "ssim": round(ssim_value, 4),
        "active_units": int((mu.var(0) > 0.01).sum()),
        "active_units_kl": int((kl > 0.01).sum()),
        "kl_total": round(float(kl.sum()), 2),
        "kl_per_dim": [round(float(v), 4) for v in np.sort(kl)[::-1]],
        "classifier_accuracy": accuracy,
        "classifier_mean_accuracy": round(float(np.mean(list(accuracy.values()))), 4),
        "edit_success": {}, "edit_success_decoded": {}, "judge_recall": {}, "judge_groups": {},
        "judge_recall_matched": {}, "edit_success_matched": {}, "judge_matched_faces": {},
        "kept": {}, "kept_decoded": {},
        "kept_detail": {}, "strength": {}, "faces": {}, **{k: {} for k in LOOK},
        "edit_composite": view.description,
    }
    for name, style in styles["styles"].items():
        if name not in STYLES or (only is not None and name not in only):
            continue
        score = score_style(engine, classifier, test, mu, name, style["direction"], style["strength"], view)
        for key in LOOK:
            result[key][name] = score[key]
        result["edit_success"][name] = score["success"]
        result["edit_success_decoded"][name] = score["success_decoded"]
        result["judge_recall"][name] = judge_recall(classifier, test, name)
        (result["judge_groups"][name], result["judge_recall_matched"][name], result["edit_success_matched"][name],
         result["judge_matched_faces"][name]) = judge_groups(classifier, test, name, score["groups"])
        result["kept"][name] = score["kept"]
        result["kept_decoded"][name] = score["kept_decoded"]
        result["kept_detail"][name] = score["kept_detail"]
        result["strength"][name] = style["strength"]
        result["faces"][name] = score["faces"]
        log.info("%s: %s", name, score)
    result["latency_ms"] = latency_ms(engines, int8=int8)
    result["test_images"] = len(test)
    result["data"] = os.path.abspath(data)
    result["seconds"] = round(time.time() - start, 1)
    return result


PARTS = ("crops", "heads", "reference", "clips")


def parse_arguments(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m train.evaluate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engines", required=True, help="folder with encoder/decoder.onnx + styles.json")
    parser.add_argument("--data", required=True, help="prepared aligned folder (its test split is used)")
    parser.add_argument("--parts", default=",".join(PARTS), type=part_list,
                        help=f"what to measure, comma-separated from {', '.join(PARTS)} (default: all)")
    parser.add_argument("--styles", default=None, type=lambda text: [n for n in text.split(",") if n],
                        help="comma-separated style names as the Pipeline knows them (its library's, hairloss:N, "
                             "a reference photo's path; NAME@ATTRIBUTE names the CelebA labels of people with "
                             "a style the project does not know; default: every library style and hair-loss stage)")
    parser.add_argument("--limit", type=int, default=None,
                        help="crops: only the first N test images; heads: the first N test photos per style")
    parser.add_argument("--classifier", default=None, help="classifier.onnx (default: ENGINES/classifier.onnx)")
    parser.add_argument("--int8", action="store_true", help="evaluate the INT8 copies (python -m train.quantize)")
    parser.add_argument("--json", default=None, help="write the results here too")
    parser.add_argument("--merge", action="store_true",
                        help="update the --json file: keep its figures, replace those measured now (per style)")
    parser.add_argument("--train-faces", type=int, default=InstrumentOptions.train_faces,
                        help="heads: train-split pairs each detector also learns from (default: %(default)s)")
    parser.add_argument("--reference-pairs", type=int, default=InstrumentOptions.reference_pairs,
                        help="reference: test pairs per attribute and direction (default: %(default)s)")
    parser.add_argument("--clip-frames", type=int, default=InstrumentOptions.clip_frames,
                        help="clips: the first N frames of each clip (default: %(default)s)")
    parser.add_argument("--photos", default=None, help="the CelebA photos (default: the prepared set's own)")
    parser.add_argument("--videos", default=None, help="the clips (default: videos/ beside the CelebA folder)")
    parser.add_argument("--sheets", default=None, help="heads: write sheets of the pairs told apart most easily here")
    parser.add_argument("--transplanted", default=None, type=transplanted_list,
                        help="heads, clips: shape styles drawn from the donor bank's real photos "
                             "(Pipeline(transplanted=...)), comma-separated, or none (default: the Pipeline's own; "
                             "bangs and no_bangs always are)")
    return parser.parse_args(argv)


def part_list(text: str) -> tuple[str, ...]:
    """--parts: comma-separated PARTS names."""
    names = tuple(n for n in text.split(",") if n)
    unknown = [n for n in names if n not in PARTS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"unknown part(s) {', '.join(unknown) or '(none)'}: choose from {', '.join(PARTS)}")
    return names


def transplanted_list(text: str) -> tuple[str, ...]:
    """--transplanted: comma-separated style names, or none (every shape style drawn as its shape)."""
    return tuple(n for n in text.split(",") if n and n != "none")


def merged(old: dict, new: dict) -> dict:
    """``old`` with ``new``'s figures: a figure per style replaces only that style's."""
    out = dict(old)
    for key, value in new.items():
        out[key] = {**old[key], **value} if isinstance(value, dict) and isinstance(old.get(key), dict) else value
    return out


def table(result: dict) -> str:
    """The heads part's figures, one line per style (power, detectability, inner face, kept)."""
    lines = [f"{'style':<14}{'faces':>6}{'pairs':>6}{'power':>7}{'detect':>8}{'counts':>7}"
             f"{'inner p95':>10}{'max':>7}{'kept':>6}{'success':>8}"]

    def cell(value, width, digits=3):
        return f"{'-':>{width}}" if value is None else f"{value:>{width}.{digits}f}"

    for name, row in result.get("heads", {}).items():
        lines.append(f"{name:<14}{row.get('faces', 0):>6}{row.get('pairs', 0):>6}{cell(row.get('power'), 7)}"
                     f"{cell(row.get('detectability'), 8)}{'yes' if row.get('counts') else 'no':>7}"
                     f"{cell(row.get('inner_face_p95'), 10)}{cell(row.get('inner_face_max'), 7)}"
                     f"{cell(row.get('kept'), 6, 2)}{cell(row.get('success'), 8, 2)}")
    for name, row in result.get("reference_transfer", {}).items():
        lines.append(f"reference {name:<8} pairs {row['pairs']:>3}  agree {cell(row['agree'], 5)}  "
                     f"(before {cell(row['before'], 5)}, ceiling {cell(row['ceiling'], 5)}, "
                     f"ceiling matched {cell(row.get('ceiling_matched'), 5)})")
    for name, row in result.get("clips", {}).items():
        lines.append(f"clips {name:<14} frames {row['frames']:>4}  inner p95 {cell(row['inner_face_p95'], 6)}  "
                     f"max {cell(row['inner_face_max'], 6)}")
    return "\n".join(lines)


def main(args: argparse.Namespace) -> int:
    setup_logging(False, logging.INFO, native=True)
    options = InstrumentOptions(faces=args.limit, train_faces=args.train_faces, reference_pairs=args.reference_pairs,
                                clip_frames=args.clip_frames, sheet=args.sheets, transplanted=args.transplanted)
    try:
        result = {}
        if "crops" in args.parts:
            only = None if args.styles is None else tuple(args.styles)
            result.update(evaluate(args.engines, args.data, args.limit, args.classifier, args.int8, only))
        others = tuple(p for p in args.parts if p != "crops")
        if others:
            result.update(run_instruments(args.engines, args.data, others, args.styles, options, args.photos,
                                          args.videos, "onnxruntime-int8" if args.int8 else "onnxruntime"))
        if args.json and args.merge and os.path.isfile(args.json):
            with open(args.json) as f:
                result = merged(json.load(f), result)
    except MirrorError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    text = json.dumps(result, indent=4, sort_keys=True)
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as f:
            f.write(text + "\n")
    summary = {k: v for k, v in result.items()
               if k not in ("kl_per_dim", "classifier_accuracy", "kept_detail", "judge_groups", "heads", "clips",
                            "reference_transfer")}
    print(json.dumps(summary, indent=4, sort_keys=True))
    print(table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(parse_arguments()))
