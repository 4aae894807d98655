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
