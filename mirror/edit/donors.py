"""The donor bank: real heads of hair from real photos, and the choice of the one to transplant
onto the person (``mirror.render.transplant`` draws it).

    bank = DonorBank.load()                                   # engines/donors.npz (lazy decode)
    query = DonorQuery(latent=mu + style.direction * strength, want="bangs", pose=head_pose(face.landmarks),
                       landmarks=aligned.landmarks, side=aligned.crop.shape[0], skin_color=skin_lab, male=0.1)
    donors = bank.nearest(query, k=5)                         # [Donor], nearest first
    later = bank.nearest(query, k=1, start=5)                 # the sixth best: "show me another"

``want`` narrows the bank to the donors that have a style (``bangs``, ``bald``, ``receding``,
``thinning``, a colour, ``wavy``...; ``WANTS``) or a look of the catalogue (``bank.look_names``:
``bob``, ``pixie``, ``long layers``...). Among them the distance weighs, each term divided by
its typical size (``DonorWeights``): the latent (what the edited face should look like: the
whole latent, which finds like hair better than its hair part), the head pose
(a turned head shows its hair from the side; and a donor turned more than the transplant can
draw comes last), the face's outline (the hair must fit round it), the skin tone (the hairline's
skin shows through the strands), the sex (a woman asking for a fringe wants a woman's),
glasses (their arms cross the temples) and hair the donor's photo cuts off (it would end in a
straight line on the person).
``train.donors`` builds the bank; the mirror never imports ``train``.
"""
from __future__ import annotations

import dataclasses
import os
import zipfile
import zlib
from dataclasses import dataclass
from typing import Callable

import cv2
import numpy as np

from mirror.errors import MirrorError
from mirror.face.regions import FACE_OVAL

# Landmarks on the face's middle line (nose, brow middle, forehead, chin): its mirror's axis.
MIDLINE = [1, 4, 5, 6, 10, 152, 168]
from mirror.face.warp import crop_yaw
from mirror.types import Donor

BANK_FILE = "donors.npz"
BANK_FORMAT = 2
_META = ("side", "sources", "landmarks", "latents", "poses", "skin_colors", "hair_colors", "attributes",
         "attribute_names", "looks", "look_names", "features", "feature_names", "crop_ends", "mask_ends", "cuts")


@dataclass(frozen=True)
class DonorWeights:
    """How ``DonorBank.nearest`` weighs the differences between the person and a donor: each term
    is a distance divided by its scale (a typical difference, so 1 means "as different as
    donors usually are"), times its weight; the donors are ranked by the sum."""

    latent: float = 1.0         # the edited latent: the look the donor should have
    latent_scale: float = 0.0   # ... its scale; 0: the bank's median distance between donors
    pose: float = 1.0           # yaw and pitch: the side of the head the photo shows
    pose_scale: float = 20.0    # ... degrees (the median between two donors: 21)
    shape: float = 0.5          # the face oval's landmarks: the hair must fit round the face
    shape_scale: float = 0.05   # ... root-mean-square difference, as a share of the crop's side (median 0.054)
    skin: float = 0.5           # skin colour: skin shows at the hairline and the parting
    skin_scale: float = 18.0    # ... CIELAB distance (the median between two donors: 18)
    sex: float = 2.0            # a donor of the other sex (times the doubt about the person's): a
    #                             woman asking for a fringe wants a woman's fringe first
    mirror: bool = True         # each donor may be drawn mirrored, when its mirror image is nearer
    #                             (a head turned the other way, an outline that fits better)
    turn: float = 1.0           # the heads' turn apart as the transplant judges it (``crop_yaw``) ...
    turn_free: float = 8.0      # ... past this many degrees (nearer, the warp takes it up) ...
    turn_scale: float = 4.0     # ... in these: a donor the transplant would fade for its turn
    #                             (14 degrees on) comes after every donor it draws whole
    glasses: float = 2.0        # a donor in glasses (times the doubt that the person wears them):
    #                             their arms lie across the temples the transplant draws
    earrings: float = 2.0       # a donor wearing earrings (times how sure it is that the person is a
    #                             man): they hang beside the jaw, inside the hair's soft matte
    cut: float = 1.0            # hair the donor's photo cuts off above its chin (``cuts``) ...
    cut_scale: float = 0.5      # ... as a share of its crop's side (the median: 0.53): drawn where the person's frame
    #                             goes on, it ends in a straight line
    hair: float = 1.0           # the hair's lightness, when the donor's is drawn in the person's colour: black
    #                             hair has too few shades to map onto blond ones (a flat patch) ...
    hair_free: float = 10.0     # ... apart by more than this L* (nearer, the colour match takes it up) ...
    hair_scale: float = 15.0    # ... in these (the median between two donors: 15)


