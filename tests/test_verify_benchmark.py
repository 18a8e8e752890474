"""The verification benchmark as a CI smoke test: both arms run a tiny study on one training budget, each pick
trains again with the fresh eval seeds, and the figures add up."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from benchmarks.verify import ARMS
from tests.commands import ROOT


@pytest.mark.slow
def test_both_arms_spend_one_budget_and_judge_their_picks_on_fresh_seeds(tmp_path):
    out = tmp_path / "verify.json"
    tiny = ["--trials", "7", "--epochs", "1", "--train-size", "256", "--val-size", "128", "--seeds", "0"]
    tiny += ["--top", "1", "--verify-seeds", "2", "--eval-seeds", "2000", "2001"]
    tiny += ["--out", str(out), "--plot", str(tmp_path / "verify.png"), "lr_find.num_steps=60"]
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.verify", *tiny], cwd=ROOT, capture_output=True, text=True, timeout=900
    )
    assert done.returncode == 0, done.stderr[-3000:]
    figures = json.loads(out.read_text())
    assert list(figures["arms"]) == ARMS
    search, verified = (figures["arms"][arm]["seeds"]["0"] for arm in ARMS)
    assert search["trainings"] == verified["trainings"] == 7  # one budget: 3 searched + 1 x 2 verified + 1 x 2 control
    assert search["search_trials"] == 7 and verified["search_trials"] == 3
    assert verified["pick"]["verified"] is not None and len(verified["pick"]["verified"]["values"]) == 2
    for run in (search, verified):
        assert len(run["eval_values"]) == 2 and all(0.0 <= v <= 1.0 for v in run["eval_values"])
    assert (tmp_path / "verify.png").stat().st_size > 0
    assert "| `verified` |" in done.stdout
