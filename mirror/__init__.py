"""Hair Mirror runtime: a live, CPU-only hairstyle mirror.

Stages, in the order a frame flows through them:
Source (source.py) -> FaceTracker (tracker.py) -> Aligner (align.py) -> HairSegmenter
(segment.py) -> HairEditor (editor.py, backends/, shapes.py) -> HairRenderer (render.py,
plate.py) -> Compositor (compositor.py) -> Display (display.py); wired in app.py. Per-frame stage timings: timing.py.

Colour order: every image inside the package is BGR uint8 (OpenCV's order). Conversion to RGB
happens only at the edges (MediaPipe input, Pygame output).
"""
import os as _os

# Privacy: ONNX Runtime's Linux builds keep a device id and may send usage events to Microsoft
# unless told not to before they load. The mirror sends nothing anywhere.
_os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
