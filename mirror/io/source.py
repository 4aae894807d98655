"""Frame sources behind one interface: a camera, a video file, still images, the built-in demo.

    with open_source("demo") as source:
        while (frame := source.read()) is not None:
            ...

Every source yields ``Frame`` records holding BGR uint8 images; ``read()`` returns ``None`` at
the end of a stream and raises ``SourceLost`` when a live camera stops delivering.
"""
from __future__ import annotations

import logging
import os
import time
from typing import Iterable, Sequence

import cv2
import numpy as np

from mirror.errors import MirrorError
from mirror.types import Frame

log = logging.getLogger(__name__)

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff")
VIDEO_EXTENSIONS = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v")


class SourceLost(MirrorError):
    """A live source stopped delivering frames (a camera unplugged mid-run)."""


def as_bgr(image: np.ndarray) -> np.ndarray:
    """Returns ``image`` as a contiguous (H, W, 3) uint8 BGR array.

    Accepts grayscale (H, W) or (H, W, 1), BGR (H, W, 3) and BGRA (H, W, 4) uint8 images.

    Raises:
        MirrorError: for an empty image, another dtype or another channel count.
    """
    if not isinstance(image, np.ndarray) or image.size == 0:
        raise MirrorError("empty frame")
    if image.dtype != np.uint8:
        raise MirrorError(f"frame has dtype {image.dtype}, expected uint8")
    if image.ndim == 2 or (image.ndim == 3 and image.shape[2] == 1):
        return cv2.cvtColor(image.reshape(image.shape[:2]), cv2.COLOR_GRAY2BGR)
    if image.ndim == 3 and image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    if image.ndim == 3 and image.shape[2] == 3:
        return np.ascontiguousarray(image)
    raise MirrorError(f"frame has shape {image.shape}, expected (H, W), (H, W, 3) or (H, W, 4)")


def read_image(path: str) -> np.ndarray:
    """Reads an image file as BGR uint8.

    Raises:
        MirrorError: if the file is missing or is not a readable image.
    """
    if not os.path.isfile(path):
        raise MirrorError(f"image not found: {path}")
    image = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if image is None:
        raise MirrorError(f"not a readable image: {path}")
    if image.dtype == np.uint16:
        image = (image >> 8).astype(np.uint8)
    return as_bgr(image)


def demo_images() -> list[tuple[str, np.ndarray]]:
    """The two real face photos that ship inside installed packages, as (name, BGR image)."""
    from matplotlib import cbook
    import skimage.data

    hopper = cv2.imread(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))
    astronaut = cv2.cvtColor(skimage.data.astronaut(), cv2.COLOR_RGB2BGR)
    return [("grace_hopper", hopper), ("astronaut", astronaut)]


class Source:
    """Base class: ``read()`` the next frame, ``close()`` when done; a context manager."""

    name = "source"
    live = False  # True for cameras: frames arrive in real time and may be dropped.
    # A live source's frames are dropped while the mirror is busy only when they come in real
    # time: None judges that from their timestamps (mirror.run.pipelined); False never drops
    # (a recording played as a camera, whose every frame counts).
    realtime: bool | None = None

    def read(self) -> Frame | None:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def reopen(self) -> "Source":
        """A fresh source of the same kind (after ``SourceLost``); MirrorError if it won't open."""
        return open_source(self.name)

    def __enter__(self) -> "Source":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __iter__(self):
        while (frame := self.read()) is not None:
            yield frame


class CameraSource(Source):
    """A camera by index (OpenCV), with an optional requested resolution."""

    live = True

    def __init__(self, index: int = 0, width: int | None = None, height: int | None = None):
        self.name = f"camera:{index}"
        self._capture = cv2.VideoCapture(index)
        if not self._capture.isOpened():
            self._capture.release()
            raise MirrorError(f"camera {index} could not be opened (is one connected and free?)")
        if width and height:
            self._capture.set(cv2.CAP_PROP_FRAME_WIDTH, width)
            self._capture.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        self._index = 0
        self._start = time.monotonic()

    @property
    def fps(self) -> float:
        return float(self._capture.get(cv2.CAP_PROP_FPS) or 0.0)

    def read(self) -> Frame | None:
        ok, image = self._capture.read()
        if not ok or image is None:
            raise SourceLost(f"{self.name} stopped delivering frames")
        frame = Frame(self._index, int((time.monotonic() - self._start) * 1000), image)
        self._index += 1
        return frame

    def close(self) -> None:
        self._capture.release()


