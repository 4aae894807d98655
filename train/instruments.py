"""Instruments that judge the mirror's edits as the mirror shows them: whole-head photos through
the Pipeline, read at the renderer's 256-px detail crop (``train.heads``), for any style the
Pipeline knows. ``python -m train.evaluate`` runs them (its ``heads``, ``reference`` and ``clips``
parts):

    python -m train.evaluate --engines engines --data data/aligned128 --parts heads \\
        --styles bald,receding,hairloss:5 --limit 300 --json /tmp/heads.json

Per style (``measure_style``), on the first N test photos that lack the style by their CelebA
labels (``SOURCES``: wavy is tried on straight hair):
    power           can the detector tell these faces UNEDITED from real people who have the style?
                    The cross-validated ROC AUC of ``train.twosample.linear_detectability`` on
                    ``train.heads.head_features``, each face paired with a real one alike in sex
                    and age (test and validation photos: the classifier trained on neither); each
                    fold also learns from as many as ``train_faces`` pairs of the train split.
    detectability   the same test on the edits. It counts only where power >= POWER_MIN: a test
                    that cannot tell hair from a bald head cannot judge a bald edit. 0.5: the
                    edits pass for real people with the style; near power: no better than no edit
    keys            the features the detector leans on most (a fit on all pairs)
    inner_face_p95, inner_face_max   over the edited faces, the share of the eyes-nose-mouth hull
                    (on the original photo) the edit changed by more than 12 grey levels
                    (``train.metrics.inner_face``); goals <= 0.01 and <= 0.03
    kept            the lowest over Male, Smiling, Eyeglasses of the share of edits whose class
                    the classifier keeps (on the model crop cut from the output); success: the
                    share it judges to have the style
``reference_transfer``: test pairs (user, reference); the reference's hair as the mirror gives
it (``Pipeline.reference_style``) on the user's photo; per attribute, over the pairs whose labels
differ in it, the share of the classifier's decisions on the result that agree with the
reference's label (``before``: on the unedited photo; ``ceiling``: on the reference itself).
``clips``: inner_face on the frames of the shared videos, edited in video mode (``Pipeline.process``).
Each figure says how its style was drawn ("kind": shape, transplant ...): bangs, no_bangs and the
shape styles in ``InstrumentOptions.transplanted`` come from the donor bank, a reference photo's
hair is its own.
"""
from __future__ import annotations

import glob
import logging
import os
import time
from dataclasses import dataclass

import cv2
import numpy as np

from mirror.errors import MirrorError
from mirror.face import regions
from mirror.types import Frame
from train.directions import KEEP, STYLES
from train.heads import HeadView, PhotoSet, feature_blocks, has_target, head_features, style_target
from train.metrics import inner_face
from train.twosample import linear_detectability, logistic_regression, match_groups, paired

log = logging.getLogger(__name__)

POWER_MIN = 0.9               # a detectability figure counts only where the test has this power
INNER_GOALS = (0.01, 0.03)    # inner_face: p95 and max at most these
# Faces a style is tried on, besides lacking it: (attributes, +1 one of them / -1 none of them).
SOURCES = {"wavy": (("Straight_Hair",), 1), "straight": (("Wavy_Hair",), 1)}
TRANSFER = ("bangs", "bald", "blond", "black", "gray")   # reference transfer: these styles' attributes


@dataclass(frozen=True)
class InstrumentOptions:
    """Settings of the instruments (``python -m train.evaluate`` sets them from its flags)."""

    faces: int | None = 300       # test photos edited per style (the first that lack it); None: all
    train_faces: int = 300        # train-split pairs (edited and real) each detector fold also learns from
    folds: int = 5                # cross-validation folds (of pairs) ...
    repeats: int = 10             # ... and random fold splits averaged
    l2: float = 1.0               # the logistic regression's penalty (features standardised, blocks equal)
    min_pairs: int = 10           # fewer test pairs: no power or detectability figure
    seed: int = 0
    reference_pairs: int = 30     # reference transfer: pairs per attribute and direction (gain, loss)
    clip_frames: int = 150        # clips: the first frames of each
    sheet: str | None = None      # a folder for sheets of the pairs the detector tells apart most easily
    sheet_pairs: int = 6
    transplanted: tuple[str, ...] | None = None   # shape styles drawn from the donor bank; None: the Pipeline's default


