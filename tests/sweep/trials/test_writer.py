"""The one writer of a trial's records, on a real Optuna storage (SQLite): what it writes, in how many storage
calls (each a transaction; a round trip on a database server), and how it tells a trial's end."""

from __future__ import annotations

import signal
from typing import Any

import keras
import numpy as np
import optuna
import pytest
from optuna.trial import TrialState

import lrsweep
from lrsweep import _keys as keys
from lrsweep.sweep.job._pruning import OptunaPruning
from lrsweep.sweep.trials._outcome import Outcome
from lrsweep.sweep.trials._writer import TrialRecords, ctrl_c_waits
from lrsweep.training import setup_record

MOST_WRITES_PER_TRIAL = 8  # what a sampled, untracked trial needs: 5 at its start, 2 at its end (one spare)


class CountingStorage(optuna.storages.RDBStorage):
    """Optuna's own SQLite storage, keeping the key of every user-attr write it is asked for."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.writes: list[str] = []

    def set_trial_user_attr(self, trial_id: int, key: str, value: Any) -> None:
        self.writes.append(key)
        super().set_trial_user_attr(trial_id, key, value)


def no_retry(call, what):
    return call()


@pytest.fixture
def storage(tmp_path):
    return CountingStorage(f"sqlite:///{tmp_path / 'writer.db'}")


@pytest.fixture
def study(storage):
    return optuna.create_study(study_name="writer", storage=storage, direction="maximize")


def fit_record(trial: optuna.Trial, epochs: int = 2) -> dict[str, Any]:
    """What a trial's job returns: its pruning callback's record of a real (tiny) fit."""
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    pruning = OptunaPruning(trial, "accuracy")
    x, y = np.random.default_rng(0).normal(size=(16, 3)).astype("float32"), np.arange(16) % 2
    model.fit(x, y, batch_size=8, epochs=epochs, verbose=0, callbacks=[pruning])
    return pruning.record


def test_a_trial_is_recorded_in_a_few_storage_calls_each_key_once(study, storage):
    config = lrsweep.compose(["schedule=exponential_decay", "trainer.epochs=2"])
    records = TrialRecords(study, None, no_retry, "host:1")
    trial = study.ask()
    records.start(trial, {**setup_record(config), keys.TRIAL_OVERRIDES: ["schedule.decay_rate=0.5"]})
    state, values, _ = records.finish(trial, None, [Outcome(TrialState.COMPLETE, (0.75,), record=fit_record(trial))])

    writes, stored = storage.writes, study.trials[0]
    assert (state, values, stored.state, stored.value) == (TrialState.COMPLETE, (0.75,), TrialState.COMPLETE, 0.75)
    assert sorted(writes) == sorted(stored.user_attrs), "each key is written once"
    assert len(writes) <= MOST_WRITES_PER_TRIAL, writes
    # What the record holds, for export and report: the schedule, the job's groups, and the fit's length.
    attrs = stored.user_attrs
    assert attrs[keys.TRIAL_SCHEDULE]["family"] == attrs[keys.TRIAL_FAMILY] == "exponential_decay"
    job = stored.user_attrs[keys.TRIAL_JOB]
    assert job["optimizer"]["_target_"] == "keras.optimizers.SGD" and job["trainer"]["batch_size"] == 64
    fit = stored.user_attrs[keys.TRIAL_FIT]
    assert (fit[keys.FIT_STEPS_PER_EPOCH], fit[keys.FIT_EPOCHS], len(fit[keys.FIT_EPOCH_SECONDS])) == (2, 2, 2)
    assert stored.user_attrs[keys.TRIAL_WORKER] == stored.user_attrs[keys.TRIAL_TOLD_BY] == "host:1"


def test_a_trial_told_elsewhere_meanwhile_is_not_counted(study):
    records, theirs = TrialRecords(study, None, no_retry, "host:1"), TrialRecords(study, None, no_retry, "host:2")
    trial = study.ask()
    records.start(trial, {keys.TRIAL_FAMILY: "constant"})
    theirs.abandon(trial, None, "its heartbeat lapsed")  # another worker failed it (its heartbeat lapsed)
    state, values, _ = records.finish(trial, None, [Outcome(TrialState.COMPLETE, (0.9,))])
    assert (state, values) == (TrialState.FAIL, None)
    assert study.trials[0].state == TrialState.FAIL and study.trials[0].user_attrs[keys.TRIAL_TOLD_BY] == "host:2"


def test_a_told_trial_told_again_by_its_own_worker_is_the_same_trial(study):
    """A retry after a lost connection finds the trial told by itself, and keeps its values."""
    records = TrialRecords(study, None, no_retry, "host:1")
    trial = study.ask()
    records.start(trial, {keys.TRIAL_FAMILY: "constant"})
    records.finish(trial, None, [Outcome(TrialState.COMPLETE, (0.5,))])
    assert records.finish(trial, None, [Outcome(TrialState.COMPLETE, (0.5,))])[:2] == (TrialState.COMPLETE, (0.5,))
    assert len(study.trials) == 1 and study.trials[0].value == 0.5


def test_seeds_are_one_trial_with_their_mean_and_spread(study):
    records = TrialRecords(study, None, no_retry, "host:1")
    trial = study.ask()
    records.start(trial, {keys.TRIAL_FAMILY: "constant"})
    outcomes = [Outcome(TrialState.COMPLETE, (v,)) for v in (0.6, 0.8)]
    assert records.finish(trial, None, outcomes)[:2] == (TrialState.COMPLETE, (pytest.approx(0.7),))
    stored = study.trials[0]
    assert stored.user_attrs[keys.TRIAL_VALUES] == pytest.approx([0.6, 0.8])
    assert stored.user_attrs[keys.TRIAL_STD] == pytest.approx(np.std([0.6, 0.8], ddof=1))


@pytest.fixture
def ctrl_c():
    """SIGINT raises KeyboardInterrupt, as at a terminal, even where the suite runs with SIGINT ignored."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


