"""Builds the donor bank: real heads of hair from CelebA's whole-head photos (training split
only), aligned as the mirror aligns a face, for the mirror to transplant onto a person
(``mirror.edit.donors`` reads it).

    python -m train.donors --data ../shared/data/celeba --engines engines --out engines/donors.npz
    python -m train.donors --data ../shared/data/celeba --engines engines --out /tmp/d.npz --limit 300

For each photo: MediaPipe's face mesh and the project's aligner (``mirror.face.align``) give the
crop at side D and its 478 landmarks; the VAE's encoder gives the latent of the model-sized
crop; ``mirror.face.pose`` the head pose; the BiSeNet teacher (``train.teacher``), seeing the
crop at 256 px, its hair. ``train.looks`` measures the hair's shape and sorts the heads into the
catalogue of looks; each look keeps its most varied members (skin tone, pose, hair colour). The
teacher then labels those again at 384 px (hair, skin, person), and the heads whose look these
finer labels confirm become the donors: the hair matte refined with a guided filter on the crop
(strands' edges). Writes the bank (``--out``) and beside it a listing of its photos
(``donors.txt``).

D is 192: the aligned square spans about 180 pixels of these photos (10th-90th percentile
172-186), so 192 holds all they show; 256 (the renderer's detail crop) would store 1.8 times the
pixels with nothing more in them, and the transplant warps the donor onto the person through
the landmarks whatever its side.

``--cache FILE`` keeps what the slow part (tracking, teacher, encoder) measured, so the
catalogue can be rebuilt from it in minutes; ``--sheets DIR`` draws every look's members, to see
that each looks like its name.
"""
from __future__ import annotations

import argparse
import hashlib
import logging
import multiprocessing
import os
import sys
import time
from dataclasses import dataclass

import cv2
import numpy as np

from mirror.cli import setup_logging, silence_native_stderr
from mirror.errors import MirrorError
from mirror.face.regions import LIPS

log = logging.getLogger(__name__)

# The teacher's classes (CelebAMask-HQ order) that make each probability.
SKIN_CLASSES = (1, 7, 8, 10, 14)   # face skin, both ears, nose, neck
BACKGROUND, HAT = 0, 18
FORMAT = 2   # the bank file's layout (mirror.edit.donors.BANK_FORMAT reads this one)


@dataclass(frozen=True)
class BankOptions:
    """How the bank is built."""

    side: int = 192                 # donor crop side D (a multiple of 64: see the module docstring)
    first: str = "182638.jpg"       # CelebA's whole-head photos start here (the ones before are
    #                                 tight 89x109 crops that cut the hair off)
    teacher_limit: int = 4500       # at most this many photos are surveyed by the teacher: every
    #                                 man's and every one with a rare hair attribute, then an even
    #                                 share of the rest
    survey_size: int = 256          # the teacher sees them at this side to sort them into looks
    #                                 (~0.4 s a photo on 2 busy cores) ...
    label_size: int = 384           # ... and the bank's donors again at this one for their masks
    #                                 (2.5 times slower; at 256 it misses thin hair at the temples
    #                                 and calls bald scalps background)
    rare: tuple[str, ...] = ("Bangs", "Bald", "Receding_Hairline", "Gray_Hair", "Male")
    outside: float = 0.12           # drop photos whose aligned square lies more than this share
    #                                 outside the photo (streaks of repeated edge pixels)
    guide_radius: int = 2           # the guided filter's window (pixels at D) ...
    guide_eps: float = 2e-3         # ... and regulariser (intensity^2 in [0, 1]): the matte's edge
    #                                 follows strands this fine
    skin_floor: float = 0.3         # the teacher's skin probability read as none ...
    skin_full: float = 0.7          # ... and as sure skin
    person_floor: float = 0.2       # its person probability (not background) read as none ...
    person_full: float = 0.8        # ... and as sure person
    mask_soften: float = 1.0        # the face mesh's masks are softened by a Gaussian this wide (pixels)
    jpeg_quality: int = 92          # the crops' JPEG quality
    mask_levels: int = 64           # the masks are stored with this many grey levels (lossless WebP)
    encoder_threads: int = 2