class VideoSource(Source):
    """A video file, read frame by frame; ``loop=True`` starts again at the end."""

    def __init__(self, path: str, loop: bool = False):
        if not os.path.isfile(path):
            raise MirrorError(f"video not found: {path}")
        self.name = path
        self._path = path
        self._loop = loop
        self._capture = cv2.VideoCapture(path)
        ok, first = self._capture.read() if self._capture.isOpened() else (False, None)
        # (FFmpeg plays a text file as a video of its characters drawn, codec "ansi")
        text = int(self._capture.get(cv2.CAP_PROP_FOURCC)).to_bytes(4, "little") == b"ansi"
        if not ok or first is None or text:
            self._capture.release()
            raise MirrorError(f"not a readable video: {path}" + (" (a text file)" if text else ""))
        self.fps = float(self._capture.get(cv2.CAP_PROP_FPS) or 30.0) or 30.0
        self._pending = first
        self._index = 0

    def read(self) -> Frame | None:
        if self._pending is not None:
            image, self._pending = self._pending, None
        else:
            ok, image = self._capture.read()
            if not ok and self._loop and self._index > 0:
                self._capture.release()
                self._capture = cv2.VideoCapture(self._path)
                ok, image = self._capture.read()
            if not ok or image is None:
                return None
        frame = Frame(self._index, int(round(self._index * 1000.0 / self.fps)), image)
        self._index += 1
        return frame

    def close(self) -> None:
        self._capture.release()


class ImageSource(Source):
    """Still images, each given as ``repeat`` frames in a row; ``cycle`` starts again at the end."""

    def __init__(self, images: Sequence[tuple[str, np.ndarray]], repeat: int = 1, cycle: bool = False,
                 fps: float = 30.0):
        if not images:
            raise MirrorError("no images given")
        self.name = ",".join(name for name, _ in images)
        self.images = [(name, as_bgr(image)) for name, image in images]
        self.fps = fps
        self._repeat = max(repeat, 1)
        self._cycle = cycle
        self._index = 0

    def read(self) -> Frame | None:
        position = self._index // self._repeat
        if not self._cycle and position >= len(self.images):
            return None
        image = self.images[position % len(self.images)][1]
        frame = Frame(self._index, int(round(self._index * 1000.0 / self.fps)), image.copy())
        self._index += 1
        return frame


def image_source(paths: Iterable[str], repeat: int = 1, cycle: bool = False) -> ImageSource:
    """An ``ImageSource`` over image files."""
    return ImageSource([(os.path.basename(p), read_image(p)) for p in paths], repeat, cycle)


def demo_source(repeat: int = 1, cycle: bool = False) -> ImageSource:
    """The built-in demo: the packaged photos (Grace Hopper, the astronaut)."""
    source = ImageSource(demo_images(), repeat, cycle)
    source.name = "demo"
    return source


def camera_index(spec: str) -> int | None:
    """The camera number of a ``camera`` (0) / ``camera:N`` spec, or None for any other source.

    Raises:
        MirrorError: for ``camera:`` followed by anything but a number.
    """
    if spec == "camera":
        return 0
    if not spec.startswith("camera:"):
        return None
    index = spec.partition(":")[2]
    if not index.isdigit():
        raise MirrorError(f"bad camera index in {spec!r}: expected camera:N with N a number")
    return int(index)


def open_source(spec: str, repeat: int = 1, loop: bool = False) -> Source:
    """Opens a source from its command-line spec.

    Args:
        spec: ``camera:N``, ``demo``, a video file or an image file.
        repeat: for images and the demo, how many frames each image gives in a row; 0 cycles
            through them forever, 90 frames each.
        loop: for video files, start again at the end.

    Raises:
        MirrorError: for an unknown spec, a missing or unreadable file, a camera that won't open.
    """
    cycle = repeat == 0
    repeat = repeat or 90
    if spec == "demo":
        return demo_source(repeat, cycle)
    index = camera_index(spec)
    if index is not None:
        return CameraSource(index)
    extension = os.path.splitext(spec)[1].lower()
    if extension in IMAGE_EXTENSIONS:
        return image_source([spec], repeat, cycle)
    if extension in VIDEO_EXTENSIONS or os.path.isfile(spec):
        return VideoSource(spec, loop=loop)
    raise MirrorError(f"unknown source {spec!r}: use camera:N, demo, a video file or an image file")
