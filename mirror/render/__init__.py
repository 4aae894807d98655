"""The hair renderer: draws the model's plan with the person's own pixels, in the detail crop.

    renderer = HairRenderer()
    edited = renderer.render(aligned, plan, plate)       # EditedFace at the detail crop's size

- colour: the person's own hair, recoloured in CIELAB inside the hair mask: its lightness
  pattern (strands, highlights) is kept and stretched to the target's spread, its mean moved to
  the target's. Nothing outside the hair mask changes.
- add: new hair where the model's decode grows it, drawn from the person's own hair (its
  texture reflected across the hair's edge into the new region), with a soft edge.
- remove: where the model's decode takes hair away, scalp inside the skull outline (grown to
  the person's own outline less a layer of hair; the person's skin colour, blended into the
  skin it meets, the skin's grain, the decode's shading), and outside it the wall behind (the
  video's background plate, or the wall beside the head continued across); hair that leaves
  the crop goes on past it too (``removed_beyond``).
- texture: the decode's change of lightness, as a gain on the sure hair's own pixels, nowhere else.

The face below the brows' arc is never drawn on; an edit fades into it over ``FEATHER`` of the
crop, and fades out below the mouth and at the crop's border (``regions.edit_limit``).
"""
from __future__ import annotations

import concurrent.futures
import dataclasses
import functools
from typing import Callable, NamedTuple

import cv2
import numpy as np

from mirror.render import eyebrows

from mirror.edit import shapes
from mirror.render.colortable import ColorTable, no_cast, recolor_box, shift_cap, stretched
from mirror.render.compositor import nonzero_box, over, with_weight
from mirror.render.plate import BackgroundPlate, fill_holes, smooth_fill
from mirror.face.regions import (BROWS, CHIN, EYES, NOSE_TIP, MOUTH, brow_line, brows, chin_fade, edge_margin, edge_profile, edge_strips, edit_limit,
                            crown_cap, eyes, face_interior, face_oval, hair_reach, joined_to, neck_span, skull, skull_axes,
                            soft_interior)
from mirror.render.texture import TextureBank, lighten
from mirror.run.timing import run_in_background
from mirror.types import AlignedFace, Beyond, EditedFace, EditPlan, Removal, SkinGrain
from mirror.render import waves

# The renderer's crop side as a multiple of the model's: 2 x 128 px is about the face's own
# resolution in a 720p webcam frame, so drawn hair is not a blurred upscale.
DETAIL = 2
# Fractions of the crop side:
FEATHER = 0.015        # the protected face interior fades in over this
GUIDE_RADIUS = 0.012   # the guided filter's window: the hair mask's edge snaps to strands this close
FOLD = 0.06            # new hair / scalp texture comes from a band this deep inside its source
DETAIL_SIGMA = 0.012   # scalp texture: detail finer than this (Gaussian sigma) is the skin's own
PORES = 0.006          # ... up to this much (spread, of the intensity range)
HAIR_EDGE = (0.3, 0.7)  # the segmenter's hair probability from "not hair" to "hair"
HAIR_SURE = 0.8        # ... and where its colour is measured
GUIDE_EPS = 2e-3       # guided filter regulariser (intensity^2 in [0, 1] units): edges above ~0.05
# The segmented hair change of the decodes below this counts as noise, above CHANGE_FULL as sure.
CHANGE_MIN, CHANGE_FULL = 0.15, 0.55
UNSURE = (0.05, 0.2)   # ... but a fringe a style takes wherever it lies goes where hair is this likely (not / wholly),
DARKER_STRANDS = (0.0, 6.0)  # ... of the hair's colour and this much darker than the skin in L* (not / wholly)
HAT_GROUND = 0.01      # hair taken away under a hat (``not_skin_hued`` over this share of the crop, at CAP_SHARE) ...
HAT_SURE = (0.5, 0.8)  # ... goes only where the segmenter is this sure of it (not / wholly)
RETAKE_MIN = (0.1, 1e-3)  # a later frame's hair is taken (``retake``) where that draws this much more, if as much as this share of the crop
FRINGE_REACH = 0.025  # removed hair takes this much (share of the crop) of the wall beside it too (its fringe;
                      # 0.02 with the segmenter before the forty-sixth pass, whose 0.2-0.5 halo off the person
                      # lay 1-2 px at 256 farther out than this one's, which calls it wall)
WISPS = 0.04           # bald scalp reaches this far (share of the crop) below the hair that goes
DIP_WIDTH = 0.012      # a removal's weight: its dips narrower than this (share of the crop) are filled ...
DIP_FROM = 0.5         # ... where it is over this (``close_dips``)
HUNG_FROM = 0.04       # ... and hair over the face goes if the hair this far (share of the crop) above the brows does,
HUNG_WHOLE = 0.15      # ... (below the brows' arc, wholly where the segmenter is this sure of it,
HUNG_FAINT = 0.05      # ... with its strands' soft edge joined to it down to this)
HUNG_EYES = 0.1        # ... up to this many eye widths from the eyes;
BESIDE_SURE = 0.35     # ... and where long hair goes whole, the strands over the cheeks joined to it this sure
# Colour: the hair's spread may shrink at most this much, per channel (L, a, b), and never grows.
# Chroma offsets are never stretched: at the hair's edge they are the skin's, not the strands'; nor
# is lightness (at up to 1.5, 1.8 at the 1.4x reach, dark hair's broad sheen came out as a pale
# mottle made blond, CelebA 182719; the strands that dark hair lacks are lent: LEND_GAIN).
SPREAD_LIMITS = ((0.6, 1.0), (0.5, 1.0), (0.5, 1.0))
SOFT = 0.012           # drawn regions' edges are feathered over this (Gaussian sigma)
COPY = 0.12            # new hair below a hairline is the hair up to this far above it, mirrored down
STRETCH = 4.0          # ... and stretched by at most this much to reach its lower end (at 2, short hair folded into a zigzag)
DENSE = 0.02           # new hair is drawn from hair this far (share of the crop) inside its edge
BARE_RIM = 0.005       # recolouring: skin-coloured hair with less than this share of the crop dense is a bald head's rim
SOURCE_MIN = 0.3       # ... if it has at least this much of it (share of the new hair's area; at 0.5 short hair got none)
SOURCE_SURE = 0.85     # ... copied from where the segmenter is this sure of hair (a cap it half takes for hair: 0.6-0.8),
SURE_SHARE = 0.6       # ... if that is this share of the dense hair (less: a head under a cap, ``_under_cap``, whose colour
                       # was copied)
SURE_HOLD = 0.2        # ... or, in video for a head not under a cap on the last frame, this much less
ROOTS = 0.04           # ... and reaches up to this far over the thin hair above it
BROAD = 0.03           # ... its patches of light and shade evened out above this size (share of the crop)
OUTLIER = 2.0          # ... its colour kept within this many robust spreads of the hair's own (L*; a*, b* halved)
STRANDS_RATE = 0.5     # ... in video, following each frame's copy at this rate (a copy of compressed hair shimmers)
# A head is under a cap too where more than CAP_SHARE of the new hair's ground (where the segmenter
# sees no hair: the fringe, and the head above it up to its hair or its top) lacks the skin's hue:
# a segmenter sure a cap is not hair leaves it there, and a fringe was copied over its brim from
# the hair beside or above it (CelebA 000635, 003249: 0.96, 0.84 of it). Lit or shadowed foreheads
# keep their hue: 3 of 600 test faces without a hat are over it, under stage light (005207, 002944)
# or red hair over the forehead (006245); bangs then draws on 527 of them, not 530.
CAP_SHARE = 0.7
CAP_HUE = 30.0         # ... the skin's hue: a*, b* within this many degrees of the face interior's,
CAP_CHROMA = (0.35, 1.8)  # ... its chroma this share of the face's (a black or white cap has none) ...
CAP_GREY = 5.0         # ... unless the face's chroma is under this (a black-and-white photo: hue tells nothing)
BAY_REACH = 0.1        # new hair: skin the hair mask covers up to this far (share of the crop) above the face's outline is bare:
BAY_SHARE = (0.3, 0.7)  # ... where its a*, b* lie this share of the way from the hair's to the skin's (not / wholly),
BAY_APART = (12.0, 18.0)  # ... if those are this far apart (not at all / wholly),
BAY_BLUR = 0.025       # ... that share smoothed by this (Gaussian sigma, share of the crop)
BAY_RATE = 0.1         # ... and in video followed at this rate a frame
BAY_SURE = (0.8, 0.95)  # ... inside hair the segmenter is this sure of (from / wholly)
BAY_GROW = 0.03        # ... and this far (share of the crop) round that,
BAY_MOST = (0.015, 0.03)  # ... if this share of that sure hair is of the skin's hue (wholly / not at all)
NOT_SKIN = (6.0, 16.0)  # recolouring: a pixel this far (CIELAB) from the face's skin is not / is hair
SKIN_LIGHT = 0.5       # ... its lightness weighed this much beside a*, b*
SKIN_ZONE = 0.04       # ... within this (share of the crop) of the face's outline; farther out, hair
HAIR_CERTAIN = (0.9, 0.97)  # ... and not where the segmenter is this sure of hair (from / wholly),
CERTAIN_INSET = 0.02   # ... this far (share of the crop) inside its edge (skin-coloured hair: a blond fringe),
HAIR_TAKEN = (0.6, 0.85)  # ... nor, for hair whose colour the skin's is within MIX_CONTRAST of (wholly / not),
                       # where it takes it for hair (as HANG_SURE: from / wholly), as far inside: colour
                       # cannot tell such hair from skin, so the segmenter's call does (it gives a
                       # see-through blond fringe 0.8-0.9, under HAIR_CERTAIN: CelebA 184436)
DARKER = 10.0          # a recolouring this much darker in L* (light hair made dark) ...
HANG_SURE = (0.6, 0.85)  # ... takes hair over the protected face where the segmenter is this sure (from / wholly)
HANG_COLOR = (2.0, 3.5)  # ... and is this close to the hair's colour (its spreads: wholly / not)
SKIN_BESIDE = (6.0, 12.0)  # ... unless the colour beside the hair is within this of the skin's a*, b* (skin itself)
MIX_CONTRAST = (25.0, 40.0)  # ... and this far (CIELAB) from the hair's: a mix of the two is told from skin
# Recolouring: a pixel within 3 of its hair's spreads (CIELAB, all channels) is stretched as the
# hair is; from 5 on (skin or wall mixed in at the hair's edge) it only shifts by the hair's change.
DEVIATION = (3.0, 5.0)
FAR = (8.0, 12.0)       # ... and from FAR[0] on it is moved less, not at all from FAR[1] (not hair)
CORE = (0.9, 1.0)       # ... except deep inside the recolouring's mask (from CORE[0], wholly at CORE[1]): hair
# ... those spreads counted as at least this (L*, a*, b*): black hair's own is a unit or two, and
# its strands a shade warmer at its edge would count as not hair (left half-moved: a dark line).
SPREAD_FLOOR = np.float32([4.0, 3.0, 3.0])
ALREADY = ((6.0, 16.0), (4.0, 12.0))  # recolouring: hair this close to a light target / a dark one (CIELAB
                       # distance) is left / fully moved
LIGHT_TARGET = 40.0    # ... a target this light in L* (blond, gray) darkens no hair
BLACK = (16.0, 20.0)   # ... a target this dark in L* (wholly / not at all) is black:
BLACK_CHROMA = 0.25    # ... hair moved to it takes this share of its new mean's a*, b*, and is made no lighter
CEILING = 3.0          # ... skin or wall only shifted with hair made lighter: no lighter than its new mean plus this many spreads
                       # (nor than the lighter of that mean and the face's skin: ``ceiling``)
LIGHTEN_PAST = 0.5     # ... past its target, hair made lighter goes this share as far in L* (overshot, it reads as bleached)
LEND_GAIN = 0.8        # recolouring: a donor's hair detail makes up this much of the lightness spread flat hair lacks (mirror.render.texture)
LEND_LIGHTER = (5.0, 15.0)  # ... when made lighter by this much in L* (wholly from the second)
LENT_SLACK = 0.05       # ... in video, staying where they lay on the frame unless the crop moves more than this (share of it),
LENT_RETURN = 0.02      # ... and settling back to the crop at this rate a frame,
LENT_RATE = 0.35        # ... followed at this rate a frame (a new donor's strands fade in)
LENT_FADE = 0.15       # ... fading out over this share of the crop to its edge (past it, none is lent)
COLOR_INSET = 0.015    # recolouring reaches this far (share of the crop) into the protected face
MATTE_REACH = 0.008    # ... and the recoloured region reaches this far beyond the hair mask
ISLAND = 0.01          # ... and no patch of it (above this) that sure hair does not join
CRISP = 4.0            # ... its soft edge's outer half this many times steeper where hair meets a wall of its colour (a haze, a glow)
ON_PERSON = (0.9, 0.98)  # ... not where what is beside it is skin (SKIN_BESIDE) this surely on the person (not / wholly): a forehead
OTHER_SIGMA = 0.03     # the colour beside the hair (skin, wall) is averaged over this
OTHER_MIN = 0.05       # ... and trusted where that much of the average is not hair
WALL_WIDE = 0.12       # ... else the wall's colour averaged this far (off the face) stands in for it,
WALL_MEAN = 1e-3       # ... (its mean over the crop where none is near)
WALL_SHARE = 0.25      # ... and a pixel this close to it (share of the way to the hair's colour),
                       # and as far from the hair's as DEVIATION, is wall the hair mask spilled on
MIX_LINE = (0.25, 0.5)  # ... a pixel this far off the line between them (share of its length): a mix / not one
MATTE_CONTRAST = (10.0, 20.0)  # hair and what is beside it this far apart (CIELAB): no / a sure matte
FLAT = (1.0, 3.0)      # a pixel part hair by its colour in a patch whose L* spreads this little (wholly / not flat)
FLAT_WINDOW = 0.004    # ... over this either side (share of the crop, at least a pixel),
MIX_AWAY = (0.008, 0.02)  # ... this far (share of the crop) from any pixel of the hair's colour (not / wholly),
MIX_CORE = (1.5, 2.5)  # ... (within this many of its spreads: wholly / not),
SHADOW_SIZE = 0.04     # ... the patch at least this wide and tall (share of the crop) in area,
SHADOW_UNSURE = 0.3    # ... and the pixel this much short of wholly hair (its share: from / wholly), is a shadow
                       # on the wall where the segmenter is not HAIR_CERTAIN of hair, off the face (``_shadow``)
FRINGE_SHADE = 65      # new hair's colour: this percentile of the dense hair's (it faces the light)
LIT_SAMPLE = 2000      # ... measured on about this many of its pixels
STREAKS = (0.006, 0.03)  # ... its strands: streaks this thin and this long (Gaussian sigmas, share of the crop)
STREAK_GAIN = 0.06     # ... lightening or darkening it by this (one spread)
FRINGE_LIGHT = (0.25, 0.2)  # ... lit in a band this far down it, this wide (shares of its length; Gaussian),
FRINGE_LIFT = 0.1      # ... by this (of the intensity range; more along its light streaks, less along its dark)
THIN_ENDS = 0.7        # ... at its lower end, the skin shows through this much of it between its clumps,
CLUMP_THIN = 0.3       # ... and this share of that in them
THIN_POWER = 1.2       # ... thinning towards there as this power of the way down
FRINGE_ARC = 0.03      # new hair's lower edge rises by this much (share of the crop) at its sides
TIP_LENGTH = 0.02      # new hair's strands end up to this much above its lower edge
TIP_CLUMP = 0.008      # ... in clumps about this wide (Gaussian sigma; at 0.02, broad teeth: a comb on d0 and d3)
TIP_TAPER = 0.08       # ... thinning to a point over this
SHADOW = 0.02          # new hair shades the skin below it over this, by SHADOW_DEPTH
SHADOW_DEPTH = 0.25
TEXTURE_GAIN = (0.75, 1.3)  # wavy, straight: the hair's lightness changed by at most these factors
GLINT = (0.012, 30.0)  # wavy: a line up to twice this thin (share of the crop), this much lighter (L*) than
                       # what is round it, is a glint in the hair (an earring: 56-94 on d3; lit strands under 22),
STILL_ROUND = 0.03     # ... and the hair this close to it (share of the crop) keeps still
SHADE_GAIN = 0.3       # how much of the edited decode's lightness relief shades the scalp
SHADE_LIMIT = (-2.0, 10.0)  # at most this many L* units darker / lighter (a dark blot is hair left in the decode)
SHADE_BLUR = 3.0       # ... its relief, not its detail: blurred by this (decode pixels)
THIN_DETAIL = 0.008    # thinning hair: its strands are its detail finer than this (Gaussian sigma, share of the crop)
THIN_FLAT = 6.0        # ... in robust spreads of at least this (L*: dark hair's faint detail, JPEG blocks, is no plaid)
THIN_STREAKS = (0.003, 0.02)  # ... with fine streaks this thin and long along its fall
THIN_STREAK_MIX = 0.5  # ... at this weight beside its own detail
THIN_TEXTURE = 0.25    # ... and what goes varies by this share of the thinning with them (gaps more, strands less)
BROW_STREAKS = (0.003, 0.02)  # a brow drawn anew (``mirror.render.eyebrows``): its strands this thin and long (Gaussian sigmas, share of the crop)
HAIR_DEPTH = 0.04      # bald: the scalp lies this far (share of the crop) inside the person's outline
SKULL_GROWTH = 1.15    # ... and at most this much bigger than the skull from the landmarks
SKULL_EDGE = 0.002     # ... its edge against the wall as soft as this (a head's outline is sharp: at 0.008 a
                       # ... blurred cap on d3, 13 frame px)
HEAD_OUTLINE = 0.6     # a receding hairline bares the head out to where the person is this sure (at 0.5, receding's texture 0.500)
FOREHEAD_INSET = 0.01  # ... the fine grain of its skin as the bare forehead's this far from the brows and the hair,
FOREHEAD_MIN = 0.03    # ... if that is at least this tall and wide (share of the crop)
ROUNDING = 0.04        # ... its outline smoothed over this (share of the crop)
DOME = 18.0            # a bare scalp is this many L* units darker at the skull's edge than on top,
DOME_WIDTH = 0.12      # ... darkening over this (share of the crop) either side of its edge
NECK_SHADE = 8.0       # ... and under the jaw, a drawn neck this much darker than the cheeks (median L*: in the jaw's shadow)
NECK_SHADE_EDGE = 0.01  # ... from the jaw's line down over this (Gaussian sigma, share of the crop)
NECK_BAND = (0.01, 0.07)  # ... measured (there and on real faces) this far under the chin (share of the crop)
SCALP_LIFT = 15.0      # ... lightened by at most this, to the forehead's lightness, where the crown is bare:
HIDDEN_GAP = 7.8       # ... (where a fringe hides the forehead, to this much below the one the cheeks foretell)
BALD_CROWN = (0.5, 0.8)  # ... this much of it (not at all / wholly; ``bare_crown``: bald 0.89-1, receding 0-0.56)
SHEEN = 10.0           # ... and this much lighter where light from above catches its front,
SHEEN_AT = 0.55        # ... centred this share of the way from its top down to the brows
CROWN_SHADE = 16.0     # ... and up to this much darker towards its top, which turns away from a camera in front
                       # (``_turned_away``). Up the middle of the test split's 37 real bald heads, from the brows,
                       # L* from the forehead's: +2.8 a third of the way up, -4.0 at 0.7, -11.1 near the top; on
                       # val and test's 76, the skull outside the face -7.8 in the mean. Drawn on the first 150
                       # test faces with the sheen at 0.35 and no turn: +1.3, +3.9, +1.6 (a flat cap with a pale
                       # spot high on it) and -3.5; turned up the dome, +1.3, +0.1, -6.3 and -7.0 (a stronger
                       # turn or a lower sheen made the front darker than real heads'). Across the dome halfway
                       # up, 0.9 of the way out either side, real heads are -22.7 and -17.4 (middle +2.8); turned
                       # up the dome only, -13.9 and -12.4 (2.2): lit almost as the middle; turned round each row
                       # too, as a sphere, -19.0 and -18.7 (2.5), and up the middle +1.3, +0.8, -5.4 and -6.5
BEYOND_BLUR = 1.0      # recolouring past the crop: its colours and its mask smoothed by this (crop pixels)
BEYOND_WALL = 0.02     # ... only if this much of the crop is wall (off the person)
BEYOND_CONTRAST = (3.0, 5.0)  # ... the wall this far from the hair's colour (its spreads): not / wholly trusted
WALL_SCARCE = 0.1      # recolouring: with less of the crop than this seen as wall (off person and hair),
                       # ... or a wall whose colour cannot be told from the hair's (BEYOND_CONTRAST),
HAIR_REACH = 1.3       # ... dark hair's recolouring reaches no farther than this times the skull's size
DARK_HAIR = (20.0, 30.0)  # ... hair this dark in L* (wholly / not at all)
REACH_EDGE = 0.15      # ... fading out over this share of it
ENDS_FADE = (0.25, 0.12, 0.1)  # recoloured hair the crop cuts and that is not followed past it fades out
                       # over this share of the crop from its bottom, its sides and its top edge
