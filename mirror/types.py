"""Small records passed between the stages of the pipeline.

All images are BGR uint8 arrays of shape (H, W, 3). "No face" is ``None``, never an empty record.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Frame:
    """One captured frame.

    Attributes:
        index: 0-based position in the stream.
        timestamp_ms: capture time in milliseconds, monotonically increasing within a stream.
        image: (H, W, 3) uint8 BGR.
    """

    index: int
    timestamp_ms: int
    image: np.ndarray


@dataclass
class Face:
    """One tracked face.

    Attributes:
        landmarks: (478, 3) float32 MediaPipe face-mesh points; x, y in frame pixels, z in the
            same scale as x (relative depth).
    """

    landmarks: np.ndarray

    @property
    def box(self) -> tuple[float, float, float, float]:
        """(x0, y0, x1, y1) of the landmarks in frame pixels."""
        xy = self.landmarks[:, :2]
        x0, y0 = xy.min(axis=0)
        x1, y1 = xy.max(axis=0)
        return float(x0), float(y0), float(x1), float(y1)


@dataclass
class AlignedFace:
    """A face cropped into the canonical head-with-hair frame.

    Attributes:
        crop: (S, S, 3) uint8 BGR, the model's crop.
        to_crop: (2, 3) float64 similarity matrix mapping frame pixels to crop pixels.
        landmarks: (478, 2) float32 landmarks in crop pixels.
        detail: (R, R, 3) uint8 BGR, the same crop at the renderer's resolution R (a multiple of
            S): the renderer draws at the face's own detail, not the model's.
        person: (S, S) float32 person probability in [0, 1]; None until segmented.
        hair: (S, S) float32 hair probability in [0, 1]; None until segmented.
        outer: (2S, 2S, 3) uint8 BGR, the square twice the crop's side around it, at the crop's
            resolution (crop pixel (x, y) is its (x + S/2, y + S/2)): where long hair goes on
            beyond the crop; None if not made (``mirror.face.align.outer_square`` cuts it from
            ``frame`` on first use).
        frame_shape: (H, W) of the frame the crop was cut from: where the crop's edges lie
            inside it, an edit cut there would show; None: everywhere.
        pose: (3,) float32 yaw, pitch and roll in degrees (``mirror.face.pose``), or None.
        frame: (H, W, 3) uint8 BGR, the frame the crop was cut from, kept to cut ``outer`` from
            where it is read (only the renderer's workers read it, on some frames); or None.
    """

    crop: np.ndarray
    to_crop: np.ndarray
    landmarks: np.ndarray
    detail: np.ndarray | None = None
    person: np.ndarray | None = None
    hair: np.ndarray | None = None
    outer: np.ndarray | None = None
    frame_shape: tuple[int, int] | None = None
    pose: np.ndarray | None = None
    frame: np.ndarray | None = field(default=None, repr=False)

    @property
    def sees_past(self) -> bool:
        """Whether the outer square is made, or can be cut (``mirror.face.align.outer_square``)."""
        return self.outer is not None or self.frame is not None

    @property
    def scale(self) -> int:
        """R / S, how many detail pixels a crop pixel spans."""
        return 1 if self.detail is None else self.detail.shape[0] // self.crop.shape[0]

    @property
    def detail_to_crop(self) -> np.ndarray:
        """(2, 3) float64: frame pixels -> detail-crop pixels."""
        return self.to_crop * self.scale

    @property
    def to_outer(self) -> np.ndarray:
        """(2, 3) float64: frame pixels -> ``outer`` pixels."""
        return outer_matrix(self.to_crop, self.crop.shape[0])


def outer_matrix(to_crop: np.ndarray, size: int) -> np.ndarray:
    """(2, 3) float64: frame pixels -> pixels of the outer square (``AlignedFace.outer``) of a
    ``size``-pixel crop."""
    matrix = np.array(to_crop, dtype=np.float64)
    matrix[:, 2] += size / 2.0
    return matrix


@dataclass
class EditPlan:
    """The model's answer for one face (``HairEditor``), in the model's crop space.

    Attributes:
        kind: ``none`` (show the person as they are), ``color`` (recolour their own hair),
            ``add`` / ``remove`` / ``shape`` (hair drawn where the model adds it, scalp or wall
            where it removes it; ``shape`` does both), ``texture`` (the decodes' change laid on
            the hair), or ``transplant`` (a real head of hair drawn on the person).
        amount: how far to go, 1 at the style's default.
        color: (2, 3) float32 target hair colour, CIELAB mean and spread (colour styles).
        skin: (3,) float32 CIELAB skin of the training faces with that hair colour, or None.
        hair_change: (S, S) float32 in [-1, 1], the hair probability of the edited decode minus
            that of the plain decode: where hair appears (> 0) or goes (< 0).
        recon, edited: (S, S, 3) float32 BGR in [0, 1], the plain and the edited decodes.
        thinning: (S, S) float32 in [0, 1], the share of the hair that thins away (the scalp
            shows between the strands that stay), or None.
        reach: (S, S) float32 in [0, 1], for a shape that takes hair away, where it goes wherever
            it lies (``hair_change`` is about minus ``reach`` times the hair there), or None.
        curl: texture styles: how strongly the hair is drawn wavy at amount 1 (``mirror.render.texture``).
        donor: ``transplant``: the real head of hair drawn (``mirror.render.transplant``), or None:
            no donor fits.
        paint: ``transplant``: the colour its hair takes, ``own`` (the person's) or ``donor`` (its own).
        part: ``transplant``: ``all`` of the donor's hair, only its ``fringe``, or its ``forehead``
            (``mirror.render.transplant.PARTS``).
        note: why the plan does less than asked (for the HUD), or "".
        fallback: ``transplant``: what is drawn where it fades out entirely (a reference photo's
            hair colour on the person's own hair), or None: nothing.
    """

    kind: str
    amount: float = 0.0
    color: np.ndarray | None = None
    skin: np.ndarray | None = None
    hair_change: np.ndarray | None = None
    recon: np.ndarray | None = None
    edited: np.ndarray | None = None
    thinning: np.ndarray | None = None
    reach: np.ndarray | None = None
    curl: float = 0.0
    donor: Donor | None = None
    paint: str = "own"
    part: str = "all"
    note: str = ""
    fallback: EditPlan | None = None


@dataclass(frozen=True)
class SkinGrain:
    """Bare scalp drawn anew, to be given the skin's fine grain, which a large face holds beyond
    the detail crop.

    Attributes:
        weight: (R, R) float32 in [0, 1], how much of each detail-crop pixel is bare scalp.
        forehead: (x0, y0, x1, y1), end-exclusive, a box of bare forehead skin in the detail crop
            whose grain it takes.
    """

    weight: np.ndarray
    forehead: tuple[int, int, int, int]


@dataclass(frozen=True)
class Outline:
    """A donor's hair drawn over a picture through its matte, whose soft edge, sized up from the
    donor's photo, a large face's resolution makes steeper (``mirror.render.lend``).

    Attributes:
        matte: (R, R) float32 in [0, 1], the donor's matte.
        under: (R, R, 3) uint8 BGR, what it is drawn over (the crop is ``under`` where it is 0).
        steep: (R, R) float32 in [0, 1], where its edge is made steeper: over the wall, not over
            skin (a hairline is soft).
    """

    matte: np.ndarray
    under: np.ndarray
    steep: np.ndarray


@dataclass(frozen=True)
class EditedFace:
    """The renderer's output in the detail crop's space (``AlignedFace.detail``), made whole by
    ``HairRenderer.render`` (a later frame's copy is a new record: ``mirror.render.carry``).

    Attributes:
        crop: (R, R, 3) uint8 BGR, the rendered crop (equal to ``detail`` where nothing changes).
        hair_mask: (R, R) float32 in [0, 1], where the edit applies.
        replace: (R, R) float32 in [0, 1], where the frame is replaced by the rendered crop (hair
            or scalp drawn anew, wall shown); elsewhere the change is added onto the
            full-resolution frame (a recolouring keeps the frame's own detail).
        beyond: a recolouring's reach past the crop's edge, or None.
        source: (R, R, 2) float32, for hair drawn anew as a copy of the person's own
            (regrowth), the detail-crop pixel (x, y) each pixel was copied from; or None.
        source_weight: (R, R) float32 in [0, 1], how much of each pixel that copy is.
        grain: for bare scalp drawn anew (bald, receding), where it lies and the bare forehead
            whose fine grain it takes; or None.
        strands: (R, R) float32 in [0, 1], for a donor's hair drawn where the person has none of
            their own to lend it, how much of each pixel it is: given fine strands running its
            way at a large face's resolution; or None.
        outline: for a donor's hair, its matte and what it is drawn over, whose soft edge over the
            wall a large face's resolution makes steeper; or None.
        lent: the frame's own fine detail for that copy and scalp (``mirror.render.lend.lent_detail``:
            a crop holds less than a large face in the frame), or None.
        removal: for hair taken away by a shape (bald, receding), what a later frame's hair is
            taken away with (``mirror.render.remove.retake``); or None.
        note: why the edit was drawn fainter or not at all (for the HUD: "hair over the eyes"), or "".
        fallback: a transplant that faded out entirely, drawn as its plan's fallback (a reference
            photo's colour alone): in video that colour is drawn anew on every frame
            (``mirror.run.lagged``).
        aligned: the face cut again where this edit lies, when that is not the frame's own
            alignment (a drawing carried to a head that moved in its crop: ``mirror.run.lagged``);
            the compositor puts the edit back through it. None: the frame's own.
    """

    crop: np.ndarray
    hair_mask: np.ndarray
    replace: np.ndarray
    beyond: Beyond | None = None
    source: np.ndarray | None = None
    source_weight: np.ndarray | None = None
    grain: SkinGrain | None = None
    strands: np.ndarray | None = None
    outline: Outline | None = None
    lent: LentDetail | None = None
    removal: Removal | None = None
    note: str = ""
    fallback: bool = False
    aligned: AlignedFace | None = None


@dataclass(frozen=True)
class Removal:
    """Hair taken away by a shape, kept for the later frames an edit is carried over to
    (``mirror.run.lagged``): their hair, which moves in the crop as a head turns, goes too.

    Attributes:
        picture: (R, R, 3) uint8 BGR, what shows where hair goes: the scalp, and the wall behind
            the head.
        reach: (S, S) float32 in [0, 1], where hair goes wherever it lies (``EditPlan.reach``).
        limit: (R, R) float32 in [0, 1], how much of each pixel may be redrawn (none of the
            protected face, less at the crop's fading edge).
        face: (S, S) bool, the face's oval grown by the strands' fringe: the fringe of hair taken
            away does not spread over it.
        taken: (S, S) float32 in [0, 1], the hair taken on the edit's own frame (a later frame's
            is taken where it goes beyond this).
    """

    picture: np.ndarray
    reach: np.ndarray
    limit: np.ndarray
    face: np.ndarray
    taken: np.ndarray


@dataclass(frozen=True)
class LentDetail:
    """The drawn crop with the fine detail lent to drawn hair and scalp, on a grid ``scale`` times
    finer than the detail crop (detail-crop pixel (x, y) is grid point (scale * (x + 0.5) - 0.5,
    ...); ``mirror.render.compositor.on_grid``).

    Attributes:
        drawn: (scale * R, scale * R, 4) uint8: ``EditedFace.crop`` upsampled with the detail
            added, and ``EditedFace.replace`` times 255.
        scale: grid points a detail-crop pixel.
        lighter, darker: (h, w, 4) uint8, the detail added (``lighter - darker``; the fourth
            channel 0), in the grid's box from point ``at`` (top, left): an edit carried over
            to a later frame adds it to its own crop.
        at: see ``lighter``.
    """

    drawn: np.ndarray
    scale: int
    lighter: np.ndarray
    darker: np.ndarray
    at: tuple[int, int]


@dataclass(frozen=True)
class Beyond:
    """An edit's reach past the crop's edge, on the frame's own pixels through ``mask``: a
    recolouring's (long hair: ``table``) or hair taken away above the crop (``fill``).

    Attributes:
        mask: (2S, 2S) float32 in [0, 1], in the outer square's space (``AlignedFace.outer``).
        table: the recolouring (``mirror.render.colortable.ColorTable``) of 8-bit BGR pixels, or None.
        fill: (2S, 2S, 3) uint8 BGR, what shows instead (the wall), in the outer square; or None.
        inset: ``mask`` is 0 inside the crop (the middle S square) farther than this many pixels
            from its edge (the compositor draws only round it); None: not known.
        drawn: (2S, 2S, 4) uint8, with a ``fill``: all the edit drew in the outer square, the
            fill and its weight, and in the middle the crop's own drawing (``EditedFace.crop``
            and ``replace``) at this resolution, for the frames it is carried over to
            (``mirror.run.lagged``); or None.
    """

    mask: np.ndarray
    table: object = None
    fill: np.ndarray | None = None
    inset: int | None = None
    drawn: np.ndarray | None = None


@dataclass(frozen=True)
class Donor:
    """One real head of hair from the donor bank (``mirror.edit.donors``), aligned exactly as the
    mirror aligns a face (``mirror.face.align``), so its crop is the same square as
    ``AlignedFace.crop`` and ``AlignedFace.detail``, at its own side D.

    Attributes:
        index: its row in the bank.
        source: the photo it was taken from (a CelebA file name).
        crop: (D, D, 3) uint8 BGR, the head and its hair.
        matte: (D, D) float32 in [0, 1], the hair, soft at the strands' edges.
        skin: (D, D) float32 in [0, 1], bare skin of the face, ears and neck.
        person: (D, D) float32 in [0, 1], the person (hair, skin, clothes).
        landmarks: (478, 2) float32 face-mesh landmarks in crop pixels.
        latent: (Z,) float32, the VAE's mean for its model-sized crop.
        pose: (3,) float32 yaw, pitch and roll in degrees.
        skin_color, hair_color: (3,) float32 CIELAB means (L in 0-100) of its skin and hair.
        attributes: (40,) int8 CelebA attributes, +1 / -1, in the data set's order.
        look: the catalogue look it belongs to ("" for none).
    """

    index: int
    source: str
    crop: np.ndarray
    matte: np.ndarray
    skin: np.ndarray
    person: np.ndarray
    landmarks: np.ndarray
    latent: np.ndarray
    pose: np.ndarray
    skin_color: np.ndarray
    hair_color: np.ndarray
    attributes: np.ndarray
    look: str = ""


@dataclass
class Result:
    """One processed frame.

    Attributes:
        frame: the frame as captured (BGR).
        output: (H, W, 3) uint8 BGR, the picture shown.
        face: whether a face was found (and edited).
        timings: milliseconds per stage (``mirror.run.timing``), and ``latency`` in the pipelined loop.
        note: why the edit shown is fainter than asked, or not drawn (``EditedFace.note``), or "".
    """

    frame: Frame
    output: np.ndarray
    face: bool
    timings: dict[str, float] = field(default_factory=dict)
    note: str = ""
