"""The donor bank's catalogue of looks: the shape of each head of hair measured from the teacher's
matte against the face-mesh landmarks, and the rules that name it (``train.donors`` builds the
bank with them).

Every measure is in the face's own units, so heads of any size compare: lengths in eye-to-chin
heights (``u``) and widths in half the ears' distance apart (``w``), from the crop's landmarks.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from mirror.face import regions
from mirror.face.regions import CHIN, FOREHEAD_TOP, brow_line, face_oval

FEATURES = (
    "fringe",        # hair over the forehead (face oval above the brows), mean matte
    "crown_hair",    # hair on top of the head (a band above the forehead's top), mean matte
    "crown_skin",    # ... and bare skin there, mean skin probability
    "temple_hair",   # hair at the temples' corners of the hairline, mean matte
    "temple_skin",   # ... and bare skin there
    "side_hair",     # hair beside the face from the eyes to the chin (ears hidden by hair), mean matte
    "length",        # how far below the chin the hair reaches beside the neck, in u (< 0: above it)
    "to_bottom",     # 1 when the hair runs off the crop's foot (longer than the crop shows)
    "rise",          # how far the hair stands above the forehead's top, in u
    "width",         # how far the hair reaches out from the face's centre, in w
    "area",          # all the hair, in u^2
    "parting_skin",  # bare skin along the middle of the top of the head (a wide parting)
    "parting_gap",   # hair beside the middle of the top less hair in it (a parting, thin on top)
    "texture",       # fine light and shade inside the hair (curls), relative to its brightness
    "hat",           # share of the crop the teacher calls hat
    "hair_l",        # CIELAB lightness of the surely-hair pixels
    "skin_l",        # ... of the surely-skin pixels
)


@dataclass(frozen=True)
class MeasureOptions:
    """Where the measures look, in the face's units."""

    matte_floor: float = 0.25   # the teacher's hair probability read as no hair ...
    matte_full: float = 0.7     # ... and as all hair (inside a head of hair it gives 0.7-0.8: the
    #                             rest of its softmax spreads over the other 18 classes)
    crown_rows: tuple[float, float] = (0.6, 0.15)    # the top of the head: this far above the forehead's
    #                                                  top down to this far above it, in u ...
    crown_band: float = 0.5     # ... and this far either side of the centre, in w (a man's hair
    #                             fills 0.87 of it (median), a bald head's none)
    temple_band: tuple[float, float] = (0.45, 0.9)   # temples: this far out from the centre, in w ...
    temple_rows: tuple[float, float] = (0.3, -0.05)  # ... from this far above the forehead's top to
    #                                                   this far below it, in u
    side_band: tuple[float, float] = (1.0, 1.5)      # beside the face: this far out, in w
    neck_clear: float = 0.6     # hair below the chin counts from this far out from the centre, in w
    row_hair: float = 0.15      # ... in a row holding at least this much hair, in w
    middle: float = 0.15        # the parting's strip: this far either side of the centre, in w ...
    flank: tuple[float, float] = (0.3, 0.6)  # ... and the hair beside it, this far out
    parting_rows: tuple[float, float] = (0.6, 0.1)  # ... from this far above the forehead's top down to
    #                                                  this far above it, in u
    texture_blur: float = 2.0   # texture: the crop less its Gaussian blur this wide (pixels at D) ...
    texture_inset: int = 5      # ... inside the sure hair shrunk by this many pixels


def stretch(hair: np.ndarray, options: MeasureOptions = MeasureOptions()) -> np.ndarray:
    """(D, D) float32 matte in [0, 1] of the teacher's uint8 hair probability."""
    return np.clip((hair.astype(np.float32) / 255.0 - options.matte_floor)
                   / (options.matte_full - options.matte_floor), 0.0, 1.0)


def _mean(values: np.ndarray, where: np.ndarray) -> float:
    return float(values[where].mean()) if where.any() else 0.0


