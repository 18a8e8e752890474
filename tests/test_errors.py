"""lrsweep/_errors.py: the errors users read, and that they survive the trip between processes."""

from __future__ import annotations

import pickle

import pytest

from lrsweep import _errors
from lrsweep._errors import (
    ConfigError,
    DataError,
    LRSweepError,
    StorageError,
    TrialFailedError,
    TrialPrunedError,
)

RAISED = [
    TrialPrunedError(1, 0.6711),
    TrialFailedError("the loss is NaN at epoch 2", epochs_completed=1),
    ConfigError("decay_steps", 0, "> 0"),
    ConfigError("decay_steps", 0, "> 0").under("schedule"),
    DataError("data", "a list of 3 items", "a lrsweep.data.Dataset"),
    StorageError("cannot reach postgresql://lrsweep:***@db/optuna"),
]


@pytest.mark.parametrize("error", RAISED, ids=lambda error: type(error).__name__)
def test_every_error_comes_back_whole_from_a_pickle(error):
    """As a Hydra launcher that runs trials in other processes (submitit) sends a trial's error to the sweep."""
    back = pickle.loads(pickle.dumps(error))
    assert type(back) is type(error)
    assert str(back) == str(error) and back.args == error.args
    assert vars(back) == vars(error)  # epoch, value, field, epochs_completed, ...


def test_every_exported_error_is_an_lrsweep_error():
    exported = [getattr(_errors, name) for name in _errors.__all__ if name[0].isupper() and name != "USAGE_ERRORS"]
    assert all(issubclass(error, LRSweepError) for error in exported)
    assert {type(error) for error in RAISED} <= set(exported)


def test_a_pruned_trial_says_after_which_epoch_counted_from_one():
    pruned = TrialPrunedError(0, 0.6711)
    assert str(pruned) == "pruned after epoch 1 (objective 0.6711)" and pruned.epochs_completed == 1
