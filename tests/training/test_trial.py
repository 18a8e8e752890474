"""One real trial per family, on synthetic data, checked in the MLflow store it wrote."""

from __future__ import annotations

import json
from pathlib import Path

import keras
import numpy as np
import pytest
import yaml
from mlflow import MlflowClient

from lrsweep import ConfigError, TrialFailedError
from lrsweep.schedules import FAMILIES, lr_trace
from lrsweep.training import run_trial
from tests.conftest import BATCH, N_TRAIN

EPOCHS = 3
STEPS = -(-N_TRAIN // BATCH)

# Per family: overrides that make the LR move within the few steps of a test run (a family whose preset already
# moves it, e.g. one whose total_steps is the run's length, needs none).
MOVING = {
    "exponential_decay": [
        "schedule.initial_learning_rate=0.05",
        "schedule.decay_steps=3",
        "schedule.decay_rate=0.5",
        "schedule.staircase=false",
    ],
    "piecewise_constant": ["schedule.boundaries=[2,6]", "schedule.values=[0.05,0.02,0.01]"],
    "polynomial_decay": [
        "schedule.initial_learning_rate=0.05",
        "schedule.decay_steps=4",
        "schedule.end_learning_rate=0.001",
        "schedule.cycle=true",
    ],
    "inverse_time_decay": ["schedule.decay_steps=1", "schedule.decay_rate=0.5"],
    "cosine_decay": [
        "schedule.initial_learning_rate=0.001",
        "schedule.decay_steps=6",
        "schedule.warmup_target=0.05",
        "schedule.warmup_steps=3",
        "schedule.alpha=0.1",
    ],
    "cosine_decay_restarts": ["schedule.initial_learning_rate=0.05", "schedule.first_decay_steps=3"],
    "constant": ["schedule.initial_learning_rate=0.05"],
    "step_decay": ["schedule.initial_learning_rate=0.05", "schedule.drop_every=1"],
    "exponential_epoch": ["schedule.initial_learning_rate=0.05", "schedule.rate=0.5"],
    "time_based": ["schedule.initial_learning_rate=0.05", "schedule.decay=1.0"],
    "custom": ["schedule.initial_learning_rate=0.05"],
    "reduce_on_plateau": [
        "schedule.initial_learning_rate=0.05",
        "schedule.monitor=val_loss",
        "schedule.mode=max",
        "schedule.patience=0",
    ],
    "one_cycle": ["schedule.max_learning_rate=0.05"],
    "cyclical": ["schedule.initial_learning_rate=0.005", "schedule.maximal_learning_rate=0.05", "schedule.step_size=2"],
}


def client(tmp_path: Path) -> MlflowClient:
    return MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}")


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_trial_trains_and_tracks_every_family(family, compose_config, fast, tmp_path):
    config = compose_config(f"schedule={family}", f"trainer.epochs={EPOCHS}", *MOVING.get(family, []), extra=fast)
    result = run_trial(config)

    store = client(tmp_path)
    run = store.get_run(result.run_id)
    assert run.info.status == "FINISHED"
    assert run.info.run_name == family

    params = run.data.params
    assert params["schedule.family"] == family
    assert params["optimizer.name"] == "sgd"
    assert (params["trainer.epochs"], params["trainer.batch_size"]) == (str(EPOCHS), str(BATCH))
    for key, value in config.schedule.items():
        assert f"schedule.{key}" in params, key
        if isinstance(value, int | float) and not isinstance(value, bool):
            assert float(params[f"schedule.{key}"]) == pytest.approx(value)

    tags = run.data.tags
    assert tags["lrsweep.family"] == family
    assert tags["lrsweep.backend"] == keras.backend.backend()
    assert tags["lrsweep.device"] == "cpu"
    assert tags["lrsweep.status"] == "finished"

    # lr: one point per optimizer step, global steps 0..N-1, the values the optimizer applied
    lr = store.get_metric_history(result.run_id, "lr")
    assert [m.step for m in lr] == list(range(EPOCHS * STEPS))
    logged = np.array([m.value for m in lr], dtype=np.float32)
    np.testing.assert_array_equal(logged, result.lr)
    if FAMILIES[family].kind == "metric":
        assert logged[-1] == pytest.approx(logged[0] / 2)  # mode=max on a falling val_loss: halved after epoch 1
    else:
        np.testing.assert_allclose(logged, lr_trace(config.schedule, STEPS, EPOCHS), rtol=1e-6, atol=1e-10)
    if family != "constant":
        assert len(np.unique(logged)) > 1, "the schedule never changed the LR"

    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        history = store.get_metric_history(result.run_id, key)
        assert [m.step for m in history] == list(range(EPOCHS)), key
        assert [m.value for m in history] == pytest.approx(result.history[key])
    assert result.objective == pytest.approx(result.history["val_accuracy"][-1])

    artifacts = {a.path for a in store.list_artifacts(result.run_id)}
    expected = {"config.yaml", "lr_schedule.png"} | ({"schedule.json"} if FAMILIES[family].kind == "step" else set())
    assert artifacts == expected
    local = Path(store.download_artifacts(result.run_id, ""))
    assert yaml.safe_load((local / "config.yaml").read_text())["schedule"]["family"] == family
    assert (local / "lr_schedule.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if "schedule.json" in artifacts:
        schedule = keras.optimizers.schedules.deserialize(json.loads((local / "schedule.json").read_text()))
        again = [float(keras.ops.convert_to_numpy(schedule(step))) for step in range(EPOCHS * STEPS)]
        np.testing.assert_allclose(again, logged, rtol=1e-6, atol=1e-10)


def test_objective_is_the_last_epoch_value_of_the_chosen_metric(compose_config, fast):
    result = run_trial(compose_config("trainer.objective=val_loss", "tracking=none", extra=fast))
    assert result.objective == result.history["val_loss"][-1]
    assert result.run_id is None


def test_nan_loss_fails_the_trial_at_once_with_the_reason(compose_config, fast, tmp_path):
    config = compose_config(
        "schedule=constant",
        "schedule.initial_learning_rate=1e6",
        "data.normalize=false",
        "trainer.epochs=3",
        extra=fast,
    )
    with pytest.raises(TrialFailedError, match=r"loss became nan at epoch 1") as caught:
        run_trial(config)
    assert caught.value.epochs_completed == 0
    (run,) = client(tmp_path).search_runs(["1"])
    assert run.info.status == "FAILED"
    assert run.data.tags["lrsweep.status"] == "failed"
    assert run.data.tags["lrsweep.failure_reason"].startswith("loss became nan at epoch 1")
    assert run.data.tags["lrsweep.epochs_completed"] == "0"
    assert "val_accuracy" not in run.data.metrics  # no epoch was reported as if it had completed
    assert 0 < len(client(tmp_path).get_metric_history(run.info.run_id, "lr")) < STEPS * 3


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["schedule.decay_steps=0"], "`schedule.decay_steps` must be > 0. Received: schedule.decay_steps=0"),
        (["schedule=piecewise_constant", "schedule.boundaries=[5,3]"], "`schedule.boundaries` must be strictly"),
        (["schedule=piecewise_constant", "schedule.values=[0.1]"], "`schedule.values` must be a list of 4 values"),
        (["schedule=custom", "schedule.function=nowhere.fn"], "`schedule.function` must be the dotted path"),
        (["trainer.epochs=0"], "`trainer.epochs` must be >= 1. Received: trainer.epochs=0"),
        (
            ["trainer.objective=val_acc"],
            "`trainer.objective` must be a key the run logs or measures: one of ['loss', 'accuracy', 'val_loss'",
        ),
    ],
)
def test_invalid_config_fails_before_data_or_tracking(compose_config, fast, tmp_path, overrides, message):
    config = compose_config(*overrides, "data._target_=tests.training.helpers.loader_that_must_not_run", extra=fast)
    with pytest.raises(ConfigError) as caught:
        run_trial(config)
    assert message in str(caught.value)
    assert not (tmp_path / "mlflow.db").exists()