@dataclass
class DonorQuery:
    """What the person wants and who they are; every part may be left out (None / "").

    Attributes:
        latent: (Z,) the person's latent moved along the wanted style (``Style.offset``).
        want: a style (``WANTS``) or a look (``DonorBank.look_names``); "" for any donor.
        pose: (3,) yaw, pitch, roll in degrees (``mirror.face.pose.head_pose`` of the frame's landmarks).
        landmarks: (478, 2) the person's landmarks in their aligned crop's pixels ...
        side: ... that crop's side.
        skin_color: (3,) CIELAB mean of the person's skin.
        male: how sure it is that the person is a man, in [0, 1] (e.g. the attribute classifier's
            Male); the latent alone tells it badly (its 15 nearest donors' majority is right for
            69 % of them).
        glasses: how sure it is that the person wears glasses, in [0, 1].
        hair_light: the L* of the person's hair, when the donor's is drawn in its colour (None:
            the donor's own colour is drawn).
    """

    latent: np.ndarray | None = None
    want: str = ""
    pose: np.ndarray | None = None
    landmarks: np.ndarray | None = None
    side: int = 0
    skin_color: np.ndarray | None = None
    male: float | None = None
    glasses: float | None = None
    hair_light: float | None = None


def _attribute(name: str, sign: int = 1) -> Callable[["DonorBank"], np.ndarray]:
    return lambda bank: bank.attribute(name) == sign


def _look(*names: str) -> Callable[["DonorBank"], np.ndarray]:
    return lambda bank: np.isin(bank.look_of, [bank.look_names.index(n) for n in names if n in bank.look_names])


def _feature(name: str, low: float, high: float) -> Callable[["DonorBank"], np.ndarray]:
    return lambda bank: (bank.feature(name) >= low) & (bank.feature(name) <= high)


# Styles of the style library (and the hair-loss scale's stages) -> the donors that show them.
WANTS: dict[str, Callable[["DonorBank"], np.ndarray]] = {
    "bangs": lambda bank: _attribute("Bangs")(bank) & _feature("fringe", 0.4, 1.0)(bank),
    "no_bangs": lambda bank: _attribute("Bangs", -1)(bank) & _feature("fringe", 0.0, 0.1)(bank)
    & ~_look("bald", "receding", "thinning crown")(bank),
    "bald": _look("bald"),
    "hair": lambda bank: ~_look("bald", "receding", "thinning crown")(bank),   # any but a hair-loss look
    "receding": _look("receding"),
    "thinning": _look("thinning crown"),
    "parting": _look("centre parting"),
    "regrowth": lambda bank: _attribute("Bald", -1)(bank) & _attribute("Receding_Hairline", -1)(bank)
    & _feature("temple_hair", 0.6, 1.0)(bank) & _feature("crown_hair", 0.6, 1.0)(bank),
    "blond": _attribute("Blond_Hair"),
    "black": _attribute("Black_Hair"),
    "brown": _attribute("Brown_Hair"),
    "gray": _attribute("Gray_Hair"),
    "wavy": _attribute("Wavy_Hair"),
    "straight": _attribute("Straight_Hair"),
}


def mirror_order(landmarks: np.ndarray) -> np.ndarray:
    """(478,) int64: for each face-mesh landmark, the one at its mirror image (the right eye's
    outer corner for the left's; the nose tip for itself), from (478, 2+) landmarks of a
    near-frontal face: the landmarks and their mirror images about the face's middle paired
    nearest first."""
    points = np.asarray(landmarks, np.float64)[:, :2]
    middle = float(np.median(points[MIDLINE, 0]))
    image = points * [-1.0, 1.0] + [2.0 * middle, 0.0]
    distance = np.linalg.norm(points[:, None] - image[None], axis=-1)
    order = np.full(len(points), -1, np.int64)
    taken = np.zeros(len(points), bool)
    for flat in np.argsort(distance, axis=None):
        i, j = divmod(int(flat), len(points))
        if order[i] < 0 and not taken[j]:
            order[i], taken[j] = j, True
            if taken.all():
                break
    return order


def _mirror_points(landmarks: np.ndarray, side: int, order: np.ndarray) -> np.ndarray:
    """(478, 2) landmarks of a crop of ``side`` mirrored left to right (each its mirror image's)."""
    points = np.array(landmarks, np.float32)[order, :2]
    points[:, 0] = side - 1 - points[:, 0]
    return points


