"""The throughput benchmark as a CI smoke test: both paths run on tiny data and train to the same objectives; on JAX
the packed arm trains the same trials K at a time (on another backend it says why it is skipped)."""

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
    tiny = ["--trials", "2", "--epochs", "2", "--train-size", "256", "--val-size", "128", "--pack", "2", "1"]
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
    _check_packed(figures, done.stdout)


def _check_packed(figures: dict, stdout: str) -> None:
    if figures["backend"] != "jax":
        assert figures["packed"] == [] and figures["packed_skipped"].startswith("packed arm skipped:")
        assert "KERAS_BACKEND=jax" in figures["packed_skipped"] and figures["packed_skipped"] in stdout
        return
    assert figures["packed_skipped"] is None
    one, two = figures["packed"]
    assert (one["slots"], two["slots"]) == (1, 2)  # smallest first; K=1 refills its slot for the second trial
    for row in (one, two):
        assert row["trials_per_hour"] > 0 and row["steady_epoch_s_per_member"] > 0
        assert row["statuses"] == ["complete", "complete"] and None not in row["objectives"]
        assert row["ratio_to_naive"] == pytest.approx(row["trials_per_hour"] / figures["naive"]["trials_per_hour"])
        assert row["device_mib_per_member"] is None  # CI runs on a CPU, which keeps no allocator statistics
    # A member computes what it computes alone (tests/training/test_packed.py): K changes no trial's objective.
    assert one["objectives"] == pytest.approx(two["objectives"], abs=1 / 128)
    assert "K=1" in stdout and "K=2" in stdout and "shuffles with its own RNG" in stdout