class Faces:
    """Whole-head photos, tracked on first use; the unedited ones' features kept."""

    def __init__(self, view: HeadView, classifier, photos: PhotoSet):
        self.view, self.classifier, self.photos = view, classifier, photos
        self.groups = match_groups(photos.attributes, photos.names)
        self._heads: dict[int, object] = {}
        self._features: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def head(self, row: int, keep: bool = True):
        """The Head of photo ``row`` or None without a face (kept for later with ``keep``)."""
        if row in self._heads:
            return self._heads[row]
        head = self.view.head(self.photos.paths[row], self.photos.attributes[row])
        if keep or head is None:
            self._heads[row] = head
        return head

    def features(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """((N, A) probabilities, (N, D) features) of the unedited photos ``rows`` (all with a face)."""
        todo = [r for r in rows if r not in self._features]
        if todo:
            heads = [self.head(r, keep=False) for r in todo]
            probs, features = head_features(self.classifier, np.stack([h.detail for h in heads]),
                                            np.stack([h.crop for h in heads]), np.stack([h.landmarks for h in heads]))
            self._features.update({r: (p, f) for r, p, f in zip(todo, probs, features)})
        return (np.stack([self._features[r][0] for r in rows]), np.stack([self._features[r][1] for r in rows]))

    def with_face(self, rows: np.ndarray, limit: int | None = None, keep: bool = True) -> np.ndarray:
        """The first ``limit`` of ``rows`` whose photo shows a face."""
        out = []
        for r in rows:
            if limit is not None and len(out) >= limit:
                break
            if self.head(int(r), keep) is not None:
                out.append(int(r))
        return np.int64(out)


def style_rows(photos: PhotoSet, name: str) -> tuple[np.ndarray, np.ndarray | None]:
    """((N,) bool the photos a style is tried on, (N,) bool the real people with it or None
    where the style's look is not known: ``train.heads.style_target``)."""
    target = style_target(name)
    base = name.split("@")[0]
    source = np.ones(len(photos.paths), bool)
    if base in SOURCES:
        source &= has_target(photos.attributes, photos.names, SOURCES[base])
    if target is None:
        return source, None
    has = has_target(photos.attributes, photos.names, target)
    return source & ~has, has


def edits(view: HeadView, heads: list, style) -> dict:
    """The edits of ``heads`` as the mirror shows them and the unedited detail crops: {"details",
    "crops", "originals", "landmarks"} stacked."""
    shown = [view.show(h, style) for h in heads]
    return {"details": np.stack([s[0] for s in shown]), "crops": np.stack([s[1] for s in shown]),
            "originals": np.stack([h.detail for h in heads]), "landmarks": np.stack([h.landmarks for h in heads])}


def judged(probs: np.ndarray, names: list[str], target: tuple) -> np.ndarray:
    """(N,) bool: where the classifier's decisions (probability > 0.5) show ``target``."""
    return has_target(np.where(probs > 0.5, 1, -1), names, target)


def measure_style(view: HeadView, classifier, pool: Faces, train: Faces, name: str,
                  options: InstrumentOptions) -> dict:
    """Every per-style figure of the module docstring for the style ``name``.

    Args:
        pool: the test and validation photos (test ones are edited, both give real people);
        train: the train split's photos (more pairs for the detector to learn from).
    """
    start = time.perf_counter()
    style = view.style(name)
    source, has = style_rows(pool.photos, name)
    test = pool.photos.split == 2
    rows = pool.with_face(np.flatnonzero(source & test), options.faces)
    if len(rows) == 0:
        return {"faces": 0}
    shown = edits(view, [pool.head(r) for r in rows], style)
    probs, features = head_features(classifier, shown["details"], shown["crops"], shown["landmarks"])
    before, unedited = pool.features(rows)
    hulls = np.stack([regions.features(lm, shown["details"].shape[1:3]) for lm in shown["landmarks"]])
    changed = inner_face(shown["details"], shown["originals"], hulls)
    names = pool.photos.names
    detail = {k: round(float(((probs[:, names.index(k)] > 0.5) == (before[:, names.index(k)] > 0.5)).mean()), 4)
              for k in KEEP}
    result = {"kind": style.kind, "faces": int(len(rows)),
              "inner_face_p95": round(float(np.nanpercentile(changed, 95)), 4),
              "inner_face_max": round(float(np.nanmax(changed)), 4),
              "inner_face_over": int((changed > INNER_GOALS[1]).sum()), "kept": min(detail.values()),
              "kept_detail": detail, "target": None, "success": None, "power": None, "detectability": None}
    target = style_target(name)
    if target is not None:
        result["target"] = ("" if target[1] > 0 else "none of ") + " or ".join(target[0])
        result["success"] = round(float(judged(probs, names, target).mean()), 4)
        result.update(detect(view, classifier, pool, train, name, style, rows, has, unedited, features,
                             shown, options))
    result["seconds"] = round(time.perf_counter() - start, 1)
    log.info("%s: %s", name, {k: v for k, v in result.items() if k not in ("keys", "kept_detail")})
    return result


def detect(view: HeadView, classifier, pool: Faces, train: Faces, name: str, style, rows: np.ndarray,
           has: np.ndarray, unedited: np.ndarray, edited: np.ndarray, shown: dict,
           options: InstrumentOptions) -> dict:
    """power, detectability (and their spreads), pairs, train_pairs and keys of one style."""
    reals = np.flatnonzero(has)
    ia, ib = paired(pool.groups[rows], pool.groups[reals], options.seed)
    ib = reals[ib]
    faced = np.isin(ib, pool.with_face(ib, keep=False))
    ia, ib = ia[faced], ib[faced]
    out = {"pairs": int(len(ia)), "counts": False}
    if len(ia) < max(options.min_pairs, options.folds):
        log.warning("%s: %d pairs of an edited and a real face, %d needed", name, len(ia), options.min_pairs)
        return out
    _, real = pool.features(ib)
    more = train_pairs(view, classifier, train, name, style, options)
    blocks, labels = feature_blocks(unedited.shape[1], pool.photos.names)
    weights = 1.0 / np.sqrt(np.bincount(blocks)[blocks])
    settings = dict(folds=options.folds, repeats=options.repeats, seed=options.seed, l2=options.l2, weights=weights)
    extra_unedited = None if more is None else (more[0], more[2])
    extra_edited = None if more is None else (more[1], more[2])
    power = linear_detectability(unedited[ia], real, extra=extra_unedited, **settings)
    found = linear_detectability(edited[ia], real, extra=extra_edited, **settings)
    out.update(power=round(power.auc, 4), power_spread=round(power.spread, 4), detectability=round(found.auc, 4),
               detectability_spread=round(found.spread, 4), counts=bool(power.auc >= POWER_MIN),
               train_pairs=0 if more is None else int(len(more[0])),
               keys=keys(edited[ia], real, extra_edited, weights, options.l2, labels))
    if options.sheet:
        gap = found.scores_a - found.scores_b
        path = sheet(pool, name, ia, ib, shown, gap, options)
        out["sheet"] = path
    return out


def train_pairs(view: HeadView, classifier, train: Faces, name: str, style, options: InstrumentOptions
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """(unedited, edited, real) features of up to ``train_faces`` train-split pairs, or None."""
    if not options.train_faces:
        return None
    source, has = style_rows(train.photos, name)
    sources, reals = np.flatnonzero(source), np.flatnonzero(has)
    ia, ib = paired(train.groups[sources], train.groups[reals], options.seed)
    order = np.random.default_rng(options.seed).permutation(len(ia))[:options.train_faces]
    ia, ib = sources[ia[order]], reals[ib[order]]
    heads = [train.head(r, keep=False) for r in ia]
    faced = np.array([h is not None for h in heads], bool) & np.isin(ib, train.with_face(ib, keep=False))
    ia, ib = ia[faced], ib[faced]
    if len(ia) == 0:
        return None
    shown = edits(view, [h for h, f in zip(heads, faced) if f], style)
    _, edited = head_features(classifier, shown["details"], shown["crops"], shown["landmarks"])
    return train.features(ia)[1], edited, train.features(ib)[1]


def keys(a: np.ndarray, b: np.ndarray, extra, weights: np.ndarray, l2: float, labels: list[str],
         top: int = 8) -> list[tuple[str, float]]:
    """What a detector fitted on all the pairs leans on: the features with the largest share of
    the mean score gap between side a and side b (its weight times the gap of their standardised
    means; the shares of all features sum to 1)."""
    side_a = a if extra is None else np.concatenate([a, extra[0]])
    side_b = b if extra is None else np.concatenate([b, extra[1]])
    x = np.concatenate([side_a, side_b])
    centre, scale = x.mean(0), x.std(0)
    factor = weights / np.where(scale > 1e-9, scale, np.inf)
    w, _ = logistic_regression((x - centre) * factor, np.repeat([1.0, 0.0], len(side_a)), l2)
    gap = w * (side_a.mean(0) - side_b.mean(0)) * factor
    total = gap.sum() if gap.sum() > 0 else 1.0
    return [(labels[i], round(float(gap[i] / total), 3)) for i in np.argsort(-gap)[:top]]


def sheet(pool: Faces, name: str, ia: np.ndarray, ib: np.ndarray, shown: dict, gap: np.ndarray,
          options: InstrumentOptions) -> str:
    """Writes the pairs the detector told apart most easily (largest held-out score gap): each
    row the original, the edit, the real person it was paired with. Returns the PNG's path."""
    rows = []
    for k in np.argsort(-gap)[:options.sheet_pairs]:
        real = pool.view.head(pool.photos.paths[ib[k]])
        row = np.hstack([shown["originals"][ia[k]], shown["details"][ia[k]], real.detail])
        cv2.putText(row, f"{gap[k]:+.1f}", (4, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 1, cv2.LINE_AA)
        rows.append(row)
    os.makedirs(options.sheet, exist_ok=True)
    path = os.path.join(options.sheet, f"detect_{name.replace(':', '').replace('@', '_').replace('/', '_')}.png")
    cv2.imwrite(path, np.vstack(rows))
    return path


def reference_transfer(view: HeadView, classifier, pool: Faces, options: InstrumentOptions,
                       reals: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None) -> dict:
    """Reference-photo styles on test pairs (module docstring): per TRANSFER style's attribute,
    ``agreement`` of the classifier on the results ("agree"), on the users' unedited photos
    ("before") and on the references themselves ("ceiling": what a perfect copy would score);
    "agree_drawn" over the "drawn_pairs" the mirror drew anything on (the reference's hair, or
    where that fades out, its colour on the user's own hair). With ``reals`` (``judged_reals``),
    "ceiling_matched": the classifier's agreement with the label on real people of each user's
    sex and age who have the reference's label (it sees blond on a fifth of real blond men: a
    perfect blond on a man is mostly not seen either).

    For each attribute, up to ``reference_pairs`` random pairs whose reference has it and the
    user not, and as many the other way round; every pair is scored on every attribute its two
    labels differ in.
    """
    names = pool.photos.names
    test = np.flatnonzero(pool.photos.split == 2)
    columns = [names.index(STYLES[s][0][0]) for s in TRANSFER]
    labels = pool.photos.attributes[:, columns] > 0
    rng = np.random.default_rng(options.seed)
    pairs = set()
    for k in range(len(columns)):
        having, lacking = test[labels[test, k]], test[~labels[test, k]]
        n = min(options.reference_pairs, len(having), len(lacking))
        for users, refs in ((lacking, having), (having, lacking)):
            pairs |= set(zip(rng.choice(users, n, replace=False).tolist(), rng.choice(refs, n, replace=False).tolist()))
    done, decisions, drawn = [], [], []
    for user, ref in sorted(pairs):
        head, reference = pool.head(user, keep=False), pool.head(ref, keep=False)
        if head is None or reference is None:
            continue
        try:
            style = view.style(pool.photos.paths[ref])
        except MirrorError as error:     # the reference's own tracker found no face this time
            log.warning("reference %s: %s", pool.photos.paths[ref], error)
            continue
        result = view.show(head, style)[1]
        drawn.append(not np.array_equal(result, head.crop))
        decisions.append(classifier.predict_crops(np.stack([result, head.crop, reference.crop]))[:, columns] > 0.5)
        done.append((user, ref))
    users, refs = (labels[[p[i] for p in done]] for i in (0, 1))
    decisions = np.stack(decisions) if decisions else np.zeros((0, 3, len(columns)), bool)
    drawn = np.array(drawn, bool)
    out = {}
    for key, which in (("agree", 0), ("before", 1), ("ceiling", 2)):
        for s, (pairs_k, share) in zip(TRANSFER, agreement(decisions[:, which], users, refs)):
            out.setdefault(s, {"pairs": pairs_k, "kind": "transplant"})[key] = share
    # (the pairs the mirror drew on: where it drew nothing and said why, the user's own hair is scored)
    for s, (pairs_k, share) in zip(TRANSFER, agreement(decisions[drawn, 0], users[drawn], refs[drawn])):
        out[s]["agree_drawn"], out[s]["drawn_pairs"] = share, pairs_k
    if reals is not None:
        groups = pool.groups[[p[0] for p in done]]
        for k, s in enumerate(TRANSFER):
            out[s]["ceiling_matched"] = _matched_ceiling(reals, k, groups, users[:, k], refs[:, k])
    for k, s in enumerate(TRANSFER):
        gain = refs[:, k] & ~users[:, k]
        for key, chosen in (("gain", gain), ("loss", ~refs[:, k] & users[:, k])):
            pairs_k, share = agreement(decisions[chosen, 0][:, [k]], users[chosen][:, [k]], refs[chosen][:, [k]])[0]
            out[s][key], out[s][key + "_pairs"] = share, pairs_k
        log.info("reference transfer %s: %s", s, out[s])
    return out


def judged_reals(data: str, classifier) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """((N,) groups of sex and age, (N, K) labels, (N, K) the classifier's decisions) of TRANSFER's
    attributes on the prepared set's test and validation faces (its aligned crops)."""
    from train.data import SPLITS, attribute_names

    names = attribute_names(data)
    rows = np.flatnonzero(np.isin(np.load(os.path.join(data, "split.npy")), [SPLITS["test"], SPLITS["val"]]))
    attributes = np.load(os.path.join(data, "attributes.npy"))[rows]
    columns = [names.index(STYLES[s][0][0]) for s in TRANSFER]
    crops = np.load(os.path.join(data, "crops.npy"), mmap_mode="r")
    said = np.concatenate([classifier.predict_crops(np.asarray(crops[rows[i:i + 256]]))
                           for i in range(0, len(rows), 256)])
    return match_groups(attributes, names), attributes[:, columns] > 0, said[:, columns] > 0.5


def _matched_ceiling(reals: tuple[np.ndarray, np.ndarray, np.ndarray], k: int, groups: np.ndarray,
                     users: np.ndarray, references: np.ndarray, least: int = 10) -> float | None:
    """Over the pairs whose labels differ in attribute ``k``, the mean of the classifier's
    agreement with the reference's label on real faces of the user's group that have it
    (groups with fewer than ``least`` such faces left out); None without any."""
    real_groups, labels, said = reals
    shares = []
    for group, label in zip(groups[users != references], references[users != references]):
        like = (real_groups == group) & (labels[:, k] == label)
        if like.sum() >= least:
            shares.append(float((said[like, k] == label).mean()))
    return round(float(np.mean(shares)), 4) if shares else None


def agreement(decisions: np.ndarray, users: np.ndarray, references: np.ndarray) -> list[tuple[int, float | None]]:
    """Per attribute, over the pairs whose user and reference labels differ in it: (how many,
    the share of the decisions that agree with the reference's label; None without such pairs).

    Args:
        decisions: (P, K) bool, the classifier's decisions on the results; users, references:
            (P, K) bool, the pairs' labels.
    """
    out = []
    for k in range(decisions.shape[1]):
        differ = users[:, k] != references[:, k]
        agree = decisions[differ, k] == references[differ, k]
        out.append((int(differ.sum()), round(float(agree.mean()), 4) if differ.any() else None))
    return out


def clips(engines: str, videos: str, names: list[str], options: InstrumentOptions, backend: str = "onnxruntime"
          ) -> dict:
    """inner_face on video: each style on the first ``clip_frames`` frames of every clip in
    ``videos`` (the Pipeline in video mode, every frame edited); the hull is the eyes', nose's
    and mouth's on each frame as tracked afresh (no smoothing). Per style: {"frames",
    "inner_face_p95", "inner_face_max", "inner_face_over", "per_clip": {clip: (p95, max)}}."""
    from mirror.face.tracker import FaceTracker

    paths = sorted(glob.glob(os.path.join(videos, "*.mp4")))
    out = {}
    with HeadView(engines, backend, static=False, transplanted=options.transplanted) as view, \
            FaceTracker(static=True) as tracker:
        pipeline = view.pipeline
        hulls = {}
        for name in names:
            style = view.style(name)
            shares, per_clip = [], {}
            for path in paths:
                pipeline.reset()
                clip = []
                for index, frame in enumerate(read_frames(path, options.clip_frames)):
                    if (path, index) not in hulls:
                        face = tracker.process(frame.image)
                        hulls[path, index] = None if face is None else face.landmarks[:, :2].copy()
                    result = pipeline.process(frame, style)
                    landmarks = hulls[path, index]
                    if landmarks is None or not result.face:
                        continue
                    hull = regions.features(landmarks, frame.image.shape[:2])
                    clip.append(inner_face(result.output[None], frame.image[None], hull[None])[0])
                if clip:
                    per_clip[os.path.basename(path)] = (round(float(np.percentile(clip, 95)), 4),
                                                        round(float(np.max(clip)), 4))
                shares += clip
            shares = np.float64(shares)
            out[name] = {"kind": style.kind, "frames": int(len(shares)), "per_clip": per_clip,
                         "inner_face_p95": round(float(np.percentile(shares, 95)), 4) if len(shares) else None,
                         "inner_face_max": round(float(shares.max()), 4) if len(shares) else None,
                         "inner_face_over": int((shares > INNER_GOALS[1]).sum())}
            log.info("clips %s: %s", name, out[name])
    return out


def read_frames(path: str, limit: int):
    """The first ``limit`` frames of a video as Frames (BGR, timestamps from its frame rate)."""
    capture = cv2.VideoCapture(path)
    fps = capture.get(cv2.CAP_PROP_FPS) or 30.0
    try:
        for index in range(limit):
            ok, image = capture.read()
            if not ok:
                break
            yield Frame(index, int(round(index * 1000.0 / fps)), image)
    finally:
        capture.release()


def default_styles(library) -> list[str]:
    """Every style of the Pipeline's library but ``original``, and the hair-loss scales' stages
    but today's (``hairloss:N`` for a man's, ``hairloss:parting:N`` for a woman's)."""
    from mirror.edit import hairloss
    from mirror.edit.styles import ORIGINAL

    return [n for n in library.names if n != ORIGINAL] + \
        [f"{hairloss.NAME}:{stage}" for stage, _, _ in hairloss.STAGES if stage != 0] + \
        [f"{hairloss.NAME}:{hairloss.PARTING}:{stage}" for stage, _, _ in hairloss.PARTING_STAGES if stage > 0]


def drawn_from_donors(library, asked: tuple[str, ...] | None) -> list[str]:
    """The named styles of ``library`` drawn from the donor bank: bangs and no_bangs, and the shape
    styles ``asked``, or the Pipeline's default (``mirror.edit.styles.TRANSPLANTED``) for None.

    Raises:
        MirrorError: a style the library does not have, or cannot draw from donors (an engines
            folder without a donor bank).
    """
    from mirror.edit.styles import TRANSPLANTED

    names = list(TRANSPLANTED if asked is None else asked)
    for name in names:
        if library.get(name).kind != "transplant":
            raise MirrorError(f"{name} cannot be drawn from donors (no donor bank in the engines folder?)")
    return [name for name in library.names if name not in library.looks and library.get(name).kind == "transplant"]


def machine() -> dict:
    """The CPU, its cores and the load average (the machine may be shared)."""
    model = ""
    if os.path.isfile("/proc/cpuinfo"):
        with open("/proc/cpuinfo") as f:
            model = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "")
    return {"cpu": model, "cores": os.cpu_count(), "load_average": [round(v, 2) for v in os.getloadavg()]}


def run_instruments(engines: str, data: str, parts: tuple[str, ...], names: list[str] | None = None,
                    options: InstrumentOptions = InstrumentOptions(), photos: str | None = None,
                    videos: str | None = None, backend: str = "onnxruntime") -> dict:
    """The ``heads``, ``reference`` and ``clips`` parts (module docstring) as a JSON-ready dict
    {"heads": {style: {...}}, "reference_transfer": {...}, "clips": {style: {...}}, "instruments":
    how they ran}.

    Args:
        names: style names (``train.heads.HeadView.style``); None: ``default_styles``.
        photos: the CelebA photo folder (default: the prepared set's own); videos: the clips' folder
            (default: ``videos`` beside the photos' data folder).
    """
    from train.classifier import Classifier
    from train.heads import photo_folder, whole_photos

    start, load = time.time(), machine()
    out: dict = {}
    classifier = Classifier(os.path.join(engines, "classifier.onnx"))
    with HeadView(engines, backend, transplanted=options.transplanted) as view:
        transplanted = drawn_from_donors(view.styles, options.transplanted)
        names = default_styles(view.styles) if names is None else list(names)
        for name in names:
            view.style(name)      # an unknown name fails now, not after an hour
        if "heads" in parts or "reference" in parts:
            pool = Faces(view, classifier, whole_photos(data, ("val", "test"), photos))
        if "heads" in parts:
            train = Faces(view, classifier, whole_photos(data, ("train",), photos))
            out["heads"] = {name: measure_style(view, classifier, pool, train, name, options) for name in names}
        if "reference" in parts:
            out["reference_transfer"] = reference_transfer(view, classifier, pool, options,
                                                           judged_reals(data, classifier))
    if "clips" in parts:
        folder = videos or os.path.join(os.path.dirname(os.path.dirname(photo_folder(data, photos))), "videos")
        out["clips"] = clips(engines, folder, names, options, backend)
    out["instruments"] = {"options": {k: v for k, v in vars(options).items()}, "backend": backend,
                          "transplanted": transplanted,
                          "machine_at_start": load, "machine_at_end": machine(),
                          "seconds": round(time.time() - start, 1), "parts": list(parts)}
    return out

