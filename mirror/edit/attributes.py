"""The attribute classifier (``engines/classifier.onnx``, made by ``python -m train.classifier``):
CelebA's 40 attribute probabilities of aligned crops. The mirror asks it once per person, not
per frame: whether to offer a man's or a woman's hair (the donor bank's sex term).

    classifier = Classifier("engines/classifier.onnx")
    male = classifier.predict_crops(aligned.crop[None])[0, classifier.column("Male")]
"""
from __future__ import annotations

import json

import numpy as np

from mirror.errors import MirrorError


class Classifier:
    """classifier.onnx on ONNX Runtime: attribute probabilities of crops.

    Args:
        path: the ONNX file; its metadata names the attributes.
        threads: intra-op threads.
    """

    def __init__(self, path: str, threads: int = 2):
        from mirror.backends.onnxruntime import open_session

        self.session = open_session(path, threads)
        meta = self.session.get_modelmeta().custom_metadata_map
        try:
            self.names = json.loads(meta["attributes"])
        except (KeyError, ValueError):
            raise MirrorError(f"{path} is not an attribute classifier (no attribute names)") from None

    def predict(self, images: np.ndarray) -> np.ndarray:
        """(N, 3, S, S) float32 BGR in [0, 1] -> (N, A) probabilities."""
        out = [self.session.run(["logits"], {"image": np.ascontiguousarray(images[i:i + 256], np.float32)})[0]
               for i in range(0, len(images), 256)]
        return 1 / (1 + np.exp(-np.concatenate(out)))

    def predict_crops(self, crops: np.ndarray) -> np.ndarray:
        """(N, S, S, 3) uint8 BGR -> (N, A) probabilities."""
        return np.concatenate([
            self.predict(np.transpose(crops[i:i + 256], (0, 3, 1, 2)).astype(np.float32) / 255)
            for i in range(0, len(crops), 256)])

    def column(self, name: str) -> int:
        """The index of attribute ``name``."""
        return self.names.index(name)
