"""What the report reads: a run's loss history, its data folder and test faces, and a style
library (or styles made from the faces' CelebA attributes)."""
from __future__ import annotations

import csv
import glob
import json
import logging
import os

import numpy as np

from mirror.errors import MirrorError
from mirror.edit.styles import LatentPrior

log = logging.getLogger(__name__)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# CelebA attributes behind the styles, for a run without a style library (mean differences).
ATTRIBUTE_STYLES = {"bangs": "Bangs", "bald": "Bald", "receding": "Receding_Hairline",
                    "blond": "Blond_Hair", "black": "Black_Hair", "brown": "Brown_Hair",
                    "gray": "Gray_Hair", "wavy": "Wavy_Hair", "straight": "Straight_Hair"}


def read_history(run: str) -> tuple[list[dict], list[dict]]:
    """The run's step rows (step, loss, rec, kl, ...) and epoch rows (step, val_loss, val_rec,
    val_kl, val_psnr): from history.json/epochs.json, else history.csv, else TensorBoard events.

    Raises:
        MirrorError: when the run folder holds no loss history at all.
    """
    def load(name):
        path = os.path.join(run, name)
        if os.path.isfile(path):
            try:
                with open(path) as f:
                    return json.load(f)
            except ValueError:
                log.warning("unreadable %s, ignored", path)
        return None

    steps, epochs = load("history.json"), load("epochs.json")
    if not steps and os.path.isfile(os.path.join(run, "history.csv")):
        with open(os.path.join(run, "history.csv"), newline="") as f:
            steps = [{k: float(v) for k, v in row.items() if v not in ("", None)} for row in csv.DictReader(f)]
    if not steps or epochs is None:
        tb_steps, tb_epochs = _tensorboard_history(run)
        steps, epochs = steps or tb_steps, epochs if epochs is not None else tb_epochs
    if not steps:
        raise MirrorError(f"no loss history in {run} (history.json, history.csv or TensorBoard events)")
    return steps, epochs or []


def _tensorboard_history(run: str) -> tuple[list[dict], list[dict]]:
    if not glob.glob(os.path.join(run, "events.out.tfevents.*")):
        return [], []
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(run, size_guidance={"scalars": 0})
    events.Reload()
    tags = events.Tags().get("scalars", [])

    def rows(prefix, rename):
        table: dict[int, dict] = {}
        for tag in tags:
            if tag.startswith(prefix):
                key = rename(tag[len(prefix):])
                for event in events.Scalars(tag):
                    table.setdefault(event.step, {"step": event.step})[key] = event.value
        return [table[s] for s in sorted(table)]

    return rows("train/", lambda k: k), rows("val/", lambda k: "val_" + k)


def find_data(folder: str | None, specs: dict) -> str | None:
    """The prepared data folder: the one given, else specs' ``data`` (as is, or under the repo)."""
    if folder:
        if not os.path.isfile(os.path.join(folder, "crops.npy")):
            raise MirrorError(f"{folder} is not a prepared aligned set (no crops.npy)")
        return folder
    data = specs.get("data")
    for candidate in (data, os.path.join(ROOT, data or "")):
        if data and os.path.isfile(os.path.join(candidate, "crops.npy")):
            return candidate
    log.warning("no data folder (%s not found): figures of real faces are skipped", data)
    return None


def test_faces(folder: str, size: int, limit: int):
    """Up to ``limit`` faces of the test split (else val, else all) as an AlignedSet."""
    from train.data import AlignedSet

    for split in ("test", "val", "all"):
        try:
            faces = AlignedSet(folder, split, limit, masks=False)
        except MirrorError:
            continue
        if faces.size != size:
            raise MirrorError(f"{folder} holds {faces.size} px crops but the run's model takes {size} px")
        return faces, split
    raise MirrorError(f"no faces in {folder}")


def find_styles(path: str | None, run: str, latent_dim: int) -> tuple[dict, str, LatentPrior | None] | None:
    """({name: (direction (Z,), strength)}, source, its fitted latent prior or None) from a
    styles.json, or None."""
    candidates = [path] if path else [os.path.join(run, "styles.json"), os.path.join(ROOT, "engines", "styles.json")]
    for candidate in candidates:
        if not candidate or not os.path.isfile(candidate):
            if path:
                raise MirrorError(f"style library not found: {path}")
            continue
        try:
            with open(candidate) as f:
                library = json.load(f)
            styles = {name: (np.asarray(s["direction"], np.float32), float(s.get("strength", 1.0)))
                      for name, s in library["styles"].items()}
        except (ValueError, KeyError, TypeError):
            raise MirrorError(f"broken style library: {candidate}") from None
        if all(d.shape == (latent_dim,) for d, _ in styles.values()):
            prior = library.get("latent_prior")
            return styles, candidate, LatentPrior.from_json(prior, latent_dim) if prior else None
        if path:
            raise MirrorError(f"{path} is for a latent of another size than this run's {latent_dim}")
    return None


def attribute_styles(mu: np.ndarray, attributes: np.ndarray, names: list[str]) -> dict:
    """{style: (direction, 1.0)}: mean latent with the CelebA attribute minus mean without."""
    styles = {}
    for style, attribute in ATTRIBUTE_STYLES.items():
        if attribute in names:
            positive = attributes[:, names.index(attribute)] > 0
            if positive.sum() >= 2 and (~positive).sum() >= 2:
                styles[style] = ((mu[positive].mean(0) - mu[~positive].mean(0)).astype(np.float32), 1.0)
    return styles
