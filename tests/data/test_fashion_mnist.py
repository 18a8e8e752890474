from __future__ import annotations

import numpy as np
import pytest

from lrsweep import ConfigError, DatasetNotFoundError
from lrsweep.data import _fashion_mnist, candidate_dirs, find_fashion_mnist, load_fashion_mnist
from tests.conftest import N_TRAIN, N_VAL, write_synthetic_fashion_mnist


def test_loads_from_lrsweep_data_dir(data_dir):
    data = load_fashion_mnist()
    assert data.source == str(data_dir)
    assert data.x_train.shape == (N_TRAIN, 28, 28, 1) and data.x_val.shape == (N_VAL, 28, 28, 1)
    assert data.x_train.dtype == np.float32 and data.y_train.dtype == np.int32
    assert data.x_train.min() >= 0.0 and data.x_train.max() <= 1.0
    assert data.num_classes == 10 and data.input_shape == (28, 28, 1)


def test_normalize_false_keeps_raw_pixels():
    raw = load_fashion_mnist(normalize=False)
    scaled = load_fashion_mnist(normalize=True)
    assert raw.x_train.max() == 230.0
    np.testing.assert_allclose(raw.x_train / 255, scaled.x_train, rtol=1e-6)


def test_subsets_take_the_first_images():
    full, small = load_fashion_mnist(), load_fashion_mnist(train_size=100, val_size=10)
    assert len(small.x_train) == 100 and len(small.y_val) == 10
    np.testing.assert_array_equal(small.x_train, full.x_train[:100])
    assert small.steps_per_epoch(64) == 2


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"train_size": 0}, "`train_size` must be null or >= 1. Received: train_size=0"),
        ({"val_size": 10**6}, f"`val_size` must be null or between 1 and {N_VAL}"),
    ],
)
def test_bad_sizes(kwargs, message):
    with pytest.raises(ConfigError) as caught:
        load_fashion_mnist(**kwargs)
    assert message in str(caught.value)


def test_search_order(tmp_path, monkeypatch, data_dir):
    system = write_synthetic_fashion_mnist(tmp_path / "system", n_train=20, n_val=5)
    monkeypatch.setattr(_fashion_mnist, "SYSTEM_DIR", system)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    assert candidate_dirs()[:3] == [data_dir, system, tmp_path / "keras" / "datasets" / "fashion-mnist"]
    assert find_fashion_mnist() == data_dir
    explicit = write_synthetic_fashion_mnist(tmp_path / "explicit", n_train=30, n_val=5)
    assert len(load_fashion_mnist(data_dir=str(explicit)).x_train) == 30
    monkeypatch.setenv("LRSWEEP_DATA_DIR", str(tmp_path / "empty"))
    assert find_fashion_mnist() == system
    keras_cache = write_synthetic_fashion_mnist(tmp_path / "keras" / "datasets" / "fashion-mnist", 40, 5)
    monkeypatch.setattr(_fashion_mnist, "SYSTEM_DIR", tmp_path / "nothing")
    assert find_fashion_mnist() == keras_cache


def test_missing_dataset_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv("LRSWEEP_DATA_DIR", str(tmp_path / "empty"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setattr(_fashion_mnist, "SYSTEM_DIR", tmp_path / "nothing")
    with pytest.raises(DatasetNotFoundError) as caught:
        load_fashion_mnist(download=False)
    assert "apt-get install dataset-fashion-mnist" in str(caught.value)
    assert "LRSWEEP_DATA_DIR" in str(caught.value)


def test_a_named_data_dir_must_hold_the_files(tmp_path):
    with pytest.raises(DatasetNotFoundError) as caught:
        find_fashion_mnist(tmp_path / "nowhere")
    assert str(caught.value).startswith("`data.data_dir` must be a folder holding the four Fashion-MNIST files.")
    assert "train-images-idx3-ubyte.gz" in str(caught.value)


def test_check_available_reads_every_file_before_a_sweep(tmp_path):
    from omegaconf import OmegaConf

    from lrsweep._errors import LRSweepError
    from lrsweep.data import FILES, check_available

    folder = write_synthetic_fashion_mnist(tmp_path / "data", n_train=20, n_val=5)
    data = OmegaConf.create({"_target_": "lrsweep.data.load_fashion_mnist", "data_dir": str(folder)})
    check_available(data)
    path = folder / FILES["x_val"]
    path.write_bytes(path.read_bytes()[:-40])  # a truncated download
    with pytest.raises(LRSweepError, match=r"t10k-images-idx3-ubyte\.gz"):
        check_available(data)