class CtrlCStorage(optuna.storages.RDBStorage):
    """Optuna's own SQLite storage; the user presses Ctrl-C (a real SIGINT) as a trial's end is written."""

    def set_trial_state_values(self, trial_id: int, state: TrialState, values: Any = None) -> bool:
        signal.raise_signal(signal.SIGINT)
        return super().set_trial_state_values(trial_id, state, values)


def test_ctrl_c_as_a_trial_is_told_waits_until_it_is_told(tmp_path, ctrl_c):
    study = optuna.create_study(storage=CtrlCStorage(f"sqlite:///{tmp_path / 'writer.db'}"), direction="maximize")
    records = TrialRecords(study, None, no_retry, "host:1")
    trial = study.ask()
    records.start(trial, {keys.TRIAL_FAMILY: "constant"})
    with pytest.raises(KeyboardInterrupt):
        records.finish(trial, None, [Outcome(TrialState.COMPLETE, (0.5,))])
    assert (study.trials[0].state, study.trials[0].value) == (TrialState.COMPLETE, 0.5)

    second = study.ask()  # the sweep stopping: Ctrl-C again as it marks its running trials failed
    with pytest.raises(KeyboardInterrupt):
        records.abandon(second, None, "interrupted", "killed")
    assert study.trials[1].state == TrialState.FAIL and study.trials[1].user_attrs["fail_reason"] == "interrupted"
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_sweep_stopped_as_it_told_a_trial_leaves_it_as_told(study):
    records = TrialRecords(study, None, no_retry, "host:1")
    trial = study.ask()
    records.start(trial, {keys.TRIAL_FAMILY: "constant"})
    records.finish(trial, None, [Outcome(TrialState.COMPLETE, (0.5,))])
    records.abandon(trial, None, "interrupted", "killed")
    assert (study.trials[0].state, study.trials[0].value) == (TrialState.COMPLETE, 0.5)
    assert "fail_reason" not in study.trials[0].user_attrs


def test_ctrl_c_in_nested_blocks_raises_once_after_the_outer(ctrl_c):
    done = []
    with pytest.raises(KeyboardInterrupt), ctrl_c_waits():
        for n in range(3):
            with ctrl_c_waits():
                signal.raise_signal(signal.SIGINT)
                done.append(n)
    assert done == [0, 1, 2]