BEYOND_REACH = 1       # hair taken away past the crop: reaches this far (crop pixels) past its colour's edge
BEYOND_STRENGTH = 1.5  # ... and replaces it wholly where it is this sure of the hair (a soft edge stays soft);
FOOT_FADE = 0.2        # ... below the crop's foot at least this far (share of the crop), fading out
STRAND_REACH = 0.06    # ... and thin strands past the hair followed, within this (share of the crop) of it,
STRAND_SHARE = (0.15, 0.35)  # ... where they lie this far from the wall towards the hair's colour (not / wholly),
STRAND_WALL = 0.12     # ... the wall measured this far (share of the crop) either way along each row
SCENE = (0.7, 0.3, 0.3)  # a colour target follows this much of the picture's light (L* by ratio, a*, b*: scene_target)
SCENE_NEUTRAL = (0.8, 10.0, 15.0)  # ... a near-neutral one this much of its cast in a*, b* (chroma to the
                       # first; SCENE's from the second): gray at 0.3 read as lavender in a warm-lit room (d3),
                       # and so did the silver gray (train.colors.SILVER) at 0.6; the old gray at 1.0, ash blond
GREEN_FLOOR = 0.5      # ... and its a* not below this,
BLUE_FLOOR = 0.5       # ... nor a light one's b*
WARM_FROM = (15.0, 20.0)  # hair made lighter keeps its own chroma (``_warmth``) for a target this colourful (not at all / wholly)
COLOR_SAMPLE = 1024   # pixels the hair's own colour is measured on
COLOR_RATE = 0.25      # video: how fast the person's measured hair colour follows each frame
DOME_RATE = 0.4        # ... and a bare scalp's colour each render
CARRIED_STILL = (0.008, 0.016)  # video: a recolouring mask made on an earlier frame's crop stays where it lay on the frame
                                # ... while the crop has moved less than this since (share of it; wholly / not at all)
FAST_HEAD = 0.008       # ... and a crop moving this much a frame (share of it) is a head moving fast: its mask is made on the frame
SKIN_RING = 0.01       # bald: the scalp takes the colour of the skin this close (share of the crop) to its edge
SKIN_FALL = 0.16       # ... and less so the farther from there (e-fold distance, share of the crop)
SKIN_NEAR = 12.0       # ... (below the brows' arc, only where this close to the skin's colour, CIELAB,
BROW_FALL = 0.04       # ... and less so over this e-fold distance, share of the crop)
SKIN_MIN = 0.002       # share of the crop a skin sample needs before it is trusted
SKIN_SHADED = 0.01     # ... a forehead's this much (less is the skin between a fringe's strands, in their
                       # shadow: a scalp drawn in its tone was a grey patch)
# ... else the cheeks', moved to where the forehead would be: L* to this slope and offset, a*, b*
# by these (the bare forehead's median against the bare cheeks' on the 1,197 of the first 3,000
# training faces that show both: 14 L* lighter in the median, 17.6 on cheeks under L* 55 and 9.0
# over 72; a*, b* -2, 0): drawn in the cheeks' own tone, a forehead bared of its fringe and the
# scalp above it were a darker, tan patch on a pale face.
CHEEKS_TO_FOREHEAD = (0.643, 35.7)
CHEEKS_TO_FOREHEAD_AB = np.float32([-2.0, 0.0])


# OpenCV converts 8-bit colour to CIELAB by table, 30x faster than in floating point; 8 bits
# hold L* in steps of 0.4 and a*, b* in steps of 1, finer than hair colour needs.
_LAB_SCALE = np.float32([100.0 / 255.0, 1.0, 1.0])
_LAB_OFFSET = np.float32([0.0, 128.0, 128.0])
_SKIN_WEIGHT = np.float32([[SKIN_LIGHT ** 2, 1.0, 1.0]])   # cv2.transform: skin distance's squared weights
_SUM = np.ones((1, 3), np.float32)   # cv2.transform by this: the sum of a pixel's three channels


# The same conversions as table look-ups (cv2.LUT: one vectorised pass, the same float32 values).
_LAB_VALUES = ((np.arange(256, dtype=np.float32)[:, None] - _LAB_OFFSET) * _LAB_SCALE).reshape(256, 1, 3)
_UNIT_VALUES = (np.arange(256, dtype=np.float32) * np.float32(1.0 / 255.0)).reshape(256, 1)


def to_lab(image: np.ndarray) -> np.ndarray:
    """(H, W, 3) BGR, uint8 or float in [0, 1] -> float32 CIELAB (L* in [0, 100], a*, b* around 0)."""
    if image.dtype != np.uint8:
        scaled = image * 255.0
        scaled += 0.5
        image = np.clip(scaled, 0, 255, out=scaled).astype(np.uint8)
    return cv2.LUT(cv2.cvtColor(image, cv2.COLOR_BGR2LAB), _LAB_VALUES)


def from_lab(lab: np.ndarray) -> np.ndarray:
    """Float32 CIELAB -> (H, W, 3) float32 BGR in [0, 1]."""
    lab8 = lab / _LAB_SCALE
    lab8 += _LAB_OFFSET
    lab8 += 0.5
    lab8 = np.clip(lab8, 0, 255, out=lab8).astype(np.uint8)
    return cv2.LUT(cv2.cvtColor(lab8, cv2.COLOR_LAB2BGR), _UNIT_VALUES)


def color_stats(lab: np.ndarray, weight: np.ndarray) -> np.ndarray | None:
    """(2, 3) float32 weighted mean and spread of CIELAB pixels, or None with too little weight."""
    w = weight.astype(np.float32)
    total = float(w.sum())
    if total < 4.0:
        return None
    mean = (lab * w[..., None]).reshape(-1, 3).sum(0) / total
    spread = np.sqrt(((lab - mean) ** 2 * w[..., None]).reshape(-1, 3).sum(0) / total)
    return np.stack([mean, np.maximum(spread, 1.0)]).astype(np.float32)


