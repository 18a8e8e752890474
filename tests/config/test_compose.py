"""Every config file composes against its schema; typos and wrong types are rejected by Hydra."""

from __future__ import annotations

import keras
import pytest
from hydra.errors import ConfigCompositionException
from omegaconf import OmegaConf

from lrsweep._paths import config_dir
from lrsweep.schedules import FAMILIES
from lrsweep.tracking import MLflowTracker, NullTracker
from lrsweep.training import instantiate, validate


def options(group: str) -> list[str]:
    return sorted(p.stem for p in (config_dir() / group).glob("*.yaml"))


def test_config_groups_are_the_documented_ones():
    groups = sorted(p.name for p in config_dir().iterdir() if p.is_dir())
    assert {"schedule", "optimizer", "model", "data", "trainer", "tracking"} <= set(groups)
    assert set(options("schedule")) <= set(FAMILIES)  # a family with nothing to state has its schema as preset
    assert options("optimizer") == ["adam", "schedule_free_adamw", "sgd"]
    assert options("tracking") == ["mlflow", "none"]


# What a user must give with these options (the file, the set, the function).
REQUIRED = {
    "data=arrays": ["data.path=my_data.npz"],
    "data=image_folder": ["data.path=photos"],
    "data=keras_dataset": ["data.name=cifar10"],
    "data=factory": ["data._target_=my_project.data.load"],
}


@pytest.mark.parametrize(
    "override",
    [
        f"{group}={name}"
        for group in ("schedule", "optimizer", "model", "data", "trainer", "tracking")
        for name in options(group)
    ],
)
def test_every_config_file_composes_and_resolves(compose_config, override):
    config = compose_config(override, *REQUIRED.get(override, ()))
    container = OmegaConf.to_container(config, resolve=True, throw_on_missing=True)
    groups = {"schedule", "optimizer", "model", "data", "trainer", "tracking", "optuna", "label", "lr_find"}
    assert set(container) == groups
    assert container["optuna"] == {"study_name": None, "storage": None, "trial_number": None}  # set by sweeps


def test_defaults_are_the_tutorials_setup(compose_config):
    config = compose_config()
    assert config.schedule.family == "exponential_decay"
    assert (config.trainer.batch_size, config.trainer.epochs, config.trainer.objective) == (64, 5, "val_accuracy")
    assert config.optimizer.name == "sgd" and config.optimizer.momentum == 0.0
    assert config.tracking._target_ == "lrsweep.tracking.MLflowTracker"


@pytest.mark.parametrize("name", options("optimizer"))
def test_optimizers_instantiate_with_a_schedule(compose_config, name):
    schedule = keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.5)
    optimizer = instantiate(compose_config(f"optimizer={name}").optimizer, "optimizer", learning_rate=schedule)
    assert type(optimizer).__name__.lower() == name.replace("_", "")
    assert optimizer._learning_rate is schedule


def test_sgd_momentum_and_nesterov_reach_keras(compose_config):
    config = compose_config("optimizer.momentum=0.9", "optimizer.nesterov=true")
    optimizer = instantiate(config.optimizer, "optimizer", learning_rate=0.01)
    assert (optimizer.momentum, optimizer.nesterov) == (0.9, True)


@pytest.mark.parametrize(("name", "cls"), [("mlflow", MLflowTracker), ("none", NullTracker)])
def test_trackers_instantiate(compose_config, name, cls):
    assert isinstance(instantiate(compose_config(f"tracking={name}").tracking, "tracking"), cls)


def test_model_instantiates_with_data_shape(compose_config):
    model = instantiate(compose_config().model, "model", input_shape=(28, 28, 1), num_classes=10)
    assert model.count_params() == 130_394


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("schedule.decay_rat=0.9", "Could not override 'schedule.decay_rat'"),
        ("trainer.epoch=3", "Could not override 'trainer.epoch'"),
        ("schedule=no_such_family", "Could not find 'schedule/no_such_family'"),
        ("optimizer=rmsprop_typo", "Could not find 'optimizer/rmsprop_typo'"),
    ],
)
def test_unknown_keys_and_options_are_rejected(compose_config, override, message):
    with pytest.raises(Exception, match="Could not") as caught:
        compose_config(override)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    "override",
    ["schedule.decay_rate=fast", "trainer.epochs=many", "schedule.staircase=maybe", "data.normalize=perhaps"],
)
def test_values_of_the_wrong_type_are_rejected(compose_config, override):
    with pytest.raises(ConfigCompositionException, match="Error merging override"):
        compose_config(override)


def test_unknown_option_error_lists_the_families_not_the_schemas(compose_config):
    with pytest.raises(Exception) as caught:
        compose_config("schedule=nope")
    listed = str(caught.value).split("Available options in 'schedule':")[1].split("Config search path")[0].split()
    assert listed == sorted(FAMILIES)


@pytest.mark.parametrize(
    "override", [f"+{group}={name}" for group in ("tutorial", "experiment", "sweep") for name in options(group)]
)
def test_every_tutorial_experiment_and_sweep_file_composes(compose_config, override):
    config = compose_config(override)
    validate(config)  # what the run would check before loading data
    if override.startswith("+tutorial="):
        assert config.label == override.partition("=")[2]
