"""Packed slots (``hydra.sweeper.pack``): a packed sweep's trials are full trials of the study and of MLflow, each
member's value is what the same trial gives trained alone in a one-slot packed trainer, a pruned member leaves the
others' values unchanged, and what cannot pack is refused in one line."""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import time

import keras
import optuna
import pytest
import yaml
from mlflow import MlflowClient

from lrsweep._errors import ConfigError, TrialPrunedError
from lrsweep.schedules import lr_trace
from lrsweep.sweep._packing import check_pack, resolve_pack
from lrsweep.sweep._settings import SweepSettings
from lrsweep.sweep.space._grammar import parse_space
from tests.commands import LRSWEEP, ROOT, at_a_terminal, run_lrsweep

JAX = keras.backend.backend() == "jax"
needs_jax = pytest.mark.skipif(not JAX, reason="packed trials vmap one JAX step: run with KERAS_BACKEND=jax")
EPOCHS, STEPS = 3, 5  # the synthetic data: 320 training images in batches of 64
SWEEP = (
    "-m", "+sweep=exponential_decay", "hydra.sweeper.n_trials=5", "hydra.sweeper.pack=2",
    "hydra/sweeper/pruner=none", f"trainer.epochs={EPOCHS}", "model._target_=tests.training.helpers.tiny_dense",
)  # fmt: skip
TOLERANCE = 1e-6  # members of one packed trainer never change each other's results: equal, but for float printing


@pytest.fixture(scope="module")
def packed_sweep(tmp_path_factory, data_dir):
    """One packed sweep (5 trials, 2 slots), run as a user types it."""
    cwd = tmp_path_factory.mktemp("packed")
    done = run_lrsweep(*SWEEP, cwd=cwd, env={"LRSWEEP_DATA_DIR": str(data_dir)}, with_repo=True)
    assert done.returncode == 0, done.stderr[-3000:]
    return cwd


def _schedule(run) -> dict:
    """The trial's schedule config, from its MLflow params."""
    return {k.partition(".")[2]: yaml.safe_load(v) for k, v in run.data.params.items() if k.startswith("schedule.")}


