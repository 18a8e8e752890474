"""The data options besides Fashion-MNIST, on real files the tests write: .npz arrays, an image folder, a
keras.datasets cache."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from lrsweep._errors import ConfigError, DatasetNotFoundError
from lrsweep.data import load_arrays, load_image_folder, load_keras_dataset
from tests.conftest import write_synthetic_fashion_mnist

rng = np.random.default_rng(0)


def write_npz(path, **arrays):
    np.savez(path, **arrays)
    return str(path)


def test_npz_with_validation_arrays(tmp_path):
    path = write_npz(
        tmp_path / "mine.npz",
        x_train=rng.normal(size=(30, 5)),
        y_train=rng.integers(0, 4, 30),
        x_val=rng.normal(size=(10, 5)),
        y_val=rng.integers(0, 4, 10),
    )
    data = load_arrays(path, train_size=20)
    assert data.name == "mine" and data.x_train.shape == (20, 5) and data.x_train.dtype == np.float32
    assert data.num_classes == 4 and data.y_train.dtype == np.int32 and len(data.x_val) == 10


def test_npz_in_the_shape_of_a_keras_cache_uses_its_test_split(tmp_path):
    images = rng.integers(0, 256, size=(16, 28, 28), dtype=np.uint8)
    path = write_npz(
        tmp_path / "mnist.npz", x_train=images, y_train=np.arange(16) % 10, x_test=images[:6], y_test=np.arange(6)
    )
    data = load_arrays(path, normalize=True)
    assert data.input_shape == (28, 28) and float(data.x_train.max()) <= 1.0 and len(data.y_val) == 6


def test_npz_with_a_validation_split_and_float_targets(tmp_path):
    path = write_npz(tmp_path / "reg.npz", x_train=rng.normal(size=(50, 3)), y_train=rng.normal(size=50))
    data = load_arrays(path, validation_split=0.2)
    assert (len(data.x_train), len(data.x_val)) == (40, 10) and data.num_classes is None


@pytest.mark.parametrize(
    ("arrays", "split", "message"),
    [
        ({"x_train": np.zeros((4, 2))}, None, "an .npz with arrays x_train and y_train (it has ['x_train'])"),
        ({"x_train": np.zeros((4, 2)), "y_train": np.zeros(4)}, None, "`validation_split` must be a share in (0, 1)"),
        ({"x_train": np.zeros((4, 2)), "y_train": np.zeros(3)}, 0.5, "equal lengths (x_train of 4, y_train of 3)"),
        ({"x_train": np.zeros((4, 2)), "y_train": np.zeros(4)}, 1.5, "`validation_split` must be a share in (0, 1)"),
    ],
)
def test_npz_that_cannot_be_used_is_named(tmp_path, arrays, split, message):
    path = write_npz(tmp_path / "bad.npz", **arrays)
    with pytest.raises(ConfigError) as caught:
        load_arrays(path, validation_split=split)
    assert message in str(caught.value)


def test_a_missing_npz_says_so(tmp_path):
    with pytest.raises(DatasetNotFoundError, match=r"`data.path` must be an .npz file. Received: data.path='nope.npz'"):
        load_arrays("nope.npz")


def write_image_folder(root, classes=("cat", "dog", "fox"), per_class=5, size=(12, 10)):
    from PIL import Image

    for index, name in enumerate(classes):
        (root / name).mkdir(parents=True)
        for i in range(per_class):
            pixels = np.full((*size, 3), 40 * index + i, dtype=np.uint8)
            Image.fromarray(pixels).save(root / name / f"{i}.png")
    return root


def test_an_image_folder_becomes_arrays_with_one_class_per_sub_folder(tmp_path):
    root = write_image_folder(tmp_path / "photos")
    data = load_image_folder(str(root), image_size=(8, 8), validation_split=0.2, seed=1)
    assert data.num_classes == 3 and data.name == "photos"
    assert (len(data.x_train), len(data.x_val)) == (12, 3) and data.input_shape == (8, 8, 3)
    assert float(data.x_train.max()) <= 1.0 and sorted(set(data.y_train) | set(data.y_val)) == [0, 1, 2]
    grey = load_image_folder(str(root), image_size=(8, 8), color_mode="grayscale", normalize=False)
    assert grey.input_shape == (8, 8, 1) and float(grey.x_train.max()) > 1.0


def test_an_image_folder_without_class_sub_folders_is_named(tmp_path):
    (tmp_path / "flat").mkdir()
    (tmp_path / "flat" / "a.png").write_bytes(b"")
    with pytest.raises(ConfigError, match=r"`path` must be a folder with one sub-folder of images per class"):
        load_image_folder(str(tmp_path / "flat"))
    with pytest.raises(DatasetNotFoundError, match=r"`data\.path` must be a folder of class sub-folders"):
        load_image_folder(str(tmp_path / "nowhere"))


def test_a_keras_dataset_from_the_keras_cache(tmp_path):
    """keras.datasets.fashion_mnist reads its cache ($KERAS_HOME/datasets/fashion-mnist) before downloading;
    Keras reads KERAS_HOME when imported, hence a fresh process."""
    write_synthetic_fashion_mnist(tmp_path / "keras" / "datasets" / "fashion-mnist", n_train=64, n_val=16)
    code = (
        "from lrsweep.data import load_keras_dataset; d = load_keras_dataset('fashion_mnist', train_size=32); "
        "print(d.input_shape, d.num_classes, len(d.x_train), len(d.x_val), d.source)"
    )
    env = {**os.environ, "KERAS_HOME": str(tmp_path / "keras")}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split("\n")[-2] == "(28, 28, 1) 10 32 16 keras.datasets.fashion_mnist"


def test_an_unknown_keras_dataset_is_named():
    with pytest.raises(ConfigError, match=r"`name` must be one of \['mnist', 'fashion_mnist', 'cifar10', 'cifar100'\]"):
        load_keras_dataset("imagenet")
