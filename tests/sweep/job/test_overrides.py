"""A trial's job overrides: a pure function of the sampled values, the command line and where the trial reports."""

from __future__ import annotations

from lrsweep.sweep.job._overrides import TrialTarget, fixed_overrides, trial_overrides
from lrsweep.sweep.space._grammar import parse_space


def test_a_deletion_typed_without_a_value_reaches_the_job_as_typed():
    space = parse_space({"~label": "", "trainer.epochs": 2, "~tracking.run_name": "x"})
    assert fixed_overrides(space.fixed) == ["~label", "trainer.epochs=2", "~tracking.run_name=x"]


def test_the_first_seed_reports_to_the_trial_and_its_run_the_others_nest_under_it():
    target = TrialTarget("s", "sqlite:///x.db", 3, run_id="r3", parent_run_id="p")
    first, second = trial_overrides(["trainer.epochs=2"], ["schedule.decay_rate=0.9"], target, repeats=2, seed=7)
    assert first == [
        "trainer.epochs=2",
        "schedule.decay_rate=0.9",
        "optuna.study_name='s'",
        "optuna.storage='sqlite:///x.db'",
        "optuna.trial_number=3",
        "trainer.seed=7",
        "tracking.experiment_name='s'",
        "tracking.run_id=r3",
        "tracking.parent_run_id=p",
    ]
    assert second == [
        "trainer.epochs=2",
        "schedule.decay_rate=0.9",
        "trainer.seed=8",
        "tracking.experiment_name='s'",
        "tracking.parent_run_id=r3",
        "tracking.run_name=trial-3-seed-1",
    ]


def test_without_tracking_or_repeats_only_the_trial_is_named():
    (only,) = trial_overrides([], ["schedule=constant"], TrialTarget("s", "db", 0), repeats=1, seed=0)
    assert only == ["schedule=constant", "optuna.study_name='s'", "optuna.storage='db'", "optuna.trial_number=0"]