@needs_jax
def test_a_packed_sweep_ends_with_its_trials_and_one_run_each(packed_sweep):
    study = optuna.load_study(study_name="exponential_decay", storage=f"sqlite:///{packed_sweep / 'lrsweep.db'}")
    assert [t.state for t in study.trials] == [optuna.trial.TrialState.COMPLETE] * 5
    client = MlflowClient(f"sqlite:///{packed_sweep / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("exponential_decay")
    (parent,) = client.search_runs([experiment.experiment_id], filter_string="tags.`lrsweep.role` = 'study'")
    runs = client.search_runs([experiment.experiment_id], filter_string="tags.`lrsweep.role` = 'trial'")
    by_trial = {int(r.data.tags["optuna.trial_number"]): r for r in runs}
    assert sorted(by_trial) == [0, 1, 2, 3, 4]
    for trial in study.trials:
        run = by_trial[trial.number]
        assert trial.user_attrs["mlflow_run_id"] == run.info.run_id
        assert run.data.tags["mlflow.parentRunId"] == parent.info.run_id
        assert run.data.tags["lrsweep.status"] == "finished"
        accuracy = client.get_metric_history(run.info.run_id, "val_accuracy")
        assert sorted(m.step for m in accuracy) == list(range(EPOCHS))
        assert trial.value == pytest.approx(max(accuracy, key=lambda m: m.step).value)
        lr = sorted(client.get_metric_history(run.info.run_id, "lr"), key=lambda m: m.step)
        assert [m.step for m in lr] == list(range(EPOCHS * STEPS))
        expected = lr_trace(_schedule(run), STEPS, EPOCHS)
        assert [m.value for m in lr] == pytest.approx(expected.tolist(), rel=1e-6)


@needs_jax
def test_each_member_gives_what_a_one_slot_trainer_gives(packed_sweep, compose_config, data_dir):
    from lrsweep.training import PackedTrainer, instantiate, trial_data

    study = optuna.load_study(study_name="exponential_decay", storage=f"sqlite:///{packed_sweep / 'lrsweep.db'}")
    client = MlflowClient(f"sqlite:///{packed_sweep / 'mlflow.db'}")
    for trial in study.trials[:2]:
        overrides = [*trial.user_attrs["overrides"], *SWEEP[5:], f"data.data_dir={data_dir}"]
        config = compose_config(*overrides)
        alone = PackedTrainer(config, trial_data(config.data, instantiate), 1, STEPS * EPOCHS)
        alone.start(0, int(config.trainer.seed), alone.trace(config.schedule, EPOCHS))
        logs = [alone.run_epoch()[0] for _ in range(EPOCHS)]
        assert trial.value == pytest.approx(logs[-1]["val_accuracy"], abs=TOLERANCE)
        loss = client.get_metric_history(trial.user_attrs["mlflow_run_id"], "val_loss")
        assert [m.value for m in sorted(loss, key=lambda m: m.step)] == pytest.approx(
            [epoch["val_loss"] for epoch in logs], abs=TOLERANCE
        )


def _running_epochs(db) -> list[int]:
    """The reported epochs of each RUNNING trial in the study's SQLite file (none yet: [])."""
    if not db.exists():
        return []
    try:
        with contextlib.closing(sqlite3.connect(db)) as connection:
            rows = connection.execute(
                "select count(v.trial_id) from trials t left join trial_intermediate_values v "
                "on t.trial_id = v.trial_id where t.state = 'RUNNING' group by t.trial_id"
            ).fetchall()
    except sqlite3.OperationalError:  # the sweep is still creating Optuna's tables
        return []
    return [n for (n,) in rows]


@needs_jax
def test_an_interrupted_packed_sweep_ends_every_member_and_resumes(tmp_path, data_dir):
    args = (
        "-m", "+sweep=exponential_decay", "hydra.sweeper.n_trials=2", "hydra.sweeper.pack=2",
        "hydra/sweeper/pruner=none", "trainer.epochs=200", "model._target_=tests.training.helpers.tiny_dense",
    )  # fmt: skip
    env = {"LRSWEEP_DATA_DIR": str(data_dir)}
    with open(tmp_path / "sweep.log", "w") as output:
        process = subprocess.Popen(
            [LRSWEEP, *args], cwd=tmp_path, stdout=output, stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONPATH": str(ROOT), **env}, preexec_fn=at_a_terminal,
        )  # fmt: skip
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and process.poll() is None:  # both members mid-training: Ctrl-C
        time.sleep(0.2)
        epochs = _running_epochs(tmp_path / "lrsweep.db")
        if len(epochs) == 2 and all(1 <= n <= 150 for n in epochs):
            break
    assert process.poll() is None, "the sweep ended before it could be interrupted mid-trial"
    for _ in range(15):  # again after 8 s, as a user would (see test_sweeper's interrupt test)
        process.send_signal(signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=8)
            break
    log = (tmp_path / "sweep.log").read_text()
    assert process.returncode != 0, log[-3000:]
    assert "interrupted: marking 2 running trials failed (interrupted)" in log, log[-3000:]
    storage = f"sqlite:///{tmp_path / 'lrsweep.db'}"
    trials = optuna.load_study(study_name="exponential_decay", storage=storage).trials
    assert [t.state for t in trials] == [optuna.trial.TrialState.FAIL] * 2  # both members, not only one
    assert [t.user_attrs["fail_reason"] for t in trials] == ["interrupted"] * 2
    client = MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("exponential_decay")
    runs = client.search_runs([experiment.experiment_id], filter_string="tags.`lrsweep.role` = 'trial'")
    assert sorted(r.data.tags["lrsweep.status"] for r in runs) == ["killed", "killed"]
    assert {r.info.status for r in runs} == {"KILLED"}
    for run in runs:  # each member's LR history holds at least the epochs it finished, none beyond its trace
        lr = client.get_metric_history(run.info.run_id, "lr")
        assert STEPS <= len(lr) < 200 * STEPS

    done = run_lrsweep(*args, cwd=tmp_path, env=env, with_repo=True)
    assert done.returncode == 0, done.stderr[-3000:]
    trials = optuna.load_study(study_name="exponential_decay", storage=storage).trials
    assert [t.state.name for t in trials] == ["FAIL", "FAIL", "COMPLETE", "COMPLETE"]
    runs = client.search_runs([experiment.experiment_id], filter_string="tags.`lrsweep.role` = 'trial'")
    assert sorted(int(r.data.tags["optuna.trial_number"]) for r in runs) == [0, 1, 2, 3]


class _PruneAt(keras.callbacks.Callback):
    """Prunes its member after epoch ``epoch`` (counted from 0), as the pruning reporter does."""

    def __init__(self, epoch: int) -> None:
        super().__init__()
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.epoch:
            raise TrialPrunedError(epoch, float(logs["val_accuracy"]))


def _population_run(compose_config, data_dir, prune_first: bool) -> dict:
    from lrsweep.tracking import NullTracker
    from lrsweep.training import Population

    population, ends = Population(2), {}
    for name, rate in (("a", 0.05), ("b", 0.01)):
        config = compose_config(
            "schedule.initial_learning_rate=" + str(rate), *SWEEP[5:], f"data.data_dir={data_dir}", "tracking=none"
        )
        callbacks = [_PruneAt(0)] if prune_first and name == "a" else []
        population.add(config, NullTracker(), callbacks, lambda end, name=name: ends.__setitem__(name, end))
    while population.members:
        population.run_epoch()
    return ends


@needs_jax
def test_a_pruned_member_leaves_the_others_unchanged(compose_config, data_dir):
    pruned, full = (_population_run(compose_config, data_dir, prune) for prune in (True, False))
    assert isinstance(pruned["a"].error, TrialPrunedError) and pruned["a"].result is None
    assert full["a"].result is not None
    assert pruned["b"].result.history == full["b"].result.history
    assert pruned["b"].result.objective == full["b"].result.objective


def _settings(**values) -> SweepSettings:
    return SweepSettings(**{"pack": 2, **values})


@pytest.mark.parametrize(
    ("settings", "params", "backend", "said"),
    [
        (_settings(), {}, "tensorflow", "with KERAS_BACKEND=tensorflow (packed trials are one vmapped JAX step"),
        (_settings(n_jobs=2), {}, "jax", "with hydra.sweeper.n_jobs=2 (packed trials train in the sweep's own"),
        (_settings(rung_epochs=1), {}, "jax", "with hydra.sweeper.rung_epochs (short runs do not pack yet)"),
        (_settings(), {"model.units": "choice(4, 8)"}, "jax", "with hydra.sweeper.params.model.units searched"),
        (_settings(), {"trainer.batch_size": "choice(32, 64)"}, "jax", "params.trainer.batch_size searched"),
        (_settings(), {"optimizer": "choice(sgd, adam)"}, "jax", "with hydra.sweeper.params.optimizer searched"),
    ],
)
def test_what_cannot_pack_is_refused_in_one_line(settings, params, backend, said):
    with pytest.raises(ConfigError) as raised:
        check_pack(settings, 2, parse_space(params, {}), backend, basic_launcher=True)
    message = str(raised.value)
    assert message.startswith("`hydra.sweeper.pack` must be null or 1 (off) ") and said in message
    assert message.endswith("Received: hydra.sweeper.pack=2") and "\n" not in message


def test_a_schedule_only_space_packs_and_auto_packs_only_on_a_gpu_with_jax():
    space = parse_space({"schedule.initial_learning_rate": "interval(0.001, 0.1)", "trainer.seed": "range(0, 3)"}, {})
    check_pack(_settings(), 2, space, "jax", basic_launcher=True)
    auto = _settings(pack="auto")
    resolved = (resolve_pack(auto, "jax", 1), resolve_pack(auto, "jax", 0), resolve_pack(auto, "tensorflow", 1))
    assert resolved == (8, 1, 1)
    assert resolve_pack(SweepSettings(), "jax", 1) == 1
    with pytest.raises(ConfigError, match=r"`hydra.sweeper.pack` must be an int >= 1, auto or null \(off\)"):
        SweepSettings(pack=0)