# --- tracking and alignment (worker processes) ---

_worker = None


def _init_worker(side: int) -> None:
    global _worker
    from mirror.face.align import Aligner
    from mirror.face.tracker import FaceTracker

    silence_native_stderr()
    _worker = (FaceTracker(static=True, max_faces=1), Aligner(64), Aligner(128), side // 64)


def _track(path: str):
    """One photo -> (crop D, crop 128, landmarks at D, pose, (D, D) uint8 1 where the crop shows
    the photo) or None."""
    from mirror.face.align import transform_points
    from mirror.face.pose import head_pose
    from train.prepare import track_file

    tracker, small, model, detail = _worker
    found = track_file(tracker, path)
    if found is None:
        return None
    image, face = found
    try:
        pose = head_pose(face.landmarks)
    except ValueError:
        return None
    aligned = small.align(image, face, detail=detail)
    to_crop = aligned.to_crop * detail
    side = aligned.detail.shape[0]
    inside = cv2.warpAffine(np.ones(image.shape[:2], np.uint8), to_crop, (side, side), flags=cv2.INTER_NEAREST)
    landmarks = transform_points(face.landmarks, to_crop)
    return aligned.detail, model.align(image, face).crop, landmarks, pose, inside


def candidates(data: str, options: BankOptions) -> tuple[list[str], list[str], np.ndarray]:
    """The training photos the build looks at: (file names, attribute names, (N, 40) int8)."""
    from train.prepare import read_attributes, split_of

    image_dir = os.path.join(data, "img")
    if not os.path.isdir(image_dir):
        raise MirrorError(f"no img/ folder in {data} (expected a CelebA-format folder)")
    names, table = read_attributes(os.path.join(data, "list_attr_celeba.txt"))
    hat = names.index("Wearing_Hat")
    files = sorted(f for f in os.listdir(image_dir)
                   if f >= options.first and f in table and split_of(f) == 0 and table[f][hat] < 0)
    if not files:
        raise MirrorError(f"no whole-head training photos (from {options.first}) in {image_dir}")
    rare = [names.index(a) for a in options.rare]
    first = [f for f in files if (table[f][rare] > 0).any()]
    rest = [f for f in files if not (table[f][rare] > 0).any()]
    room = max(options.teacher_limit - len(first), 0)
    if len(rest) > room:
        rest = [rest[i] for i in np.linspace(0, len(rest) - 1, room).round().astype(int)] if room else []
    chosen = sorted(first + rest)[:options.teacher_limit]
    return chosen, names, np.stack([table[f] for f in chosen])


def collect(data: str, engines: str, options: BankOptions, limit: int | None = None,
            workers: int = 2) -> dict[str, np.ndarray]:
    """Tracks, aligns, labels (the teacher at ``options.survey_size``) and encodes the candidate
    photos.

    Returns:
        {"sources": (N,) str, "attributes": (N, 40) int8, "attribute_names": (40,) str,
        "crops": (N, D, D, 3) uint8 BGR, "landmarks": (N, 478, 2) float32 crop pixels,
        "poses": (N, 3) float32, "inside": (N, D, D) uint8, 1 where the crop shows the photo,
        "hair", "skin", "person", "hat": (N, D, D) uint8 x 255,
        "latents": (N, Z) float32, "encoder": () str, the encoder file's hash}.
    """
    from tqdm import tqdm

    from mirror.backends import encode_crops, open_backend
    from train.teacher import load_teacher

    if options.side % 64 or not 64 <= options.side <= 256:
        raise MirrorError(f"the donor side must be 64, 128, 192 or 256, got {options.side}")
    files, attribute_names, attributes = candidates(data, options)
    if limit:
        keep = np.linspace(0, len(files) - 1, min(limit, len(files))).round().astype(int)
        files, attributes = [files[i] for i in keep], attributes[keep]
    backend = open_backend(engines, threads=options.encoder_threads)
    teacher = load_teacher()
    paths = [os.path.join(data, "img", f) for f in files]
    start = time.perf_counter()
    with multiprocessing.get_context("spawn").Pool(workers, _init_worker, (options.side,)) as pool:
        results = list(tqdm(pool.imap(_track, paths, chunksize=16), total=len(paths), desc="aligning", unit="img"))
    outside = [1.0 - r[4].mean() if r is not None else 1.0 for r in results]
    kept = [i for i, r in enumerate(results) if r is not None and outside[i] <= options.outside]
    log.info("aligned %d of %d photos in %.0f s (%d without a face, %d too near the photo's edge)",
             len(kept), len(files), time.perf_counter() - start, sum(r is None for r in results),
             sum(r is not None and outside[i] > options.outside for i, r in enumerate(results)))
    crops = np.stack([results[i][0] for i in kept])
    out = {
        "sources": np.array([files[i] for i in kept]),
        "attributes": attributes[kept],
        "attribute_names": np.array(attribute_names),
        "crops": crops,
        "landmarks": np.stack([results[i][2] for i in kept]).astype(np.float32),
        "poses": np.stack([results[i][3] for i in kept]).astype(np.float32),
        "inside": np.stack([results[i][4] for i in kept]),
    }
    small = np.stack([results[i][1] for i in kept])
    del results
    out.update(label(teacher, crops, options.survey_size))
    out["latents"] = encode_crops(backend, small)[0]
    with open(os.path.join(engines, "encoder.onnx"), "rb") as f:
        out["encoder"] = np.array(hashlib.sha256(f.read()).hexdigest()[:16])
    return out


def label(teacher, crops: np.ndarray, size: int) -> dict[str, np.ndarray]:
    """The teacher's {"hair", "skin", "person", "hat"}: (N, D, D) uint8 probabilities x 255 of
    (N, D, D, 3) crops seen at ``size``."""
    import torch
    from tqdm import tqdm

    from train.teacher import HAIR, class_probabilities

    torch.set_num_threads(2)
    start = time.perf_counter()
    groups = {"hair": (HAIR,), "skin": SKIN_CLASSES, "background": (BACKGROUND,), "hat": (HAT,)}
    parts = {name: np.empty(crops.shape[:3], np.uint8) for name in groups}
    chunk = 16
    with tqdm(total=len(crops), desc=f"teacher at {size}", unit="img") as bar:
        for i in range(0, len(crops), chunk):
            for name, prob in class_probabilities(teacher, crops[i:i + chunk], groups, size=size).items():
                parts[name][i:i + chunk] = prob
            bar.update(len(crops[i:i + chunk]))
    log.info("teacher labelled %d crops at %d px in %.0f s", len(crops), size, time.perf_counter() - start)
    parts["person"] = 255 - parts.pop("background")
    return parts


# --- mattes, colours and the bank file ---

def refine_matte(crop: np.ndarray, hair: np.ndarray, options: BankOptions) -> np.ndarray:
    """(D, D) float32 hair matte in [0, 1]: the teacher's probability stretched from its floor to
    its full level (``train.looks.stretch``), its edge snapped to the crop's strands by a guided
    filter (guide: the crop in [0, 1])."""
    from train.looks import stretch

    matte = stretch(hair)
    guided = cv2.ximgproc.guidedFilter(crop.astype(np.float32) / 255.0, matte, options.guide_radius,
                                       options.guide_eps)
    return np.clip(guided, 0.0, 1.0)


def face_masks(landmarks: np.ndarray, skin: np.ndarray, person: np.ndarray, matte: np.ndarray,
               options: BankOptions) -> tuple[np.ndarray, np.ndarray]:
    """(D, D) float32 skin and person masks in [0, 1] from the teacher's probabilities (uint8 x
    255), completed by the face mesh: on crops this small the teacher calls the middle of the face
    (eyes, nose, mouth) background as often as skin, so the face oval is always person, and its
    bare part (less the eyes, brows and lips, and whatever hair covers it) always skin."""
    from mirror.face.regions import brows, eyes, face_oval, outline_mask

    side = matte.shape[0]
    oval = face_oval(landmarks, side).astype(np.float32)
    covered = np.maximum(np.maximum(eyes(landmarks, side), brows(landmarks, side)),
                         outline_mask(landmarks, LIPS, side).astype(np.float32))
    bare = cv2.GaussianBlur(oval * (1.0 - covered), (0, 0), options.mask_soften) * (1.0 - matte)
    skin = np.clip((skin / 255.0 - options.skin_floor) / (options.skin_full - options.skin_floor), 0, 1)
    person = np.clip((person / 255.0 - options.person_floor) / (options.person_full - options.person_floor), 0, 1)
    return (np.maximum(skin, bare).astype(np.float32),
            np.maximum(np.maximum(person, cv2.GaussianBlur(oval, (0, 0), options.mask_soften)), matte).astype(np.float32))


def cut_hair(matte: np.ndarray, inside: np.ndarray, landmarks: np.ndarray, band: int = 2) -> float:
    """How much of a donor's hair its photo cuts off above its chin: the length of the edge of
    what the crop shows (the photo's own edge inside the crop, and the crop's) that runs through
    hair (``matte`` (D, D) > 0.5), as a share of the crop's side. Drawn on a person whose frame
    goes on past that edge, such hair ends in a straight line."""
    from mirror.face.regions import CHIN

    side = matte.shape[0]
    seen = np.zeros((side + 2, side + 2), np.uint8)
    seen[1:-1, 1:-1] = inside > 0
    kernel = np.ones((2 * band + 1, 2 * band + 1), np.uint8)
    inner = cv2.erode(seen, kernel, borderType=cv2.BORDER_CONSTANT, borderValue=0)
    edge = ((seen > 0) & (inner == 0))[1:-1, 1:-1]
    edge[int(np.clip(landmarks[CHIN, 1], 0, side)):] = False
    return float(((matte > 0.5) & edge).sum()) / band / side


def lab_means(crop: np.ndarray, skin: np.ndarray, matte: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(3,) float32 CIELAB means (L in 0-100) of the surely-skin and surely-hair pixels (masks in
    [0, 1]; zeros where there are none)."""
    lab = cv2.cvtColor(crop.astype(np.float32) / 255.0, cv2.COLOR_BGR2LAB)
    means = []
    for prob in (skin, matte):
        sure = prob > 0.8
        means.append(lab[sure].mean(0) if sure.sum() >= 8 else np.zeros(3, np.float32))
    return means[0].astype(np.float32), means[1].astype(np.float32)


def _blob(parts: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """Concatenated encoded images as one uint8 array, and (N,) int64 end offsets."""
    ends = np.cumsum([len(p) for p in parts]).astype(np.int64)
    return np.frombuffer(b"".join(parts), np.uint8), ends


def encode_masks(matte: np.ndarray, skin: np.ndarray, person: np.ndarray, levels: int) -> bytes:
    """The three (D, D) masks in [0, 1] as one lossless 3-channel WebP (matte, skin, person: its
    B, G, R), each with ``levels`` grey levels (fewer levels, smaller file; steps of 1/63 stay
    below what a blend shows)."""
    step = 255.0 / (levels - 1)
    stack = np.stack([matte, skin, person], axis=-1)
    quantised = (np.round(stack * (levels - 1)) * step + 0.5).clip(0, 255).astype(np.uint8)
    ok, webp = cv2.imencode(".webp", quantised, [cv2.IMWRITE_WEBP_QUALITY, 101])   # > 100: lossless
    if not ok:
        raise MirrorError("could not encode a donor's masks")
    return webp.tobytes()


def write_bank(path: str, donors: dict[str, np.ndarray], looks: list[str], look_names: list[str],
               features: np.ndarray, feature_names: list[str], options: BankOptions) -> dict:
    """Writes the bank of ``donors`` (``collect``'s record, one row per donor, labelled at
    ``options.label_size``) with their ``looks``, and its listing ``donors.txt`` beside it;
    returns a summary."""
    crops, masks, skins, hair_colors, cuts = [], [], [], [], []
    for i in range(len(donors["sources"])):
        crop, inside = donors["crops"][i], donors["inside"][i].astype(np.float32)
        matte = refine_matte(crop, donors["hair"][i], options) * inside
        cuts.append(cut_hair(matte, inside, donors["landmarks"][i]))
        skin, person = face_masks(donors["landmarks"][i], donors["skin"][i], donors["person"][i], matte, options)
        skin_color, hair_color = lab_means(crop, skin * inside, matte)
        skins.append(skin_color)
        hair_colors.append(hair_color)
        ok, jpeg = cv2.imencode(".jpg", crop, [cv2.IMWRITE_JPEG_QUALITY, options.jpeg_quality])
        if not ok:
            raise MirrorError("could not encode a donor's crop")
        crops.append(jpeg.tobytes())
        masks.append(encode_masks(matte, skin * inside, person * inside, options.mask_levels))
    crop_bytes, crop_ends = _blob(crops)
    mask_bytes, mask_ends = _blob(masks)
    look_index = np.array([look_names.index(look) if look else -1 for look in looks], np.int16)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    arrays = {
        "format": np.array(FORMAT), "side": np.array(options.side),
        "sources": donors["sources"],
        "crops": crop_bytes, "crop_ends": crop_ends, "masks": mask_bytes, "mask_ends": mask_ends,
        "landmarks": donors["landmarks"].astype(np.float16),
        "latents": donors["latents"].astype(np.float16),
        "poses": donors["poses"].astype(np.float32),
        "skin_colors": np.stack(skins), "hair_colors": np.stack(hair_colors), "cuts": np.float32(cuts),
        "attributes": donors["attributes"].astype(np.int8),
        "attribute_names": donors["attribute_names"],
        "looks": look_index, "look_names": np.array(look_names),
        "features": features.astype(np.float32), "feature_names": np.array(feature_names),
        "encoder": donors["encoder"],
    }
    tmp = path + ".tmp.npz"
    np.savez(tmp, **arrays)
    os.replace(tmp, path)
    listing = os.path.join(os.path.dirname(os.path.abspath(path)), "donors.txt")
    write_listing(listing, arrays)
    counts = {name: int((look_index == k).sum()) for k, name in enumerate(look_names)}
    return {"donors": len(looks), "bytes": os.path.getsize(path), "looks": counts,
            "crop_bytes": int(crop_ends[-1]), "mask_bytes": int(mask_ends[-1])}


def write_listing(path: str, arrays: dict[str, np.ndarray]) -> None:
    """The bank's photos, one line each: row, CelebA file, look, sex, hair attributes."""
    names = list(arrays["attribute_names"])
    shown = ("Bangs", "Bald", "Receding_Hairline", "Wavy_Hair", "Straight_Hair", "Black_Hair", "Blond_Hair",
             "Brown_Hair", "Gray_Hair", "Eyeglasses", "Young")
    lines = ["# The donor bank's source photos: CelebA (non-commercial research use only), training split.",
             "# row  file  look  sex  attributes"]
    for row, (source, look, attributes) in enumerate(zip(arrays["sources"], arrays["looks"], arrays["attributes"])):
        sex = "man" if attributes[names.index("Male")] > 0 else "woman"
        tags = ",".join(a for a in shown if attributes[names.index(a)] > 0) or "-"
        lines.append(f"{row}  {source}  {arrays['look_names'][look] if look >= 0 else '-'}  {sex}  {tags}")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


PER_PHOTO = ("sources", "attributes", "crops", "landmarks", "poses", "inside", "hair", "skin", "person", "hat",
             "latents")


def relabel(donors: dict[str, np.ndarray], options: BankOptions, cache: str | None = None) -> dict[str, np.ndarray]:
    """The teacher's labels of ``donors`` at ``options.label_size`` (``label``), reusing those
    kept in ``cache`` (an .npz by source photo) and adding the new ones to it."""
    from train.teacher import load_teacher

    kept: dict[str, np.ndarray] = {}
    if cache and os.path.isfile(cache):
        with np.load(cache) as stored:
            kept = {k: stored[k] for k in stored.files}
    known = {str(s): i for i, s in enumerate(kept.get("sources", []))}
    missing = [i for i, s in enumerate(donors["sources"]) if str(s) not in known]
    fresh = label(load_teacher(), donors["crops"][missing], options.label_size) if missing else {}
    out = {}
    for name in ("hair", "skin", "person", "hat"):
        part = np.empty(donors["crops"].shape[:3], np.uint8)
        for i, source in enumerate(donors["sources"]):
            if str(source) in known:
                part[i] = kept[name][known[str(source)]]
        if missing:
            part[missing] = fresh[name]
        out[name] = part
    if cache and missing:
        np.savez(cache, sources=donors["sources"], **out)
    return out


def build(data: str, engines: str, out: str, options: BankOptions, limit: int | None = None,
          cache: str | None = None, workers: int = 2) -> dict:
    """The whole build: survey the photos, sort them into looks, label the chosen ones finely,
    keep those whose look the finer labels confirm, write the bank; returns the summary."""
    from train.looks import LookOptions, assign, catalogue, measure, table

    start = time.perf_counter()
    if cache and os.path.isfile(cache):
        with np.load(cache) as stored:
            collected = {k: stored[k] for k in stored.files}
        log.info("read %d surveyed photos from %s", len(collected["sources"]), cache)
    else:
        collected = collect(data, engines, options, limit, workers)
        if cache:
            np.savez(cache, **collected)
    features, feature_names = measure(collected)
    rows, looks, look_names = catalogue(collected, features, feature_names, LookOptions())
    donors = {k: (v[rows] if k in PER_PHOTO else v) for k, v in collected.items()}
    donors.update(relabel(donors, options, cache and os.path.splitext(cache)[0] + f".labels{options.label_size}.npz"))
    features, _ = measure(donors)
    confirmed = assign(table(features, feature_names, donors["attributes"], list(donors["attribute_names"])))
    keep = np.array([i for i, (a, b) in enumerate(zip(looks, confirmed)) if a == b], np.int64)
    log.info("the finer labels confirm the looks of %d of %d donors", len(keep), len(rows))
    donors = {k: (v[keep] if k in PER_PHOTO else v) for k, v in donors.items()}
    summary = write_bank(out, donors, [looks[i] for i in keep], look_names, features[keep], feature_names, options)
    summary["seconds"] = round(time.perf_counter() - start, 1)
    summary["surveyed"] = len(collected["sources"])
    summary["chosen"] = len(rows)
    return summary


def parse_arguments(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m train.donors", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True, help="CelebA-format folder (img/ + list_attr_celeba.txt)")
    parser.add_argument("--engines", default="engines", help="the model folder (encoder.onnx) (default: engines)")
    parser.add_argument("--out", default="engines/donors.npz", help="the bank file (default: engines/donors.npz)")
    parser.add_argument("--limit", type=int, default=None, help="look at only N photos (a quick trial)")
    parser.add_argument("--cache", help="keep (or reuse) the measured photos in this .npz")
    parser.add_argument("--workers", type=int, default=2, help="tracking processes (default: 2)")
    parser.add_argument("--sheets", help="also write a contact sheet of each look (PNG) into this folder")
    parser.add_argument("-v", "--verbose", action="store_true")
    return parser.parse_args(argv)


def main(args: argparse.Namespace) -> int:
    import json

    setup_logging(args.verbose, logging.INFO)
    try:
        summary = build(args.data, args.engines, args.out, BankOptions(), args.limit, args.cache,
                        max(args.workers, 1))
    except MirrorError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    log.info("wrote %s: %d donors in %d looks, %.1f MB", args.out, summary["donors"], len(summary["looks"]),
             summary["bytes"] / 2 ** 20)
    if args.sheets:
        from train.looks import contact_sheets

        summary["sheets"] = contact_sheets(args.out, args.sheets)
    print(json.dumps(summary, indent=4, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main(parse_arguments()))
