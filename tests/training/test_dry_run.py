"""The dry run of a sweep's job (lrsweep.training.dry_run): it checks what a trial would meet, writes nothing, and
hands its data and warm model to the process's first trial."""

from __future__ import annotations

import pytest

from lrsweep._errors import ConfigError, DataError
from lrsweep.training import _warm, dry_run, run_trial, trial_data
from lrsweep.training import instantiate as _instantiate

USER = [
    "data=factory",
    "data._target_=tests.training.helpers.arrays_factory",
    "model._target_=tests.training.helpers.tiny_dense",
    "trainer.epochs=1",
    "trainer.batch_size=16",
    "trainer.verbose=0",
]


def test_a_dry_run_writes_nothing_and_its_warm_model_serves_the_first_trial(compose_config, tmp_path):
    config = compose_config(*USER, "trainer.reuse=true")
    _warm._session = None
    done = dry_run(config)
    assert done.steps_per_epoch == 3 and done.seconds > 0
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no mlflow.db, no mlruns/
    assert _warm._session is not None
    session = _warm._session[1]
    assert done.dataset is trial_data(config.data, _instantiate)  # the trials' data: built once
    result = run_trial(config)
    assert _warm._session[1] is session and session.trials == 2  # the dry run's reset, then the trial's
    assert result.epochs_completed == 1


def test_a_cold_trials_dry_run_takes_a_training_step(compose_config):
    config = compose_config(*USER, "trainer.reuse=false", "model._target_=tests.training.helpers.fixed_input")
    with pytest.raises(DataError, match=r"`model` must be a model for the data's inputs of shape \(5,\)"):
        dry_run(config)


@pytest.mark.parametrize(
    ("overrides", "error", "message"),
    [
        (["trainer.loss=mse_typo"], ConfigError, r"`trainer.loss` must be a Keras loss name"),
        (["tracking.experiment_name= "], ConfigError, r"`tracking.experiment_name` must be a non-empty name"),
        (["+label=" + "y" * 6001], ConfigError, r"`label` must be at most 6000 characters"),
        (["data._target_=tests.training.helpers.one_class"], DataError, r"`data` must be at least two classes"),
    ],
)
def test_a_dry_run_names_what_a_trial_would_fail_on(compose_config, tmp_path, overrides, error, message):
    with pytest.raises(error, match=message):
        dry_run(compose_config(*USER, *overrides))
    assert not (tmp_path / "mlflow.db").exists()
