"""The throughput benchmark as a CI smoke test: both paths run on tiny data and train to the same objectives."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]


def test_naive_and_lrsweep_paths_run_and_agree(tmp_path):
    out = tmp_path / "throughput.json"
    tiny = ["--trials", "2", "--epochs", "2", "--train-size", "256", "--val-size", "128"]
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.throughput", *tiny, "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    figures = json.loads(out.read_text())
    assert figures["trials"] == 2 and figures["backend"] == os.environ.get("KERAS_BACKEND", "tensorflow")
    for path in ("naive", "lrsweep"):
        assert figures[path]["trials_per_hour"] > 0
        assert figures[path]["steady_epoch_s"] > 0
        assert figures[path]["peak_host_mib"] > 0
    assert len(figures["objectives"]["naive"]) == len(figures["objectives"]["lrsweep"]) == 2
    # On JAX a fresh model's first fit draws one more shuffle permutation (tests/training/test_warm.py), so the
    # naive path sees its batches in another order: its objectives may differ by about an image of the 128.
    tolerance = 1e-6 if figures["backend"] == "tensorflow" else 2 / 128
    assert figures["max_objective_difference"] <= tolerance, figures["objectives"]
    if figures["backend"] == "jax":
        assert figures["jax_floor"]["steady_epoch_s"] > 0  # the hand-written jitted epoch ran too
    assert figures["ratio"] == pytest.approx(
        figures["lrsweep"]["trials_per_hour"] / figures["naive"]["trials_per_hour"]
    )
    assert "lrsweep / naive:" in done.stdout and "trials/hour" in done.stdout
