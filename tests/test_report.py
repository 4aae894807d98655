"""train.report writes every figure from a tiny run (120 CelebA images at 64 px, a few steps)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from conftest import CELEBA, ROOT, need
from mirror.errors import MirrorError
from train.figures import MAX_BYTES
from train.report import FIGURES, extreme_faces, report
from train.report_inputs import read_history


def run(*args, timeout=300):
    return subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, "OMP_NUM_THREADS": "1"})


@pytest.fixture(scope="session")
def tiny(tmp_path_factory):
    """(data folder, run folder): a 200-image 64 px slice and a 2-epoch run on it."""
    celeba = need(CELEBA)
    root = tmp_path_factory.mktemp("tiny")
    data, run_dir = str(root / "aligned64"), str(root / "run")
    result = run("-m", "train.prepare", "--data", celeba, "--out", data, "--limit", "120", "--size", "64",
                 "--workers", "1")
    assert result.returncode == 0, result.stderr[-2000:]
    result = run("-m", "train", "--data", data, "--run", run_dir, "--size", "64", "--latent-dim", "6",
                 "--width", "8", "--max-width", "32", "--batch-size", "16", "--epochs", "2",
                 "--val-images", "16", "--log-every", "2", "--threads", "1")
    assert result.returncode == 0, result.stderr[-2000:]
    return data, run_dir


def check_png(path):
    from PIL import Image

    assert os.path.isfile(path), path
    assert os.path.getsize(path) <= MAX_BYTES, (path, os.path.getsize(path))
    with Image.open(path) as image:
        assert image.format == "PNG" and min(image.size) > 100


def test_report_writes_every_figure(tiny, tmp_path):
    data, run_dir = tiny
    out = tmp_path / "report"
    result = run("-m", "train.report", run_dir, "--out", str(out), "--data", data, "--top", "4",
                 "--images", "100", "--threads", "1")
    assert result.returncode == 0, result.stderr[-2000:]
    for name in FIGURES:
        check_png(out / name)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["figures"] == list(FIGURES)
    assert len(summary["kl_per_dim"]) == 6 and summary["ranking"].startswith("KL on")
    assert sorted(summary["order"]) == list(range(6))
    assert summary["styles"]["names"]  # attribute directions of the test faces, or a style library
    # No style library of this latent size: the samples' Gaussian is fitted to the test faces.
    assert summary["samples_prior"] == f"{summary['faces']} {summary['split']} faces"


def test_report_without_data_ranks_by_the_decoder_and_skips_face_figures(tiny, tmp_path):
    _, run_dir = tiny
    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy)
    specs = json.loads((copy / "specs.json").read_text())
    specs["data"] = str(tmp_path / "gone")
    (copy / "specs.json").write_text(json.dumps(specs))
    summary = report(str(copy), str(tmp_path / "out"), top=3, threads=1)
    assert summary["ranking"].startswith("decoder sensitivity")
    assert summary["samples_prior"] == "N(0, I) only"
    for name in ("loss.png", "samples.png", "traversals.png", "grid.png"):
        check_png(tmp_path / "out" / name)
    assert not (tmp_path / "out" / "extremes.png").exists()


def test_history_falls_back_to_tensorboard(tiny, tmp_path):
    _, run_dir = tiny
    steps, epochs = read_history(run_dir)
    assert {"step", "loss", "rec", "kl"} <= set(steps[0]) and {"val_rec", "val_kl"} <= set(epochs[0])
    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy)
    for name in ("history.json", "epochs.json", "history.csv"):
        (copy / name).unlink()
    tb_steps, tb_epochs = read_history(str(copy))
    assert [r["step"] for r in tb_steps] == [r["step"] for r in steps]
    np.testing.assert_allclose([r["kl"] for r in tb_steps], [r["kl"] for r in steps], rtol=1e-3, atol=1e-3)
    assert len(tb_epochs) == len(epochs) == 2


def test_bad_run_folder_is_a_one_line_error(tmp_path):
    result = run("-m", "train.report", str(tmp_path / "nope"), "--out", str(tmp_path / "out"))
    assert result.returncode == 2 and result.stderr.startswith("error: run folder not found")
    assert result.stderr.strip().count("\n") == 0
    (tmp_path / "empty").mkdir()          # (what the command prints for any MirrorError, above)
    with pytest.raises(MirrorError, match="specs.json"):
        report(str(tmp_path / "empty"), str(tmp_path / "out"))


def test_extreme_faces_come_from_the_tails_nearest_the_mean_elsewhere():
    rng = np.random.default_rng(0)
    mu = rng.standard_normal((1000, 5)).astype(np.float32)
    bottom, top, pool = extreme_faces(mu, 2, 6)
    assert pool == 10
    order = np.argsort(mu[:, 2])
    assert set(bottom) <= set(order[:10]) and set(top) <= set(order[-10:])
    assert list(mu[bottom, 2]) == sorted(mu[bottom, 2]) and list(mu[top, 2]) == sorted(mu[top, 2])
    others = np.linalg.norm(np.delete(mu - mu.mean(0), 2, axis=1) / mu.std(0)[[0, 1, 3, 4]], axis=1)
    left_out = sorted(set(order[:10]) - set(bottom))
    assert others[bottom].max() <= others[left_out].min() + 1e-5
