"""``pip install .`` gives a working mirror: the model ships inside the package and is found from
any working folder, by the ``hair-mirror`` command and by ``python -m``.

A fresh virtual environment that sees the dependencies already installed in the environment
running the tests (torch, MediaPipe...: installing those again would take CI many minutes), the
project installed into it without network access, then run from a folder with no checkout in it.

"The environment running the tests" is the interpreter pytest runs in, whether that is the base
Python or a virtual environment: ``venv --system-site-packages`` would not do, since a venv made
from inside another venv sees the *base* interpreter's site-packages, not the running venv's (on a
fresh machine those hold neither the dependencies nor a setuptools that builds wheels).
"""
from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys

import cv2

from conftest import ROOT

SHIPPED = ("mirror", "train", "engines", "pyproject.toml", "setup.py", "README.md", "run_mirror.py", "calibrate.py")


def running_environment_sites() -> list[str]:
    """The site-packages folders of the interpreter running the tests: a venv's own (and the base's
    when it was made with ``--system-site-packages``), or the base interpreter's. Not the checkout,
    which conftest puts on ``sys.path``."""
    sites = list(site.getsitepackages())
    if site.ENABLE_USER_SITE:
        sites.append(site.getusersitepackages())
    return [folder for folder in dict.fromkeys(sites) if os.path.isdir(folder)]


def see_running_environment(python: str) -> None:
    """Makes the venv of ``python`` see the running environment's packages, after its own.

    A ``.pth`` line that starts with ``import`` runs when the interpreter starts: ``addsitedir``
    appends each folder to ``sys.path`` after the venv's own site-packages (so what is installed in
    the venv wins) and reads the ``.pth`` files there, as the running environment itself does.
    """
    purelib = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             check=True, capture_output=True, text=True, timeout=60).stdout.strip()
    line = "import site; " + "; ".join(f"site.addsitedir({folder!r})" for folder in running_environment_sites())
    with open(os.path.join(purelib, "running_environment.pth"), "w") as f:
        f.write(line + "\n")


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
    # No pip of its own (ensurepip's setuptools may be too old to build a wheel offline) and no
    # system site-packages: the running environment's pip, setuptools and dependencies instead.
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python, command = str(venv / "bin" / "python"), str(venv / "bin" / "hair-mirror")
    see_running_environment(python)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["PIP_NO_INDEX"] = "1"  # offline: nothing may come from the network
    installed = subprocess.run([python, "-m", "pip", "install", "--no-deps", "--no-build-isolation", "-q",
                                str(source)], capture_output=True, text=True, timeout=600, env=env)
    assert installed.returncode == 0, (
        installed.stderr[-2000:] + "\n(building offline needs setuptools >= 70.1 or the wheel package in the"
        " environment running the tests: pip install -r requirements.txt)")
    shutil.rmtree(source)  # the installed package alone from here on
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    where = subprocess.run([python, "-c", "import cv2, mirror, mirror.paths as p; print(mirror.__file__); "
                            "print(p.DEFAULT_ENGINES); print(cv2.__file__)"], cwd=elsewhere, capture_output=True,
                           text=True, timeout=120, env=env)
    assert where.returncode == 0, where.stderr[-2000:]
    package, engines, dependency = where.stdout.splitlines()
    assert package.startswith(str(venv)), package  # the installed copy, not the checkout
    # the dependencies of the environment running the tests (not the base interpreter's, from a venv)
    assert any(dependency.startswith(folder) for folder in running_environment_sites()), dependency
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
