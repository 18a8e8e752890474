"""The pruning callback (lrsweep.sweep.job._pruning): with ``prune_from=peak`` a schedule is not judged before its
learning rate has peaked; its earlier epochs are still reported to the study."""

from __future__ import annotations

from functools import partial

import keras
import numpy as np
import optuna
import pytest

from lrsweep._errors import TrialPrunedError
from lrsweep.schedules import lr_trace
from lrsweep.sweep.job._pruning import OptunaPruning, after_the_peak

ONE_CYCLE = {"family": "one_cycle", "max_learning_rate": 0.1, "pct_start": 0.39}


@pytest.mark.parametrize(
    ("schedule", "expected"),
    [
        ({"family": "exponential_decay", "initial_learning_rate": 0.1, "decay_steps": 5, "decay_rate": 0.5}, 1),
        (ONE_CYCLE, 2),  # the peak at 39 % of 3 epochs of 10 steps: step 11, in the second epoch
        ({"family": "cyclical", "initial_learning_rate": 0.001, "maximal_learning_rate": 0.1, "step_size": 25}, 3),
        ({"family": "reduce_on_plateau", "initial_learning_rate": 0.1}, 1),  # follows the metrics: from the start
    ],
)
def test_a_schedule_is_judged_from_the_epoch_that_ends_after_its_peak(schedule, expected):
    assert after_the_peak(schedule, 10, 3) == expected
    if schedule["family"] != "reduce_on_plateau":
        peak = int(np.argmax(lr_trace(schedule, 10, 3)))
        assert (expected - 1) * 10 <= peak < expected * 10  # the peak falls in the epoch it is judged after


def _fit(judge_from) -> tuple[optuna.Study, int]:
    """Three epochs of a tiny model under a pruner that would stop any trial at its first judged epoch."""
    study = optuna.create_study(direction="maximize", pruner=optuna.pruners.ThresholdPruner(lower=2.0))
    trial = study.ask()
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(40, 3)).astype("float32"), rng.integers(0, 2, 40)
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    callback = OptunaPruning(trial, "val_accuracy", judge_from=judge_from)
    with pytest.raises(TrialPrunedError) as pruned:
        model.fit(x, y, validation_data=(x, y), epochs=3, batch_size=4, verbose=0, callbacks=[callback])
    study.tell(trial, state=optuna.trial.TrialState.PRUNED)
    return study, pruned.value.epoch


def test_the_pruner_waits_for_the_peak_and_sees_every_epoch():
    study, epoch = _fit(partial(after_the_peak, ONE_CYCLE))
    assert epoch == 1  # 0-based: the second epoch, the first that ends after one-cycle's peak
    assert sorted(study.trials[0].intermediate_values) == [0, 1]  # the first epoch reported, not judged
    study, epoch = _fit(None)  # Optuna's way: judged from the first epoch
    assert epoch == 0 and sorted(study.trials[0].intermediate_values) == [0]
