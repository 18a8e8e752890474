"""`lrsweep.compose` from a notebook: the config the CLI would run, the same errors, and run_trial on it with the
user's data object."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import lrsweep
from lrsweep import ConfigError
from lrsweep.training import run_trial


def test_compose_gives_the_clis_config(compose_config):
    config = lrsweep.compose(["schedule=cosine_decay", "trainer.epochs=2"])
    assert config == compose_config("schedule=cosine_decay", "trainer.epochs=2")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["schedule=nope"], "`schedule` must be one of ['constant', 'cosine_decay',"),
        (["schedule.decay_rat=0.5"], "Could not override 'schedule.decay_rat'."),
        (["schedule.decay_steps=0"], "`schedule.decay_steps` must be > 0. Received: schedule.decay_steps=0"),
        (["trainer.objective=val_auc"], "`trainer.objective` must be a key the run logs or measures"),
    ],
)
def test_compose_raises_what_the_cli_says(overrides, message):
    with pytest.raises(ConfigError) as caught:
        lrsweep.compose(overrides)
    assert message in str(caught.value)


def test_a_notebook_trial_on_its_own_arrays():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 60)
    x = (rng.normal(size=(60, 4)) + y[:, None]).astype(np.float32)
    config = lrsweep.compose(
        ["model._target_=tests.training.helpers.tiny_dense", "trainer.epochs=2", "trainer.verbose=0", "tracking=none"]
    )
    result = run_trial(config, dataset=((x[:48], y[:48]), (x[48:], y[48:])))
    assert result.steps_per_epoch == 1 and len(result.history["val_accuracy"]) == 2


def test_a_notebook_trial_returns_its_model_and_records_its_data_as_it_is(tmp_path):
    """run_trial hands back the trained model, and its MLflow run records the arrays it was given (name, digest,
    shapes), not the Fashion-MNIST config they replaced."""
    import yaml
    from mlflow import MlflowClient

    rng = np.random.default_rng(1)
    y = rng.integers(0, 3, 60)
    x = (rng.normal(size=(60, 4)) + y[:, None]).astype(np.float32)
    config = lrsweep.compose(
        ["model._target_=tests.training.helpers.tiny_dense", "trainer.epochs=2", "trainer.verbose=0"]
    )
    result = run_trial(config, dataset=((x[:48], y[:48]), (x[48:], y[48:])))
    assert result.model.predict(x[48:], verbose=0).shape == (12, 3)
    _, accuracy = result.model.evaluate(x[48:], y[48:], verbose=0)
    assert accuracy == pytest.approx(result.history["val_accuracy"][-1], abs=1e-6)
    client = MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}")
    run = client.get_run(result.run_id)
    assert not any(key.startswith("data.") and key != "data.name" for key in run.data.params), run.data.params
    assert run.data.params["data.name"] == "dataset"
    (logged,) = run.inputs.dataset_inputs
    assert logged.dataset.digest and "[48, 4]" in logged.dataset.profile
    downloaded = client.download_artifacts(result.run_id, "config.yaml", str(tmp_path))
    config_yaml = yaml.safe_load(Path(downloaded).read_text())
    assert config_yaml["data"]["train"] == [48, 4] and "_target_" not in config_yaml["data"]
