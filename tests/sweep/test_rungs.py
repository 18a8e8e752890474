"""Budget fidelity (``hydra.sweeper.rung_epochs``): which short runs are promoted, on a real Optuna study, and a
sweep of short and full runs end to end."""

from __future__ import annotations

import optuna
import pytest
from optuna.distributions import FloatDistribution
from optuna.trial import TrialState, create_trial

from lrsweep import _keys as keys
from lrsweep.sweep._rungs import is_short_run, promote, short_runs
from tests.sweep.test_sweeper import assert_study_and_mlflow_agree, lrsweep, study

LR = {"schedule.initial_learning_rate": FloatDistribution(1e-4, 1e-1, log=True)}


def short_run(value: float, lr: float) -> optuna.trial.FrozenTrial:
    """A finished short run as the loop leaves it: PRUNED, its last epoch's value as its value."""
    return create_trial(
        state=TrialState.PRUNED,
        value=value,
        params={"schedule.initial_learning_rate": lr},
        distributions=LR,
        intermediate_values={0: value},
        user_attrs={keys.TRIAL_RUNG: {"epochs": 1, "overrides": []}},
    )


@pytest.fixture(params=["maximize", "minimize"])
def direction(request):
    return request.param


def test_the_best_third_of_the_short_runs_so_far_are_promoted_once(direction):
    study_ = optuna.create_study(direction=direction)
    values = [0.5, 0.9, 0.1, 0.7, 0.3]
    for n, value in enumerate(values[:2]):
        study_.add_trial(short_run(value, 1e-3 * (n + 1)))
    assert promote(study_, 3, room=10) == []  # two short runs: a third of them is none
    study_.add_trial(short_run(values[2], 3e-3))
    best = 1 if direction == "maximize" else 2
    assert promote(study_, 3, room=10) == [best]
    waiting = study_.get_trials(states=(TrialState.WAITING,))
    assert [t.user_attrs[keys.TRIAL_PROMOTES] for t in waiting] == [best]
    asked = study_.ask()  # the waiting promotion: the same configuration, to run in full
    assert asked.suggest_float("schedule.initial_learning_rate", 1e-4, 1e-1, log=True) == 1e-3 * (best + 1)
    for n, value in enumerate(values[3:]):
        study_.add_trial(short_run(value, 4e-3 + n * 1e-3))
    assert promote(study_, 3, room=10) == []  # five short runs: still one, and it has its full run
    assert [t.number for t in short_runs(study_)][:1] == [best]


def test_the_last_trial_promotes_the_best_short_run_left_unless_one_waits():
    study_ = optuna.create_study(direction="maximize")
    for n, value in enumerate([0.5, 0.9, 0.1]):
        study_.add_trial(short_run(value, 1e-3 * (n + 1)))
    assert promote(study_, 3, room=10) == [1]
    assert promote(study_, 3, room=1, last=True) == []  # a promotion waits: it takes the last trial
    study_.ask()  # the waiting promotion starts
    assert promote(study_, 3, room=1, last=True) == [0]  # the best short run without a full run


def test_no_promotion_beyond_the_budget():
    """With other workers' short runs finishing late, a promotion the budget has no trial for is not enqueued (it
    would wait forever, or be run by the verification)."""
    study_ = optuna.create_study(direction="maximize")
    for n, value in enumerate([0.5, 0.9, 0.1, 0.7, 0.3, 0.8]):
        study_.add_trial(short_run(value, 1e-3 * (n + 1)))
    assert promote(study_, 3, room=1) == [1]  # two deserve it, the budget has room for one: the best
    assert promote(study_, 3, room=1) == []  # the waiting one takes that room
    assert promote(study_, 3, room=0, last=True) == []


def test_only_sampled_configurations_run_short():
    assert is_short_run({keys.TRIAL_FAMILY: "constant"})
    for marks in ({keys.TRIAL_PROMOTES: 3}, {keys.TRIAL_BASELINE: True}, {keys.TRIAL_SEED: 1000},
                  {keys.TRIAL_CONTROL: "constant", keys.TRIAL_SEED: 1000}):  # fmt: skip
        assert not is_short_run(marks)


@pytest.mark.slow
def test_a_sweep_of_short_and_full_runs(tmp_path):
    """Every sampled configuration runs its whole schedule in one epoch (PRUNED, never judged by the pruner); the
    best third run again in two, the last trial is a full run, and the study's best is a full run."""
    done = lrsweep(
        "+sweep=exponential_decay", "hydra.sweeper.n_trials=8", "trainer.epochs=2", "hydra.sweeper.rung_epochs=1",
        "hydra/sweeper/sampler=random", "hydra.sweeper.pruner.n_startup_trials=0", cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert "(a short run: its whole schedule in 1 of 2 epochs)" in done.stdout + done.stderr
    trials = study(tmp_path, "exponential_decay").trials
    assert len(trials) == 8 and all(t.state in (TrialState.COMPLETE, TrialState.PRUNED) for t in trials)
    short = [t for t in trials if keys.TRIAL_RUNG in t.user_attrs]
    full = [t for t in trials if keys.TRIAL_PROMOTES in t.user_attrs]
    # (The preset's 500 decay steps lie outside this tiny run's space: no baseline is enqueued.)
    assert len(short) + len(full) == 8 and len(full) >= 2 and trials[-1] in full
    for run in short:
        assert run.state == TrialState.PRUNED and list(run.intermediate_values) == [0]
        assert run.value == run.intermediate_values[0] and run.user_attrs[keys.TRIAL_FIT][keys.FIT_EPOCHS] == 1
        assert "trainer.epochs=1" in run.user_attrs[keys.TRIAL_OVERRIDES]
        # Its decay is a share of its own run: half the steps of the same configuration in full.
        ran = dict(o.split("=", 1) for o in run.user_attrs[keys.TRIAL_OVERRIDES])
        in_full = dict(o.split("=", 1) for o in run.user_attrs[keys.TRIAL_RUNG]["overrides"])
        assert int(ran["schedule.decay_steps"]) == pytest.approx(int(in_full["schedule.decay_steps"]) / 2, abs=1)
    by_number = {t.number: t for t in trials}
    for run in full:
        promoted = by_number[run.user_attrs[keys.TRIAL_PROMOTES]]
        assert run.state == TrialState.COMPLETE and len(run.intermediate_values) == 2
        assert run.params == promoted.params
    best = study(tmp_path, "exponential_decay").best_trial
    assert keys.TRIAL_RUNG not in best.user_attrs
    assert_study_and_mlflow_agree(tmp_path, "exponential_decay")


@pytest.mark.slow
def test_short_runs_must_be_shorter_than_the_run(tmp_path):
    done = lrsweep("+sweep=constant", "trainer.epochs=2", "hydra.sweeper.rung_epochs=2", cwd=tmp_path)
    assert done.returncode == 2
    assert "`hydra.sweeper.rung_epochs` must be fewer epochs than trainer.epochs (2) or null" in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir() if p.name not in ("multirun",)) == []
