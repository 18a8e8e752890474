"""Fashion-MNIST from local files, with no network unless nothing local is found."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import numpy as np

from lrsweep._errors import ConfigError, DatasetNotFoundError
from lrsweep.data._dataset import Dataset
from lrsweep.data._idx import idx_shape, read_idx

__all__ = [
    "FILES",
    "candidate_dirs",
    "check_available",
    "find_fashion_mnist",
    "load_fashion_mnist",
    "train_images",
]

log = logging.getLogger(__name__)

FILES = {
    "x_train": "train-images-idx3-ubyte.gz",
    "y_train": "train-labels-idx1-ubyte.gz",
    "x_val": "t10k-images-idx3-ubyte.gz",
    "y_val": "t10k-labels-idx1-ubyte.gz",
}
"""The four files, named as Zalando, Keras and Debian's ``dataset-fashion-mnist`` name them."""

SYSTEM_DIR = Path("/usr/share/datasets/fashion-mnist")
INSTALL_HINT = (
    "Install it with `apt-get install dataset-fashion-mnist` (Debian/Ubuntu), or put the four files "
    f"({', '.join(FILES.values())}) in a folder and set LRSWEEP_DATA_DIR to it."
)


def candidate_dirs(data_dir: str | Path | None = None) -> list[Path]:
    """Where to look, in order: ``data_dir`` or ``$LRSWEEP_DATA_DIR``, Debian's package, the Keras cache."""
    first = data_dir or os.environ.get("LRSWEEP_DATA_DIR")
    dirs = [Path(first).expanduser()] if first else []
    keras_home = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras"))
    return [*dirs, SYSTEM_DIR, keras_home / "datasets" / "fashion-mnist"]


def find_fashion_mnist(data_dir: str | Path | None = None) -> Path | None:
    """The first candidate folder that holds all four files, or ``None``.

    A folder named by ``data_dir`` (``data.data_dir``) must hold them: the user asked for that one.
    ``$LRSWEEP_DATA_DIR`` is only the first place to look.
    """
    if data_dir:
        folder = Path(data_dir).expanduser()
        missing = [name for name in FILES.values() if not (folder / name).is_file()]
        if missing:
            raise DatasetNotFoundError(
                f"`data.data_dir` must be a folder holding the four Fashion-MNIST files. "
                f"Received: data.data_dir={str(data_dir)!r} (missing {', '.join(missing)})"
            )
        return folder
    for folder in candidate_dirs(data_dir):
        if all((folder / name).is_file() for name in FILES.values()):
            return folder
    return None


def _subset(name: str, size: int | None, available: int) -> int:
    if size is None:
        return available
    if not 1 <= size <= available:
        raise ConfigError(name, size, f"null or between 1 and {available} (the images available)")
    return size


def load_fashion_mnist(
    *,
    normalize: bool = True,
    train_size: int | None = None,
    val_size: int | None = None,
    data_dir: str | None = None,
    download: bool = True,
) -> Dataset:
    """Load Fashion-MNIST, the test set serving as validation set.

    Args:
        normalize: scale pixels to [0, 1]; ``False`` keeps the raw 0-255 values, as the tutorial did.
        train_size: keep the first N training images (``None``: all 60 000).
        val_size: keep the first N test images (``None``: all 10 000).
        data_dir: a folder to look in before the usual places (see :func:`candidate_dirs`).
        download: when no local copy exists, let ``keras.datasets.fashion_mnist`` download one.

    Raises:
        DatasetNotFoundError: nothing local and no download allowed or possible; the message says how to
            install the dataset.
    """
    for name, size in (("train_size", train_size), ("val_size", val_size)):
        if size is not None and size < 1:
            raise ConfigError(name, size, "null or >= 1")
    folder = find_fashion_mnist(data_dir)
    if folder is not None:
        arrays = {key: read_idx(folder / file) for key, file in FILES.items()}
        source = str(folder)
    elif download:
        arrays, source = _download(), "keras.datasets.fashion_mnist"
    else:
        raise DatasetNotFoundError(
            f"Fashion-MNIST not found in {[str(d) for d in candidate_dirs(data_dir)]}. " + INSTALL_HINT
        )
    n_train = _subset("train_size", train_size, len(arrays["x_train"]))
    n_val = _subset("val_size", val_size, len(arrays["x_val"]))
    scale = np.float32(1 / 255) if normalize else np.float32(1)

    def images(x: np.ndarray, n: int) -> np.ndarray:
        return (x[:n].astype(np.float32) * scale).reshape(n, *x.shape[1:], 1)

    log.debug("Fashion-MNIST from %s: %d training, %d validation images", source, n_train, n_val)
    return Dataset(
        x_train=images(arrays["x_train"], n_train),
        y_train=arrays["y_train"][:n_train].astype(np.int32),
        x_val=images(arrays["x_val"], n_val),
        y_val=arrays["y_val"][:n_val].astype(np.int32),
        num_classes=10,
        source=source,
        name="fashion_mnist",
    )


def _download() -> dict[str, np.ndarray]:
    from lrsweep._backend import load_keras

    keras = load_keras()

    try:
        (x_train, y_train), (x_val, y_val) = keras.datasets.fashion_mnist.load_data()
    except Exception as error:  # no network, proxy, partial file ...
        raise DatasetNotFoundError(
            f"Fashion-MNIST is not on this machine and downloading it failed ({error}). {INSTALL_HINT}"
        ) from None
    return {"x_train": x_train, "y_train": y_train, "x_val": x_val, "y_val": y_val}


TARGET = "lrsweep.data.load_fashion_mnist"


def is_fashion_mnist(data: Any) -> bool:
    """Whether a ``data`` config is lrsweep's own Fashion-MNIST loader (files it can check and count)."""
    return bool(data.get("_target_") == TARGET)


def check_available(data: Any) -> None:
    """Before a sweep: the ``data`` config's Fashion-MNIST files are there and whole (downloaded if need be).

    Raises:
        DatasetNotFoundError: nothing local and the download failed, or a named folder lacks the files.
        LRSweepError: a file is truncated or is not an IDX file (the message names it).
    """
    if not is_fashion_mnist(data):
        return
    folder = find_fashion_mnist(data.get("data_dir"))
    if folder is None:
        if data.get("download", True):
            _download()  # into the Keras cache, where every trial then finds it
        return
    for file in FILES.values():
        read_idx(folder / file)


def train_images(data: Any) -> int | None:
    """How many training images a ``data`` config gives, without loading them (``None`` if unknown).

    ``data.train_size`` when set, else the count in the local Fashion-MNIST files' header; ``None`` for a
    dataset lrsweep does not know (another ``_target_``) or files that are not there yet.
    """
    if data.get("train_size") is not None:
        return int(data.train_size)
    if not is_fashion_mnist(data):
        return None
    folder = find_fashion_mnist(data.get("data_dir"))
    return None if folder is None else int(idx_shape(folder / FILES["y_train"])[0])
