"""Verification (lrsweep.sweep._verify): the search's top configurations re-run with fresh seeds as trials of the
study, and a verdict by their mean; end to end, a sweep that verifies, resumes without re-running, and exports the
verified best."""

from __future__ import annotations

import numpy as np
import optuna
import pytest
import yaml
from optuna.distributions import FloatDistribution

from lrsweep._errors import ConfigError
from lrsweep.results import export_trial, write_report
from lrsweep.sweep._settings import SweepSettings
from lrsweep.sweep._verify import (
    control_fixed,
    control_overrides,
    controls_of,
    enqueue_verification,
    verdicts,
    verification_seeds,
)
from tests.sweep.test_sweeper import child_runs, lrsweep, study

LR = FloatDistribution(1e-4, 1.0, log=True)


def _searched(direction: str, values: list[float], lrs: list[float]) -> optuna.Study:
    found = optuna.create_study(storage="sqlite:///:memory:", direction=direction)
    for value, lr in zip(values, lrs, strict=True):
        found.add_trial(
            optuna.trial.create_trial(
                value=value, params={"lr": lr}, distributions={"lr": LR}, user_attrs={"family": "constant"}
            )
        )
    return found


def _run(found: optuna.Study, value_of) -> None:
    """Run the enqueued verification trials: each gets a value from its configuration and seed."""
    while waiting := found.get_trials(states=(optuna.trial.TrialState.WAITING,)):
        trial = found.ask()
        assert trial.number == waiting[0].number
        lr = trial.suggest_float("lr", 1e-4, 1.0, log=True)  # the enqueued value, as the sweep's sampling gets it
        found.tell(trial, value_of(lr, trial.user_attrs["lrsweep.seed"]))


def test_the_top_distinct_configurations_get_each_fresh_seed_once():
    found = _searched("minimize", [0.5, 0.2, 0.2, 0.9, 0.3], [0.1, 0.01, 0.01, 0.5, 0.02])  # #2 repeats #1
    seeds = verification_seeds(7, 3)
    assert seeds == [1007, 1008, 1009]
    assert enqueue_verification(found, 2, seeds) == 6
    waiting = found.get_trials(states=(optuna.trial.TrialState.WAITING,))
    assert sorted((t.user_attrs["lrsweep.verifies"], t.user_attrs["lrsweep.seed"]) for t in waiting) == [
        (1, 1007), (1, 1008), (1, 1009), (4, 1007), (4, 1008), (4, 1009)
    ]  # fmt: skip
    assert {t.system_attrs["fixed_params"]["lr"] for t in waiting} == {
        0.01,
        0.02,
    }  # the configurations as the search ran them
    assert enqueue_verification(found, 2, seeds) == 6  # again (another worker, a resume): nothing added
    assert len(found.get_trials(states=(optuna.trial.TrialState.WAITING,))) == 6


def test_the_verdict_ranks_by_the_fresh_mean_and_ties_what_a_t_test_cannot_separate():
    # The search's best draw (#0, 0.90) was lucky: over fresh seeds #2 is better; #1 is indistinguishable from #2.
    found = _searched("maximize", [0.90, 0.86, 0.85, 0.40], [0.3, 0.02, 0.01, 0.9])
    enqueue_verification(found, 3, verification_seeds(0, 4))
    fresh = {0.3: [0.70, 0.72, 0.69, 0.71], 0.02: [0.84, 0.86, 0.83, 0.85], 0.01: [0.85, 0.86, 0.84, 0.87]}
    _run(found, lambda lr, seed: fresh[lr][seed - 1000])
    found_verdicts = verdicts(found)
    assert [v.number for v in found_verdicts] == [2, 1, 0]
    best = found_verdicts[0]
    assert best.mean == pytest.approx(np.mean(fresh[0.01])) and best.std == pytest.approx(np.std(fresh[0.01], ddof=1))
    assert best.search_value == 0.85 and best.values == tuple(fresh[0.01]) and best.p_value is None
    assert found_verdicts[1].tied and not found_verdicts[2].tied and found_verdicts[2].p_value < 0.001