def mirror_donor(donor: Donor, order: np.ndarray) -> Donor:
    """``donor``'s mirror image (``order``: ``mirror_order``): a head turned the other way, its
    parting on the other side."""
    flip = lambda image: np.ascontiguousarray(image[:, ::-1])
    return dataclasses.replace(donor, crop=flip(donor.crop), matte=flip(donor.matte), skin=flip(donor.skin),
                               person=flip(donor.person),
                               landmarks=_mirror_points(donor.landmarks, donor.crop.shape[0], order),
                               pose=np.asarray(donor.pose, np.float32) * np.float32([-1.0, 1.0, -1.0]))


class DonorBank:
    """The donor bank of one file: its donors' measures in memory, their pictures decoded on
    demand (``donor``). Build one with ``DonorBank.load``.

    Args:
        decoded: donors kept decoded, the most recently used (each about 550 KB: its crop and
            three float32 masks). Few: the mirror's chooser keeps the donors of the person in
            front of it itself (``mirror.edit.choice``); a kiosk showing every look in turn,
            person after person, slowly filled a cache of 64 (35 MB).
    """

    def __init__(self, path: str, arrays: dict[str, np.ndarray], weights: DonorWeights = DonorWeights(),
                 decoded: int = 8):
        self.path = path
        self.weights = weights
        self.decoded = max(int(decoded), 1)
        self.side = int(arrays["side"])
        self.sources = [str(s) for s in arrays["sources"]]
        self.landmarks = arrays["landmarks"].astype(np.float32)
        self.latents = arrays["latents"].astype(np.float32)
        self.poses = arrays["poses"].astype(np.float32)
        self.skin_colors = arrays["skin_colors"].astype(np.float32)
        self.hair_colors = arrays["hair_colors"].astype(np.float32)
        self.attributes = arrays["attributes"].astype(np.int8)
        self.attribute_names = [str(s) for s in arrays["attribute_names"]]
        self.look_of = arrays["looks"].astype(np.int64)
        self.look_names = [str(s) for s in arrays["look_names"]]
        self.features = arrays["features"].astype(np.float32)
        self.cuts = arrays["cuts"].astype(np.float32)
        self.feature_names = [str(s) for s in arrays["feature_names"]]
        self._ends = {"crops": arrays["crop_ends"].astype(np.int64), "masks": arrays["mask_ends"].astype(np.int64)}
        self._blobs: dict[str, np.ndarray] = {}
        self._decoded: dict[int, Donor] = {}
        self._oval = self.landmarks[:, FACE_OVAL] / self.side
        self.turns = np.array([crop_yaw(points) for points in self.landmarks], np.float32)
        # Each landmark's mirror image's, from the bank's near-frontal faces' mean.
        frontal = self.landmarks[np.abs(self.turns) < 8.0]
        self.mirror_order = mirror_order(frontal.mean(axis=0) if len(frontal) else self.landmarks.mean(axis=0))
        self._oval_mirrored = np.stack([_mirror_points(points, self.side, self.mirror_order)
                                        for points in self.landmarks])[:, FACE_OVAL] / self.side
        # The typical distance between two donors' latents: the median over a fixed sample of
        # pairs. (Whole latents: over 400 surveyed training heads, the 5 nearest by the whole
        # latent share 0.50 of their hair matte with the head (soft IoU), by its hair part 0.47,
        # at random 0.32; the whole latent also keeps the sex, 0.72 of the nearest against 0.65.)
        order = np.random.default_rng(0).permutation(len(self.latents))
        pairs = np.linalg.norm(self.latents - self.latents[order], axis=1)[order != np.arange(len(self.latents))]
        self._latent_scale = float(np.median(pairs)) if pairs.size else 1.0

    @classmethod
    def load(cls, path: str | None = None, weights: DonorWeights = DonorWeights()) -> "DonorBank":
        """Reads a bank's measures (its pictures wait for ``donor``).

        Args:
            path: the bank file (default: ``donors.npz`` of the shipped model's folder).

        Raises:
            MirrorError: the file is missing, damaged or not a donor bank of this format.
        """
        if path is None:
            from mirror.paths import DEFAULT_ENGINES

            path = os.path.join(DEFAULT_ENGINES, BANK_FILE)
        if not os.path.isfile(path):
            raise MirrorError(f"donor bank not found: {path} (build it: python -m train.donors)")
        try:
            with np.load(path, allow_pickle=False) as stored:
                if "format" not in stored.files or int(stored["format"]) != BANK_FORMAT:
                    raise MirrorError(f"{path} is not a donor bank of format {BANK_FORMAT} (rebuild it: "
                                      "python -m train.donors)")
                arrays = {name: stored[name] for name in _META}
            bank = cls(path, arrays, weights)
            bank._check()
        except MirrorError:
            raise
        except (OSError, ValueError, KeyError, EOFError, IndexError, TypeError, zipfile.BadZipFile,
                zlib.error) as error:
            raise MirrorError(f"the donor bank {path} is damaged ({type(error).__name__}): rebuild it with "
                              "python -m train.donors") from None
        return bank

    def _check(self) -> None:
        n = len(self.sources)
        shapes = {"landmarks": (self.landmarks.shape, (n, 478, 2)), "poses": (self.poses.shape, (n, 3)),
                  "skin_colors": (self.skin_colors.shape, (n, 3)), "looks": (self.look_of.shape, (n,)),
                  "attributes": (self.attributes.shape, (n, len(self.attribute_names))),
                  "features": (self.features.shape, (n, len(self.feature_names))), "cuts": (self.cuts.shape, (n,))}
        for name, (got, wanted) in shapes.items():
            if got != wanted:
                raise ValueError(f"{name} is {got}, not {wanted}")
        if n == 0 or len(self.latents) != n or any(len(e) != n for e in self._ends.values()):
            raise ValueError("its parts hold different numbers of donors")
        if self.look_of.max() >= len(self.look_names) or np.any(np.diff(self._ends["crops"]) <= 0):
            raise ValueError("its tables do not match")

    def __len__(self) -> int:
        return len(self.sources)

    # --- what the donors are ---

    def attribute(self, name: str) -> np.ndarray:
        """(N,) int8 CelebA attribute ``name`` (+1 / -1) of every donor."""
        return self.attributes[:, self.attribute_names.index(name)]

    def feature(self, name: str) -> np.ndarray:
        """(N,) float32 hair measure ``name`` (``train.looks.FEATURES``) of every donor."""
        return self.features[:, self.feature_names.index(name)]

    @property
    def wants(self) -> list[str]:
        """Every ``DonorQuery.want`` this bank answers: the styles of ``WANTS``, then its looks."""
        return list(WANTS) + [name for name in self.look_names if name not in WANTS]

    def having(self, want: str) -> np.ndarray:
        """(N,) bool: the donors that have ``want`` (a style of ``WANTS`` or a look); all for ""."""
        if not want:
            return np.ones(len(self), bool)
        if want in self.look_names:
            return self.look_of == self.look_names.index(want)
        if want in WANTS:
            return WANTS[want](self)
        raise MirrorError(f"no donors for {want!r}: choose from {', '.join(self.wants)}")

    # --- the choice ---

    def distances(self, query: DonorQuery) -> np.ndarray:
        """(N,) float64 weighted distance of every donor to the query (``DonorWeights``), each in
        the nearer of its two orientations (``mirrored``: the donor's photo mirrored, when
        ``DonorWeights.mirror``); inf for donors without ``query.want``."""
        plain, flipped = self._distances(query, False), self._distances(query, True)
        return np.minimum(plain, flipped) if self.weights.mirror else plain

    def mirrored(self, query: DonorQuery) -> np.ndarray:
        """(N,) bool: each donor is nearer the query mirrored (``DonorWeights.mirror``)."""
        if not self.weights.mirror:
            return np.zeros(len(self), bool)
        return self._distances(query, True) < self._distances(query, False)

    def _distances(self, query: DonorQuery, mirrored: bool) -> np.ndarray:
        """``distances`` of the donors as they are, or each mirrored (the latent, skin, sex and
        glasses are a mirror image's too; its pose, outline and turn are mirrored)."""
        w = self.weights
        total = np.zeros(len(self), np.float64)
        if query.latent is not None and w.latent:
            latent = np.asarray(query.latent, np.float32)
            if latent.shape != (self.latents.shape[1],):
                raise ValueError(f"query latent must be ({self.latents.shape[1]},), got {latent.shape}")
            scale = w.latent_scale or self._latent_scale
            total += w.latent * np.linalg.norm(self.latents - latent, axis=1) / scale
        if query.pose is not None and w.pose:
            pose = np.asarray(query.pose, np.float32)[:2]
            poses = self.poses[:, :2] * (np.float32([-1.0, 1.0]) if mirrored else 1.0)
            total += w.pose * np.linalg.norm(poses - pose, axis=1) / w.pose_scale
        if query.landmarks is not None and w.shape:
            if query.side <= 0:
                raise ValueError("a query with landmarks needs the side of their crop")
            oval = np.asarray(query.landmarks, np.float32)[FACE_OVAL, :2] / query.side
            theirs = self._oval_mirrored if mirrored else self._oval
            total += w.shape * np.sqrt(((theirs - oval) ** 2).sum(2).mean(1)) / w.shape_scale
        if query.skin_color is not None and w.skin:
            skin = np.asarray(query.skin_color, np.float32)
            total += w.skin * np.linalg.norm(self.skin_colors - skin, axis=1) / w.skin_scale
        if query.male is not None and w.sex:
            total += w.sex * np.abs(float(query.male) - (self.attribute("Male") > 0))
        if query.landmarks is not None and w.turn:
            turns = -self.turns if mirrored else self.turns
            apart = np.abs(turns - crop_yaw(np.asarray(query.landmarks, np.float32)))
            total += w.turn * np.maximum(apart - w.turn_free, 0.0) / w.turn_scale
        if query.glasses is not None and w.glasses:
            total += w.glasses * (1.0 - float(query.glasses)) * (self.attribute("Eyeglasses") > 0)
        if query.male is not None and w.earrings:
            total += w.earrings * float(query.male) * (self.attribute("Wearing_Earrings") > 0)
        if w.cut:
            total += w.cut * self.cuts / w.cut_scale
        if query.hair_light is not None and w.hair:
            apart = np.abs(self.hair_colors[:, 0] - float(query.hair_light))
            total += w.hair * np.maximum(apart - w.hair_free, 0.0) / w.hair_scale
        total[~self.having(query.want)] = np.inf
        return total

    def ranked(self, query: DonorQuery) -> np.ndarray:
        """(M,) int64 rows of the donors that have ``query.want``, nearest first (ties: lower row
        first, so the order is the same every time)."""
        distance = self.distances(query)
        rows = np.flatnonzero(np.isfinite(distance))
        return rows[np.lexsort((rows, distance[rows]))]

    def nearest(self, query: DonorQuery, k: int = 5, start: int = 0) -> list[Donor]:
        """The ``k`` nearest donors from the ``start``-th on (``start=k`` gives the next ``k``),
        each in its nearer orientation; fewer when the bank has no more with ``query.want``."""
        flip = self.mirrored(query)
        return [self.donor(int(row), bool(flip[row])) for row in self.ranked(query)[start:start + k]]

    # --- the pictures ---

    def donor(self, row: int, mirrored: bool = False) -> Donor:
        """Donor ``row`` with its pictures decoded (kept for the next calls: ``decoded``), or its
        mirror image (made anew at each call).

        Raises:
            MirrorError: its pictures are damaged.
        """
        if mirrored:
            return mirror_donor(self.donor(row), self.mirror_order)
        if row in self._decoded:
            self._decoded[row] = self._decoded.pop(row)   # the most recently used last
            return self._decoded[row]
        crop = cv2.imdecode(self._part("crops", row), cv2.IMREAD_COLOR)
        masks = cv2.imdecode(self._part("masks", row), cv2.IMREAD_UNCHANGED)
        side = self.side
        if crop is None or masks is None or crop.shape != (side, side, 3) or masks.shape != (side, side, 3):
            raise MirrorError(f"the donor bank {self.path} is damaged (donor {row}'s pictures): rebuild it "
                              "with python -m train.donors")
        masks = masks.astype(np.float32) / 255.0
        look = int(self.look_of[row])
        donor = Donor(row, self.sources[row], crop, masks[..., 0].copy(), masks[..., 1].copy(), masks[..., 2].copy(),
                      self.landmarks[row].copy(), self.latents[row].copy(), self.poses[row].copy(),
                      self.skin_colors[row].copy(), self.hair_colors[row].copy(), self.attributes[row].copy(),
                      self.look_names[look] if look >= 0 else "")
        if len(self._decoded) >= self.decoded:
            self._decoded.pop(next(iter(self._decoded)))
        self._decoded[row] = donor
        return donor

    def _part(self, blob: str, row: int) -> np.ndarray:
        """The encoded bytes of donor ``row``'s picture in ``blob`` (the file read on first use)."""
        if blob not in self._blobs:
            try:
                with np.load(self.path, allow_pickle=False) as stored:
                    self._blobs[blob] = stored[blob]
                if len(self._blobs[blob]) != self._ends[blob][-1]:
                    raise ValueError(f"{blob} holds {len(self._blobs[blob])} bytes, not {self._ends[blob][-1]}")
            except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, zlib.error) as error:
                self._blobs.pop(blob, None)
                raise MirrorError(f"the donor bank {self.path} is damaged ({type(error).__name__}): rebuild it "
                                  "with python -m train.donors") from None
        begin = int(self._ends[blob][row - 1]) if row else 0
        return self._blobs[blob][begin:int(self._ends[blob][row])]
