"""A user's model, data, loss and metric: trials on .npz arrays, a factory, tf.data and PyDataset pairs, with the
objective and its direction from the config, recorded in MLflow like the tutorial's."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from mlflow import MlflowClient

from lrsweep import ConfigError
from lrsweep._errors import DataError
from lrsweep.training import dry_run, objective_direction, run_trial, trainer_direction, trial_data
from lrsweep.training import instantiate as _instantiate

FAST = ["trainer.epochs=2", "trainer.batch_size=16", "trainer.verbose=0", "trainer.reuse=false"]
REGRESSION = [
    "model._target_=tests.training.helpers.tiny_regressor",
    "trainer.loss=mse",
    "trainer.metrics=[mae]",
    "trainer.objective=val_mae",
]


@pytest.fixture
def npz(tmp_path):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(80, 4)).astype(np.float32)
    y = (x @ np.array([1.0, -2.0, 0.5, 0.0]) + 0.1).astype(np.float32)
    path = tmp_path / "regression.npz"
    np.savez(path, x_train=x[:64], y_train=y[:64], x_val=x[64:], y_val=y[64:])
    return path


def test_a_regression_on_npz_arrays_minimises_val_mae(compose_config, npz, tmp_path):
    config = compose_config("data=arrays", f"data.path={npz}", *REGRESSION, extra=FAST)
    result = run_trial(config)
    assert result.objective_name == "val_mae" and np.isfinite(result.objective)
    assert set(result.history) >= {"loss", "mae", "val_loss", "val_mae"} and result.steps_per_epoch == 4
    client = MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}")
    run = client.get_run(result.run_id)
    assert run.data.params["trainer.loss"] == "mse" and run.data.params["trainer.metrics"] == '["mae"]'
    assert run.data.params["data.name"] == "regression" and "val_mae" in run.data.metrics
    (logged,) = run.inputs.dataset_inputs
    assert logged.dataset.name == "regression" and logged.dataset.source_type == "local"
    assert str(npz.resolve()) in logged.dataset.source and '"train": [64, 4]' in logged.dataset.profile
    assert [(t.key, t.value) for t in logged.tags] == [("mlflow.data.context", "training")]


def test_a_factory_of_the_users_is_built_once_per_process(compose_config):
    config = compose_config(
        "data=factory",
        "data._target_=tests.training.helpers.arrays_factory",
        "+data.classes=4",
        "model._target_=tests.training.helpers.tiny_dense",
        "tracking=none",
        extra=FAST,
    )
    first = trial_data(config.data, _instantiate)
    assert first is trial_data(config.data, _instantiate) and first.num_classes == 4 and first.input_shape == (5,)
    result = run_trial(config)
    assert 0 <= result.objective <= 1 and result.steps_per_epoch == 3


def test_tf_data_and_py_dataset_pairs_train(compose_config):
    import tensorflow as tf

    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(40, 5)).astype(np.float32), rng.integers(0, 3, 40)
    config = compose_config("model._target_=tests.training.helpers.tiny_dense", "tracking=none", extra=FAST)
    streams = (
        tf.data.Dataset.from_tensor_slices((x[:32], y[:32])).batch(8),
        tf.data.Dataset.from_tensor_slices((x[32:], y[32:])).batch(8),
    )
    from lrsweep.data import as_dataset

    result = run_trial(config, dataset=as_dataset(streams, num_classes=3))
    assert result.steps_per_epoch == 4 and len(result.lr) == 8 and len(result.history["val_accuracy"]) == 2

    class Batches(keras.utils.PyDataset):
        def __init__(self, x, y):
            super().__init__()
            self.x, self.y = x, y

        def __len__(self):
            return len(self.x) // 8

        def __getitem__(self, i):
            return self.x[i * 8 : (i + 1) * 8], self.y[i * 8 : (i + 1) * 8]

    pairs = (Batches(x[:32], y[:32]), Batches(x[32:], y[32:]))
    result = run_trial(config, dataset=as_dataset(pairs, num_classes=3))
    assert result.steps_per_epoch == 4 and len(result.history["val_loss"]) == 2


@pytest.mark.parametrize(
    ("overrides", "error", "message"),
    [
        (
            ["trainer.objective=val_auc"],
            ConfigError,
            "`trainer.objective` must be a key the run logs or measures: one of",
        ),
        (
            ["trainer.loss=mse", "trainer.metrics=[mae]", "trainer.objective=val_r2"],
            ConfigError,
            "'val_mae', 'fit_seconds', 'steps']. Received: trainer.objective='val_r2'",
        ),
        (["trainer.direction=up"], ConfigError, "`trainer.direction` must be null or one of ['maximize', 'minimize']"),
        (["trainer.metrics=[{x: 1}]"], ConfigError, "`trainer.metrics` must be a Keras name (e.g. 'mse') or a node"),
    ],
)
def test_a_bad_objective_or_metric_stops_before_the_data(compose_config, overrides, error, message):
    config = compose_config(*overrides, "data._target_=tests.training.helpers.loader_that_must_not_run", extra=FAST)
    with pytest.raises(error) as caught:
        run_trial(config)
    assert message in str(caught.value)


def test_a_metric_object_is_logged_under_its_name(compose_config):
    config = compose_config(
        "data=factory",
        "data._target_=tests.training.helpers.arrays_factory",
        "model._target_=tests.training.helpers.tiny_dense",
        "tracking=none",
        "+trainer.metrics.0={_target_: keras.metrics.SparseTopKCategoricalAccuracy, k: 2, name: top2}",
        "trainer.objective=val_top2",
        extra=FAST,
    )
    result = run_trial(config)
    assert "val_top2" in result.history and result.objective == result.history["val_top2"][-1]
    assert trainer_direction(config.trainer) == "maximize"  # from its class: SparseTopKCategoricalAccuracy


@pytest.mark.parametrize(
    ("objective", "direction"),
    [
        ("val_accuracy", "maximize"),
        ("val_acc", "maximize"),
        ("val_auc", "maximize"),
        ("precision", "maximize"),
        ("val_recall", "maximize"),
        ("val_f1_score", "maximize"),
        ("val_r2_score", "maximize"),
        ("val_sparse_top_k_categorical_accuracy", "maximize"),
        ("val_loss", "minimize"),
        ("loss", "minimize"),
        ("val_mae", "minimize"),
        ("val_mean_absolute_error", "minimize"),
        ("val_root_mean_squared_error", "minimize"),
        ("val_sparse_categorical_crossentropy", "minimize"),
    ],
)
def test_an_objective_knows_which_way_is_better(objective, direction):
    assert objective_direction(objective) == direction
    other = "minimize" if direction == "maximize" else "maximize"
    assert objective_direction(objective, other) == other  # trainer.direction decides when set


def test_an_objective_of_unknown_direction_asks_for_it():
    with pytest.raises(ConfigError, match=r"`trainer.direction` must be set to maximize or minimize: .* val_cosine"):
        objective_direction("val_cosine")


def test_labels_the_model_cannot_score_stop_the_check(compose_config):
    config = compose_config(
        "data=factory",
        "data._target_=tests.training.helpers.arrays_factory",
        "+data.classes=12",
        "model._target_=tests.training.helpers.ten_classes",
        extra=FAST,
    )
    with pytest.raises(DataError, match=r"`data` must be labels the model's 10 outputs can score. Received: class"):
        dry_run(config)


def test_a_factory_returning_something_else_is_named(compose_config):
    config = compose_config("data=factory", "data._target_=tests.training.helpers.not_data", extra=FAST)
    with pytest.raises(DataError, match=r"`data._target_` must be a lrsweep.data.Dataset, .* Received: a builtins.str"):
        dry_run(config)


def test_warm_trials_on_a_tf_data_pair(compose_config):
    import tensorflow as tf

    from lrsweep.data import as_dataset
    from lrsweep.training import _warm

    rng = np.random.default_rng(4)
    x, y = rng.normal(size=(48, 5)).astype(np.float32), rng.integers(0, 3, 48)
    data = as_dataset(
        (
            tf.data.Dataset.from_tensor_slices((x[:40], y[:40])).batch(8),
            tf.data.Dataset.from_tensor_slices((x[40:], y[40:])).batch(8),
        ),
        num_classes=3,
    )
    fast = [o for o in FAST if not o.startswith("trainer.reuse")]
    base = ["model._target_=tests.training.helpers.tiny_dense", "tracking=none", "trainer.reuse=true"]
    _warm._session = None
    try:
        first = run_trial(compose_config(*base, "schedule=constant", extra=fast), dataset=data)
        second = run_trial(compose_config(*base, "schedule=cosine_decay", extra=fast), dataset=data)
        assert _warm._session[1].trials == 2
    finally:
        _warm._session = None
    assert first.steps_per_epoch == second.steps_per_epoch == 5 and len(second.lr) == 10