def test_the_controls_run_a_constant_lr_and_schedule_free_adamw_where_the_optimizer_is_adam_like():
    adam = {"_target_": "keras.optimizers.Adam", "name": "adam", "beta_1": 0.8, "epsilon": 1e-7, "amsgrad": False}
    assert control_overrides("constant", 0.003, adam) == (
        ["schedule=constant", "schedule.initial_learning_rate=0.003"], ""
    )  # fmt: skip
    free, _ = control_overrides("schedule_free", 0.003, adam)
    assert free == [
        "schedule=constant", "schedule.initial_learning_rate=0.003", "optimizer=schedule_free_adamw",
        "optimizer.beta_1=0.8", "optimizer.epsilon=1e-07",
    ]  # fmt: skip
    none, why = control_overrides("schedule_free", 0.003, {"_target_": "keras.optimizers.SGD", "momentum": 0.9})
    assert none is None and "keras.optimizers.SGD is not Adam-like" in why
    fixed = ["+sweep=cosine_decay", "schedule.alpha=0.1", "optimizer=adam", "optimizer.beta_1=0.8", "trainer.epochs=2"]
    assert control_fixed(fixed, free) == ["+sweep=cosine_decay", "trainer.epochs=2"]
    assert control_fixed(fixed, control_overrides("constant", 0.003, adam)[0]) == [
        "+sweep=cosine_decay", "optimizer=adam", "optimizer.beta_1=0.8", "trainer.epochs=2"
    ]  # fmt: skip


def test_verification_settings_are_checked():
    with pytest.raises(ConfigError, match="verify_seeds"):
        SweepSettings(verify_top=2, verify_seeds=1)
    with pytest.raises(ConfigError, match="verify_top"):
        SweepSettings(verify_top=-1)
    with pytest.raises(ConfigError, match="controls"):
        SweepSettings(verify_top=1, controls=["cosine"])


@pytest.mark.slow
def test_a_sweep_verifies_its_top_configurations_resumes_and_exports_the_verified_best(tmp_path):
    args = (
        "+sweep=constant", "hydra.sweeper.n_trials=3", "hydra.sweeper.verify_top=2", "hydra.sweeper.verify_seeds=2",
        "trainer.epochs=2", "hydra/sweeper/pruner=median", "optimizer=adam",
    )  # fmt: skip
    done = lrsweep(*args, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    found = study(tmp_path, "constant")
    checks = [t for t in found.trials if "lrsweep.verifies" in t.user_attrs]
    controls = [t for t in found.trials if "lrsweep.control" in t.user_attrs]
    assert len(found.trials) == 3 + 4 + 4 and len(checks) == 4 and len(controls) == 4
    assert sorted(t.user_attrs["lrsweep.seed"] for t in checks) == [1000, 1000, 1001, 1001]
    assert all(t.state == optuna.trial.TrialState.COMPLETE and not t.intermediate_values for t in checks)  # no pruning
    for check in checks:
        searched = found.trials[check.user_attrs["lrsweep.verifies"]]
        assert (
            check.params == searched.params
            and f"trainer.seed={check.user_attrs['lrsweep.seed']}" in (check.user_attrs["overrides"])
        )
    minimum_tenth = found.user_attrs["lrsweep.lr_range"]["minimum_tenth"]  # the range test, run for the controls
    for control in controls:
        assert control.state == optuna.trial.TrialState.COMPLETE and control.params == {}
        assert f"schedule.initial_learning_rate={minimum_tenth!r}" in control.user_attrs["overrides"]
    optimizers = {c.user_attrs["lrsweep.control"]: c.user_attrs["lrsweep.job"]["optimizer"] for c in controls}
    optimizers = {name: optimizer["_target_"] for name, optimizer in optimizers.items()}
    assert optimizers == {"constant": "keras.optimizers.Adam", "schedule_free": "keras.optimizers.ScheduleFreeAdamW"}
    assert len(child_runs(tmp_path, "constant")) == 11  # tracked under the study's run like any trial
    assert "verified over 2 fresh seeds" in done.stdout
    assert "control schedule_free (constant LR" in done.stdout
    assert [c.name for c in controls_of(found, verdicts(found)[0])] == ["constant", "schedule_free"]
    (results,) = tmp_path.glob("multirun/*/*/optimization_results.yaml")
    verified = yaml.safe_load(results.read_text())["verified"]
    assert [v["trial"] for v in verified] == [v.number for v in verdicts(found)]

    again = lrsweep(*args, cwd=tmp_path)  # a resume: search and verification are done, nothing runs
    assert again.returncode == 0, again.stderr[-3000:]
    assert len(study(tmp_path, "constant").trials) == 11

    winner = verdicts(found)[0]
    exported = export_trial("constant", f"sqlite:///{tmp_path / 'lrsweep.db'}", tmp_path / "export")
    assert exported.trial_number == winner.number and exported.rule.startswith("the verified best")
    report = write_report(["constant"], f"sqlite:///{tmp_path / 'lrsweep.db'}", tmp_path / "report")
    assert report.verified is not None
    assert list(report.verified.number.dropna()) == [v.number for v in verdicts(found)]
    assert list(report.verified.family[-2:]) == ["control: constant", "control: schedule_free"]
    assert report.families.trials.sum() == 3  # the search's trials; the fresh seeds are the verdict's
    assert set(report.trials.label) >= {"verification", "control: constant"} and "verified" in report.figures
