"""Where the shipped model lives, in a checkout and in an installed package.

    from mirror.paths import DEFAULT_ENGINES   # the folder of encoder.onnx, decoder.onnx, styles.json

In a checkout the model is the repository's ``engines/`` folder; ``pip install .`` ships the same
files as package data in ``mirror/engines/`` (see ``pyproject.toml``).
"""
from __future__ import annotations

import os

PACKAGE = os.path.dirname(os.path.abspath(__file__))


def engines_folder() -> str:
    """The shipped model's folder: ``mirror/engines`` when installed, else ``engines/`` beside the
    package (a checkout). A folder without ``styles.json`` does not count."""
    for folder in (os.path.join(PACKAGE, "engines"), os.path.join(os.path.dirname(PACKAGE), "engines")):
        if os.path.isfile(os.path.join(folder, "styles.json")):
            return folder
    return os.path.join(os.path.dirname(PACKAGE), "engines")  # missing: load_model_files names it


DEFAULT_ENGINES = engines_folder()