def measure_one(crop: np.ndarray, landmarks: np.ndarray, hair: np.ndarray, skin: np.ndarray,
                hat: np.ndarray, inside: np.ndarray, options: MeasureOptions = MeasureOptions()) -> np.ndarray:
    """(len(FEATURES),) float32 measures of one aligned head.

    Args:
        crop: (D, D, 3) uint8 BGR; landmarks: (478, 2) crop pixels; hair, skin, hat: (D, D) uint8
            teacher probabilities x 255; inside: (D, D) uint8, 1 where the crop shows the photo.
    """
    import cv2

    side = crop.shape[0]
    matte = stretch(hair, options) * inside
    skin_p = skin.astype(np.float32) / 255.0 * inside
    units = regions.head_units(landmarks, side)
    eyes_y, unit, cx, half, above, out_x = units
    chin_y, top_y = float(landmarks[CHIN, 1]), float(landmarks[FOREHEAD_TOP, 1])
    ys, xs = np.mgrid[0:side, 0:side].astype(np.float32)
    oval = face_oval(landmarks, side)
    seen = inside > 0

    forehead = oval & (ys < brow_line(landmarks, side)[None, :]) & seen
    crown = regions.crown(landmarks, side, options.crown_rows, options.crown_band, units) & seen
    temples = ((out_x >= options.temple_band[0]) & (out_x <= options.temple_band[1])
               & (above <= options.temple_rows[0]) & (above >= options.temple_rows[1]) & ~oval & seen)
    beside = ((out_x >= options.side_band[0]) & (out_x <= options.side_band[1])
              & (ys >= eyes_y) & (ys <= chin_y) & seen)

    # Length: the lowest row with hair beside the neck (above the chin for short hair: negative).
    rows = (matte * (out_x >= options.neck_clear)).sum(1)
    hairy = np.flatnonzero(rows >= options.row_hair * half)
    bottom = np.flatnonzero(seen.any(1))[-1] if seen.any() else side - 1
    length = (float(hairy[-1]) - chin_y) / unit if hairy.size else -3.0
    to_bottom = float(hairy.size > 0 and hairy[-1] >= bottom - 2)

    # Rise: the highest hair over the middle of the face.
    middle = np.abs(xs[0] - cx) <= 0.5 * half
    column_top = np.flatnonzero((matte[:, middle] > 0.5).any(1))
    rise = (top_y - float(column_top[0])) / unit if column_top.size else -1.0
    hair_cols = np.flatnonzero((matte[int(max(top_y - unit, 0)):int(chin_y)] > 0.5).any(0))
    width = float(np.abs(hair_cols - cx).max()) / half if hair_cols.size else 0.0

    strip_rows = (above <= options.parting_rows[0]) & (above >= options.parting_rows[1]) & seen
    centre = strip_rows & (out_x <= options.middle)
    flanks = strip_rows & (out_x >= options.flank[0]) & (out_x <= options.flank[1])

    lab = cv2.cvtColor(crop.astype(np.float32) / 255.0, cv2.COLOR_BGR2LAB)
    sure_hair, sure_skin = matte > 0.8, skin_p > 0.8
    grey = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY).astype(np.float32)
    detail = np.abs(grey - cv2.GaussianBlur(grey, (0, 0), options.texture_blur))
    deep = cv2.erode((matte > 0.9).astype(np.uint8), np.ones((options.texture_inset,) * 2, np.uint8)) > 0
    texture = float(detail[deep].mean() / (grey[deep].mean() + 20.0)) if deep.sum() > 50 else 0.0
    return np.float32([
        _mean(matte, forehead),
        _mean(matte, crown), _mean(skin_p, crown),
        _mean(matte, temples), _mean(skin_p, temples),
        _mean(matte, beside),
        length, to_bottom, rise, width, float(matte.sum()) / unit ** 2,
        _mean(skin_p, centre), _mean(matte, flanks) - _mean(matte, centre),
        texture, float((hat > 127).mean()),
        _mean(lab[..., 0], sure_hair) if sure_hair.sum() >= 8 else 0.0,
        _mean(lab[..., 0], sure_skin) if sure_skin.sum() >= 8 else 0.0,
    ])


def measure(collected: dict[str, np.ndarray], options: MeasureOptions = MeasureOptions()
            ) -> tuple[np.ndarray, list[str]]:
    """(N, F) float32 measures of every collected head (``train.donors.collect``), and their names."""
    rows = [measure_one(collected["crops"][i], collected["landmarks"][i], collected["hair"][i],
                        collected["skin"][i], collected["hat"][i], collected["inside"][i], options)
            for i in range(len(collected["sources"]))]
    return np.stack(rows), list(FEATURES)


