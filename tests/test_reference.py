"""A reference photo as its own donor (``mirror.edit.reference``), on real CelebA photos through
the mirror's own tracker, aligner and segmenter (the transplant itself: test_transplant)."""
from __future__ import annotations

import os

import numpy as np
import pytest

from conftest import CELEBA, need

# A blonde whose photo's top edge cuts her crown.
CUT_CROWN = "182849.jpg"


@pytest.mark.data
@pytest.mark.engines
def test_hair_the_photos_frame_cuts_is_rounded_off_not_cut_flat(pipeline):
    """Where the photo's frame cuts the hair (its crown), the donor's hair goes on past it, the
    photo mirrored out there, as far as a head of hair reaches: its crown is rounded, narrow at
    its top, not cut flat along the photo's edge (drawn flat, it was a hood)."""
    style = pipeline.reference_style(os.path.join(need(CELEBA), "img", CUT_CROWN))
    widths = (style.donor.matte > 0.5).sum(axis=1)
    top = int(np.flatnonzero(widths)[0])
    assert top > 0                                        # the hair ends inside the crop
    assert widths[top] < 0.2 * widths.max(), widths[top:top + 8]
    assert np.all(np.diff(widths[top:top + 8]) >= 0)      # widening down from the crown


@pytest.mark.data
@pytest.mark.engines
def test_hair_reaching_past_the_persons_crop_goes_on_past_it(pipeline):
    """A man's high crop drawn on a woman whose head fills its crop: his hair, warped onto her,
    reaches past the crop's top. It goes on past it (``donor_beyond``), on the frame's own pixels,
    not cut square along the crop's edge (a box of hair)."""
    import cv2

    from mirror.io.source import read_image
    from mirror.types import Frame

    image = read_image(os.path.join(need(CELEBA), "img", "182796.jpg"))
    style = pipeline.reference_style(os.path.join(CELEBA, "img", "182728.jpg"))
    frame, aligned = pipeline.track(Frame(0, 0, image))
    out = pipeline.process(Frame(0, 0, image), style, 1.0).output
    size = aligned.crop.shape[0]
    inside = cv2.warpAffine(np.ones((size, size), np.uint8), cv2.invertAffineTransform(aligned.to_crop),
                            image.shape[1::-1]) > 0
    assert (~inside).sum() > 5000                         # the frame reaches past the crop
    changed = np.abs(out.astype(int) - image).max(axis=-1) > 30
    assert (changed & ~inside).sum() > 300                # (0 when cut along the crop's edge)
    # ... and dark, as his hair is, where drawn
    assert np.median(out[changed & ~inside].mean(axis=-1)) < 80
