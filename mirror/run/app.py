"""The mirror's wiring: FaceTracker -> Aligner -> HairSegmenter -> HairEditor -> HairRenderer
-> Compositor, one frame at a time (``Pipeline``).

    with Pipeline("engines", static=True) as pipeline:
        result = pipeline.process(Frame(0, 0, image), pipeline.styles.get("blond"))

The run loop around it (source, window, keys, output) is ``mirror.run.loop``; the threaded version of
the same three steps is ``mirror.run.pipelined``.
"""
from __future__ import annotations

import contextlib
import logging
import os
import time

import numpy as np

from mirror.face.align import Aligner
from mirror.face.ahead import SegmentAhead
from mirror.backends import create_backend, load_model_files
from mirror.render.compositor import Compositor, Placed
from mirror.edit.attributes import Classifier
from mirror.edit.choice import DonorChooser
from mirror.edit.editor import HAT, HairEditor, to_tensor
from mirror.edit.reference import donor_of, look_of, mirrored_out
from mirror.errors import MirrorError
from mirror.face.filters import HeadFilter
from mirror.paths import DEFAULT_ENGINES
from mirror.render.plate import BackgroundPlate
from mirror.face.regions import HEAD_POINTS
from mirror.render import HairRenderer
from mirror.face.segment import HAIR, PERSON, HairSegmenter
from mirror.io.source import as_bgr, read_image
from mirror.edit.styles import TRANSPLANTED, Style
from mirror.render.texture_bank import TextureBank
from mirror.run.timing import add_timing, timing_scope
from mirror.face.tracker import FaceTracker
from mirror.types import AlignedFace, EditedFace, Frame, Result

log = logging.getLogger(__name__)


