"""Shared fixtures: a tiny synthetic Fashion-MNIST written as real IDX files, and Hydra composition."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np
import pytest
from hydra import compose, initialize_config_dir
from omegaconf import DictConfig

from lrsweep._paths import config_dir
from lrsweep.config import register_configs
from lrsweep.data import FILES, write_idx

N_TRAIN, N_VAL, BATCH = 320, 128, 64


def free_port() -> int:
    """A TCP port free on the loopback interface, for a server a test starts."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def write_synthetic_fashion_mnist(folder: Path, n_train: int = N_TRAIN, n_val: int = N_VAL, seed: int = 0) -> Path:
    """Write the four IDX files of a learnable 10-class toy dataset: class k is a bright bar at row 2k+3."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for split, n in (("train", n_train), ("val", n_val)):
        labels = rng.integers(0, 10, size=n).astype(np.uint8)
        images = rng.integers(0, 60, size=(n, 28, 28)).astype(np.uint8)
        for i, label in enumerate(labels):
            images[i, 2 * label + 3 : 2 * label + 5, 4:24] = 230
        write_idx(folder / FILES[f"x_{split}"], images)
        write_idx(folder / FILES[f"y_{split}"], labels)
    return folder


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_synthetic_fashion_mnist(tmp_path_factory.mktemp("fashion-mnist"))


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, data_dir: Path) -> Iterator[None]:
    """Every test runs in its own working directory, on the synthetic data, with no MLflow URI inherited."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LRSWEEP_DATA_DIR", str(data_dir))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    yield


register_configs()

Compose = Callable[..., DictConfig]


@pytest.fixture
def compose_config() -> Compose:
    """Compose ``conf/config.yaml`` with overrides, as the ``lrsweep`` command does."""

    def _compose(*overrides: str, extra: Sequence[str] = ()) -> DictConfig:
        with initialize_config_dir(str(config_dir()), version_base="1.3"):
            return compose("config", overrides=[*extra, *overrides])

    return _compose


@pytest.fixture
def fast(tmp_path: Path, data_dir: Path) -> list[str]:
    """Overrides for a quick trial on the synthetic data (tracked in the default ``mlflow.db`` of tmp_path).

    Each trial builds its own model (``trainer.reuse=false``), so the LR recorder reads what the optimizer applies
    at every step; ``tests/training/test_warm.py`` covers reused trials.
    """
    return [
        f"data.data_dir={data_dir}",
        "trainer.epochs=2",
        f"trainer.batch_size={BATCH}",
        "trainer.verbose=0",
        "trainer.reuse=false",
    ]
