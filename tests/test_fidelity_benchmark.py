"""The early-stopping benchmark as a CI smoke test: every arm runs a tiny study, stopped configurations run in
full, and the figures add up; its measures on hand-made runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.fidelity import ARMS, _stopped_top3, time_to_reach

ROOT = Path(__file__).resolve().parents[1]


def test_time_to_reach_reads_the_best_so_far():
    run = {"values": [0.5, None, 0.7, 0.65, 0.8], "finished_s": [10.0, 20.0, 30.0, 40.0, 50.0]}
    assert time_to_reach(run, 0.7) == 30.0 and time_to_reach(run, 0.75) == 50.0 and time_to_reach(run, 0.9) is None


def test_epochs_to_reach_count_what_every_trial_trained_before_it():
    run = {"values": [0.5, None, 0.7, 0.8], "epochs": [3, 1, 3, 3]}  # the second was stopped after one epoch
    assert time_to_reach(run, 0.7, "epochs") == 7.0 and time_to_reach(run, 0.8, "epochs") == 10.0


def test_a_stopped_configuration_counts_when_in_full_it_reaches_the_top_3():
    run = {"values": [0.80, 0.85, None, 0.70, 0.83, None]}  # the study's third best is 0.80
    assert _stopped_top3(run, {2: 0.81, 5: 0.60}) == 1
    assert _stopped_top3({"values": [0.5]}, {1: 0.4}) == 0


def test_every_arm_names_a_pruner_the_sweeper_has():
    """The arms the smoke test below leaves out still name real config options (``budget`` is the rung sweep
    that tests/sweep/test_rungs.py runs)."""
    from hydra_plugins.lrsweep_sweeper.config import PRUNERS

    options = set(PRUNERS)
    named = {o.split("=", 1)[1] for arm in ARMS.values() for o in arm if o.startswith("hydra/sweeper/pruner=")}
    assert named and named <= options, named - options


SMOKE_ARMS = ["none", "median_peak", "sha"]  # the reference, the median pruner judged from the peak, the rungs


@pytest.mark.slow
def test_every_arm_runs_and_reports(tmp_path):
    out = tmp_path / "fidelity.json"
    tiny = ["--trials", "4", "--epochs", "2", "--train-size", "256", "--val-size", "128", "--seeds", "0"]
    tiny += ["--arms", *SMOKE_ARMS]
    tiny += ["--startup", "1", "--out", str(out), "--plot", str(tmp_path / "fidelity.png"), "lr_find.num_steps=60"]
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.fidelity", *tiny],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    figures = json.loads(out.read_text())
    assert list(figures["arms"]) == SMOKE_ARMS
    for arm, result in figures["arms"].items():
        (run,) = result["seeds"].values()
        assert len(run["values"]) == len(run["states"]) == len(run["epochs"]) == 4, arm
        assert all(1 <= e <= 2 for e in run["epochs"]) and (arm != "none" or sum(run["epochs"]) == 8), arm
        assert sorted(run["full"]) == sorted(run["pruned"]), arm  # each stopped configuration ran in full
        assert all(0.0 <= value <= 1.0 for value in run["full"].values())
    assert figures["arms"]["none"]["summary"]["pruned"] == 0
    assert {"time_share", "epoch_share"} <= set(figures["arms"]["median_peak"]["summary"])
    assert "| `median_peak` |" in done.stdout
