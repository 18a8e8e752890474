"""The sample-efficiency benchmark as a CI smoke test: every arm runs a tiny study and the figures add up."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.search import ARMS, best_so_far

ROOT = Path(__file__).resolve().parents[1]


def test_best_so_far_keeps_the_best_and_skips_failures():
    assert best_so_far([None, 0.2, 0.1, None, 0.5, 0.4]) == [None, 0.2, 0.2, 0.2, 0.5, 0.5]


@pytest.mark.slow
def test_every_arm_runs_and_reports(tmp_path):
    out, png = tmp_path / "search.json", tmp_path / "search.png"
    tiny = ["--trials", "2", "--epochs", "1", "--train-size", "256", "--val-size", "128", "--seeds", "0"]
    tiny += ["--out", str(out), "--plot", str(png), "lr_find.num_steps=60"]
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.search", *tiny],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    figures = json.loads(out.read_text())
    assert list(figures["arms"]) == list(ARMS)
    for arm, result in figures["arms"].items():
        (run,) = result["seeds"].values()
        assert len(run["values"]) == len(run["finished_s"]) == 2, arm
        summary = result["summary"]
        assert summary["trials"] + summary["enqueued"] == 2 and 0 <= summary["at_chance"] <= summary["trials"]
        assert result["summary"]["median_best"] == max(v for v in run["values"] if v is not None)
    narrowed = figures["arms"]["tpe_lr_range"]
    lower, upper = narrowed["seeds"]["0"]["lr_range"]
    assert 0 < lower < upper and 0 < narrowed["summary"]["range_test_share"] < 1
    assert figures["arms"]["tpe"]["seeds"]["0"]["lr_range"] is None
    assert png.stat().st_size > 10_000
    assert "| `tpe_lr_range` |" in done.stdout