def own_color(lab: np.ndarray, hair: np.ndarray) -> np.ndarray | None:
    """(2, 3) float32 CIELAB median and robust spread (1.4826 x the median absolute deviation,
    the standard deviation for a normal spread) of the sure hair (``hair`` (H, W) probability
    above HAIR_SURE), or None with too little of it. Robust: skin and wall pixels at a loose
    mask's edge neither shift it nor widen it."""
    pixels = lab[hair > HAIR_SURE]
    if len(pixels) < 4:
        return None
    # Channels as rows, and an even sample of at most COLOR_SAMPLE pixels: a median is no better
    # for more, and costs a few ms a frame on a whole head of hair.
    pixels = np.ascontiguousarray(pixels[::max(1, len(pixels) // COLOR_SAMPLE)].T)
    median = np.median(pixels, axis=1)
    spread = 1.4826 * np.median(np.abs(pixels - median[:, None]), axis=1)
    return np.stack([median, np.maximum(spread, 1.0)]).astype(np.float32)


def move(own: np.ndarray, target: np.ndarray, amount: float = 1.0, warm: bool = False
         ) -> tuple[np.ndarray, np.ndarray]:
    """``recolor``'s move of hair of colour ``own`` towards ``target`` (both (2, 3) CIELAB mean,
    spread): ((3,) the new mean, (3,) the factor each channel's spread is stretched by).
    ``warm``: a named colour, which hair made lighter takes in its own warmth (``_warmth``; an
    exemplar's colour is the exemplar's)."""
    limits = np.float32(SPREAD_LIMITS)
    # Hair already of the target colour stays as it is. Near a dark target (black, brown) that is
    # nearer: dark brown or auburn hair 8-20 CIELAB units off black moved a seventh of the way
    # and stayed brown; near a light one (blond, gray), moved, it was told from real hair of the
    # colour more often (blond's detectability 0.742 -> 0.766). (From 8-20 to 6-16 with the
    # forty-sixth pass's segmenter, whose sure hair takes in a lit crown and so measures hair
    # lighter: the astronaut's dark blond, 15 units off blond, was moved 0.61 of the way, a dark
    # gold; whole split, blond's success 0.510 -> 0.516 and detectability 0.718 -> 0.712.)
    near = ALREADY[0] if target[0, 0] >= LIGHT_TARGET else ALREADY[1]
    black = float(np.clip((BLACK[1] - target[0, 0]) / (BLACK[1] - BLACK[0]), 0.0, 1.0))
    # (Black is judged as hair made black ends up, neutral (BLACK_CHROMA of its a*, b*), not in
    # the scene's warm cast: d3's brown hair, 5 units off the cast black and 12 off the neutral,
    # was left brown.)
    goal = np.array(target[0], np.float32)
    goal[1:] *= 1.0 - black * (1.0 - BLACK_CHROMA)
    distance = float(np.linalg.norm(goal - own[0]))
    amount *= float(np.clip((distance - near[0]) / (near[1] - near[0]), 0.0, 1.0))
    if warm:
        target = _warmth(own, target)
    ratio = np.clip(target[1] / own[1], limits[:, 0], limits[:, 1]) ** amount
    mean = own[0] + amount * (target[0] - own[0])
    if target[0, 0] >= LIGHT_TARGET and mean[0] < own[0, 0]:
        # A light colour (blond, gray) makes no hair darker: platinum or white hair made blond
        # keeps its lightness and takes the colour's hue (darkened, it came out a dull tan).
        mean[0] = own[0, 0]
    if amount > 1.0 and target[0, 0] > own[0, 0]:
        mean[0] = own[0, 0] + (1.0 + LIGHTEN_PAST * (amount - 1.0)) * (target[0, 0] - own[0, 0])
    if amount > 1.0:
        # A reach beyond the target may lighten, darken and saturate further, but keeps the
        # target's hue (overshot, a red-brown head turned blond would come out grey-green).
        chroma = float(np.linalg.norm(target[0, 1:]))
        mean[1:] = target[0, 1:] * max(1.0, float(np.linalg.norm(mean[1:])) / max(chroma, 1e-6))
    if black > 0.0:
        # Nor does black make any hair lighter: blue-black hair made black keeps its depth
        # (lightened to the target's mean, it came out a dull ash).
        mean[0] -= black * max(float(mean[0] - own[0, 0]), 0.0)
        # Hair made black is neutral: its pixels keep their own spread of a*, b* (a brown head's
        # warm lights), so a mean as warm as real black hair's came out brown-black.
        # (its a* held at GREEN_FLOOR, as scene_target holds it: not teal)
        floor = min(float(mean[1]), GREEN_FLOOR)
        mean[1:] *= 1.0 - black * min(amount, 1.0) * (1.0 - BLACK_CHROMA)
        mean[1] = max(float(mean[1]), floor)
    return mean, ratio


def _warmth(own: np.ndarray, target: np.ndarray) -> np.ndarray:
    """``target`` (2, 3) for hair of colour ``own`` (2, 3) made lighter by it: its a*, b* raised
    to the hair's own chroma where that is greater, in the target's hue (a ginger or auburn head
    made blond is a strawberry or golden blond: taken to the average blond's chroma it came out
    ash grey, more so beside the warm light that made it red; half as warm, still ash). Only a
    colourful target's (chroma from WARM_FROM: blond, not gray or brown)."""
    chroma = float(np.linalg.norm(target[0, 1:]))
    hair = float(np.linalg.norm(own[0, 1:]))
    if target[0, 0] <= own[0, 0] or hair <= chroma:
        return target
    colored = float(np.clip((chroma - WARM_FROM[0]) / (WARM_FROM[1] - WARM_FROM[0]), 0.0, 1.0))
    warm = np.array(target, np.float32)
    warm[0, 1:] *= 1.0 + colored * (hair / chroma - 1.0)
    return warm


def ceiling(own: np.ndarray, mean: np.ndarray, ratio: np.ndarray, skin: np.ndarray | None = None) -> float:
    """The lightest L* a pixel only shifted by a recolouring (``shift_cap``) is made: the new
    hair's mean (``move``'s ``mean``, ``ratio``) plus CEILING of its spread; with the face's
    ``skin`` colour (3,) known, no lighter than the lighter of that mean and the skin's either
    (such a pixel is hair mixed with skin or wall; where dark hair lit from above has a wide
    spread, skin seen through it at a hairline went lighter than both: a pale band)."""
    top = float(mean[0] + CEILING * own[1, 0] * ratio[0])
    return top if skin is None else min(top, max(float(mean[0]), float(skin[0])))


def scene_target(target: np.ndarray, reference: np.ndarray | None, skin: np.ndarray | None) -> np.ndarray:
    """(2, 3) a colour style's target as it looks in this picture: moved by SCENE (a near-neutral
    target's a*, b* by SCENE_NEUTRAL) of how the person's skin (3,) differs from the skin of the
    training faces that have the colour (``reference`` (3,)). A dim, warm-lit frame makes every
    colour darker and warmer; a target taken as it is would stand out in it (blond as silver, gray
    as lavender). None for either: the target as it is."""
    if reference is None or skin is None:
        return target
    moved = np.array(target, np.float32)
    # Light scales lightness (a dark target moves less than a light one); a colour cast shifts a*, b*.
    exposure = float(np.clip(skin[0] / max(float(reference[0]), 1.0), 0.25, 4.0)) ** SCENE[0]
    moved[:, 0] *= exposure
    # A cast shows most on a neutral colour: grey hair keeps less of its own a*, b* in a coloured
    # light than blond does (the scene's white is where a grey sits).
    chroma = float(np.linalg.norm(moved[0, 1:]))
    neutral = float(np.clip((SCENE_NEUTRAL[2] - chroma) / (SCENE_NEUTRAL[2] - SCENE_NEUTRAL[1]), 0.0, 1.0))
    follow = np.float32(SCENE[1:]) + neutral * (SCENE_NEUTRAL[0] - np.float32(SCENE[1:]))
    moved[0, 1:] += follow * (np.asarray(skin[1:], np.float32) - np.asarray(reference[1:], np.float32))
    # Hair is never green: a cast takes a* no lower than GREEN_FLOOR (the astronaut's pale skin,
    # less red than the training faces', took black hair to a* -1.7: a teal black).
    moved[0, 1] = max(float(moved[0, 1]), min(float(target[0, 1]), GREEN_FLOOR))
    # ... nor, if light, blue: a black-and-white photo's grey skin took silver hair to b* -7 (a
    # blue rinse). A dark target may be: held there too, black hair was judged black on 0.19 of the
    # test faces, against 0.28 as a blue-black.
    if target[0, 0] >= LIGHT_TARGET:
        moved[0, 2] = max(float(moved[0, 2]), min(float(target[0, 2]), BLUE_FLOOR))
    return moved


def color_table(own: np.ndarray, target: np.ndarray, amount: float = 1.0, warm: bool = False,
                skin: np.ndarray | None = None) -> ColorTable:
    """``recolor(..., own, target, amount, core, mixed, weight, skin)`` as lookup tables for 8-bit BGR
    pixels (``mirror.render.colortable``): the same output, in a fraction of the time (``warm``: see ``move``)."""
    mean, ratio = move(own, target, amount, warm)
    return ColorTable(own, mean, ratio, DEVIATION, CORE, FAR, SPREAD_FLOOR, ceiling(own, mean, ratio, skin))


def recolor(lab: np.ndarray, own: np.ndarray, target: np.ndarray, amount: float = 1.0,
            core: np.ndarray | None = None, mixed: np.ndarray | None = None,
            weight: np.ndarray | None = None, skin: np.ndarray | None = None) -> np.ndarray:
    """Moves pixels of colour statistics ``own`` to ``target`` (both (2, 3) CIELAB mean, spread):
    each pixel keeps its place in its hair's spread, so strands and highlights stay.

    Args:
        core: (H, W) in [0, 1], where the pixel is surely hair (deep inside the hair mask): it is
            moved even when its colour is far from ``own`` (light strands of hair whose measured
            colour is its darker part), though only shifted, not stretched (skin between dark
            strands, stretched from the dark hair's colour, came out white); None: judged by
            colour alone.
        mixed: (H, W) in [0, 1], where the pixel is known to be a mix of the hair and the colour
            beside it (``hair_matte``'s ``unmixed``): moved however far its colour is from the
            hair's (its mask, the hair's share, says how much); None: judged by colour alone.
        weight: (H, W) in [0, 1], how much of its move each pixel takes (a recolouring mask),
            before the result is clipped: an edge pixel half hair takes half the hair's shift
            (moved wholly, then blended half, a pixel lighter than its hair clipped to white
            first and came out too dark). None: all of it.
        skin: (3,) the face's skin colour in CIELAB (``ceiling``), or None.

    Returns:
        (H, W, 3) float32 BGR in [0, 1].
    """
    mean, ratio = move(own, target, amount)
    offset = lab - own[0]
    # Strands are stretched to the target's spread; what lies far outside the hair's own spread
    # (skin or wall mixed into an edge pixel) keeps its offset: no glowing rim.
    radius = np.sqrt(((offset / np.maximum(own[1], SPREAD_FLOOR)) ** 2).sum(axis=-1, keepdims=True))
    inside = np.clip((DEVIATION[1] - radius) / (DEVIATION[1] - DEVIATION[0]), 0.0, 1.0)
    # ... and what lies farther still (skin or wall beside the hair, in the mask's edge) is not
    # hair at all: it is not moved (else it would ring the hair in the target's colour).
    near = np.clip((FAR[1] - radius) / (FAR[1] - FAR[0]), 0.0, 1.0)
    if core is not None:
        sure = np.clip((core[..., None] - CORE[0]) / (CORE[1] - CORE[0]), 0.0, 1.0)
        near = np.maximum(near, sure)
    if mixed is not None:
        near = np.maximum(near, mixed[..., None])
    if weight is not None:
        near = near * weight[..., None]
    # What is only shifted (skin or wall mixed into an edge pixel) goes no farther in a*, b* than
    # the new hair's colour (a warm edge made blond would come out an orange rim), nor, made
    # lighter, much lighter than the new hair (``ceiling``).
    held = np.minimum(near, shift_cap(lab, own, mean, ceiling(own, mean, ratio, skin)))
    near = held + inside * (near - held)
    moved = mean + offset + inside * (stretched(lab, own, mean, ratio) - mean - offset)
    return from_lab(no_cast(lab, lab + near * (moved - lab), mean))


def hair_matte(lab: np.ndarray, own: np.ndarray, hair: np.ndarray, skin: np.ndarray | None,
               skin_zone: np.ndarray | None = None, unmixed: bool = False
               ) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """(H, W) float32 share of each pixel's colour that is hair, for recolouring inside a loose
    mask: a pixel between the hair's colour and the colour beside the hair there (skin, wall) is
    that much hair; a pixel of the face's own skin colour is none.

    Args:
        lab: (H, W, 3) CIELAB; own: (2, 3) the hair's colour; hair: (H, W) the hair mask;
        skin: (3,) the face's skin colour in CIELAB, or None.
        skin_zone: (H, W) in [0, 1], where a pixel of the skin's colour may be skin (None:
            everywhere).
        unmixed: also return (H, W) float32 in [0, 1], how surely the share was measured: the
            colour beside is far from the hair's and the pixel lies on the line between them (a
            mix of the two, not a third colour). ``recolor``'s ``mixed``. And the ``Mix`` it was
            measured with.
    """
    # The colour beside the hair is a smooth field: averaged at a quarter of the resolution.
    lab = np.asarray(lab, np.float32)
    height, width = hair.shape
    small = (max(1, width // 4), max(1, height // 4))
    other = cv2.resize(np.clip(1.0 - 2.0 * hair, 0.0, 1.0), small, interpolation=cv2.INTER_AREA)
    sigma = OTHER_SIGMA * max(small)
    lab_small = cv2.resize(lab, small, interpolation=cv2.INTER_AREA)
    weight = cv2.GaussianBlur(other, (0, 0), sigma)
    beside = cv2.GaussianBlur(lab_small * other[..., None], (0, 0), sigma)
    beside_small = beside / np.maximum(weight, 1e-3)[..., None]
    beside = cv2.resize(beside_small, (width, height), interpolation=cv2.INTER_LINEAR)
    # Where the mask leaves no wall near (it spilled over the wall up to the crop's edge), the
    # wall's colour from farther off (the nearest, else its mean), not the face's skin, tells
    # what is surely not hair.
    wall = other if skin_zone is None else other * (1.0 - cv2.resize(skin_zone, small, interpolation=cv2.INTER_AREA))
    gap = 1.0 - np.clip(weight * (1.0 / OTHER_MIN), 0.0, 1.0)
    weight = cv2.resize(weight, (width, height), interpolation=cv2.INTER_LINEAR)
    spilled = None
    if gap.max() > 0.01 and wall.sum() >= 1.0:
        wide = WALL_WIDE * max(small)
        walls = lab_small * wall[..., None]
        mean = walls.sum(axis=(0, 1)) / wall.sum()
        far = ((cv2.GaussianBlur(walls, (0, 0), wide) + WALL_MEAN * mean)
               / (cv2.GaussianBlur(wall, (0, 0), wide) + WALL_MEAN)[..., None])
        # Measured first on the quarter-size map; per pixel only near where that found some.
        candidate = cv2.dilate((_spilled(lab_small, own, far, gap) > 0.01).astype(np.uint8), np.ones((3, 3), np.uint8))
        candidate = cv2.resize(candidate, (width, height), interpolation=cv2.INTER_NEAREST)
        box = nonzero_box(candidate > 0)
        if box is not None:
            part = slice(*box[0]), slice(*box[1])
            spilled = np.zeros((height, width), np.float32)
            spilled[part] = candidate[part] * _spilled(
                lab[part], own, cv2.resize(far, (width, height), interpolation=cv2.INTER_LINEAR)[part],
                cv2.resize(gap, (width, height), interpolation=cv2.INTER_LINEAR)[part])
    mix, dot, length = _mix(lab, own, beside, weight)
    matte = mix.matte.copy()
    if spilled is not None:
        matte *= 1.0 - spilled
    if skin is not None:
        skinlike = _skinlike(lab, skin)
        # Where what is beside the hair is itself skin (a forehead, lit or shaded: its a*, b*),
        # a pixel of the skin's colour is a mix of the two, which the share already weighs: a
        # hairline's edge passes through the face's own colour on its way (kept whole, that
        # band would stay as it was: a thin dark line round the new hair).
        # Only where hair and skin are far apart: hair close to the skin's colour (blond on fair
        # skin) leaves the share too unsure to tell a mix from skin in shadow. (A smooth field,
        # as the colour beside is: measured on its quarter-size map.)
        bare = _skin_beside(beside_small, skin)
        span_small = np.subtract(own[0], beside_small, dtype=np.float32)
        bare *= np.clip((np.sqrt((span_small * span_small).sum(axis=-1)) - MIX_CONTRAST[0])
                        * (1.0 / (MIX_CONTRAST[1] - MIX_CONTRAST[0])), 0.0, 1.0)
        # (... and only where the share is trusted: deep in a loose mask, with little beside it
        # seen, the skin between a dark fringe and the brows was taken for hair and lit white.)
        bare = cv2.resize(bare, (width, height), interpolation=cv2.INTER_LINEAR) * mix.sure
        matte *= 1.0 - skinlike * (1.0 - bare) * (1.0 if skin_zone is None else skin_zone)
    if not unmixed:
        return matte.astype(np.float32)
    # How far the pixel lies off that line, against the line's length.
    away = cv2.subtract(lab, beside)
    off = cv2.sqrt(np.maximum(cv2.transform(away * away, _SUM) - dot * dot * mix.scale, 0.0))
    on_line = np.clip((MIX_LINE[1] - off / np.maximum(length, 1e-3)) * (1.0 / (MIX_LINE[1] - MIX_LINE[0])), 0.0, 1.0)
    return matte.astype(np.float32), (mix.sure * on_line).astype(np.float32), mix


def _skin_beside(beside: np.ndarray, skin: np.ndarray) -> np.ndarray:
    """(H, W) float32 in [0, 1]: how surely the colour beside the hair, ``beside`` (H, W, 3)
    CIELAB, is the face's skin ``skin`` (3,) by its a*, b* (within SKIN_BESIDE: wholly / not)."""
    away = np.subtract(beside[..., 1:], skin[1:], dtype=np.float32)
    return np.clip((SKIN_BESIDE[1] - np.sqrt((away * away).sum(axis=-1)))
                   * (1.0 / (SKIN_BESIDE[1] - SKIN_BESIDE[0])), 0.0, 1.0)


class Mix(NamedTuple):
    """How ``hair_matte`` measured each pixel's share of hair (each (H, W) float32; ``beside``
    and ``span`` (H, W, 3)): the colour beside the hair, the line from it to the hair's colour
    and one over its squared length, how far the share is trusted (``sure``), and the matte it
    gave. ``remix`` measures the share again on a later frame's pixels."""
    beside: np.ndarray
    span: np.ndarray
    scale: np.ndarray
    sure: np.ndarray
    matte: np.ndarray


def _mix(lab: np.ndarray, own: np.ndarray, beside: np.ndarray, weight: np.ndarray) -> tuple[Mix, np.ndarray, np.ndarray]:
    """(``Mix``, dot, length), the last two (H, W) float32: ``hair_matte``'s share of hair of
    CIELAB pixels ``lab`` (H, W, 3) between the colour ``beside`` them (H, W, 3) and the hair's
    ``own`` (2, 3): the pixel's projection (``dot``) on the line between, over its squared
    length; trusted as far as the two are apart (MATTE_CONTRAST) and the colour beside is seen
    (``weight`` (H, W), from OTHER_MIN)."""
    span = np.subtract(own[0], beside, dtype=np.float32)
    length2 = cv2.transform(span * span, _SUM)
    length = cv2.sqrt(length2)
    scale = 1.0 / np.maximum(length2, 1e-6)
    sure = np.clip((length - MATTE_CONTRAST[0]) * (1.0 / (MATTE_CONTRAST[1] - MATTE_CONTRAST[0])), 0.0, 1.0)
    sure *= np.clip(weight * (1.0 / OTHER_MIN), 0.0, 1.0)
    matte, dot = _share(lab, beside, span, scale, sure)
    return Mix(beside, span, scale, sure, matte), dot, length


def _share(lab: np.ndarray, beside: np.ndarray, span: np.ndarray, scale: np.ndarray, sure: np.ndarray
           ) -> tuple[np.ndarray, np.ndarray]:
    """(matte, dot), each (H, W) float32: CIELAB pixels ``lab`` projected on the line ``span``
    from the colour ``beside`` them to the hair's (``dot``), over its squared length (one over it:
    ``scale``), as a matte trusted as far as ``sure`` (``Mix``)."""
    dot = cv2.transform(cv2.multiply(cv2.subtract(lab, beside), span), _SUM)
    return 1.0 - (1.0 - np.clip(dot * scale, 0.0, 1.0)) * sure, dot


def remix(mix: Mix, lab: np.ndarray) -> np.ndarray:
    """(H, W) float32 in [0, 1]: how much of a recolouring mask made with ``mix`` still holds on
    a later frame's CIELAB pixels ``lab`` (H, W, 3): the share of hair measured again against the
    same colours, over the share then (a pixel that has become the wall beside: none)."""
    now = _share(lab, mix.beside, mix.span, mix.scale, mix.sure)[0]
    return np.clip(now / np.maximum(mix.matte, 1e-3), 0.0, 1.0)


def _shadow(lab: np.ndarray, own: np.ndarray, matte: np.ndarray, size: int) -> np.ndarray:
    """(H, W) float32 in [0, 1]: where CIELAB pixels ``lab`` (H, W, 3) that ``hair_matte`` takes
    for a mix of the hair (colour ``own``) and the wall (``matte`` (H, W) short of 1, by
    SHADOW_UNSURE) are a shadow on the wall: in a flat patch (L* spread under FLAT over
    FLAT_WINDOW) at least SHADOW_SIZE in area, MIX_AWAY from any pixel of the hair's own colour
    (MIX_CORE). Hair and wall mix only where they meet, at its strands and along its edge; a shadow
    lies between their colours too (the corner of d13's ceiling beside his black hair, which the
    segmenter takes 0.7-0.88 for hair, was tinted with its new colour). ``size``: the crop's side,
    which the shares are of (``lab`` may be a box in it)."""
    window = _width(FLAT_WINDOW, size)
    light = np.ascontiguousarray(lab[..., 0])
    mean = cv2.blur(light, (window, window))
    spread = cv2.sqrt(np.maximum(cv2.blur(light * light, (window, window)) - mean * mean, 0.0))
    flat = np.clip((FLAT[1] - spread) * (1.0 / (FLAT[1] - FLAT[0])), 0.0, 1.0)
    other = (_near_hair(lab, own, MIX_CORE, SPREAD_FLOOR) < 0.5).astype(np.uint8)
    away = cv2.distanceTransform(other, cv2.DIST_L2, 3) * (1.0 / size)
    shadow = flat * np.clip((away - MIX_AWAY[0]) * (1.0 / (MIX_AWAY[1] - MIX_AWAY[0])), 0.0, 1.0)
    # (a patch, not a speck or a thread: hair's flat ends at the mask's edge are none)
    _, patches, stats, _ = cv2.connectedComponentsWithStats((shadow > 0.5).astype(np.uint8), connectivity=8)
    large = stats[:, cv2.CC_STAT_AREA] >= (SHADOW_SIZE * size) ** 2
    large[0] = False
    shadow = cv2.GaussianBlur(shadow * large[patches], (0, 0), SOFT * size * 0.5)
    # (hair the matte takes wholly stays: white hair's flat top beside its grey)
    return shadow * np.clip((1.0 - matte) * (1.0 / SHADOW_UNSURE), 0.0, 1.0)


def _spilled(lab: np.ndarray, own: np.ndarray, far: np.ndarray, gap: np.ndarray) -> np.ndarray:
    """(H, W) float32: ``hair_matte``'s wall under a spilled hair mask: CIELAB pixels within
    WALL_SHARE of the way from the wall's colour ``far`` (H, W, 3) to the hair's ``own``, off the
    hair's own spread (DEVIATION), with the two colours far enough apart to tell
    (MATTE_CONTRAST), as much as no wall is near (``gap`` (H, W))."""
    span = np.subtract(own[0], far, dtype=np.float32)
    length2 = cv2.transform(span * span, _SUM)
    share = cv2.transform(cv2.multiply(cv2.subtract(lab, far), span), _SUM) / np.maximum(length2, 1e-6)
    sure = np.clip((cv2.sqrt(length2) - MATTE_CONTRAST[0]) * (1.0 / (MATTE_CONTRAST[1] - MATTE_CONTRAST[0])), 0.0, 1.0)
    return np.clip(1.0 - share * (1.0 / WALL_SHARE), 0.0, 1.0) * sure * (1.0 - _near_hair(lab, own)) * gap


def close_dips(weight: np.ndarray, thinned: np.ndarray) -> np.ndarray:
    """(R, R) float32: a removal's ``weight`` (R, R) in [0, 1] with its dips narrower than
    DIP_WIDTH of the crop filled (a grey closing) where it is over DIP_FROM, but not where hair
    thins (``thinned`` (R, R) > 0, ``thin_out``'s: there its dips are the strands kept). Where two
    soft parts of it meet, each half way down its edge (a fringe's end hung over the brows and the
    wisps below it; the protected face's edge and the hair hung over it), it dipped between them,
    and the hair they took showed through as a thin dark line across the bared skin (CelebA
    001335, 000412: lines like a pair of glasses' across the brows without bangs)."""
    if weight.max() <= DIP_FROM:
        return weight
    width = _width(DIP_WIDTH, weight.shape[0])
    closed = cv2.morphologyEx(weight, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (width, width)))
    return np.where((weight > DIP_FROM) & (thinned <= 0), np.maximum(weight, closed), weight)


def hanging(hair: np.ndarray, keep_out: np.ndarray) -> np.ndarray:
    """(H, W) float32: the hair of ``hair`` (H, W) in [0, 1] that lies where ``keep_out`` (H, W)
    keeps the picture but is joined to hair outside it: strands that fall over the face, not an
    eyebrow or a dark shadow on it, which stand alone."""
    return hair * joined_to(hair > 0.5, keep_out > 0.5)


def _spared(landmarks: np.ndarray, size: int) -> np.ndarray:
    """(R, R) float32: what hair taken from over the face spares: the brows (which the mask takes
    in where a fringe reaches them: without them the face was not the person's) and what lies
    within HUNG_EYES of the eyes."""
    spared = cv2.dilate(brows(landmarks, size).astype(np.uint8), np.ones((3, 3), np.uint8))
    return np.maximum(eyes(landmarks, size, HUNG_EYES), cv2.GaussianBlur(spared.astype(np.float32), (0, 0), 1.0))


def hung_below(hair: np.ndarray, keep_out: np.ndarray, taken: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    """(R, R) float32: the hair of ``hair`` (R, R) hanging over the protected face (where
    ``keep_out`` (R, R) keeps the picture: a fringe's end over the brows) below hair that goes
    (``taken`` (R, R), within HUNG_FROM of the crop above the brows' arc, column by column): it
    hung from there. Not the brows, nor within HUNG_EYES of the eyes (``regions.eyes``), nor
    below them."""
    size = hair.shape[0]
    rows = np.arange(size, dtype=np.float32)[:, None]
    line = brow_line(landmarks, size)[None, :]
    lids = max(float(landmarks[contour, 1].max()) for contour in EYES)
    # (from a little above the arc: the protected face fades in there)
    below = rows >= line - HUNG_FROM * size
    goes = np.where(below & (rows <= line), taken, 0.0).max(axis=0)
    over = below & (rows <= lids) & (goes[None, :] > 0.0)
    # (``hanging`` keeps only the sure hair's components: none there, as on most faces, no fringe)
    if not (over & (hair > 0.5)).any():
        return np.zeros_like(hair, dtype=np.float32)
    # Below the arc, beside the eyes (a lock over the temple), wholly where the segmenter is
    # HUNG_WHOLE sure, with the soft edge of its strands joined to it down to HUNG_FAINT: in
    # proportion to its doubt and cut where it is half sure, the soft edge of the astronaut's lock
    # (0.15-0.45 to the segmenter; 0.5-0.7 to the one before the forty-sixth pass) stayed as a
    # brown strip beside the new scalp, a seam. (Above it, a fringe's end over the brows: in proportion, as the brows'
    # edge the blur of more would reach.)
    sure = hanging(hair, keep_out)
    beside = rows >= line
    soft = joined_to(((hair > HUNG_FAINT) & over & beside) | (sure > 0.0), sure > 0.0) & beside
    over = np.maximum(sure, soft * np.clip(hair * (1.0 / HUNG_WHOLE), 0.0, 1.0)) * over
    spared = _spared(landmarks, size)
    return (over * goes[None, :] * (1.0 - spared)).astype(np.float32)


def hung_beside(hair: np.ndarray, keep_out: np.ndarray, taken: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    """(R, R) float32: the hair of ``hair`` (R, R) over the face's sides (inside its outline or
    where ``keep_out`` (R, R) keeps the picture), below the brows' arc, joined to hair beside the face
    below the ear line that goes (``taken`` (R, R): long hair taken whole): strands that fell over
    the cheeks from it (left, they were dark blocks beside a bald head's face). Not the brows, nor
    within HUNG_EYES of the eyes, nor below the mouth."""
    size = hair.shape[0]
    ears = skull_axes(landmarks)[1]
    rows = np.arange(size, dtype=np.float32)[:, None]
    goes = (taken > 0.5) & (keep_out > 0.5) & (rows > ears)
    if not goes.any():
        return np.zeros_like(hair, dtype=np.float32)
    # (over the face's outline, which the long hair taken stops at, and the protected face)
    # (above the mouth: below it a beard, which joins the sideburns)
    over = ((keep_out <= 0.5) | face_oval(landmarks, size)) & (taken <= 0.5) & (rows >= brow_line(landmarks, size)[None, :])
    over &= rows <= landmarks[MOUTH, 1]
    joined = joined_to((hair > BESIDE_SURE) & (over | goes), goes)
    return (hair * (joined & over) * (1.0 - _spared(landmarks, size))).astype(np.float32)


def beyond(aligned: AlignedFace, mask: np.ndarray, own: np.ndarray, table: ColorTable,
           trust: float | None = None) -> Beyond | None:
    """A recolouring's reach past the crop (None if it has none): hair that leaves the crop at
    any edge (long hair at its sides or bottom, a bun or hair piled high at its top) is followed
    on, in the outer square (``aligned.outer``), as far as its colour stays the hair's (within
    DEVIATION[1] of its spreads) out from the edge, in proportion to how surely the wall's colour
    can be told from the hair's (``wall_contrast``); as far as it cannot, a crown the crop cuts
    goes on above it within the head's outline (``crown_cap``).

    Args:
        mask: (R, R) the recolouring's mask in the detail crop (it fades out at the crop's edge).
        own: (2, 3) the hair's colour; table: the recolouring.
        trust: ``wall_contrast(aligned, own)`` if already measured.
    """
    if aligned.outer is None:
        return None
    size, scale = aligned.crop.shape[0], aligned.scale
    margin = edge_margin(mask.shape[0])       # edit_limit's fade at the crop's edge
    inner = mask.shape[0] - margin - 1
    # The recolouring just inside the fade along the bottom, left, right and top edges, per crop pixel.
    edges = [edge.reshape(size, scale).mean(axis=1) for edge in crop_edges(mask)]
    if max(float(edge.max()) for edge in edges) <= 0.05:
        return None
    half, start, first = size // 2, inner // scale, -(-margin // scale)
    # Only the outer square's top band is looked at when only the crop's top edge has hair (a
    # crown the crop cuts): the rest would cost a few ms a frame for nothing.
    band = None if max(float(edge.max()) for edge in edges[:3]) > 0.05 else half + first + 1
    rows = slice(None) if band is None else slice(0, band + 4 * int(np.ceil(BEYOND_BLUR)))
    trust = wall_contrast(aligned, own) if trust is None else trust
    # A crown the crop cuts goes on above it as far as the head's outline does (``crown_cap``):
    # where the wall's colour is the hair's, colour alone cannot follow it, and the crown was
    # left in its old colour, a dark cap over blond hair (the edits' top rows 4.6 L* darker than
    # the rows below, real blond heads' 2.4 lighter).
    cap = crown_cap(aligned.landmarks, edges[3], first, size) if trust < 1.0 else None
    if trust == 0.0 and cap is None:
        return None
    # (where colour cannot follow the hair at all, only the crown's band above the crop is read)
    lab = _outer_lab(aligned, rows if trust > 0.0 else slice(0, half + first + 1))
    # Inside the crop the recolouring's own mask holds until its fade: this takes over from it.
    edge = edge_profile(size)
    takeover = 1.0 - edge[:, None] * edge[None, :]
    out = np.zeros((2 * size, 2 * size), np.float32)
    if trust > 0.0:
        hairlike = _near_hair(lab, own)
        if band is not None:
            hairlike = np.vstack([hairlike[:band], np.zeros((2 * size - band, 2 * size), np.float32)])
        # Down from the bottom edge and up from the top, column by column; out from the sides, row
        # by row (the crop's rows): each as far as the hair's colour goes on without a break.
        below = hairlike[half + start:, half:half + size]
        out[half + start:, half:half + size] = edges[0] * np.minimum.accumulate(below, axis=0)
        above = hairlike[:half + first + 1, half:half + size][::-1]
        out[:half + first + 1, half:half + size] = (edges[3] * np.minimum.accumulate(above, axis=0))[::-1]
        left = hairlike[half:half + size, :half + first + 1][:, ::-1]
        out[half:half + size, :half + first + 1] = np.maximum(
            out[half:half + size, :half + first + 1], (edges[1][:, None] * np.minimum.accumulate(left, axis=1))[:, ::-1])
        right = hairlike[half:half + size, half + start:]
        out[half:half + size, half + start:] = np.maximum(
            out[half:half + size, half + start:], edges[2][:, None] * np.minimum.accumulate(right, axis=1))
        # Into the corners beyond two edges (long hair falling past the crop's bottom corner) from
        # the part past the edge beside them, row by row (a dark bar of the old colour stood there).
        for part in (slice(half + start, None), slice(0, half + first + 1)):
            right = hairlike[part, half + start:]            # from the crop's last column inside its fade
            out[part, half + start:] = np.maximum(out[part, half + start:], out[part, half + start:half + start + 1]
                                                  * np.minimum.accumulate(right, axis=1))
            left = hairlike[part, :half + first + 1][:, ::-1]    # ... and its first
            out[part, :half + first + 1] = np.maximum(out[part, :half + first + 1], (
                out[part, half + first:half + first + 1] * np.minimum.accumulate(left, axis=1))[:, ::-1])
        out[half:half + size, half:half + size] *= takeover
        out = cv2.GaussianBlur(out, (0, 0), BEYOND_BLUR) * trust
    if cap is not None:
        # (up each column as far as nothing far from the hair's colour breaks it: a lamp above
        # the head is not hair; not blurred: its edge is soft, and a crown the crop cuts just
        # below its top is a strip a few pixels high, which a blur would halve)
        loose = _near_hair(lab[:half + first + 1], own, FAR)[::-1]
        cap[:half + first + 1] *= np.minimum.accumulate(loose, axis=0)[::-1]
        cap[half:half + size, half:half + size] *= takeover
        out = np.maximum(out, (1.0 - trust) * cap)
    return Beyond(out, table) if out.max() > 0.05 else None


def wall_contrast(aligned: AlignedFace, own: np.ndarray) -> float:
    """In [0, 1], how surely hair of colour ``own`` can be told from the wall by colour alone
    (1: the wall is far from it; 0: a dark head on a dark wall, or no wall in the crop to judge
    by: the crop's part off the person): the wall's median colour, in the hair's spreads
    (SPREAD_FLOOR at least: black hair a photo crushed to one colour is no sharper a target)."""
    size = aligned.crop.shape[0]
    wall = aligned.crop[(aligned.person < 0.2) & (aligned.hair < 0.2)]
    if len(wall) < BEYOND_WALL * size * size:
        return 0.0
    wall = wall[::max(1, len(wall) // COLOR_SAMPLE)]       # an even sample, as own_color's
    spread = np.maximum(own[1], SPREAD_FLOOR)
    contrast = np.sqrt((((np.median(to_lab(wall[None]), axis=1)[0] - own[0]) / spread) ** 2).sum())
    return float(np.clip((contrast - BEYOND_CONTRAST[0]) / (BEYOND_CONTRAST[1] - BEYOND_CONTRAST[0]), 0.0, 1.0))


def crop_edges(mask: np.ndarray) -> tuple[np.ndarray, ...]:
    """A crop's (R, R) ``mask`` just inside ``edit_limit``'s fade at its bottom, left, right and
    top edges: four (R,) views."""
    margin = edge_margin(mask.shape[0])
    inner = mask.shape[0] - margin - 1
    return mask[inner], mask[:, margin], mask[:, inner], mask[margin]


def at_edges(mask: np.ndarray) -> bool:
    """Whether a recolouring's ``mask`` (R, R) reaches the crop's edges: hair the crop cuts."""
    return max(float(edge.max()) for edge in crop_edges(mask)) > 0.05


def fade_cut(mask: np.ndarray, trust: float, shown: tuple[np.ndarray, ...] | None = None,
             crown: bool = False) -> np.ndarray:
    """(R, R) float32: a recolouring's ``mask`` (R, R) faded out towards each crop edge its hair
    meets (just inside ``edit_limit``'s fade there), over ENDS_FADE of the crop, as far as the
    hair cannot be followed on past the crop by its colour (1 - ``trust``, ``wall_contrast``)
    and the edge lies inside the picture (``shown``: ``edges_shown``; None: all of it); not at
    the top if ``crown``: a crown the crop cuts is followed past it by the head's outline
    (``beyond``)."""
    size = mask.shape[0]
    margin = edge_margin(size)
    edges = crop_edges(mask)
    if shown is not None:
        edges = tuple(edge * inside for edge, inside in zip(edges, shown))
    if crown:
        edges = edges[:3] + (np.zeros_like(edges[3]),)
    if trust >= 1.0 or max(float(edge.max()) for edge in edges) <= 0.05:
        return mask
    mask = mask.copy()
    for side, (edge, share) in enumerate(zip(edges, (ENDS_FADE[0], ENDS_FADE[1], ENDS_FADE[1], ENDS_FADE[2]))):
        if edge.max() <= 0.05:
            continue
        # Half-sure hair at the edge is hair the crop cuts: its new colour fades out wholly.
        edge = np.clip(2.0 * cv2.GaussianBlur(edge.reshape(1, -1), (0, 0), SOFT * size).ravel(), 0.0, 1.0)
        depth = min(int(np.ceil(share * size)), size)
        ramp = np.clip((np.arange(depth, dtype=np.float32) - margin) / max(share * size - margin, 1.0), 0.0, 1.0)
        cut = 1.0 - (1.0 - trust) * np.outer(1.0 - ramp, edge)     # (distance from the edge, along it)
        if side == 0:
            mask[size - depth:] *= cut[::-1]
        elif side == 1:
            mask[:, :depth] *= cut.T
        elif side == 2:
            mask[:, size - depth:] *= cut.T[:, ::-1]
        else:
            mask[:depth] *= cut
    return mask


def edges_shown(aligned: AlignedFace, size: int) -> tuple[np.ndarray, ...] | None:
    """((R,) float32 in [0, 1]) x 4, along the bottom, left, right and top edges of the
    ``size``-pixel detail crop: where the edge lies inside the frame (a cut there would show; a
    webcam's close-up crop often reaches below the frame, whose edge hides it); None if the
    frame is not known."""
    if aligned.frame_shape is None:
        return None
    height, width = aligned.frame_shape
    inner = size - edge_margin(size) - 1
    along = np.arange(size, dtype=np.float64)
    fixed = np.full(size, float(edge_margin(size)))
    points = (np.stack([along, np.full(size, float(inner))], 1), np.stack([fixed, along], 1),
              np.stack([np.full(size, float(inner)), along], 1), np.stack([along, fixed], 1))
    back = cv2.invertAffineTransform(aligned.detail_to_crop)
    shown = []
    for edge in points:
        x, y = (edge @ back[:, :2].T + back[:, 2]).T
        inside = (x >= 1.0) & (x <= width - 2.0) & (y >= 1.0) & (y <= height - 2.0)
        shown.append(cv2.GaussianBlur(inside.astype(np.float32).reshape(1, -1), (0, 0), SOFT * size).ravel())
    return tuple(shown)


def _outer_lab(aligned: AlignedFace, rows: slice = slice(None)) -> np.ndarray:
    """(N, 2S, 3) float32: the outer square's ``rows`` in CIELAB, smoothed over BEYOND_BLUR."""
    return cv2.GaussianBlur(to_lab(aligned.outer[rows]), (0, 0), BEYOND_BLUR)


def _outer_hair(aligned: AlignedFace, own: np.ndarray, rows: slice = slice(None), trust: float | None = None
                ) -> tuple[float, np.ndarray | None]:
    """(trust, (N, 2S) float32 or None): how far the hair past the crop can be told by its
    colour ``own`` (``wall_contrast``, unless given), and where the outer square's pixels (its
    ``rows``) are of that colour (within DEVIATION of its spreads)."""
    trust = wall_contrast(aligned, own) if trust is None else trust
    if trust == 0.0:
        return 0.0, None
    lab = _outer_lab(aligned, rows)
    return trust, _near_hair(lab, own)


def _width(share: float, size: int) -> int:
    """The odd width of a kernel reaching ``share`` of a ``size``-pixel crop either side of its
    centre (at least one pixel)."""
    return 2 * max(1, int(round(share * size))) + 1


def _near_hair(lab: np.ndarray, own: np.ndarray, near: tuple[float, float] = DEVIATION,
               floor: np.ndarray | float = 1.0) -> np.ndarray:
    """(H, W) float32: 1 where CIELAB pixels lie within ``near[0]`` of the hair colour ``own``'s
    spreads (at least ``floor``), 0 from ``near[1]`` on (in OpenCV's vectorised loops)."""
    z = cv2.multiply(cv2.subtract(lab, own[0].astype(np.float32)), (1.0 / np.maximum(own[1], floor)).astype(np.float32))
    radius = cv2.sqrt(cv2.transform(z * z, _SUM))
    return np.clip((near[1] - radius) * (1.0 / (near[1] - near[0])), 0.0, 1.0)


def removed_beyond(aligned: AlignedFace, loss: np.ndarray, drawn: np.ndarray | None = None) -> Beyond | None:
    """Hair taken away past the crop (None if none): hair that leaves the crop at any edge where
    the edit takes it away (a bun, hair piled high, long hair at its sides and foot) is followed
    on, in the outer square, as far as its colour stays the hair's. Above and beside the crop it
    gives way to the wall beside it (continued along each row); below it, to what the edit drew at
    the crop's foot (``drawn``), continued down (there lie the neck and the shoulders, whose dark
    skin or clothes the hair's colour takes in: drawn over with the wall, a grey block). Without
    this a bald head wears a strip of its old hair above it, and long hair taken away hangs on
    below and beside the crop, cut square.

    Args:
        loss: (R, R) float32, where the edit draws the wall or scalp instead of hair, in the
            detail crop (it fades out at the crop's edge).
        drawn: (R, R, 3) float32 BGR in [0, 1], what the edit draws there (None: the foot is not
            followed).
    """
    if aligned.outer is None or aligned.hair is None or aligned.person is None:
        return None
    size, scale = aligned.crop.shape[0], aligned.scale
    margin = edge_margin(loss.shape[0])
    half, first = size // 2, -(-margin // scale)
    # The crop's top, right, bottom and left edges, each turned to the top (np.rot90); only
    # where the hair reaches into its fading rows.
    lines = []
    for turn in range(4):
        line = np.rot90(loss, turn)[margin].reshape(size, scale).mean(axis=1)
        reached = (turn != 2 or drawn is not None) and \
            (np.rot90(aligned.hair, turn)[:first + 1].max(axis=0) > 0.5)[line > 0.05].any()
        lines.append(line if reached else None)
    if all(line is None for line in lines):
        return None
    own = own_color(to_lab(aligned.crop), aligned.hair)
    if own is None:
        return None
    # Out from each edge, line by line, as far as the hair's colour goes on without a break
    # (and over the crop's fading rows too: the edit's drawing fades into this, not the hair);
    # below the foot at least as far as FOOT_FADE, fading out (a hair's colour the wall's, or
    # broken by a streak, left a box of the drawn foot cut square in the hair below it).
    band = half + first + 1
    # (the hair's colour measured only on the rows that need it: hair above the crop alone, as on
    # most heads, needs the rows down to the crop's top and those its wall is filled from)
    needed = 2 * size if any(line is not None for line in lines[1:]) else \
        band + 4 * BEYOND_REACH + 4 * int(np.ceil(BEYOND_BLUR)) + size // 4
    trust, part = _outer_hair(aligned, own, slice(0, needed))
    hairlike = np.zeros((2 * size, 2 * size), np.float32)
    if part is not None:
        hairlike[:needed] = part
    fade = np.clip(1.0 - np.arange(band, dtype=np.float32)[:, None] / max(FOOT_FADE * size, 1.0), 0.0, 1.0)
    outs = []
    for turn, line in enumerate(lines):
        part = np.zeros((2 * size, 2 * size), np.float32)
        if line is not None:
            above = trust * np.minimum.accumulate(np.rot90(hairlike, turn)[:band, half:half + size][::-1], axis=0)
            part[:band, half:half + size] = (line * (np.maximum(above, fade) if turn == 2 else above))[::-1]
        outs.append(np.rot90(part, -turn))
    foot = outs.pop(2)
    out = np.maximum.reduce(outs)
    if max(out.max(), foot.max()) <= 0.05:
        return None
    # (the wall beside them: off the hair, its colour's and the crop's)
    wall = (np.maximum(hairlike, out) < 0.05).astype(np.float32)
    wall[half:half + size, half:half + size] = 0.0
    out = np.maximum(out, trust * _strands(aligned.outer, own, out, wall))
    # Past the hair's blurred edge (its strands' fringe goes too), then softened.
    reach = np.ones((2 * BEYOND_REACH + 1,) * 2, np.uint8)
    out, foot = (cv2.GaussianBlur(cv2.dilate(part, reach), (0, 0), BEYOND_BLUR) for part in (out, foot))
    image = np.zeros((2 * size, 2 * size, 3), np.uint8)
    # The wall: what is not of the hair's colour, continued along each row over what is (only
    # the rows the reach has, and a quarter of the crop round them: a row wholly of hair takes
    # the wall from the rows beside it).
    rows = np.flatnonzero(out.max(axis=1) > 1.0 / 255)
    if rows.size:
        rows = slice(max(rows[0] - size // 4, 0), rows[-1] + 1 + size // 4)
        # (nor the person the crop sees, as the crop's own wall: long hair hung between the wall
        # and the neck, and that row filled from both drew a column of the neck's colour)
        off = np.ones((2 * size, 2 * size), np.float32)
        off[half:half + size, half:half + size] = _off_person(aligned.person, aligned.hair, size)
        known = np.minimum(1.0 - cv2.dilate(np.maximum(hairlike[rows], out[rows]), reach), off[rows])
        fill = fill_holes(aligned.outer[rows].astype(np.float32) / 255.0, known)
        image[rows] = np.clip(fill * 255.0 + 0.5, 0, 255).astype(np.uint8)
    if foot.max() > 1.0 / 255:
        # Below the crop: the row the edit drew just inside its fading foot, carried on down.
        last = cv2.resize(drawn[-1 - margin:-margin], (size, 1), interpolation=cv2.INTER_AREA)
        below = slice(half + size - first - 1, 2 * size)
        ahead = foot[below] > out[below]
        carried = np.clip(last * 255.0 + 0.5, 0, 255).astype(np.uint8)
        image[below, half:half + size] = np.where(ahead[:, half:half + size, None], carried,
                                                  image[below, half:half + size])
        out = np.maximum(out, foot)
    # (nothing farther into the crop than its fading edge, the reach and the blur: the crop draws it)
    inset = first + BEYOND_REACH + int(np.ceil(3 * BEYOND_BLUR))
    out[half + inset:half + size - inset, half + inset:half + size - inset] = 0.0
    return Beyond(np.clip(out * BEYOND_STRENGTH, 0.0, 1.0), fill=image, inset=inset)


def _hand_over(edited: EditedFace, detail: np.ndarray, beyond: Beyond) -> None:
    """Where the wall drawn past the crop (``beyond``'s fill) covers the crop's fading edge, the
    crop's own drawing (``edited``, made on ``detail``) fades out onto it over ``edit_limit``'s
    margin: drawn up to its edge (long hair taken away), it met that wall in a straight line, a
    shade darker or lighter (the crop's wall is filled from its own rows), and warped, its edge
    was a dark line a pixel wide."""
    size = beyond.mask.shape[0] // 2
    half, side = size // 2, detail.shape[0]
    edge = edge_profile(side)
    covered = cv2.resize(beyond.mask[half:half + size, half:half + size], (side, side), interpolation=cv2.INTER_LINEAR)
    fade = 1.0 - np.minimum(edge[:, None], edge[None, :])
    crop, replace = edited.crop.copy(), edited.replace.copy()
    # (only the margin round the crop fades: four strips)
    for part in edge_strips(side):
        keep = 1.0 - covered[part] * fade[part]
        change = cv2.multiply(cv2.subtract(crop[part], detail[part], dtype=cv2.CV_32F), cv2.merge([keep] * 3))
        crop[part] = cv2.add(detail[part], change, dtype=cv2.CV_8U)
        replace[part] *= keep
        if edited.removal is not None:
            edited.removal.limit[part] *= keep
    edited.crop, edited.replace = crop, replace


def _all_drawn(edited: EditedFace) -> np.ndarray:
    """``Beyond.drawn`` of ``edited`` (made once, here on the render thread: each frame it is
    carried over to warps it)."""
    layer = with_weight(edited.beyond.fill, edited.beyond.mask)
    half = layer.shape[0] // 4
    middle = layer[half:3 * half, half:3 * half]
    crop = cv2.resize(with_weight(edited.crop, edited.replace), middle.shape[1::-1], interpolation=cv2.INTER_AREA)
    np.copyto(middle, crop, where=crop[..., 3:] > middle[..., 3:])
    return layer


def retake(edited: EditedFace, hair: np.ndarray, person: np.ndarray) -> EditedFace:
    """``edited`` carried over to a later frame whose hair and person masks are ``hair`` and
    ``person`` (S, S): where its shape takes hair away (``edited.removal``), that frame's hair
    goes too where the edit's own frame had none (new arrays; ``edited``'s stay). Long hair
    swings as a head turns: it showed beside a bald head, out past what the edit of a few frames
    before drew, until the next edit."""
    removal = edited.removal
    size = edited.replace.shape[0]
    new = np.clip(_taken(removal.reach, removal.face, hair, person) - removal.taken, 0.0, 1.0)
    new = cv2.multiply(cv2.resize(new, (size, size), interpolation=cv2.INTER_LINEAR), removal.limit)
    # (drawn over what the edit drew already: the share of the rest that is drawn now; not a
    # faint rim, nor a few pixels: wall drawn over wall costs a frame's time)
    more = np.clip(new / np.maximum(1.0 - edited.replace, 1e-3), 0.0, 1.0)
    more[more < RETAKE_MIN[0]] = 0.0
    box = nonzero_box(more > 0)
    if box is None or more.sum() < RETAKE_MIN[1] * size * size:
        return edited
    (top, bottom), (left, right) = box
    part = np.s_[top:bottom, left:right]
    crop, replace, mask = edited.crop.copy(), edited.replace.copy(), edited.hair_mask.copy()
    crop[part] = over(removal.picture[part], cv2.merge([cv2.convertScaleAbs(more[part], alpha=255.0)] * 3), crop[part])
    replace[part] += more[part] * (1.0 - replace[part])
    np.maximum(mask[part], replace[part], out=mask[part])
    return dataclasses.replace(edited, crop=crop, replace=replace, hair_mask=mask)


def _taken(reach: np.ndarray, face: np.ndarray, hair: np.ndarray, person: np.ndarray) -> np.ndarray:
    """(S, S) float32 in [0, 1]: the hair a removal whose reach is ``reach`` takes from a crop
    whose masks are ``hair`` and ``person``, as ``HairRenderer.render`` takes it (its fringe
    too, off the ``face``, softened), at the masks' resolution."""
    small = hair.shape[0]
    loss = np.clip((hair * reach - CHANGE_MIN) / (CHANGE_FULL - CHANGE_MIN), 0.0, 1.0)
    sure = np.clip((hair - HAIR_EDGE[0]) / (HAIR_EDGE[1] - HAIR_EDGE[0]), 0, 1) * np.clip(person * 2.0 - 0.5, 0.0, 1.0)
    taken = loss * np.clip(sure * 6.0, 0.0, 1.0)
    fringe = _width(FRINGE_REACH, small)
    taken = np.where(face, taken, cv2.dilate(taken, np.ones((fringe, fringe), np.uint8)))
    return cv2.GaussianBlur(taken, (0, 0), SOFT * small)


def _on_person(aligned: AlignedFace, size: int) -> np.ndarray:
    """(R, R) bool: where the person's mask, at the detail crop's size ``size``, is over 0.5."""
    return cv2.resize(aligned.person, (size, size), interpolation=cv2.INTER_LINEAR) > 0.5


def _off_person(person: np.ndarray, hair: np.ndarray, size: int) -> np.ndarray:
    """(size, size) float32 in [0, 1]: where a crop shows the wall, off the ``person`` and the
    ``hair`` (resized to ``size``) and not within FRINGE_REACH of them: that is the strands'
    fringe, which the removal redraws (filled from, it drew a dark outline of the old hair)."""
    person, hair = (cv2.resize(m, (size, size), interpolation=cv2.INTER_LINEAR) for m in (person, hair))
    fringe = _width(FRINGE_REACH, size)
    return cv2.erode(np.clip(1.0 - 2.0 * np.maximum(person, hair), 0.0, 1.0), np.ones((fringe, fringe), np.uint8))


def _strands(outer: np.ndarray, own: np.ndarray, hair: np.ndarray, wall: np.ndarray) -> np.ndarray:
    """(2S, 2S) float32 in [0, 1]: thin strands past the hair followed past the crop (``hair``
    (2S, 2S) float32), with the wall between them: too pale for the hair's colour ``own``, they
    stood as an arc over a bald head and a fringe beside it. Within STRAND_REACH of that hair
    (outside the crop), how far (STRAND_SHARE) each pixel of the outer square ``outer`` lies from
    the wall towards the hair's colour, the wall being the mean of the pixels beside it along its
    row (within STRAND_WALL) where ``wall`` (2S, 2S) float32 says the wall is seen."""
    size, half = outer.shape[0], outer.shape[0] // 4
    near = cv2.dilate((hair > 0.5).astype(np.uint8), cv2.getStructuringElement(
        cv2.MORPH_ELLIPSE, (_width(STRAND_REACH, 2 * half),) * 2))
    near[half:3 * half, half:3 * half] = 0        # (the crop draws its own)
    box = nonzero_box(near > 0)
    out = np.zeros((size, size), np.float32)
    if box is None:
        return out
    (top, bottom), (left, right) = box
    span = _width(STRAND_WALL, 2 * half)
    rows = slice(max(top - 2, 0), bottom + 3)
    cols = slice(max(left - span, 0), right + span + 1)
    lab = to_lab(outer[rows, cols])
    seen = wall[rows, cols]
    kernel = (span, 3)
    weight = cv2.boxFilter(seen, -1, kernel, normalize=False)
    mean = cv2.boxFilter(lab * seen[..., None], -1, kernel, normalize=False) / np.maximum(weight, 1e-3)[..., None]
    toward = own[0].astype(np.float32) - mean
    share = (cv2.transform((lab - mean) * toward, _SUM)
             / np.maximum(cv2.transform(toward * toward, _SUM), 1.0))
    ramp = np.clip((share - STRAND_SHARE[0]) / (STRAND_SHARE[1] - STRAND_SHARE[0]), 0.0, 1.0)
    out[rows, cols] = ramp * (weight > 0.5) * near[rows, cols]
    # (a strand a frame pixel wide is a speckle in the outer square: joined up along it)
    return np.clip(2.0 * cv2.GaussianBlur(out, (0, 0), 1.0), 0.0, 1.0)


def wide_blur(image: np.ndarray, sigma: float) -> np.ndarray:
    """A Gaussian blur of ``sigma`` pixels, made at a lower resolution when it is wide (what it
    keeps is smooth, and a wide kernel at full resolution costs milliseconds)."""
    factor = int(np.clip(sigma // 3, 1, 8))
    if factor == 1:
        return cv2.GaussianBlur(image, (0, 0), sigma)
    height, width = image.shape[:2]
    small = cv2.resize(image, (max(1, width // factor), max(1, height // factor)), interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (0, 0), sigma / factor)
    return cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR)


def refine(mask: np.ndarray, guide: np.ndarray) -> np.ndarray:
    """Upsizes a crop-space probability to the guide's size and snaps its edge to the guide's own
    edges (a guided filter), so it follows strands rather than the model crop's pixels.

    Args:
        mask: (S, S) float32 in [0, 1]; guide: (R, R, 3) float32 BGR in [0, 1].
    """
    size = guide.shape[0]
    up = cv2.resize(mask, (size, size), interpolation=cv2.INTER_LINEAR)
    radius = max(1, int(round(GUIDE_RADIUS * size)))
    # The filter's output is 0 farther than two windows from where the mask is not 0: it runs
    # on that box only (the same values, for the hair's share of the crop's cost).
    out = np.zeros((size, size), np.float32)
    support = nonzero_box(mask > 0)
    if support is None:
        return out
    (top, bottom), (left, right) = support
    scale = size / mask.shape[0]
    margin = 3 * radius + 4 + int(np.ceil(scale))
    y0, y1 = max(0, int(top * scale) - margin), min(size, int(bottom * scale) + margin)
    x0, x1 = max(0, int(left * scale) - margin), min(size, int(right * scale) + margin)
    # A colour guide: blond hair and skin can share a grey level, not a hue.
    filtered = cv2.ximgproc.guidedFilter(np.ascontiguousarray(guide[y0:y1, x0:x1]),
                                         np.ascontiguousarray(up[y0:y1, x0:x1]), radius, GUIDE_EPS)
    out[y0:y1, x0:x1] = np.clip(filtered, 0.0, 1.0)
    return out


def reflect_from(source: np.ndarray, depth: float) -> tuple[np.ndarray, np.ndarray]:
    """A sampling map that fills everything outside ``source`` with ``source``'s own pixels:
    each pixel takes the source pixel as far inside the source's edge as it is outside it,
    folded back every ``depth`` pixels (a mirror, then a mirror of the mirror, ...), so texture
    continues across the edge without smearing.

    Args:
        source: (H, W) bool, at least one True.

    Returns:
        (map_x, map_y), each (H, W) float32, for ``cv2.remap``.
    """
    height, width = source.shape
    _, labels = cv2.distanceTransformWithLabels((~source).astype(np.uint8), cv2.DIST_L2, 3,
                                                labelType=cv2.DIST_LABEL_PIXEL)
    ys, xs = np.nonzero(source)   # row-major, the order of DIST_LABEL_PIXEL's labels
    near = labels.astype(np.int64) - 1
    px, py = xs[near].astype(np.float32), ys[near].astype(np.float32)
    gy, gx = np.mgrid[0:height, 0:width].astype(np.float32)
    dx, dy = px - gx, py - gy
    dist = np.sqrt(dx * dx + dy * dy)
    fold = depth - np.abs(np.mod(dist, 2 * depth) - depth)
    scale = np.where(dist > 0, fold / np.maximum(dist, 1e-6), 0.0).astype(np.float32)
    return px + dx * scale, py + dy * scale


def forehead_box(landmarks: np.ndarray, hair: np.ndarray) -> tuple[int, int, int, int] | None:
    """(x0, y0, x1, y1), end-exclusive: a box of bare forehead above the brows' middle (between
    their quartiles, FOREHEAD_INSET clear of the brows and of the hair), whose fine grain a bald
    scalp takes (``SkinGrain``); None where too little forehead is bare (a fringe covers it).
    ``landmarks`` in pixels of ``hair`` (R, R)."""
    size = hair.shape[0]
    left, right = np.percentile(landmarks[BROWS, 0], (25, 75))
    x0, x1 = int(np.ceil(left)), int(np.floor(right)) + 1
    bottom = int(np.floor(brow_line(landmarks, size)[x0:x1].min() - FOREHEAD_INSET * size))
    if x1 - x0 < FOREHEAD_MIN * size or bottom <= 0:
        return None
    bare = (face_oval(landmarks, size) & (hair < 0.2))[:bottom, x0:x1]
    # Rows from the brows up to the first that is not bare skin in every column.
    covered = np.flatnonzero(~bare.all(axis=1))
    top = int(covered[-1]) + 1 + int(round(FOREHEAD_INSET * size)) if len(covered) else 0
    return (x0, top, x1, bottom) if bottom - top >= FOREHEAD_MIN * size else None


def skin_sample(lab: np.ndarray, landmarks: np.ndarray, hair: np.ndarray) -> np.ndarray:
    """(H, W) bool: the person's bare skin to draw scalp from: the forehead under the hairline,
    or where bangs cover all but SKIN_SHADED of it, the cheeks and nose between the nose tip and
    the mouth."""
    return _skin_sample(lab, landmarks, hair)[0]


def _skin_sample(lab: np.ndarray, landmarks: np.ndarray, hair: np.ndarray) -> tuple[np.ndarray, bool]:
    """``skin_sample``, and whether it is the forehead (not the cheeks)."""
    size = lab.shape[0]
    forehead = face_oval(landmarks, size) & (hair < 0.2) & above_brows(landmarks, size)
    if forehead.sum() >= SKIN_SHADED * size * size:
        return forehead, True
    return bare_cheeks(landmarks, hair), False


def forehead_tone(lab: np.ndarray, landmarks: np.ndarray, hair: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """((3,) float32 CIELAB, (H, W) bool ``skin_sample``): the bare forehead's median colour in
    ``lab`` (H, W, 3), or where a fringe hides it, the cheeks' moved by CHEEKS_TO_FOREHEAD (on
    faces that show both, the forehead is lighter than the skin between nose and mouth)."""
    skin, forehead = _skin_sample(lab, landmarks, hair)
    if not skin.any():
        skin, forehead = face_oval(landmarks, lab.shape[0]), True
    tone = np.median(lab[skin], axis=0).astype(np.float32)
    if not forehead:
        tone[0] = CHEEKS_TO_FOREHEAD[0] * tone[0] + CHEEKS_TO_FOREHEAD[1]
        tone[1:] += CHEEKS_TO_FOREHEAD_AB
    return tone, skin


def bare_cheeks(landmarks: np.ndarray, hair: np.ndarray) -> np.ndarray:
    """(S, S) bool: the face oval between the nose tip and the mouth where ``hair`` (S, S) is
    under 0.2: the cheeks and nose."""
    size = hair.shape[0]
    rows = np.arange(size, dtype=np.float32)[:, None]
    return (face_oval(landmarks, size) & (hair < 0.2) & (rows > landmarks[NOSE_TIP, 1])
            & (rows < landmarks[MOUTH, 1]))


def _skinlike(lab: np.ndarray, skin: np.ndarray) -> np.ndarray:
    """(H, W) float32 in [0, 1]: how far each pixel of ``lab`` (H, W, 3) CIELAB has the skin's
    colour ``skin`` (3,): 1 within NOT_SKIN[0], 0 from NOT_SKIN[1] on (lightness counts less: a lit
    forehead is lighter than the face's median skin)."""
    diff = np.subtract(lab, skin, dtype=np.float32)
    distance = cv2.sqrt(cv2.transform(diff * diff, _SKIN_WEIGHT))
    return 1.0 - np.clip((distance - NOT_SKIN[0]) * (1.0 / (NOT_SKIN[1] - NOT_SKIN[0])), 0.0, 1.0)


def not_skin_hued(image: np.ndarray, landmarks: np.ndarray, ground: np.ndarray) -> float:
    """The share of ``ground`` (R, R) bool on the (R, R, 3) uint8 BGR ``image`` that has not the
    hue of the face's skin (its interior's median a*, b*: within CAP_HUE, at CAP_CHROMA of its
    chroma; lightness left out, so a lit or shadowed forehead keeps it): a cap, a hat. 0 where
    there is no ground, or the skin has no hue to tell (CAP_GREY: a black-and-white photo)."""
    box = nonzero_box(ground)
    if box is None:
        return 0.0
    part = slice(*box[0]), slice(*box[1])
    interior = face_interior(landmarks, image.shape[0])
    lab = to_lab(image)
    skin = np.median(lab[interior][::4, 1:], axis=0) if interior.any() else None
    chroma = float(np.linalg.norm(skin)) if skin is not None else 0.0
    if chroma < CAP_GREY:
        return 0.0
    ab = lab[part][ground[part]][:, 1:]
    own = np.linalg.norm(ab, axis=1)
    hued = ((ab @ skin >= np.cos(np.radians(CAP_HUE)) * own * chroma)
            & (own >= CAP_CHROMA[0] * chroma) & (own <= CAP_CHROMA[1] * chroma))
    return 1.0 - float(hued.mean())


def _fall(near: np.ndarray, scale: float) -> np.ndarray:
    """(H, W) float32: exp(-distance to the nearest pixel of ``near`` (H, W) bool / ``scale``)
    (0 where it has none)."""
    if not near.any():
        return np.zeros(near.shape, np.float32)
    return np.exp(-cv2.distanceTransform((~near).astype(np.uint8), cv2.DIST_L2, 3) * (1.0 / scale))


def above_brows(landmarks: np.ndarray, size: int) -> np.ndarray:
    """(S, S) bool: the rows more than FOREHEAD_INSET of the crop above the brows' arc."""
    return np.arange(size, dtype=np.float32)[:, None] < brow_line(landmarks, size)[None, :] - FOREHEAD_INSET * size


_PATTERNS: dict[tuple, np.ndarray] = {}


def _pattern(size: int, sigma_x: float, sigma_y: float) -> np.ndarray:
    """(size, size) float32, zero-mean unit-spread noise blurred by (sigma_x, sigma_y) px. Fixed
    per size, so what it textures does not flicker from frame to frame."""
    key = (size, sigma_x, sigma_y)
    if key not in _PATTERNS:
        noise = np.random.default_rng(0).standard_normal((size, size)).astype(np.float32)
        noise = cv2.GaussianBlur(noise, (0, 0), sigmaX=sigma_x, sigmaY=sigma_y)
        _PATTERNS[key] = (noise - noise.mean()) / max(float(noise.std()), 1e-6)
    return _PATTERNS[key]


_TIPS: dict[int, np.ndarray] = {}


def column_span(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """((W,) float32, (W,) float32): the first and the last row of ``mask`` (H, W) bool in each
    column, -1 in a column with none."""
    has = mask.any(axis=0)
    first = np.where(has, mask.argmax(axis=0), -1).astype(np.float32)
    last = np.where(has, mask.shape[0] - 1 - mask[::-1].argmax(axis=0), -1).astype(np.float32)
    return first, last


def strand_tips(grow: np.ndarray) -> np.ndarray:
    """(R, R) float32: new hair ``grow`` (R, R) whose lower edge ends in clumps of strands of
    uneven length, thinning out, rather than one even line. Fixed per size (no flicker)."""
    size = grow.shape[0]
    if size not in _TIPS:
        # Clumps, not single strands: a comb of one-pixel teeth reads as a saw, not as hair.
        noise = np.random.default_rng(1).random((1, size)).astype(np.float32)
        clumps = cv2.GaussianBlur(noise, (0, 0), sigmaX=TIP_CLUMP * size, sigmaY=0.1)
        _TIPS[size] = ((clumps - clumps.min()) / np.ptp(clumps))[0].astype(np.float32)
    inside = grow > 0.5
    rows = np.arange(size, dtype=np.float32)[:, None]
    _, bottom = column_span(inside)
    end = bottom - TIP_LENGTH * size * _TIPS[size]
    # Shorter towards its sides, in an arc: a fringe is cut round, not off square at the temples.
    columns = np.flatnonzero(inside.any(axis=0))
    if len(columns) > 1:
        centre, half = (columns[0] + columns[-1]) / 2.0, max((columns[-1] - columns[0]) / 2.0, 1.0)
        end = end - FRINGE_ARC * size * ((np.arange(size) - centre) / half) ** 2
    # Each clump thins out over TIP_TAPER above its end; above that, the hair is as it was.
    taper = np.clip((end[None, :] - rows) / (TIP_TAPER * size) + 1.0, 0.0, 1.0)
    return (grow * taper).astype(np.float32)


def thin_out(share: np.ndarray, hair: np.ndarray, image: np.ndarray) -> np.ndarray:
    """(R, R) float32 in [0, 1]: where hair thins by ``share`` (R, R), the pixels whose hair goes
    (the scalp or the wall shows there): ``share`` of the hair ``hair`` (R, R), the darker gaps
    between its strands first (its own light and shade in the (R, R, 3) uint8 ``image``, and fine
    streaks along its fall where it has too little of its own), the strands kept; not a uniform
    wash of scalp over the hair."""
    size = share.shape[0]
    light = to_lab(image)[..., 0]
    detail = light - cv2.GaussianBlur(light, (0, 0), THIN_DETAIL * size)
    sure = hair > 0.5
    spread = 1.4826 * float(np.median(np.abs(detail[sure]))) if sure.any() else 0.0
    own = np.clip(detail / max(spread, THIN_FLAT), -3.0, 3.0)
    streaks = _pattern(size, THIN_STREAKS[0] * size, THIN_STREAKS[1] * size)
    order = (own + THIN_STREAK_MIX * streaks) / np.sqrt(1.0 + THIN_STREAK_MIX ** 2)
    return (np.clip(share * (1.0 - THIN_TEXTURE * order), 0.0, 1.0) * hair).astype(np.float32)


def lit_like(drawn: np.ndarray, where: np.ndarray, hair: np.ndarray) -> np.ndarray:
    """(R, R, 3) float32: new hair ``drawn`` (R, R, 3) in [0, 1] shifted so that its median over
    ``where`` (R, R) bool is the FRINGE_SHADE percentile of ``hair`` (N, 3), the hair it falls
    from: its lighter part, as a fringe faces the light (one as dark as the hair's median was a
    dark slab that the two-sample test spotted)."""
    if not where.any():
        return drawn
    # (Measured on a few thousand pixels of each: as good, and a millisecond less.)
    new = drawn[where]
    hair, new = hair[::max(1, len(hair) // LIT_SAMPLE)], new[::max(1, len(new) // LIT_SAMPLE)]
    shift = np.percentile(hair, FRINGE_SHADE, axis=0) - np.median(new, axis=0)
    return np.clip(drawn + shift.astype(np.float32), 0.0, 1.0)


def way_down(new: np.ndarray) -> np.ndarray:
    """(R, R) float32: how far down the new hair ``new`` (R, R) bool each pixel lies in its
    column, 0 at its top and 1 at its lower end (negative above it, past 1 below; inf in a column
    with none)."""
    rows = np.arange(new.shape[0], dtype=np.float32)[:, None]
    first, last = (ends[None, :] for ends in column_span(new))
    down = (rows - first) / np.maximum(last - first, 1.0)
    return np.where(first >= 0, down, np.inf).astype(np.float32)


def lit_band(down: np.ndarray, streaks: np.ndarray) -> np.ndarray:
    """(R, R) float32 to add to new hair whose ``way_down`` is ``down`` (R, R): the light it
    catches where it curves over the forehead, a band FRINGE_LIGHT down it, FRINGE_LIFT times 1 + half its
    ``streaks`` (R, R, unit spread): more along its light ones. Real fringes are lighter there:
    without it the edits' fringe band, dark at the top and pale at the skin-showing ends, went from
    7.8 L* darker than its mean to 9.7 lighter towards the brows (with it 5.0 and 8.0), against 4.4
    and 4.6 for real ones."""
    at, width = FRINGE_LIGHT
    band = np.exp(-0.5 * ((down - at) * (1.0 / width)) ** 2)
    return (FRINGE_LIFT * band * np.clip(1.0 + 0.5 * streaks, 0.0, 2.0)).astype(np.float32)


def thin_ends(grow: np.ndarray, down: np.ndarray, streaks: np.ndarray) -> np.ndarray:
    """(R, R) float32: new hair ``grow`` (R, R) thinning out the farther down the new hair it is
    (``down`` (R, R), ``way_down``; as THIN_POWER of it), down to 1 - THIN_ENDS at its end
    between its clumps (where its ``streaks`` (R, R), unit-spread light and shade, are light) and
    CLUMP_THIN of that in them: the skin shows through a fringe's ends, which are not a solid slab cut
    straight across (a real fringe's texture and opacity; the two-sample test keyed on the slab)."""
    if not np.isfinite(down).any():
        return grow
    down = np.clip(down, 0.0, 1.0)
    gaps = CLUMP_THIN + (1.0 - CLUMP_THIN) * np.clip(0.5 + 0.5 * streaks, 0.0, 1.0)
    return (grow * (1.0 - THIN_ENDS * down ** THIN_POWER * gaps)).astype(np.float32)


def _scalp_top(inside: np.ndarray) -> int | None:
    """The first row of the scalp ``inside`` (R, R), or None where there is none."""
    rows = np.flatnonzero((inside > 0.5).any(axis=1))
    return int(rows[0]) if len(rows) else None


def grown_skull(landmarks: np.ndarray, size: int) -> np.ndarray:
    """(R, R) float32: the landmarks' skull SKULL_GROWTH times as big, its edge as sharp as a
    head's (SKULL_EDGE), rounded off below a crop's fading top edge: the most a bare scalp fills."""
    return skull(landmarks, size, edge=SKULL_EDGE, scale=SKULL_GROWTH, top=edge_margin(size))


def on_skull(reach: np.ndarray, landmarks: np.ndarray) -> bool:
    """Whether a style whose ``reach`` (S, S) is where it takes hair takes it on the skull alone
    (within SKULL_GROWTH of the landmarks' skull): a hairline that recedes, not hair that stands out
    from the head (bald)."""
    return float((reach * (1.0 - skull(landmarks, reach.shape[0], scale=SKULL_GROWTH))).max()) < 0.5


def bare_crown(inside: np.ndarray, loss: np.ndarray) -> float:
    """How much the hair taken away, ``loss`` (R, R), bares the crown of the scalp ``inside``
    (R, R): 1 for a bald head, 0 for a receding hairline."""
    top = _scalp_top(inside)
    if top is None:
        return 0.0
    crown = (inside > 0.5) & (np.arange(inside.shape[0])[:, None] < top + 0.15 * inside.shape[0])
    return float(np.clip(2.0 * loss[crown].mean() - 1.0, 0.0, 1.0)) if crown.any() else 0.0


def _sheen(inside: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    """(R, R) float32 in [0, 1]: where light falling from above catches a bare scalp ``inside``
    (R, R): a soft oval on its front, between its top and the brows."""
    size = inside.shape[0]
    top = _scalp_top(inside)
    if top is None:
        return np.zeros_like(inside)
    brows = float(np.median(brow_line(landmarks, size)))
    cx = float(landmarks[:, 0].mean())
    cy = top + SHEEN_AT * (brows - top)
    width = 0.5 * float((inside[int(cy)] > 0.5).sum()) if 0 <= int(cy) < size else 0.25 * size
    ys, xs = np.ogrid[0:size, 0:size]
    spot = np.exp(-0.5 * (((xs - cx) / max(0.35 * width, 1.0)) ** 2 + ((ys - cy) / max(0.22 * (brows - top), 1.0)) ** 2))
    return (spot * inside).astype(np.float32)


def _shade_neck(base: np.ndarray, lab: np.ndarray, landmarks: np.ndarray, hair: np.ndarray,
                inside: np.ndarray) -> None:
    """Takes the neck a bare scalp's ``base`` (R, R, 3) CIELAB draws under the jaw (where
    ``inside`` (R, R) reaches below the face oval, under the mouth) to NECK_SHADE L* below the
    median of the bare cheeks (not ``hair``) in ``lab``, the crop, in place (its relief kept).
    On CelebA's val and test faces whose neck shows (469), its skin just under the chin is a
    median 8 L* darker than the cheeks (17 than the forehead); drawn in the scalp's tone, a neck
    was as light as the cheeks or lighter: a pale stalk under a bald head."""
    size = inside.shape[0]
    below = ~face_oval(landmarks, size)
    below[:int(np.clip(landmarks[MOUTH, 1], 0, size))] = False
    under = cv2.GaussianBlur(below.astype(np.float32), (0, 0), NECK_SHADE_EDGE * size)
    # (measured as on the real faces: just under the chin, across the neck's width)
    span = neck_span(landmarks, size)
    chin = float(landmarks[CHIN, 1])
    neck = np.zeros((size, size), bool)
    if span is not None:
        neck[int(np.clip(chin + NECK_BAND[0] * size, 0, size)):int(np.clip(chin + NECK_BAND[1] * size, 0, size)),
             int(np.ceil(span[0])):int(span[1]) + 1] = True
    neck &= (under > 0.5) & (inside > 0.5)
    cheeks = bare_cheeks(landmarks, hair)
    # (the medians on every other row and column, as for the dome; on a few pixels of either, or
    # none, nothing is known: a median of none drew no_bangs' bared forehead dark red)
    neck, cheeks = neck[::2, ::2], cheeks[::2, ::2]
    if min(neck.sum(), cheeks.sum()) < SKIN_MIN * size * size / 4:
        return
    offset = float(np.median(lab[::2, ::2, 0][cheeks])) - NECK_SHADE - float(np.median(base[::2, ::2, 0][neck]))
    base[..., 0] += offset * under


def _turned_away(inside: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    """(R, R) float32 in [0, 1]: how far a bare scalp ``inside`` (R, R) turns away from a camera
    in front, as a sphere's surface does: 1 - cos(up) cos(across), up the angle up a circle from
    the ear line to its top, across the angle round each row's width of it."""
    size = inside.shape[0]
    top = _scalp_top(inside)
    centre = skull_axes(landmarks)[1]
    if top is None or centre - top < 1.0:
        return np.zeros((size, size), np.float32)
    up = np.clip((centre - np.arange(size, dtype=np.float32)) / (centre - top), 0.0, 1.0)
    left, right = column_span((inside > 0.5).T)     # (each row's)
    half = np.maximum(0.5 * (right - left + 1.0), 1.0)
    across = np.clip((np.arange(size, dtype=np.float32) - 0.5 * (left + right)[:, None]) / half[:, None], -1.0, 1.0)
    return (1.0 - np.sqrt(1.0 - up * up)[:, None] * np.sqrt(1.0 - across * across)).astype(np.float32)


@functools.cache
def _edge_ramp(size: int) -> np.ndarray:
    """(S, S) float32: 0 at the edge of a ``size``-pixel crop (within ``edge_margin``), rising
    to 1 over LENT_FADE of it."""
    margin = edge_margin(size)
    ramp = np.clip((np.minimum(np.arange(size), size - 1 - np.arange(size)) - margin)
                   / max(LENT_FADE * size - margin, 1.0), 0.0, 1.0).astype(np.float32)
    return np.outer(ramp, ramp)


_IDENTITY = np.float64([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])


def crop_move(made_from: np.ndarray, to_crop: np.ndarray, size: int) -> tuple[np.ndarray, float]:
    """((2, 3) what takes a point of the crop of frame-to-crop matrix ``made_from`` (2, 3) to
    the same frame pixel in the crop ``to_crop`` (2, 3) cuts now, less the identity; how far
    it moves the middle of the crop (``size`` pixels): ``_middle_move``)."""
    off = _then(cv2.invertAffineTransform(made_from), to_crop) - _IDENTITY
    return off, _middle_move(off, size)


def _middle_move(off: np.ndarray, size: int) -> float:
    """How far an affine map, ``off`` (2, 3) less the identity, moves the middle of a
    ``size``-pixel crop (in its pixels)."""
    return float(np.hypot(*(off[:, 2] + 0.5 * size * (off[:, 0] + off[:, 1]))))


def carried(made_from: np.ndarray, to_crop: np.ndarray, size: int, scale: int) -> np.ndarray | None:
    """(2, 3) what moves a video mask made on the crop of frame-to-crop matrix ``made_from``
    (2, 3) to where it lay on the frame, in the crop ``to_crop`` (2, 3) cuts now (in the
    ``scale`` times larger detail crop's pixels): wholly while the crop (``size`` pixels) has
    moved less than CARRIED_STILL[0] of it since, not at all from CARRIED_STILL[1] (a head
    that moves fast takes its hair with it); None where that is no move."""
    off, moved = crop_move(made_from, to_crop, size)
    still = float(np.clip((CARRIED_STILL[1] * size - moved) / ((CARRIED_STILL[1] - CARRIED_STILL[0]) * size), 0.0, 1.0))
    if moved * still < 0.01:
        return None
    matrix = _IDENTITY + still * off
    matrix[:, 2] *= scale
    return matrix


def _warped(part: np.ndarray, matrix: np.ndarray, box: tuple[slice, slice]) -> np.ndarray:
    """``part``, the ``box`` of an (R, R) crop, moved by ``matrix`` (2, 3, in the crop's pixels);
    what moves in from past the box's edge takes the edge's values."""
    matrix = matrix.copy()
    matrix[:, 2] += matrix[:, 0] * box[1].start + matrix[:, 1] * box[0].start - (box[1].start, box[0].start)
    return cv2.warpAffine(part, matrix, part.shape[1::-1], flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def _then(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """(2, 3) the affine map ``first`` (2, 3) followed by ``second`` (2, 3), in plain arithmetic
    (numpy's matrix product calls BLAS, whose threads spin: 10 ms of CPU a frame in the bench)."""
    out = second[:, :1] * first[:1] + second[:, 1:2] * first[1:2]
    out[:, 2] += second[:, 2]
    return out


@functools.cache
def _mask_worker() -> concurrent.futures.ThreadPoolExecutor:
    """The thread that makes video's recolouring masks (HairRenderer._video_mask)."""
    return concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="mirror-mask", initializer=run_in_background)


class HairRenderer:
    """Renders ``EditPlan``s onto aligned faces; remembers the person's hair colour in video.

    Args:
        video: frames of one stream (the measured hair colour is smoothed over time).
        textures: real hair's detail, lent to hair too flat to carry its own when recoloured
            (``mirror.render.texture``; None: none lent).
    """

    def __init__(self, video: bool = False, textures: TextureBank | None = None):
        self.video = video
        self.textures = textures
        # (OpenCV builds its CIELAB tables on first use, 145 ms: here, not on a style's first frame)
        to_lab(np.zeros((1, 1, 3), np.uint8))
        self.reset()

    def reset(self) -> None:
        """Forgets the person (the face was lost)."""
        self._own_color: np.ndarray | None = None
        self._skin: np.ndarray | None = None
        # Video's recolouring mask: (mask, box, mixed) in use, how many frames it has served, and the
        # next one, in the making on the worker thread.
        self._color_mask: tuple | None = None
        self._mask_uses = 0
        self._mask_darker = False
        self._next_mask: concurrent.futures.Future | None = None
        # ... and the frame-to-crop matrices (2, 3) of the crops the two were made from.
        self._mask_from: np.ndarray | None = None
        self._next_from: np.ndarray | None = None
        self._last_crop: np.ndarray | None = None      # (the last frame's, for the head's speed)
        self._donor: int | None = None
        self._bay_seen: np.ndarray | None = None
        self._strands_seen: np.ndarray | None = None
        self._capped: bool | None = None     # (video: whether the head was under a cap, ``_under_cap``)
        # Where lent strands lie: (2, 3) from the donor's crop to this frame's crop, and the
        # frame-to-crop matrix (2, 3) it was made for.
        self._lent_at: tuple[np.ndarray, np.ndarray] | None = None
        self._lent_seen: np.ndarray | None = None
        self._dome: np.ndarray | None = None        # (video: the bare scalp's median colour, BGR)

    def render(self, aligned: AlignedFace, plan: EditPlan, plate: BackgroundPlate | None = None) -> EditedFace:
        """Draws ``plan`` on ``aligned`` (segmented, with its detail crop).

        Args:
            plate: the video's background plate (None: a photo; the wall is filled in).
        """
        if aligned.detail is None or aligned.hair is None or aligned.person is None:
            raise ValueError("the face needs its detail crop and its hair and person masks")
        size = aligned.detail.shape[0]
        zero = np.zeros((size, size), np.float32)
        if plan.kind != "color":     # a recolouring mask is never carried across another style
            self._color_mask = self._next_mask = None
        # (nor new hair's bay or its colours across a frame drawn without new hair)
        bay_seen, strands_seen = self._bay_seen, self._strands_seen
        self._bay_seen = self._strands_seen = None
        lent_at, lent_seen = self._lent_at, self._lent_seen     # (nor lent strands across a frame without)
        self._lent_at = self._lent_seen = None
        if plan.kind == "none":
            return EditedFace(aligned.detail, zero, zero)
        detail = aligned.detail.astype(np.float32) / 255.0
        landmarks = aligned.landmarks * aligned.scale
        own = skin = None
        if plan.kind in ("color", "exemplar"):   # only these move the person's own hair colour
            crop_lab = to_lab(aligned.crop)
            own = own_color(crop_lab, aligned.hair)
            interior = face_interior(aligned.landmarks, aligned.crop.shape[0])
            skin = np.median(crop_lab[interior][::4], axis=0) if interior.any() else None
            # A bald head's lit rim, which the segmenter takes for hair (0.8-0.9), is not hair to
            # recolour: skin-coloured "hair" (within MIX_CONTRAST[0] of the skin) with hardly any of
            # it dense (under BARE_RIM of the crop; 183146 made black wore a black arc). (Dark hair
            # on a dark wall can have as little dense: 004800, 0.2 %.)
            if (own is not None and skin is not None and np.linalg.norm(own[0] - skin) < MIX_CONTRAST[0]
                    and self._dense(aligned.hair).mean() < BARE_RIM):
                own = None
            if self.video:
                own = self._follow(self._own_color, own)
                skin = self._follow(self._skin, skin)
            self._own_color, self._skin = own, skin
        if plan.kind == "color":
            if own is None:
                return EditedFace(aligned.detail, zero, zero)
            target = scene_target(plan.color, plan.skin, skin)
            table = color_table(own, target, plan.amount, warm=True, skin=skin)
            shift = float(move(own, target, plan.amount)[0][0] - own[0, 0])    # in L* (which warmth leaves)
            darker = shift < -DARKER
            mask, box, mixed = self._video_mask(aligned, detail, own, crop_lab, skin, darker) if self.video else \
                self._recolor_mask(aligned, detail, own, crop_lab, skin, darker)[:3]
            if box is None:
                return EditedFace(aligned.detail, zero, zero)
            # Dark hair with hardly any wall beside it in the crop (a dark head on a dark wall,
            # which the segmenter takes for hair up to the crop's edge) reaches no farther than
            # a head's hair does: rounded, not the crop's square.
            # The same where the wall's colour is the hair's (a black, speckled backdrop behind
            # black curls): the mask cannot tell them apart there either.
            trust = None               # (measured only where needed: a few tenths of a ms)
            unsure = float(np.clip((DARK_HAIR[1] - own[0, 0]) / (DARK_HAIR[1] - DARK_HAIR[0]), 0.0, 1.0))
            if unsure > 0.0:
                wall = float(((aligned.person < 0.2) & (aligned.hair < 0.2)).mean())
                trust = wall_contrast(aligned, own)
                unsure *= max(float(np.clip(1.0 - wall / WALL_SCARCE, 0.0, 1.0)), 1.0 - trust)
            if unsure > 0.0:
                reach = cv2.resize(hair_reach(aligned.landmarks, aligned.crop.shape[0], HAIR_REACH, REACH_EDGE),
                                   (size, size), interpolation=cv2.INTER_LINEAR)
                mask = mask * (1.0 - unsure + unsure * reach)
            # Hair the crop cuts is followed on past it where its colour can be told from the
            # wall's (``beyond``); where it cannot, its new colour fades out before the crop's
            # edge (its ends left as they were, as dyed hair grown out), not cut straight across.
            if at_edges(mask):
                trust = wall_contrast(aligned, own) if trust is None else trust
                if trust < 1.0:
                    mask = fade_cut(mask, trust, edges_shown(aligned, size), crown=aligned.outer is not None)
            # Hair made lighter shows strands a dark photo hid; hair made darker hides them anyway.
            lighter = float(np.clip((shift - LEND_LIGHTER[0]) / (LEND_LIGHTER[1] - LEND_LIGHTER[0]), 0.0, 1.0))
            strands = None
            if self.textures is not None and lighter > 0:
                self._donor = self.textures.pick(mask, self._donor if self.video else None, lightness=crop_lab[..., 0])
                lent = self.textures.detail_at(self._donor, size)
                if self.video:
                    # (placed on the hair, which the crop slides over as the face moves in it, and
                    # followed over the frames: a new donor fades in, its strands do not pop)
                    lent = self._place_lent(lent, aligned, lent_at)
                    lent = self._lent_seen = self._follow(lent_seen, lent, LENT_RATE)
                lent = lent[box]
                # (fading out towards the crop's edge, where the recolouring past it has none)
                lent = lent * _edge_ramp(size)[box]
                strands = functools.partial(lighten, detail=lent,
                                            detail_spread=float(self.textures.spread[self._donor]),
                                            spread=float(target[1, 0]), gain=LEND_GAIN * lighter)
            edited = recolor_box(aligned.detail, table, mask, box, mixed, strands)
            edited.beyond = beyond(aligned, mask, own, table, trust)
            return edited
        hair = self._hair(aligned, detail)
        # (Hair taken away may go below the chin, where the hair mask tells it from the neck; new
        # hair stops above it.)
        free = self._keep_out(landmarks, size, below_chin=True)
        keep_out = free * chin_fade(landmarks, size)[:, None]
        change = cv2.resize(plan.hair_change, (size, size), interpolation=cv2.INTER_LINEAR)
        if plan.kind == "texture":
            # Texture, not colour: the decodes' change of lightness, as a gain on the hair's own
            # pixels (its colour kept; no grey wash on dark hair), less its mean over the hair,
            # held within TEXTURE_GAIN, on the sure hair only (its edge over the wall would glow).
            gain = (plan.edited.mean(axis=2) + 0.05) / (plan.recon.mean(axis=2) + 0.05)
            gain = cv2.resize(gain, (size, size), interpolation=cv2.INTER_LINEAR)
            sure = np.clip((hair - HAIR_EDGE[1]) / (1.0 - HAIR_EDGE[1]), 0.0, 1.0) * keep_out
            gain = np.clip(gain / max(float((gain * sure).sum() / max(sure.sum(), 1.0)), 1e-3), *TEXTURE_GAIN)
            curl = plan.curl * plan.amount
            if curl <= 0.0:
                return self._finish(detail, detail * gain[..., None], sure, zero)
            # A glint in the hair (a thin line far lighter than what is round it: jewellery, a
            # clip) keeps still, and the hair round it: swung, a hoop earring on d3 was bent into an S.
            moved = sure * (1.0 - self._round_glints(aligned.detail, sure))
            top = column_span(sure > 0.5)[0]
            # Waves (``mirror.render.waves.waves``): the person's own hair swung side to side down its fall
            # and lit on each crest, drawn anew where it swings (the frame's fine detail lent from
            # where each pixel was copied); elsewhere the light's change is added onto the frame's
            # own detail (drawn anew there too, a short fringe's fine strands came out softer).
            source, light, swung = waves.waves(moved, top, size, curl)
            wavy = cv2.remap(detail, source, None, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
            edited = self._finish(detail, wavy * (gain * light)[..., None], sure, sure * swung)
            edited.source, edited.source_weight = source, sure * swung
            return edited
        soft = SOFT * size
        grow = np.clip((change - CHANGE_MIN) / (CHANGE_FULL - CHANGE_MIN), 0, 1) if plan.kind != "remove" else zero
        loss = np.clip((-change - CHANGE_MIN) / (CHANGE_FULL - CHANGE_MIN), 0, 1) if plan.kind != "add" else zero
        # (the crop's colours and its hair's, measured once, only if asked for)
        crop_lab = functools.cache(lambda: to_lab(aligned.crop))
        hair_color = functools.cache(lambda: own_color(crop_lab(), aligned.hair))
        # A pixel whose hair goes is wholly redrawn, its strands' fringe against the wall too.
        fringe = _width(FRINGE_REACH, size)
        taken = loss * np.clip(hair * 6.0, 0.0, 1.0)
        # ... but under a hat, only the hair the segmenter is sure of (HAT_SURE): the hat over the
        # head, which it half takes for hair (0.2-0.4), was taken and its brim smeared into the wall
        # (Grace Hopper made bald). A hat: most of what would be taken on the head above the brows,
        # where the segmenter doubts it is hair, has not the skin's hue (``not_skin_hued``).
        if loss.max() > 0:
            head = _on_person(aligned, size) & above_brows(landmarks, size)
            ground = (taken > 0.05) & (hair < 0.5) & head
            if ground.sum() >= HAT_GROUND * size * size and not_skin_hued(aligned.detail, landmarks, ground) > CAP_SHARE:
                taken *= np.clip((hair - HAT_SURE[0]) * (1.0 / (HAT_SURE[1] - HAT_SURE[0])), 0.0, 1.0)
        # ... and, where the style takes a fringe wherever it lies (``plan.reach``), so is hair there
        # the segmenter is unsure of (UNSURE) if it has the hair's colour: a fringe's strands with
        # skin between them, half taken, were a dark blot on a bald dome's front (d12).
        if plan.reach is not None and loss.max() > 0:
            unsure = plan.reach * shapes.region("no_bangs", aligned.landmarks, aligned.crop.shape[0], 1.0)
            unsure *= np.clip((aligned.hair - UNSURE[0]) / (UNSURE[1] - UNSURE[0]), 0.0, 1.0)
            unsure = cv2.resize(unsure, (size, size), interpolation=cv2.INTER_LINEAR)
            more = nonzero_box(unsure > taken)
            if more is not None and hair_color() is not None:
                part = slice(*more[0]), slice(*more[1])
                lab = to_lab(aligned.detail[part])
                # (and darker than the skin, DARKER_STRANDS: a blond's forehead, of her hair's
                # colour too, was taken with a step; a blot is dark)
                skin = float(np.median(crop_lab()[face_interior(aligned.landmarks, aligned.crop.shape[0])][:, 0]))
                darker = np.clip((skin - lab[..., 0] - DARKER_STRANDS[0]) / (DARKER_STRANDS[1] - DARKER_STRANDS[0]), 0.0, 1.0)
                taken[part] = np.maximum(taken[part], unsure[part] * darker * _near_hair(lab, hair_color(), floor=SPREAD_FLOOR))
        # ... and so is a fringe's end over the protected face below it (left, it was a strip of
        # hair across the brows under a bare forehead).
        hid = []
        if loss.max() > 0:
            hung = np.maximum(hung_below(hair, keep_out, taken, landmarks), hung_beside(hair, free, taken, landmarks))
            # (and the brows such a fringe hid go with it, to be drawn anew: kept, the fringe over
            # them was a dark band across the bared forehead)
            detail_lab = functools.cache(lambda: to_lab(aligned.detail))
            def hairlike() -> np.ndarray:     # (of the hair's colour, or not of the skin's)
                lab, own = detail_lab(), hair_color()
                unlike = 1.0 - _skinlike(lab, np.median(lab[face_interior(landmarks, size)], axis=0))
                return unlike if own is None else np.maximum(unlike, _near_hair(lab, own, floor=SPREAD_FLOOR))

            hid = eyebrows.hidden(hair, landmarks, np.maximum(taken, hung), hairlike)
            if hid and hair_color() is None:      # (no hair colour to draw brows in: they stay)
                hid = []
            if hid:
                brow_area = eyebrows.taken_area(hid, landmarks, size)
                hung = np.maximum(hung, brow_area)
            taken = np.maximum(taken, hung)
            hung = cv2.GaussianBlur(cv2.dilate(hung, np.ones((3, 3), np.uint8)), (0, 0), soft * 0.5)
            keep_out, free = np.maximum(keep_out, hung), np.maximum(free, hung)
        # ... out over the wall (not over the face, whose edge stays as it is).
        # (as far from the face's edge as it reaches)
        face = cv2.dilate(face_oval(landmarks, size).astype(np.uint8), np.ones((fringe, fringe), np.uint8)) > 0
        beside = np.where(face, taken, cv2.dilate(taken, np.ones((fringe, fringe), np.uint8)))
        loss = cv2.GaussianBlur(beside, (0, 0), soft)
        thinned = zero
        if plan.thinning is not None:
            share = cv2.resize(plan.thinning, (size, size), interpolation=cv2.INTER_LINEAR)
            thinned = thin_out(share, hair, aligned.detail)
            loss = np.maximum(loss, thinned)
        grow = cv2.GaussianBlur(grow, (0, 0), soft * 0.5)
        out = detail
        recolored = zero
        shift = self._decoded_shift(plan, aligned) if own is not None and plan.kind == "exemplar" else None
        if shift is not None:
            # An exemplar may change the colour too: by the decodes' own change of hair colour.
            target = np.stack([own[0] + shift, own[1]])
            out = detail + hair[..., None] * (recolor(to_lab(aligned.detail), own, target, plan.amount) - detail)
            recolored = hair * keep_out
        bare, forehead = zero, None
        if loss.max() > 0:
            wall = self._wall(detail, aligned, hair, plate)
            grown = grown_skull(landmarks, size)
            inside = self._skull(landmarks, aligned.person, size, grown)
            # The wisps at the hairline, which the mask misses, go too: bare scalp reaches a little
            # further down over what the mask calls skin (where it looks as the skin did).
            reach = max(1, int(round(WISPS * size)))
            below = cv2.dilate(loss, np.ones((reach + 1, 1), np.uint8), anchor=(0, reach))
            loss = np.maximum(loss, below * inside * np.clip((1.0 - hair) * 10.0, 0.0, 1.0))
            loss = close_dips(loss, thinned)
            forehead = forehead_box(landmarks, hair)
            scalp = self._scalp(aligned.detail, landmarks, hair, plan, inside, loss, forehead)
            if self.video:
                # (its overall colour followed over the renders: the skin it is drawn from, the
                # cheeks or a forehead glimpsed between a fringe's strands, changes from one to
                # the next, and the dome's tone jumped by up to 15 L*: d12)
                # (the median on every other row and column)
                dome = (loss[::2, ::2] > 0.5) & (inside[::2, ::2] > 0.5)
                if dome.any():
                    level = np.median(scalp[::2, ::2][dome], axis=0)
                    self._dome = dome_level = self._follow(self._dome, level, DOME_RATE)
                    scalp = np.clip(scalp + (dome_level - level), 0.0, 1.0)
            bare = loss * inside
            # (outside it, the side of the head where hair stays beyond: not the wall)
            inside = np.maximum(inside, self._enclosed(hair, loss, aligned.person, landmarks, soft))
            # (and where the style takes hair on the skull alone, the head up to its own outline:
            # hair taken at the temples out to it lay on the head, not out before the wall, which
            # drawn there cut a wedge into it: a green one on d0 and a grey one on d13 as they
            # turn their heads)
            if plan.reach is not None and on_skull(plan.reach, aligned.landmarks):
                # (where the person is HEAD_OUTLINE sure: the last half pixel is the hair's fringe
                # against the wall, a mix of the two, filled as the wall; as sharp against it as a
                # head's outline is, SKULL_EDGE)
                outline = cv2.resize(aligned.person, (size, size), interpolation=cv2.INTER_LINEAR) > HEAD_OUTLINE
                outline = cv2.GaussianBlur(outline.astype(np.float32), (0, 0), SKULL_EDGE * size)
                inside = np.maximum(inside, np.minimum(grown, outline))
            inside = inside[..., None]
            fill = scalp * inside + wall * (1 - inside)
            out = out + loss[..., None] * (fill - out)
            if hid:
                lab = detail_lab()
                shade = eyebrows.shade(lab, hair, landmarks, hid, forehead_tone(lab, landmarks, hair)[0], hair_color()[0])
                part = eyebrows.box(hid, landmarks, size)
                corner = np.float32([part[1].start, part[0].start])
                # (on the skin round them, filled in: drawn on the forehead's tone, a brow in the
                # shade under a fringe had a light rim)
                area = brow_area[part]
                around = (area < 0.05).astype(np.float32)
                out[part] += area[..., None] * (smooth_fill(out[part], around, factor=1) - out[part])
                # (its strands as strong as they are wide in pixels, up to one: finer, in a small
                # crop, they split a brow in two lengthwise, an outline round a pale middle)
                streaks = _pattern(size, BROW_STREAKS[1] * size, BROW_STREAKS[0] * size)[part] * min(1.0, BROW_STREAKS[0] * size)
                out[part] = from_lab(eyebrows.draw(to_lab(out[part]), hid, landmarks - corner, shade, streaks, size))
        else:
            fill = None
        # New hair is drawn from the dense hair, not the thin hair at its edge that lets the skin
        # through, and only from the part the segmenter is sure of; a head with too little of it
        # (a bald head) or under a cap (whose colour was copied into the fringe) gets none.
        if grow.max() > 0:
            # (Skin the soft hair mask covers, a bay in the hairline, is bare: covered, not copied.)
            bay = self._bay(aligned, size)
            if self.video:      # (followed over the frames: its edge, where the copy starts, is no steadier)
                bay = self._bay_seen = self._follow(bay_seen, bay, BAY_RATE)
            kept = hair * (1.0 - bay)
            dense = self._dense(kept)
            sure = dense & (cv2.resize(aligned.hair, (size, size), interpolation=cv2.INTER_LINEAR) > SOURCE_SURE)
            # It falls from ROOTS above the dense hair's lower edge (the mask's edge runs a few
            # pixels into the skin at a hairline: hair drawn from there is pale; a band of dense
            # hair less deep than that has none to fall from) ...
            reach = max(1, int(round(ROOTS * size)))
            roots = cv2.erode(sure.astype(np.uint8), np.ones((reach + 1, 1), np.uint8), anchor=(0, 0)) > 0
            total = int(dense.sum())
        else:
            dense = roots = None
        if (roots is not None and roots.any() and total >= SOURCE_MIN * (grow > 0.5).sum()
                and not self._under_cap(int(sure.sum()) / total, lambda: self._capped_ground(aligned, grow, kept, landmarks))):
            grow = strand_tips(self._from_hairline(grow, kept, soft))
            strands, source = self._strands(out, roots, grow > 0.5, FOLD * size)
            # ... in the sure hair's own colour, its lighter part.
            new = grow > 0.5
            strands = lit_like(strands, new, out[sure])
            # ... with strands along its fall: fine streaks of light and shade (short or even hair
            # copied down is otherwise a flat slab).
            streaks = _pattern(size, STREAKS[0] * size, STREAKS[1] * size)
            strands = np.clip(strands * (1.0 + STREAK_GAIN * streaks)[..., None], 0.0, 1.0)
            # ... lit where it curves over the forehead (dark all the way down it was a slab).
            down = way_down(new)
            strands = np.clip(strands + lit_band(down, streaks)[..., None], 0.0, 1.0)
            # ... and is drawn up to there, over the thin hair between (else a pale gap shows).
            up = cv2.GaussianBlur(cv2.dilate(grow, np.ones((2 * reach + 1, 1), np.uint8), anchor=(0, 0)), (0, 0), soft)
            grow = np.maximum(grow, up * (1.0 - cv2.GaussianBlur(roots.astype(np.float32), (0, 0), soft)))
            # New hair casts a soft shadow on the skin just below it.
            below = np.roll(grow, int(SHADOW * size), axis=0)
            below[:int(SHADOW * size)] = 0
            shadow = cv2.GaussianBlur(np.clip(below - grow, 0, 1), (0, 0), SHADOW * size)
            out = out * (1.0 - SHADOW_DEPTH * shadow[..., None])
            loss = np.maximum(loss, shadow * SHADOW_DEPTH)
            # ... thinning out towards its ends (see-through between its clumps, not a slab).
            grow = thin_ends(grow, down, streaks)
            if self.video:
                strands = self._strands_seen = self._follow(strands_seen, strands, STRANDS_RATE)
            out = out + grow[..., None] * (strands - out)
        else:
            grow, source = zero, None
        # (the weight it is drawn with dipped too, where the protected face's edge meets the hair
        # hung over it)
        drawn = np.maximum(grow * keep_out, close_dips(loss * free, thinned))
        # (New hair's thinned ends are blended in twice, here and above: their see-through is
        # squared. Once only, the fringe is denser and judged bangs more often, 0.809 -> 0.829 on
        # the test split, but spotted more often too: detectability 0.71 -> 0.77.)
        edited = self._finish(detail, out, np.maximum(drawn, recolored), drawn)
        if source is not None:
            edited.source, edited.source_weight = source, grow * keep_out
        # A bald scalp takes the forehead's fine grain, which a large face holds beyond the crop.
        if forehead is not None and bare.max() > 0:
            edited.grain = SkinGrain(bare * (1.0 - grow) * keep_out, forehead)
        if fill is not None and plan.reach is not None:
            small = plan.reach.shape[0]
            grown = cv2.dilate(face_oval(aligned.landmarks, small).astype(np.uint8),
                               np.ones((_width(FRINGE_REACH, small),) * 2, np.uint8)) > 0
            edited.removal = Removal(np.clip(fill * 255.0 + 0.5, 0, 255).astype(np.uint8), plan.reach, free, grown,
                                     _taken(plan.reach, grown, aligned.hair, aligned.person))
        edited.beyond = removed_beyond(aligned, loss * free, fill) if loss.max() > 0 else None
        if edited.beyond is not None:
            _hand_over(edited, aligned.detail, edited.beyond)
            edited.beyond.drawn = _all_drawn(edited)
        return edited

    def _video_mask(self, aligned: AlignedFace, detail: np.ndarray, own: np.ndarray, crop_lab: np.ndarray,
                    skin: np.ndarray | None, darker: bool) -> tuple[np.ndarray, tuple[slice, slice] | None, np.ndarray]:
        """``_recolor_mask`` in video, off the frame's path: a mask made from one frame's crop
        on the worker thread serves the next two frames, each pixel's share of hair measured
        again on the frame it is used on (``remix``). The first frame of a face or a style (or
        of hair made darker after lighter) makes its own; so does a frame of a head moving fast
        (``_quick_mask``)."""
        last, self._last_crop = self._last_crop, aligned.to_crop
        made, self._next_mask = self._next_mask, None
        if made is not None:
            self._color_mask, self._mask_uses, self._mask_from = made.result(), 0, self._next_from
        fresh = self._color_mask is None or self._color_mask[0].shape != detail.shape[:2] or darker != self._mask_darker
        if fresh:
            self._color_mask, self._mask_uses = self._recolor_mask(aligned, detail, own, crop_lab, skin, darker), 0
            self._mask_from = aligned.to_crop
        elif self._mask_uses > 0:
            self._next_mask = _mask_worker().submit(self._recolor_mask, aligned, detail, own, crop_lab, skin, darker)
            self._next_from = aligned.to_crop
        self._mask_uses += 1
        self._mask_darker = darker
        mask, box, mixed, mix = self._color_mask
        if fresh or box is None:
            return mask, box, mixed
        size = aligned.crop.shape[0]
        if last is not None and crop_move(last, aligned.to_crop, size)[1] >= FAST_HEAD * size:
            # A head moving fast: turning, it leaves the hair's old place, and a mask carried
            # there painted the forehead and the wall (d12, a pale crescent and an olive band).
            # (Judged frame by frame: a head gliding steadily has each frame's mask made alike;
            # judged on the carried mask's age, every other one was made, and its edge shimmered.)
            return self._quick_mask(aligned, own, crop_lab, skin, darker)
        # Made from an earlier frame's crop. The crop follows the face's landmarks, which slide
        # slowly over still hair (a smile, the eyes turning: d0): while the crop moves slowly,
        # the mask stays where it lay on the frame; a head that moves fast takes its hair with
        # the crop (``carried``).
        mask = mask.copy()
        matrix = carried(self._mask_from, aligned.to_crop, size, aligned.scale)
        if matrix is not None:
            # (of the mix, only the share then moves: the colours beside are smooth over more)
            mixed = mixed.copy()
            mask[box], mixed[box] = _warped(mask[box], matrix, box), _warped(mixed[box], matrix, box)
            mix = mix._replace(matte=_warped(mix.matte, matrix, box))
        # Where the hair has moved since all the same (a turning head) and left the mask's soft
        # edge for the wall, that edge would light up the wall (a lime halo round d0's hair on
        # her green backdrop): the share of hair is measured again on this frame's pixels,
        # against the colours it was measured against then.
        mask[box] *= remix(mix, to_lab(aligned.detail[box]))
        return mask, box, mixed

    @classmethod
    def _quick_mask(cls, aligned: AlignedFace, own: np.ndarray, crop_lab: np.ndarray, skin: np.ndarray | None,
                    darker: bool) -> tuple[np.ndarray, tuple[slice, slice] | None, np.ndarray]:
        """``_recolor_mask``'s (mask, box, mixed) made on the model's crop (``scale`` times smaller
        than the detail crop: a quarter of the cost, on the frame's path) and sized up; for a
        frame of a head moving fast, whose blur hides the finer edge."""
        small = dataclasses.replace(aligned, detail=aligned.crop)
        mask, box, mixed, _ = cls._recolor_mask(small, aligned.crop.astype(np.float32) / 255.0, own, crop_lab, skin, darker)
        size, scale = aligned.detail.shape[0], aligned.scale
        mask = cv2.resize(mask, (size, size), interpolation=cv2.INTER_LINEAR)
        mixed = cv2.resize(mixed, (size, size), interpolation=cv2.INTER_LINEAR)
        if box is not None:
            box = tuple(slice(part.start * scale, part.stop * scale) for part in box)
        return mask, box, mixed

    @staticmethod
    def _from_hairline(grow: np.ndarray, hair: np.ndarray, soft: float) -> np.ndarray:
        """(R, R) float32: new hair ``grow`` reaching up to the hair above it in each column: the
        bare skin between a high or receding hairline and the new hair is covered too (else a
        fringe floats on the forehead as a patch); only that run of it, up to the nearest hair
        (wall seen between the head's hair and a patch the segmenter took for hair above it,
        d13's ceiling, was filled too: a streak of hair on the wall beside his head)."""
        new = grow > 0.5
        size = grow.shape[0]
        rows = np.arange(size)[:, None]
        top = column_span(new)[0][None, :]
        # (below the last hair above the new hair's top, in a column with some)
        last = column_span((hair > 0.5) & (rows < top))[1][None, :]
        gap = (last >= 0) & (rows > last) & (rows < top)
        if not gap.any():
            return grow
        # Softened at its sides, not below the new hair's top (its lower edge is the new hair's).
        side = 2 * int(np.ceil(soft)) + 1
        limit = cv2.dilate((rows < top).astype(np.uint8), np.ones((1, side), np.uint8))
        return np.maximum(grow, cv2.GaussianBlur((gap | new).astype(np.float32), (0, 0), soft * 0.5) * limit)

    @classmethod
    def _bay(cls, aligned: AlignedFace, size: int) -> np.ndarray:
        """(R, R) float32 in [0, 1]: bare skin inside hair the segmenter is sure of, joined to the
        bare forehead: a bay in a receding hairline (often in shadow), which the soft hair mask takes
        for hair. A pixel is skin as far as its a*, b* lie from the hair's towards the forehead
        skin's (BAY_SHARE), up to BAY_REACH of the crop above the face's outline, and BAY_GROW round
        that over the mask's soft edge. None where hair and skin are not BAY_APART in hue (brown or
        blond hair on fair skin) or much of the sure hair has the skin's hue (BAY_MOST)."""
        none = np.zeros((size, size), np.float32)
        lab = to_lab(aligned.crop)
        small = lab.shape[0]
        sample = skin_sample(lab, aligned.landmarks, aligned.hair)
        own = own_color(lab, aligned.hair)
        if own is None or not sample.any():
            return none
        line = np.median(lab[sample][:, 1:], axis=0) - own[0, 1:]
        length = float(np.linalg.norm(line))
        apart = float(np.clip((length - BAY_APART[0]) / (BAY_APART[1] - BAY_APART[0]), 0.0, 1.0))
        if apart == 0.0:
            return none
        weights = np.float32([0.0, *(line / length ** 2)])
        share = cv2.transform(lab, np.append(weights, -weights[1:] @ own[0, 1:])[None].astype(np.float32))
        share = cv2.GaussianBlur(share, (0, 0), BAY_BLUR * small)
        skinlike = np.clip((share - BAY_SHARE[0]) * (1.0 / (BAY_SHARE[1] - BAY_SHARE[0])), 0.0, 1.0)
        oval = face_oval(aligned.landmarks, small).astype(np.uint8)
        reach = _width(BAY_REACH, small)
        zone = cv2.dilate(oval, np.ones((reach + 1, 1), np.uint8), anchor=(0, 0))     # (upward)
        # (only skin joined to the bare forehead: not a lit patch of hair, nor the wall)
        count, labels = cv2.connectedComponents(((skinlike > 0.5) & (zone > 0)).astype(np.uint8), connectivity=4)
        joined = np.zeros(count, bool)
        joined[labels[(oval > 0) & (aligned.hair < 0.2)]] = True
        joined[0] = False
        # (Deep inside the sure hair only: the soft edge the segmenter gives every hairline is no bay.)
        bay = skinlike * joined[labels] * apart * cls._sure(aligned, small, BAY_SURE)
        if bay.max() <= 0.0:
            return none
        # Where much of the sure hair has the skin's hue (thin hair over a scalp), hue cannot tell
        # a bay (all of it taken for skin left no hair to draw a fringe from).
        hair = aligned.hair > BAY_SURE[1]
        taken = float(bay[hair].sum()) / max(int(hair.sum()), 1)
        bay *= float(np.clip((BAY_MOST[1] - taken) * (1.0 / (BAY_MOST[1] - BAY_MOST[0])), 0.0, 1.0))
        if bay.max() <= 0.0:
            return none
        width = _width(BAY_GROW, small)
        bay = cv2.dilate(bay, np.ones((width, width), np.uint8)) * skinlike
        return cv2.resize(bay.astype(np.float32), (size, size), interpolation=cv2.INTER_LINEAR)

    def _place_lent(self, lent: np.ndarray, aligned: AlignedFace,
                    before: tuple[np.ndarray, np.ndarray] | None) -> np.ndarray:
        """A donor's (R, R) ``lent`` detail as video places it: where it lay on the
        frame before (``before``, ``_lent_at``), unless the crop has since moved more than
        LENT_SLACK from it, which it then follows; it settles back to the crop at LENT_RETURN a
        frame. The crop follows the face's landmarks, which slide over the hair as the face turns
        or smiles: strands fixed in it swam over d0's still hair."""
        size = aligned.crop.shape[0]
        at = _IDENTITY
        if before is not None:
            # (the crop's move since, as the frame's: the lent detail stays where it was on it)
            off = _then(before[0], _IDENTITY + crop_move(before[1], aligned.to_crop, size)[0]) - _IDENTITY
            slack = LENT_SLACK * size / max(_middle_move(off, size), 1e-9)
            at = _IDENTITY + off * ((1.0 - LENT_RETURN) * min(1.0, slack))
        self._lent_at = (at, aligned.to_crop)
        matrix = at.copy()
        matrix[:, 2] *= aligned.scale       # (in the detail crop's pixels)
        return cv2.warpAffine(lent, matrix, lent.shape[::-1], flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)

    @staticmethod
    def _follow(before: np.ndarray | None, now: np.ndarray | None, rate: float = COLOR_RATE) -> np.ndarray | None:
        """What was measured or drawn on this frame, smoothed over the video's frames at ``rate``
        (a colour at COLOR_RATE); as it is on the first frame, or where the crop's size changed."""
        if before is None or now is None or before.shape != now.shape:
            return now
        return before + rate * (now - before)

    @staticmethod
    def _round_glints(image: np.ndarray, sure: np.ndarray) -> np.ndarray:
        """(R, R) float32, 1 within STILL_ROUND of a glint in the hair ``sure`` (R, R) of ``image``
        (R, R, 3) uint8: a line up to twice GLINT[0] thin and GLINT[1] lighter than what is round
        it, inside the hair (the wall seen between the strands at its edge is no glint)."""
        size = image.shape[0]
        lightness = to_lab(image)[..., 0]
        glint = cv2.subtract(lightness, cv2.morphologyEx(lightness, cv2.MORPH_OPEN,
                                                         np.ones((_width(GLINT[0], size),) * 2, np.uint8)))
        round_it = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (_width(STILL_ROUND, size),) * 2)
        inside = cv2.erode((sure > 0.5).astype(np.uint8), round_it)
        glints = ((glint > GLINT[1]) & (inside > 0)).astype(np.uint8)
        return cv2.dilate(glints, round_it).astype(np.float32)

    @staticmethod
    def _hair(aligned: AlignedFace, detail: np.ndarray) -> np.ndarray:
        """(R, R) float32: the hair mask at the detail crop's size, on the person only, with a
        sure edge (a soft one would tint the wall beside it) snapped to the strands."""
        sure = np.clip((aligned.hair - HAIR_EDGE[0]) / (HAIR_EDGE[1] - HAIR_EDGE[0]), 0, 1)
        return refine(sure * np.clip(aligned.person * 2.0 - 0.5, 0.0, 1.0), detail)

    @staticmethod
    def _sure(aligned: AlignedFace, size: int, sure: tuple[float, float], inset: float = 0.0) -> np.ndarray:
        """(R, R) float32 in [0, 1]: where the segmenter is sure of hair (its probability from
        ``sure[0]``, wholly from ``sure[1]``), ``inset`` of the crop inside that (0: not inset)."""
        out = np.clip((aligned.hair - sure[0]) * (1.0 / (sure[1] - sure[0])), 0.0, 1.0).astype(np.float32)
        if inset > 0.0:
            width = _width(inset, aligned.hair.shape[0])
            out = cv2.erode(out, np.ones((width, width), np.uint8))
        return cv2.resize(out, (size, size), interpolation=cv2.INTER_LINEAR)

    @staticmethod
    def _dense(hair: np.ndarray) -> np.ndarray:
        """(R, R) bool: the hair more than DENSE of the crop inside the hair mask's edge."""
        inset = _width(DENSE, hair.shape[0])
        return cv2.erode((hair > 0.6).astype(np.uint8), np.ones((inset, inset), np.uint8)) > 0

    def _under_cap(self, share: float, ground: Callable[[], float] | None = None) -> bool:
        """Whether a head is under a cap or hat that the segmenter half takes for hair (0.6-0.8,
        where it is 0.95 on hair): less than SURE_SHARE of its dense hair is what it is sure of
        (``share``). In video a head not under one on the last frame is taken to be under one
        only below SURE_SHARE less SURE_HOLD (as a head turns, the share dips for a few frames:
        d12's to 0.59), so the decision does not blink. Or one it takes for no hair: more than
        CAP_SHARE of the new hair's ground is not skin (``ground``, measured only if asked,
        ``_capped_ground``)."""
        capped = share < SURE_SHARE - (SURE_HOLD if self._capped is False else 0.0)
        if not capped and ground is not None:
            capped = ground() > CAP_SHARE
        if self.video:
            self._capped = capped
        return capped

    @staticmethod
    def _capped_ground(aligned: AlignedFace, grow: np.ndarray, hair: np.ndarray, landmarks: np.ndarray) -> float:
        """The share of new hair's ground, where the segmenter sees no hair (``hair`` (R, R) under
        0.5) on the person, that has not the skin's hue (``not_skin_hued``: a cap): the new hair
        ``grow`` (R, R) and, in its columns, the head above it up to the hair there or, with none, to
        its top."""
        size = grow.shape[0]
        new = grow > 0.5
        rows = np.arange(size)[:, None]
        top = column_span(new)[0][None, :]
        last = column_span((hair > 0.5) & (rows < top))[1][None, :]
        above = new.any(axis=0)[None, :] & (rows > last) & (rows < top)
        return not_skin_hued(aligned.detail, landmarks, (new | above) & (hair < 0.5) & _on_person(aligned, size))

    @staticmethod
    def _keep_out(landmarks: np.ndarray, size: int, inset: float = 0.0, below_chin: bool = False) -> np.ndarray:
        """(R, R) float32: where an edit may apply: outside the protected face interior (faded
        in; ``inset`` of the crop into it), above the chin unless ``below_chin``."""
        interior = soft_interior(landmarks, size, FEATHER * size, inset * size)
        return (1.0 - interior) * edit_limit(landmarks, size, below_chin)

    @classmethod
    def _recolor_mask(cls, aligned: AlignedFace, detail: np.ndarray, own: np.ndarray, crop_lab: np.ndarray,
                      skin: np.ndarray | None, darker: bool = False) -> tuple[np.ndarray, tuple[slice, slice] | None, np.ndarray, Mix | None]:
        """((R, R) float32 mask, its box or None when empty, (R, R) float32 ``recolor``'s
        ``mixed``, ``hair_matte``'s ``Mix`` over the box or None): where and how much a
        recolouring of hair of colour ``own`` applies: the hair mask reached a little beyond its
        edge (the matte tells hair from wall or skin there, and where a pixel is a mix of them),
        outside the protected face; ``darker``: the hair is made darker by more than DARKER (what
        else is dark goes dark with it)."""
        size = detail.shape[0]
        hair = cls._hair(aligned, detail)
        # Hair that falls just inside the face's outline is recoloured too (the matte keeps the
        # skin), and long hair below the chin (the hair mask tells it from the shoulders).
        landmarks = aligned.landmarks * aligned.scale
        keep_out = cls._keep_out(landmarks, size, COLOR_INSET, below_chin=True)
        # So is hair that hangs over the protected face (a fringe over the eyes): it is hair, and
        # stopping at the brows would cut its strands straight across.
        # Not the eyes, nor what lies round them (its lashes and make-up): the mask's edge,
        # snapped to them, made them light-rimmed or dark-rimmed (a fringe seldom reaches them).
        over = hanging(hair, keep_out) * edit_limit(landmarks, size, below_chin=True) * (1.0 - eyes(landmarks, size))
        if darker:
            # (Made darker, only where the segmenter itself is sure of it: the guided filter
            # snaps its doubtful edge to a brow or a made-up eyelid, which would go dark with the
            # hair. Made lighter, a fringe takes all its strands: one left dark is a streak.)
            over *= cls._sure(aligned, size, HANG_SURE)
        protected = 1.0 - keep_out
        keep_out = np.maximum(keep_out, over)
        reach = _width(MATTE_REACH, size)
        reached = cv2.dilate(hair, np.ones((reach, reach), np.uint8))
        mask = reached * keep_out
        mixed = np.zeros_like(mask)
        if mask.max() <= 1.0 / 255:
            return mask, None, mixed, None
        # Only the hair's box is recoloured: the rest of the crop stays as it is.
        (top, bottom), (left, right) = nonzero_box(mask > 1.0 / 255)
        box = slice(top, bottom), slice(left, right)
        # Skin is looked for only on and around the face: farther out, skin-coloured hair (blond
        # on fair skin) is hair.
        grow = _width(SKIN_ZONE, size)
        oval = face_oval(aligned.landmarks * aligned.scale, size).astype(np.uint8)
        zone = wide_blur(cv2.dilate(oval, np.ones((grow, grow), np.uint8)).astype(np.float32), SOFT * size)
        # A shadow on the wall beside the hair is not hair (``_shadow``), where the segmenter is
        # not sure of hair, off the face (whose skin the matte tells from hair itself).
        doubt = (1.0 - cls._sure(aligned, size, HAIR_CERTAIN)[box]) * (1.0 - zone[box])
        # (Not where the segmenter is sure of hair well inside its edge: hair there even in the
        # skin's colour. Nor, for hair of about the skin's colour, where it takes it for hair at
        # all: only its call tells them apart; dark hair's is told by colour, and the skin between
        # a dark fringe and the brows that the segmenter half takes in stays skin.)
        certain = cls._sure(aligned, size, HAIR_CERTAIN, CERTAIN_INSET)
        alike = 0.0 if skin is None else float(np.clip(
            (MIX_CONTRAST[1] - np.linalg.norm(own[0] - skin)) / (MIX_CONTRAST[1] - MIX_CONTRAST[0]), 0.0, 1.0))
        if alike > 0.0:
            certain = np.maximum(certain, alike * cls._sure(aligned, size, HAIR_TAKEN, CERTAIN_INSET))
        zone *= 1.0 - certain
        lab = to_lab(aligned.detail[box])
        matte, mixed[box], mix = hair_matte(lab, own, hair[box], skin, zone[box], unmixed=True)
        matte *= 1.0 - _shadow(lab, own, matte, size) * doubt
        # Where the matte cannot tell the hair from the wall beside it (white hair on a white wall
        # made darker, black hair on a black wall made lighter), the hair's soft edge tinted the
        # wall in a haze round the head (made lighter, a glow): off the face, there its outer
        # half falls off steeply (hair left as it was there is as dark or light as the wall). Its
        # inner half is not raised: where the segmenter half takes a wall for hair (a grey shadow
        # on d13's), that made a blotchy stain.
        soft = reached[box] * matte
        crisp = np.minimum(np.clip((soft - 0.5) * CRISP + 0.5, 0.0, 1.0), soft)
        unsure = (1.0 - mixed[box]) * (1.0 - zone[box])
        if skin is not None:
            # (Nor where the hair meets the forehead above the face's outline, which the zone does
            # not reach on a high forehead: beside the hair is skin, of the person, not a wall.
            # Steep there, grey hair made dark ended in a cut across the forehead, a painted cap.)
            person = cv2.resize(aligned.person, (size, size), interpolation=cv2.INTER_LINEAR)[box]
            unsure *= 1.0 - _skin_beside(mix.beside, skin) * np.clip(
                (person - ON_PERSON[0]) * (1.0 / (ON_PERSON[1] - ON_PERSON[0])), 0.0, 1.0)
        sure = cls._sure(aligned, size, (HAIR_SURE, 1.0))[box]
        if not darker:
            # (made lighter, not where the segmenter is sure of hair: brown hair before a wooden
            # wall of its colour, d12, came out in dark patches)
            unsure *= 1.0 - sure
        mask[box] = keep_out[box] * (soft + unsure * (crisp - soft))
        # Made darker, over the protected face only what has the hair's own colour (a brow or
        # an eye's make-up under a light fringe is not hair: made dark, it is a stain).
        hung = nonzero_box((mask > 1.0 / 255) & (protected > 0.0)) if darker else None
        if hung is not None:
            part = slice(*hung[0]), slice(*hung[1])
            alike = _near_hair(to_lab(aligned.detail[part]), own, HANG_COLOR, SPREAD_FLOOR)
            mask[part] *= 1.0 - protected[part] * (1.0 - alike)
        # A patch of it not joined to hair the segmenter is sure of is not hair (a spot on a blond's
        # forehead half taken for hair, in the hair's colour: made black, a blot).
        count, patches = cv2.connectedComponents((mask[box] > ISLAND).astype(np.uint8), connectivity=8)
        if count > 2:
            joined = np.zeros(count, bool)
            joined[patches[sure > 0.0]] = True
            if joined[1:].any():        # (where the segmenter is sure of no hair, all of it stays)
                joined[0] = True
                mask[box] *= joined[patches]
        return mask, box, mixed, mix

    @staticmethod
    def _strands(image: np.ndarray, source: np.ndarray, new: np.ndarray, depth: float
                 ) -> tuple[np.ndarray, np.ndarray]:
        """((R, R, 3) float32, (R, R, 2) float32 the pixel (x, y) each was copied from): hair
        continued downward from ``source`` (R, R) bool over ``new``
        (R, R) bool: below each column's hair, that hair mirrored about its lower edge (up to COPY
        of the crop deep, or the column's own depth of hair if less), stretched to reach the new
        hair's lower end by at most STRETCH (then folded), its own strands and light kept, its
        patches evened out; in a column with no hair above, what the nearest such column drew in
        that row (in a row with none, the nearest hair reflected across its edge, folded every
        ``depth`` pixels); in the hair's own range of colour."""
        size = image.shape[0]
        rows = np.arange(size, dtype=np.float32)[:, None]
        above = np.maximum.accumulate(np.where(source, rows, -1.0), axis=0)   # last hair row above
        # How deep the hair is that ends there, and how far down the new hair reaches, per column.
        run = rows - np.maximum.accumulate(np.where(source, -1.0, rows), axis=0)
        depth_above = np.take_along_axis(run, np.clip(above, 0, size - 1).astype(np.int64), axis=0)
        bottom = column_span(new)[1][None, :]
        reach = np.clip(np.minimum(depth_above, COPY * size), 1.0, None)
        stretch = np.clip((bottom - above) / reach, 1.0, STRETCH)
        dist = (rows - above) / stretch
        fold = reach - np.abs(np.mod(dist, 2 * reach) - reach)
        copied = (above >= 0) & (depth_above >= 3)
        cols = np.broadcast_to(np.arange(size, dtype=np.float32)[None, :], (size, size))
        map_x, map_y = cols, np.where(copied, above - fold, rows).astype(np.float32)
        if copied.any() and not copied.all():
            # A pixel with no hair above it (a temple, a bald crown) takes what the hair copied
            # down drew nearby (its texture, not the skin at a hair's edge): that copy reflected
            # across its edge, folded every ``depth`` pixels (one column stretched sideways, or a
            # row filled another way, would be a flat block with straight edges).
            reflect_x, reflect_y = reflect_from(copied, depth)
            near_x = np.clip(np.round(reflect_x), 0, size - 1).astype(np.int64)
            near_y = np.clip(np.round(reflect_y), 0, size - 1).astype(np.int64)
            map_x = np.where(copied, cols, near_x)
            map_y = np.where(copied, map_y, map_y[near_y, near_x])
        elif not copied.any():
            map_x, map_y = reflect_from(source, depth)
        map_x, map_y = map_x.astype(np.float32), map_y.astype(np.float32)
        drawn = cv2.blur(cv2.remap(image, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT), (1, 3))
        # Copies of differently lit hair meet in patches: the light is evened out above BROAD
        # (averaged over the copied hair only: skin or a wall beside it would tint it).
        weight = copied.astype(np.float32)

        def light(sigma: float) -> np.ndarray:
            return wide_blur(drawn * weight[..., None], sigma) / np.maximum(wide_blur(weight, sigma), 1e-3)[..., None]

        drawn = np.where(copied[..., None], drawn - light(BROAD * size) + light(3 * BROAD * size), drawn)
        # What is not hair-coloured in the copy (skin at a hairline, a wall between thin strands)
        # is pulled to the hair's colour: a copy of it would show as a patch in the new hair.
        lab = to_lab(drawn)
        own = lab[source][::3]
        median = np.median(own, axis=0)
        spread = np.maximum(1.4826 * np.median(np.abs(own - median), axis=0), 1.0)
        offset = lab - median
        offset[..., 1:] *= 0.5
        return from_lab(median + np.clip(offset, -OUTLIER * spread, OUTLIER * spread)), cv2.merge([map_x, map_y])

    @staticmethod
    def _finish(detail: np.ndarray, out: np.ndarray, mask: np.ndarray, replace: np.ndarray) -> EditedFace:
        """Blends ``out`` into ``detail`` through ``mask``: the EditedFace the compositor takes."""
        mask = np.clip(mask, 0.0, 1.0).astype(np.float32)
        blended = out - detail          # detail + mask * (out - detail), in place
        blended *= mask[..., None]
        blended += detail
        blended *= 255.0
        blended += 0.5
        return EditedFace(np.clip(blended, 0, 255, out=blended).astype(np.uint8), mask,
                          np.clip(replace, 0.0, 1.0).astype(np.float32))

    @staticmethod
    def _decoded_shift(plan: EditPlan, aligned: AlignedFace) -> np.ndarray | None:
        """(3,) change of the hair's CIELAB mean from the plain to the edited decode, or None
        without hair."""
        weight = aligned.hair > 0.5
        before, after = color_stats(to_lab(plan.recon), weight), color_stats(to_lab(plan.edited), weight)
        if before is None or after is None:
            return None
        return after[0] - before[0]

    @staticmethod
    def _skull(landmarks: np.ndarray, person: np.ndarray, size: int, grown: np.ndarray | None = None) -> np.ndarray:
        """(R, R) float32: where a bare scalp shows: the skull from the landmarks, grown out to
        the person's own outline less a layer of hair (HAIR_DEPTH), as far as it reaches on both
        sides of the skull's middle, by at most SKULL_GROWTH (``grown``, ``grown_skull``: made here
        if not given); a bald head fills the outline a short cut had, not a smaller egg inside it."""
        outline = cv2.resize(person, (size, size), interpolation=cv2.INTER_LINEAR) > 0.5
        depth = _width(HAIR_DEPTH, size)
        under = cv2.erode(outline.astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (depth, depth)))
        # Convex above the ears, as a skull is: a notch between tufts of hair is filled, not drawn
        # as a dent in the head.
        centre, ears = skull_axes(landmarks)[:2]
        ears = int(ears)
        # The same either side of the skull's middle, as a skull is: what stands out on one side
        # only (a shadow on the wall the segmenter took for the person, a lopsided tuft) is not the
        # head.
        mirrored = cv2.warpAffine(under, np.float32([[-1, 0, 2.0 * centre], [0, 1, 0]]), (size, size))
        under = np.minimum(under, mirrored)
        contours, _ = cv2.findContours(np.ascontiguousarray(under[:ears]), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        if contours:
            cv2.fillPoly(under, [cv2.convexHull(max(contours, key=cv2.contourArea))], 1)
        # Rounded, as a skull is: the outline's corners and tufts smoothed away.
        under = wide_blur(under.astype(np.float32), ROUNDING * size)
        under = cv2.GaussianBlur(np.clip((under - 0.5) * 8.0 + 0.5, 0.0, 1.0), (0, 0), SKULL_EDGE * size)
        # A head the crop cuts at its top is rounded off below its fading edge (the hair above
        # goes: removed_beyond).
        crown = edge_margin(size)
        grown = grown_skull(landmarks, size) if grown is None else grown
        inside = np.maximum(skull(landmarks, size, edge=SKULL_EDGE, top=crown), np.minimum(grown, under))
        # Below the ear line, the head's side (where long hair hung: ``shapes.hangs_long``) narrows
        # from the skull's width there to the face's by the mouth, not a step in at the ear line.
        centre, ears = skull_axes(landmarks)[:2]
        line = inside[int(np.clip(ears, 0, size - 1))] > 0.5
        if line.any():
            left, right = float(np.argmax(line)), float(size - np.argmax(line[::-1]))
            drop = max(float(landmarks[MOUTH, 1]) - ears, 1.0)
            # (only its rows: from the ear line down by ``drop``)
            rows = slice(int(np.clip(np.floor(ears) + 1, 0, size)), int(np.clip(np.ceil(ears + drop) + 1, 0, size)))
            ys = np.arange(rows.start, rows.stop, dtype=np.float32)[:, None]
            xs = np.arange(size, dtype=np.float32)[None, :]
            half = np.where(xs < centre, centre - left, right - centre)
            radius = np.sqrt(((xs - centre) / np.maximum(half, 1.0)) ** 2 + ((ys - ears) / drop) ** 2)
            side = np.clip((1.0 - radius) * drop / max(SKULL_EDGE * size, 1.0) + 0.5, 0.0, 1.0)
            inside[rows] = np.maximum(inside[rows], side)
        # ... and below the mouth, the neck (``neck_span``: long hair taken from beside it left a
        # stalk of a neck under a floating head).
        span = neck_span(landmarks, size)
        if span is not None:
            left, right = span
            mouth = int(np.clip(landmarks[MOUTH, 1], 0, size - 1))
            cols = np.arange(size, dtype=np.float32)
            edge = max(SKULL_EDGE * size, 1.0)
            neck = np.clip(np.minimum(cols - left, right - cols) / edge + 0.5, 0.0, 1.0)
            inside[mouth:] = np.maximum(inside[mouth:], neck[None, :])
        return inside

    @staticmethod
    def _enclosed(hair: np.ndarray, loss: np.ndarray, person: np.ndarray, landmarks: np.ndarray,
                  soft: float) -> np.ndarray:
        """(R, R) float32: the hair taken away outside the skull whose row runs on, away from the
        face, into hair that stays, within the person's outline: a temple between a receding
        hairline and the hair at the side of the head, which is the head's side, not the wall."""
        size = hair.shape[0]
        stays = (hair * (1.0 - loss) > 0.5) & (cv2.resize(person, (size, size), interpolation=cv2.INTER_LINEAR) > 0.5)
        centre = int(np.clip(round(float(landmarks[:, 0].mean())), 0, size))
        enclosed = np.zeros((size, size), bool)
        enclosed[:, :centre] = np.maximum.accumulate(stays[:, :centre], axis=1)
        enclosed[:, centre:] = np.maximum.accumulate(stays[:, centre:][:, ::-1], axis=1)[:, ::-1]
        return cv2.GaussianBlur((enclosed & ~stays).astype(np.float32), (0, 0), soft * 0.5)

    @staticmethod
    def _wall(detail: np.ndarray, aligned: AlignedFace, hair: np.ndarray,
              plate: BackgroundPlate | None) -> np.ndarray:
        """(R, R, 3) float32: what is behind the person: the plate where it has seen the wall, the
        wall visible in this crop elsewhere, filled in where neither knows; with the grain of the
        wall seen in this crop."""
        size = detail.shape[0]
        visible = _off_person(aligned.person, hair, size)
        fringe = _width(FRINGE_REACH, size)
        if plate is None:
            return fill_holes(detail, visible)
        seen, known = plate.crop(aligned.detail_to_crop, size)
        # Only where the plate surely knows the wall (half known mixes in the person's edge).
        known = np.clip(2.0 * known - 1.0, 0.0, 1.0)
        # ... and not within FRINGE_REACH of where it never has: strands beyond the person's mask
        # were learnt there (filled in from, a dark line along the old hair's outline, smeared).
        known = cv2.erode(known, np.ones((fringe, fringe), np.uint8))
        # Each pixel is the plate and the wall seen now, in the shares each is trusted, never the
        # person: along the plate's soft edge, where the crop shows hair, its share of that hair
        # was a thin dark arc on the wall round a bald head.
        own = visible * (1.0 - known)
        trust = known + own
        base = (seen * known[..., None] + detail * own[..., None]) / np.maximum(trust, 1e-6)[..., None]
        # The plate is kept at a lower resolution: the wall seen now lends it its grain.
        return fill_holes(base, trust, sharp=(detail, visible))

    @staticmethod
    def _scalp(image: np.ndarray, landmarks: np.ndarray, hair: np.ndarray, plan: EditPlan,
               inside: np.ndarray, loss: np.ndarray, forehead: tuple[int, int, int, int] | None) -> np.ndarray:
        """(R, R, 3) float32: bare scalp on the (R, R, 3) uint8 detail crop: the person's skin
        colour, shaded as the edited decode is and darker towards the edge of ``inside`` (R, R),
        the scalp's outline, with the skin's grain, and on a bare crown as light as the bare
        ``forehead`` (``forehead_box``; where none shows, HIDDEN_GAP below the one the cheeks
        foretell); where it meets bare skin (the edge of ``loss``
        (R, R), the hair taken away) it takes that skin's colour, and the difference spreads
        smoothly over the rest (a gradient-domain blend: no colour step)."""
        size = image.shape[0]
        lab = to_lab(image)
        detail = image.astype(np.float32) / 255.0
        tone, skin = forehead_tone(lab, landmarks, hair)
        decoded = to_lab(plan.edited)[..., 0]
        decoded = cv2.GaussianBlur(decoded, (0, 0), SHADE_BLUR)
        small_skin = cv2.resize(skin.astype(np.uint8), decoded.shape[::-1], interpolation=cv2.INTER_NEAREST) > 0
        reference = np.median(decoded[small_skin]) if small_skin.any() else float(decoded.mean())
        shade = np.clip((decoded - reference) * SHADE_GAIN, *SHADE_LIMIT)
        shade = cv2.resize(shade, (size, size), interpolation=cv2.INTER_LINEAR)
        base = np.empty_like(lab)
        base[...] = tone
        # (at a fixed a*, b*: on the test split's real bald heads the shaded dome is as colourful as
        # its lit top, and a dome greyed in proportion to its shade was seen as bald less often)
        crown = bare_crown(inside, loss)
        base[..., 0] += (shade - DOME * (1.0 - wide_blur(inside, DOME_WIDTH * size))
                         + (crown * (SHEEN * _sheen(inside, landmarks) - CROWN_SHADE * _turned_away(inside, landmarks))
                            if crown > 0 else 0.0))
        # A bald head's scalp is lifted to its forehead's lightness, all it takes away included
        # (on CelebA's bald test faces, the median L* of each 0.0 apart in the mean; the skull
        # alone, its sides and turned top, lies lower: CROWN_SHADE), not left in the skin's median
        # tone (the shaded temples took it 3 to 12 L* darker); a receding hairline's bared temples
        # are left as they are (lifted, they were seen as receding less often). Where a fringe
        # hides the forehead, it is lifted to HIDDEN_GAP below the forehead the cheeks foretell
        # (``forehead_tone``): the real bald heads' mean gap, where a dome lifted to a forehead
        # that shows ends after its blend with the skin round it (left in the tone, such domes lay
        # 11.5 L* below it on 184929, 182839, 188337 and 186277; a maroon cap on 000067).
        # (the medians on every other row and column: as good, and a millisecond less)
        dome = (inside[::2, ::2] > 0.5) & (loss[::2, ::2] > 0.5)
        if crown > BALD_CROWN[0] and dome.any():
            if forehead is not None:
                x0, y0, x1, y1 = forehead
                light = float(np.median(lab[y0:y1:2, x0:x1:2, 0]))
            else:
                light = float(tone[0]) - HIDDEN_GAP
            gap = light - float(np.median(base[::2, ::2, 0][dome]))
            bald = float(np.clip((crown - BALD_CROWN[0]) / (BALD_CROWN[1] - BALD_CROWN[0]), 0.0, 1.0))
            base[..., 0] += bald * float(np.clip(gap, 0.0, SCALP_LIFT))
        _shade_neck(base, lab, landmarks, hair, inside)
        # The skin's grain (as strong as the bare skin's fine detail, at most PORES), not its
        # wrinkles, brows or a stray curl: a fixed fine noise, not the skin's pixels moved.
        fine = detail - cv2.GaussianBlur(detail, (0, 0), DETAIL_SIGMA * size)
        grain = min(0.5 * 1.4826 * float(np.median(np.abs(fine[skin]))), PORES)
        scalp = from_lab(base)
        drawn = (loss > 0.5).astype(np.uint8)
        ring = _width(SKIN_RING, size)
        # (bare skin: not hair, inside the skull; the face mesh's oval can stop short of a high
        # forehead; above the brows, which a fringe taken away ends on: their colour, spread up
        # over the forehead, made it a grey patch; below that, only skin of the sample's colour,
        # between and just above the brows: a forehead drawn lighter than the cheeks met the
        # skin left in a fringe's shadow there in a step)
        meets = (cv2.dilate(drawn, np.ones((ring, ring), np.uint8)) > drawn) & (inside > 0.5) & (hair < 0.2)
        low = meets & ~above_brows(landmarks, size)
        meets &= ~low
        low[low] = np.linalg.norm(lab[low] - np.median(lab[skin], axis=0), axis=-1) < SKIN_NEAR
        # (each trusted only if there is enough of it)
        meets, low = (part if part.sum() >= SKIN_MIN * size * size else np.zeros_like(part) for part in (meets, low))
        if meets.any() or low.any():
            known = (meets | low).astype(np.float32)
            # ... fading out away from it (the skin at a hairline lies in the hair's shadow:
            # spread over the whole dome, it darkened it all), soon from the brows (their strip
            # of shadow is the fringe's, not the forehead's light: spread farther, it flattened
            # the dome's front)
            fall = np.maximum(_fall(meets, SKIN_FALL * size), _fall(low, BROW_FALL * size))
            scalp = scalp + smooth_fill((detail - scalp) * known[..., None], known, factor=2) * fall[..., None]
        return np.clip(scalp + grain * _pattern(size, 0.7, 0.7)[..., None], 0.0, 1.0)
