"""What a trial returns: one objective or several (a multi-objective study), each with its direction; fit's wall
time and the optimizer steps are measured and logged, so either can be an objective."""

from __future__ import annotations

import pytest
from mlflow import MlflowClient
from omegaconf import OmegaConf

from lrsweep import ConfigError
from lrsweep.training import objective_names, run_trial, trainer_directions
from tests.conftest import BATCH, N_TRAIN


def trainer(**values):
    return OmegaConf.create({"metrics": ["accuracy"], **values})


@pytest.mark.parametrize(
    ("values", "names", "directions"),
    [
        ({"objective": "val_accuracy"}, ["val_accuracy"], ["maximize"]),
        ({"objective": ["val_accuracy", "fit_seconds"]}, ["val_accuracy", "fit_seconds"], ["maximize", "minimize"]),
        ({"objective": ["val_loss", "steps"]}, ["val_loss", "steps"], ["minimize", "minimize"]),
        ({"objective": ["val_loss", "val_accuracy"], "direction": [None, "minimize"]}, None, ["minimize", "minimize"]),
        ({"objective": "val_loss", "direction": "maximize"}, ["val_loss"], ["maximize"]),
    ],
)
def test_each_objective_has_its_direction(values, names, directions):
    assert objective_names(trainer(**values)) == (names or values["objective"])
    assert trainer_directions(trainer(**values)) == directions


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"objective": []}, "`trainer.objective` must be a key the run logs, or a list of distinct keys"),
        ({"objective": ["loss", "loss"]}, "`trainer.objective` must be a key the run logs, or a list of distinct"),
        (
            {"objective": ["val_accuracy", "fit_seconds"], "direction": "maximize"},
            "`trainer.direction` must be a list of 2 directions, one per objective. Received: trainer.direction=",
        ),
        ({"objective": ["loss", "steps"], "direction": ["up", None]}, "`trainer.direction` must be null or one of"),
    ],
)
def test_a_bad_objective_list_or_direction_is_named(values, message):
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace(".", r"\.")):
        trainer_directions(trainer(**values))


def test_fit_seconds_and_steps_are_measured_objectives_and_logged(compose_config, fast, tmp_path):
    config = compose_config("trainer.objective=[val_accuracy,fit_seconds,steps]", extra=fast)
    result = run_trial(config)
    assert list(result.objectives) == ["val_accuracy", "fit_seconds", "steps"]
    assert result.objective == result.objectives["val_accuracy"] == result.history["val_accuracy"][-1]
    assert result.objectives["fit_seconds"] == result.seconds > 0
    epochs = int(config.trainer.epochs)
    assert result.objectives["steps"] == epochs * -(-N_TRAIN // BATCH)
    run = MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}").get_run(result.run_id)
    assert run.data.metrics["fit_seconds"] == pytest.approx(result.seconds)
    assert run.data.metrics["steps"] == result.objectives["steps"]