class Pipeline:
    """Tracks, aligns, edits and composites frames. Open stages are closed by ``close()``.

    Args:
        model_dir: the engines folder.
        backend: a name from ``mirror.backends.CHOICES``.
        static: photos (detect every frame, no smoothing) rather than a video stream.
        run: a training run folder for the torch backend.
        transplanted: shape styles drawn from the donor bank's real photos rather than by the
            face's geometry (default: those it draws better, ``mirror.edit.styles.TRANSPLANTED``);
            bangs and no_bangs, which have no shape, always are.
    """

    def __init__(self, model_dir: str = DEFAULT_ENGINES, backend: str = "auto", static: bool = False,
                 run: str | None = None, transplanted: tuple[str, ...] = TRANSPLANTED):
        self._stack = contextlib.ExitStack()
        try:
            model = load_model_files(model_dir)
            backend_impl, self.backend_reason = create_backend(backend, model, run)
            self.backend = backend_impl.name
            self.segmenter = self._stack.enter_context(HairSegmenter(model.segmenter, video=not static))
            self.classifier = Classifier(model.classifier, threads=1) if os.path.isfile(model.classifier) else None
            self.editor = self._stack.enter_context(HairEditor(backend_impl, model, self.segmenter,
                                                              smooth=not static,
                                                              chooser=DonorChooser.of_model(model, self.classifier),
                                                              transplanted=transplanted))
            self.tracker = self._stack.enter_context(FaceTracker(static=static))
        except BaseException:
            self._stack.close()
            raise
        self.static = static
        # The renderer draws at twice the model's crop side: about the face's own resolution in a
        # 720p webcam frame, so drawn hair is not a blurred upscale.
        self.aligner = Aligner(model.size, detail=2)
        # In video the segmenter starts beside the face mesh, on the last frame's crop.
        self._ahead = None if static else SegmentAhead(self.segmenter, model.size)
        if self._ahead is not None:
            self._stack.callback(self._ahead.close)
        self.renderer = HairRenderer(video=not static, textures=TextureBank.load(model.textures))
        # A photo has no wall to learn: the renderer fills it in from around.
        self.plate = None if static else BackgroundPlate()
        self.compositor = Compositor()
        self.styles = self.editor.styles
        # Steady at rest, quick on a real move: the head's pose and its expression apart (docs/SPEED.md).
        self._landmarks = HeadFilter(HEAD_POINTS)

    def process(self, frame: Frame, style: Style, strength: float = 1.0) -> Result:
        """Edits one frame; with no face, the output is the plain frame."""
        with timing_scope({}) as timings:
            frame, aligned = self.track(frame)
            edited = self.edit(frame, aligned, style, strength)
            output = self.compose(frame, aligned, edited)
        return Result(frame, output, aligned is not None, timings, "" if edited is None else edited.note)

    # The three halves of ``process``; the pipelined loop runs each in its own thread, so each
    # keeps to its own stages' state. Timings go to the frame's ``timing_scope``.

    def track(self, frame: Frame) -> tuple[Frame, AlignedFace | None]:
        """Face mesh, landmark smoothing, alignment and the hair and person masks: (BGR frame,
        aligned face or None when no face is found)."""
        start = time.perf_counter()
        image = as_bgr(frame.image)
        frame = Frame(frame.index, frame.timestamp_ms, image)
        ahead = None if self._ahead is None else self._ahead.start(image)
        face = self.tracker.process(image)
        add_timing("track", start)
        if face is None:
            if self._ahead is not None:
                self._ahead.reset()    # (a segmentation begun ahead is left to finish unread)
            self._landmarks.reset()
            self.segmenter.reset()
            return frame, None
        if not self.static:
            face.landmarks = self._landmarks(face.landmarks, frame.timestamp_ms / 1000.0)
        start = time.perf_counter()
        aligned = self.aligner.align(image, face)
        add_timing("align", start)
        start = time.perf_counter()
        if self._ahead is None:
            aligned.hair, aligned.person = self.segmenter(aligned.crop, frame.timestamp_ms)
        else:
            aligned.hair, aligned.person = self._ahead.finish(ahead, aligned, frame.timestamp_ms)
        add_timing("segment", start)
        return frame, aligned

    def edit(self, frame: Frame, aligned: AlignedFace | None, style: Style, strength: float = 1.0,
             learn: bool = True, lend: bool = True) -> EditedFace | None:
        """The hair edit of a tracked face, planned and rendered (None, and the editor's and
        renderer's memory reset, without one).

        Args:
            learn: first learn the wall from the frame (``learn``); False: the caller learns it
                apart (the pipelined loop, once the frame is handed on).
            lend: a large face lends its fine detail to what is drawn anew (``EditedFace.lent``);
                False: none, a third quicker (for a frame that waits on its drawing).
        """
        if aligned is None:
            self.editor.reset()
            self.renderer.reset()
            return None
        start = time.perf_counter()
        plan = self.editor.edit(aligned, style, strength, frame.timestamp_ms)
        add_timing("edit", start)
        start = time.perf_counter()
        if learn:
            self.learn(frame, aligned)
        edited = self.renderer.render(aligned, plan, self.plate, frame.image if lend else None)
        add_timing("render", start)
        return edited

    def learn(self, frame: Frame, aligned: AlignedFace | None) -> None:
        """The background plate learns the wall from a tracked frame (video only): what lies
        behind the hair a shape style takes away."""
        if self.plate is not None and aligned is not None:
            self.plate.update(frame.image, aligned.to_crop, np.maximum(aligned.person, aligned.hair))

    def place(self, frame: Frame, aligned: AlignedFace | None, edited: EditedFace | None) -> Placed | None:
        """The edit warped onto the frame's boxes (``Compositor.place``: the part of ``compose``
        that reads none of the frame's pixels, which the pipelined loop makes on the edit's
        thread), or None without an edit."""
        if edited is None:
            return None
        start = time.perf_counter()
        placed = self.compositor.place(frame.image.shape, aligned if edited.aligned is None else edited.aligned, edited)
        add_timing("place", start)
        return placed

    def compose(self, frame: Frame, aligned: AlignedFace | None, edited: EditedFace | None,
                placed: Placed | None = None) -> np.ndarray:
        """The output picture: the edit warped back onto the frame, or the plain frame.

        Args:
            placed: the edit already warped (``place``); None: warped here.
        """
        if edited is None:
            return frame.image
        if placed is None:
            placed = self.place(frame, aligned, edited)
        start = time.perf_counter()
        output = self.compositor.lay(frame.image, placed)
        add_timing("composite", start)
        self.renderer.composed(aligned)
        return output

    def reset(self) -> None:
        """Forgets every stage's memory of past frames (a new stream starts)."""
        self.tracker.reset()
        self._landmarks.reset()
        self.segmenter.reset()
        if self._ahead is not None:
            self._ahead.reset()
        self.editor.reset()
        self.renderer.reset()
        if self.plate is not None:
            self.plate.reset()

    def reference_style(self, path: str) -> Style:
        """The hair of the face in the photo at ``path``, as a style: that head of hair drawn on
        the person, in its colour (the photo is its own donor).

        Raises:
            MirrorError: if the photo is unreadable, shows no face, or its hair is under a hat.
        """
        image = read_image(path)
        with FaceTracker(static=True) as tracker:
            face = tracker.process(image)
        if face is None:
            raise MirrorError(f"no face found in the reference photo {path}")
        aligned = self.aligner.align(image, face)
        latent = self.editor.backend.encode(to_tensor(aligned.crop))[0]
        name = os.path.basename(path)
        judged = None if self.classifier is None else self.classifier.predict_crops(aligned.crop[None])[0]
        if judged is not None and judged[self.classifier.column("Wearing_Hat")] > HAT:
            raise MirrorError(f"the hair in the reference photo {path} is under a hat")
        attributes = None if judged is None else np.where(judged > 0.5, 1, -1).astype(np.int8)
        # Its hair cut from the photo mirrored out past its edges: where the photo's frame cuts
        # the hair, it goes on there, to be rounded off as a head of hair is (``donor_of``), not
        # cut flat. (The model and the classifier see the photo as the mirror sees a face.)
        photo, image, face = mirrored_out(image, face)
        aligned = self.aligner.align(image, face)
        masks = self.segmenter.predict((aligned.crop.astype(np.float32) / 255.0).transpose(2, 0, 1)[None])[0]
        aligned.hair, aligned.person = masks[HAIR], masks[PERSON]
        sure = lambda attribute: 0.0 if judged is None else float(judged[self.classifier.column(attribute)])
        look = look_of(sure("Bald"), sure("Bangs"), aligned.hair, aligned.landmarks)
        donor = donor_of(aligned, name, latent, bald=look == "bald", attributes=attributes, photo=photo)
        return self.styles.reference(name, donor, look)

    def close(self) -> None:
        self._stack.close()

    def __enter__(self) -> "Pipeline":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
