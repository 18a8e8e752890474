"""The data contract: what a data factory may return, and what breaks it (one error naming it)."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from lrsweep._errors import DataError
from lrsweep.data import Dataset, StreamDataset, as_dataset

rng = np.random.default_rng(0)
X, Y = rng.normal(size=(40, 6)).astype(np.float32), rng.integers(0, 3, size=40)
XV, YV = rng.normal(size=(12, 6)).astype(np.float32), rng.integers(0, 3, size=12)


def test_arrays_in_the_keras_datasets_shape():
    data = as_dataset(((X, Y), (XV, YV)))
    assert isinstance(data, Dataset)
    assert data.input_shape == (6,) and data.num_classes == 3 and data.steps_per_epoch(16) == 3
    arguments = data.fit_arguments(16)
    assert arguments["batch_size"] == 16 and arguments["x"] is data.x_train
    assert [len(a) for a in arguments["validation_data"]] == [12, 12]


def test_a_mapping_of_arrays_and_float_targets_are_regression():
    data = as_dataset({"x_train": X, "y_train": X[:, 0], "x_val": XV, "y_val": XV[:, 0]})
    assert data.num_classes is None and data.describe()["targets"] == "values"


def test_the_description_names_the_data_and_changes_with_it():
    first = as_dataset(((X, Y), (XV, YV)), name="mine", source="my_pkg.load").describe()
    again = as_dataset(((X, Y), (XV, YV)), name="mine", source="my_pkg.load").describe()
    other = as_dataset(((X + 1, Y), (XV, YV)), name="mine", source="my_pkg.load").describe()
    assert first == again and first["digest"] != other["digest"]
    assert first["train"] == [40, 6] and first["name"] == "mine" and first["source"] == "my_pkg.load"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("a string", "`data._target_` must be a lrsweep.data.Dataset, ((x_train, y_train), (x_val, y_val))"),
        ((X, Y), "Received: a tuple of 2: (ndarray, ndarray)"),
        ({"x_train": X}, "Received: a mapping with keys ['x_train']"),
        (((X, Y[:-1]), (XV, YV)), "`data` must be arrays of equal length. Received: x_train of 40, y_train of 39"),
        (((X[:0], Y[:0]), (XV, YV)), "`data` must be at least one example in each split"),
    ],
)
def test_what_breaks_the_contract_is_named(value, message):
    with pytest.raises(DataError) as caught:
        as_dataset(value)
    assert message in str(caught.value)


def test_labels_beyond_the_declared_classes_are_named():
    with pytest.raises(
        DataError, match=r"`data` must be class labels in \[0, 1\] for num_classes=2. Received: y_train"
    ):
        as_dataset(((X, Y), (XV, YV)), num_classes=2)


def test_tf_data_pairs_stream_with_their_own_batches():
    import tensorflow as tf

    train = tf.data.Dataset.from_tensor_slices((X, Y)).batch(8)
    val = tf.data.Dataset.from_tensor_slices((XV, YV)).batch(8)
    data = as_dataset((train, val), num_classes=3)
    assert isinstance(data, StreamDataset)
    assert data.steps_per_epoch(64) == 5 and data.input_shape == (6,) and data.num_classes == 3
    assert data.fit_arguments(64) == {"x": train, "validation_data": val}
    assert data.first_batch(64)[0].shape == (8, 6)


def test_a_stream_of_unknown_length_needs_steps_per_epoch():
    import tensorflow as tf

    train = tf.data.Dataset.from_tensor_slices((X, Y)).batch(8).repeat().filter(lambda x, y: True)
    val = tf.data.Dataset.from_tensor_slices((XV, YV)).batch(8)
    with pytest.raises(DataError, match=r"`data\.steps_per_epoch` must be set"):
        as_dataset((train, val))
    data = as_dataset((train, val), steps_per_epoch=4)
    assert data.steps_per_epoch(1) == 4 and data.fit_arguments(1)["steps_per_epoch"] == 4


class Batches(keras.utils.PyDataset):
    def __init__(self, x, y, batch):
        super().__init__()
        self.x, self.y, self.batch = x, y, batch

    def __len__(self):
        return -(-len(self.x) // self.batch)

    def __getitem__(self, index):
        part = slice(index * self.batch, (index + 1) * self.batch)
        return self.x[part], self.y[part]


def test_py_dataset_pairs_count_their_batches():
    data = as_dataset((Batches(X, Y, 16), Batches(XV, YV, 16)))
    assert isinstance(data, StreamDataset) and data.steps_per_epoch(1) == 3 and data.input_shape == (6,)
    assert "steps_per_epoch" not in data.fit_arguments(1)
