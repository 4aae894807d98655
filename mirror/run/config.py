"""The calibration config: what ``calibrate.py`` found suits this machine, read by ``run_mirror.py``.

    path = config_path()        # $HAIR_MIRROR_CONFIG, else ~/.config/hair-mirror/config.json
    write_config({"backend": "onnxruntime", "camera": {"index": 0, "width": 1280, "height": 720}})
    settings = read_config()    # {} when there is none
    reset_config()              # removes it

``run_mirror.py`` takes the config's values as its defaults: flags the user typed always win.
Only the model backend (``run_defaults``) and the camera with its resolution (``configured_camera``)
are applied; the rest records what calibration measured.
"""
from __future__ import annotations

import json
import logging
import os

from mirror.errors import MirrorError

log = logging.getLogger(__name__)

ENV = "HAIR_MIRROR_CONFIG"
VERSION = 1


def config_path() -> str:
    """Where the config lives: ``$HAIR_MIRROR_CONFIG``, else ``~/.config/hair-mirror/config.json``
    (``$XDG_CONFIG_HOME`` instead of ``~/.config`` where set)."""
    if os.environ.get(ENV):
        return os.path.abspath(os.path.expanduser(os.environ[ENV]))
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return os.path.join(base, "hair-mirror", "config.json")


def read_config(path: str | None = None) -> dict:
    """The config as a dict; ``{}`` when there is none.

    Raises:
        MirrorError: the file exists but is not a JSON object (names the file and how to reset).
    """
    path = path or config_path()
    if not os.path.isfile(path):
        return {}
    try:
        with open(path) as f:
            settings = json.load(f)
    except (OSError, ValueError) as error:
        raise MirrorError(f"unreadable config {path} ({error}): fix it or run calibrate.py --reset") from None
    if not isinstance(settings, dict):
        raise MirrorError(f"broken config {path}: not a JSON object (run calibrate.py --reset)")
    return settings


def write_config(settings: dict, path: str | None = None) -> str:
    """Writes ``settings`` as JSON (indent 4, sorted keys) atomically; returns the path.

    Raises:
        MirrorError: the folder cannot be made or the file cannot be written.
    """
    path = path or config_path()
    settings = {"version": VERSION, **settings}
    temporary = path + ".tmp"
    try:
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        with open(temporary, "w") as f:
            json.dump(settings, f, indent=4, sort_keys=True)
            f.write("\n")
        os.replace(temporary, path)
    except OSError as error:
        raise MirrorError(f"cannot write config {path}: {error.strerror or error}") from None
    return path


def reset_config(path: str | None = None) -> bool:
    """Removes the config; returns whether there was one."""
    path = path or config_path()
    try:
        os.remove(path)
    except FileNotFoundError:
        return False
    except OSError as error:
        raise MirrorError(f"cannot remove config {path}: {error.strerror or error}") from None
    return True


def run_defaults(backend_choices, path: str | None = None) -> dict:
    """The config's values as defaults for ``run_mirror.py``'s parser (``parser.set_defaults``).

    A value the parser would refuse (an unknown backend) is left out with a warning; an
    unreadable config is warned about and ignored, so a stale file never stops the mirror.

    Returns:
        {"backend": name} when the config names a usable backend, else {}.
    """
    try:
        settings = read_config(path)
    except MirrorError as error:
        log.warning("%s", error)
        return {}
    defaults = {}
    backend = settings.get("backend")
    if backend is not None:
        if backend in backend_choices:
            defaults["backend"] = backend
        else:
            log.warning("config %s names unknown backend %r: ignored", path or config_path(), backend)
    if defaults:
        log.info("calibration config %s: %s", path or config_path(), defaults)
    return defaults


def configured_camera(source: str | None, path: str | None = None):
    """Opens the calibrated camera at its calibrated resolution, when that is what will be used.

    Args:
        source: the ``--source`` the user gave (None: the default, camera then demo).

    Returns:
        An open ``CameraSource``, or None when the config has no camera, the user chose another
        source, or the camera does not open (the mirror then opens its source as usual).
    """
    from mirror.io.source import CameraSource, camera_index

    try:
        camera = read_config(path).get("camera")
    except MirrorError:
        return None
    if not isinstance(camera, dict):
        return None
    try:
        index, width, height = int(camera["index"]), int(camera["width"]), int(camera["height"])
    except (KeyError, TypeError, ValueError):
        log.warning("config %s: bad camera entry %r: ignored", path or config_path(), camera)
        return None
    try:
        if source is not None and camera_index(source) != index:
            return None
    except MirrorError:  # a bad camera spec: opening the source says so
        return None
    try:
        return CameraSource(index, width, height)
    except MirrorError as error:
        log.info("calibrated camera not opened (%s): opening the source as usual", error)
        return None
