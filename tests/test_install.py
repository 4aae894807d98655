"""``pip install .`` gives a working mirror: the model ships inside the package and is found from
any working folder, by the ``hair-mirror`` command and by ``python -m``.

A fresh virtual environment that sees the already installed dependencies (torch, MediaPipe...:
installing those again would take CI many minutes), the project installed into it without
network access, then run from a folder with no checkout in it.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

import cv2

from conftest import ROOT

SHIPPED = ("mirror", "train", "engines", "pyproject.toml", "README.md", "run_mirror.py", "calibrate.py")


def test_pip_install_gives_a_mirror_that_finds_its_model(tmp_path):
    source = tmp_path / "source"  # a copy: building in the checkout would leave build/ and egg-info there
    source.mkdir()
    for name in SHIPPED:
        path = os.path.join(ROOT, name)
        if os.path.isdir(path):
            shutil.copytree(path, source / name, ignore=shutil.ignore_patterns("__pycache__", "trt", "*.pyc"))
        else:
            shutil.copy(path, source / name)
    venv = tmp_path / "venv"
    # Without a pip of its own the environment uses the installed pip and setuptools (a venv's bundled
    # setuptools may be too old to build a wheel offline).
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)],
                   check=True, timeout=120)
    python, command = str(venv / "bin" / "python"), str(venv / "bin" / "hair-mirror")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["PIP_NO_INDEX"] = "1"  # offline: nothing may come from the network
    installed = subprocess.run([python, "-m", "pip", "install", "--no-deps", "--no-build-isolation", "-q",
                                str(source)], capture_output=True, text=True, timeout=600, env=env)
    assert installed.returncode == 0, installed.stderr[-2000:]
    shutil.rmtree(source)  # the installed package alone from here on
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    where = subprocess.run([python, "-c", "import mirror, mirror.paths as p; print(mirror.__file__); "
                            "print(p.DEFAULT_ENGINES)"], cwd=elsewhere, capture_output=True, text=True,
                           timeout=120, env=env)
    package, engines = where.stdout.split()
    assert package.startswith(str(venv)), package  # the installed copy, not the checkout
    assert engines == os.path.join(os.path.dirname(package), "engines")
    for name in ("encoder.onnx", "decoder.onnx", "encoder.int8.onnx", "decoder.int8.onnx", "styles.json",
                 "specs.json", "classifier.onnx", "classifier.json", "MODEL_CARD.md"):
        assert os.path.isfile(os.path.join(engines, name)), name

    out = elsewhere / "demo.png"
    result = subprocess.run([command, "--source", "demo", "--headless", "--style", "blond", "--output", str(out)],
                            cwd=elsewhere, capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "2 with a face" in result.stdout and f"wrote {out}" in result.stdout
    assert cv2.imread(str(out)) is not None
    listed = subprocess.run([python, "-m", "run_mirror", "--list-styles"], cwd=elsewhere, capture_output=True,
                            text=True, timeout=120, env=env)
    assert listed.returncode == 0 and "bangs" in listed.stdout, listed.stderr[-1000:]