def test_bad_data_size_names_the_data_field(compose_config, fast):
    with pytest.raises(ConfigError, match=r"`data.train_size` must be null or between 1 and 320"):
        run_trial(compose_config("data.train_size=5000", "tracking=none", extra=fast))


def test_unknown_model_target_is_a_config_error(compose_config, fast):
    with pytest.raises(ConfigError, match=r"`model._target_` must be the dotted path of an importable callable"):
        run_trial(compose_config("model._target_=no.such.model", "tracking=none", extra=fast))


def test_any_keras_model_plugs_in_via_target(compose_config, fast):
    result = run_trial(
        compose_config(
            "model._target_=tests.training.helpers.tiny_dense", "+model.units=4", "tracking=none", extra=fast
        )
    )
    assert result.epochs_completed == 2
    assert result.params["model._target_"] == "tests.training.helpers.tiny_dense"
    assert result.params["model.units"] == "4"


def test_custom_function_with_kwargs_from_config(compose_config, fast):
    config = compose_config(
        "schedule=custom",
        "schedule.function=tests.training.helpers.halve_every",
        "schedule.initial_learning_rate=0.04",
        "+schedule.kwargs.every=1",
        "trainer.epochs=3",
        "tracking=none",
        extra=fast,
    )
    result = run_trial(config)
    np.testing.assert_allclose(result.lr[::STEPS], [0.04, 0.02, 0.01], rtol=1e-6)


def test_adam_trains(compose_config, fast):
    result = run_trial(compose_config("optimizer=adam", "tracking=none", extra=fast))
    assert np.isfinite(result.objective)


def test_same_seed_same_result(compose_config, fast):
    config = compose_config("tracking=none", extra=fast)
    first, second = run_trial(config), run_trial(config)
    assert first.history["loss"] == pytest.approx(second.history["loss"], rel=1e-5)