@dataclass(frozen=True)
class LookOptions:
    """How the catalogue is made."""

    cap: int = 90           # members kept per look at most: the most varied (pose, skin, hair colour)
    least: int = 8          # a look with fewer members stays out of the catalogue
    max_yaw: float = 35.0   # heads turned further than this (degrees) are left out
    max_hat: float = 0.01   # ... and heads under a hat (share of the crop)


def table(features: np.ndarray, feature_names: list[str], attributes: np.ndarray,
          attribute_names: list[str]) -> dict[str, np.ndarray]:
    """{name: (N,) column}: the measures (float32) and the CelebA attributes (bool, +1)."""
    columns = {name: features[:, i] for i, name in enumerate(feature_names)}
    columns.update({name: attributes[:, i] > 0 for i, name in enumerate(attribute_names)})
    return columns


def _men(c: dict) -> np.ndarray:
    return c["Male"]


def _women(c: dict) -> np.ndarray:
    return ~c["Male"]


def _long(c: dict) -> np.ndarray:
    """Hair down both sides of the face and off the crop's foot."""
    return (c["to_bottom"] > 0.5) & (c["side_hair"] >= 0.6)


def _short(c: dict) -> np.ndarray:
    """Hair that ends above the chin beside the neck."""
    return c["length"] < -0.3


# The looks, first match wins: (name, rule over the measures (floats) and CelebA attributes (bools)
# of ``table``). The thresholds were read off contact sheets of the surveyed heads sorted by each
# measure. CelebA's photos hold no woman whose crown visibly thins or whose parting widens (the
# Ludwig scale's first stages): the women's counterpart of a thinning crown here is the centre
# parting, the hair a widening parting starts from. A pixie has some fringe: short, wide hair with
# none over the forehead was mostly hair pulled back into a bun, seen from the front.
RULES: tuple[tuple[str, Callable[[dict], np.ndarray]], ...] = (
    ("bald", lambda c: _men(c) & ((c["crown_hair"] < 0.1) | ((c["crown_hair"] < 0.3) & (c["area"] < 0.12)))),
    ("thinning crown", lambda c: _men(c) & (c["crown_hair"] < 0.3) & (c["temple_hair"] < 0.35)
     & (c["Bald"] | c["Receding_Hairline"])),
    ("receding", lambda c: _men(c) & (c["crown_hair"] >= 0.3) & (c["temple_hair"] < 0.3) & c["Receding_Hairline"]),
    ("buzz", lambda c: _men(c) & _short(c) & (c["area"] < 0.6) & (c["crown_hair"] >= 0.3)),
    ("short fringe", lambda c: _men(c) & c["Bangs"] & (c["fringe"] >= 0.45) & (c["length"] < -0.2)),
    ("short crop", lambda c: _men(c) & _short(c) & (c["area"] < 1.15) & (c["crown_hair"] >= 0.3)
     & (c["temple_hair"] >= 0.3)),
    ("longer on top", lambda c: _men(c) & _short(c) & (c["area"] >= 1.15) & (c["temple_hair"] >= 0.3)),
    ("men's long", lambda c: _men(c) & _long(c)),
    ("pulled back", lambda c: _women(c) & _short(c) & (c["width"] < 1.3) & ~c["Bangs"]),
    ("pixie", lambda c: _women(c) & _short(c) & (c["width"] >= 1.45) & (c["area"] >= 0.9) & (c["side_hair"] < 0.3)
     & ((c["fringe"] >= 0.1) | c["Bangs"])),
    ("bob", lambda c: _women(c) & (c["to_bottom"] < 0.5) & (c["length"] >= -0.35) & (c["length"] <= 0.2)
     & (c["side_hair"] >= 0.45)),
    ("fringe", lambda c: _women(c) & c["Bangs"] & (c["fringe"] >= 0.45) & (c["to_bottom"] > 0.5)),
    ("centre parting", lambda c: _women(c) & _long(c) & (c["parting_skin"] >= 0.35) & (c["parting_gap"] >= 0.15)
     & (c["fringe"] < 0.1)),
    ("curls and waves", lambda c: _women(c) & c["Wavy_Hair"] & _long(c) & (c["fringe"] < 0.15)),
    ("long layers", lambda c: _women(c) & ~c["Wavy_Hair"] & _long(c) & (c["fringe"] < 0.15)),
)


def assign(columns: dict[str, np.ndarray]) -> list[str]:
    """The look of every head ("" for none), by the first of RULES it meets (``columns``: ``table``)."""
    looks = [""] * len(columns["fringe"])
    for name, rule in RULES:
        for i in np.flatnonzero(rule(columns)):
            looks[i] = looks[i] or name
    return looks


def varied(points: np.ndarray, count: int) -> np.ndarray:
    """Indices of ``count`` of the (M, P) points spread as widely as they go: the one nearest
    their median first, then each time the one farthest from those already chosen."""
    if len(points) <= count:
        return np.arange(len(points))
    chosen = [int(np.argmin(np.linalg.norm(points - np.median(points, 0), axis=1)))]
    gap = np.linalg.norm(points - points[chosen[0]], axis=1)
    while len(chosen) < count:
        chosen.append(int(np.argmax(gap)))
        gap = np.minimum(gap, np.linalg.norm(points - points[chosen[-1]], axis=1))
    return np.sort(np.array(chosen))


def catalogue(collected: dict[str, np.ndarray], features: np.ndarray, feature_names: list[str],
              options: LookOptions = LookOptions()) -> tuple[np.ndarray, list[str], list[str]]:
    """The bank's donors and their looks.

    Returns:
        (rows of ``collected`` kept, sorted; the look of each; the catalogue's look names).
    """
    columns = table(features, feature_names, collected["attributes"], list(collected["attribute_names"]))
    looks = assign(columns)
    usable = (np.abs(collected["poses"][:, 0]) <= options.max_yaw) & (columns["hat"] <= options.max_hat)
    spread = np.column_stack([collected["poses"][:, :2] / 15.0, columns["skin_l"] / 10.0, columns["hair_l"] / 10.0])
    rows, names = [], []
    for name, _ in RULES:
        members = np.flatnonzero(usable & (np.array(looks) == name))
        if len(members) < options.least:
            continue
        names.append(name)
        rows.extend(members[varied(spread[members], options.cap)])
    rows = np.sort(np.array(rows, np.int64))
    return rows, [looks[i] for i in rows], names


def contact_sheets(bank_path: str, folder: str, tile: int = 96, columns: int = 12) -> list[str]:
    """One PNG per look of the bank in ``folder`` (and ``no look.png`` for donors without one):
    every member's crop at ``tile`` pixels with its matte's edge in yellow, its source photo and
    yaw; returns the files written."""
    import os

    import cv2

    from mirror.edit.donors import DonorBank

    bank = DonorBank.load(bank_path)
    os.makedirs(folder, exist_ok=True)
    written = []
    for look in range(-1, len(bank.look_names)):
        rows = np.flatnonzero(bank.look_of == look)
        if not rows.size:
            continue
        name = bank.look_names[look] if look >= 0 else "no look"
        tiles = []
        for row in rows:
            donor = bank.donor(int(row))
            image = cv2.resize(donor.crop, (tile, tile), interpolation=cv2.INTER_AREA)
            matte = cv2.resize(donor.matte, (tile, tile), interpolation=cv2.INTER_AREA)
            edge = (matte > 0.5).astype(np.uint8)
            edge = edge - cv2.erode(edge, np.ones((3, 3), np.uint8))
            image[edge > 0] = (0, 230, 255)
            cv2.putText(image, f"{donor.source[:6]} {donor.pose[0]:+.0f}", (2, tile - 4), cv2.FONT_HERSHEY_SIMPLEX,
                        0.3, (255, 255, 255), 1, cv2.LINE_AA)
            tiles.append(image)
        tiles += [np.zeros_like(tiles[0])] * (-len(tiles) % columns)
        grid = np.vstack([np.hstack(tiles[i:i + columns]) for i in range(0, len(tiles), columns)])
        header = np.zeros((22, grid.shape[1], 3), np.uint8)
        cv2.putText(header, f"{name}: {rows.size} donors", (4, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 1,
                    cv2.LINE_AA)
        path = os.path.join(folder, f"{name}.png")
        cv2.imwrite(path, np.vstack([header, grid]))
        written.append(path)
    return written
