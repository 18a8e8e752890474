"""lrsweep's data options besides Fashion-MNIST: an ``.npz`` file, an image folder, a ``keras.datasets`` set.

Each returns a :class:`~lrsweep.data.Dataset` of NumPy arrays, built once per process (see
:func:`lrsweep.training.trial_data`) and shared by the process's warm trials.
"""

from __future__ import annotations

import logging
import os
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from lrsweep._backend import load_keras
from lrsweep._errors import ConfigError, DatasetNotFoundError
from lrsweep.data._dataset import Dataset, check_numeric, split_validation

__all__ = ["KERAS_DATASETS", "finish", "load_arrays", "load_image_folder", "load_keras_dataset"]

log = logging.getLogger(__name__)

KERAS_DATASETS = {"mnist": 10, "fashion_mnist": 10, "cifar10": 10, "cifar100": 100}
"""The ``keras.datasets`` image sets ``data=keras_dataset`` loads, with their number of classes."""


def _size(name: str, size: int | None, available: int) -> int:
    if size is None:
        return available
    if not 1 <= size <= available:
        raise ConfigError(
            name.removeprefix("data."), size, f"null or between 1 and {available} (the examples available)"
        )
    return size


def finish(
    arrays: Sequence[np.ndarray],
    *,
    name: str,
    source: str,
    normalize: bool = False,
    train_size: int | None = None,
    val_size: int | None = None,
    num_classes: int | None = None,
) -> Dataset:
    """A :class:`Dataset` from ``(x_train, y_train, x_val, y_val)``: the first ``train_size``/``val_size``
    examples, inputs as float32 (divided by 255 with ``normalize``), integer labels as int32."""
    x_train, y_train, x_val, y_val = (np.asarray(a) for a in arrays)
    for key, array in zip(("x_train", "y_train", "x_val", "y_val"), (x_train, y_train, x_val, y_val), strict=True):
        check_numeric(key, array)  # before the casts below, which would fail on strings naming no array
    n_train = _size("train_size", train_size, len(x_train))
    n_val = _size("val_size", val_size, len(x_val))
    scale = np.float32(1 / 255) if normalize else np.float32(1)

    def inputs(x: np.ndarray, n: int) -> np.ndarray:
        return x[:n].astype(np.float32) * scale

    def targets(y: np.ndarray, n: int) -> np.ndarray:
        y = y[:n].reshape(n) if y.ndim == 2 and y.shape[1] == 1 else y[:n]  # (N, 1) labels, as cifar's
        return y.astype(np.int32) if np.issubdtype(y.dtype, np.integer) else y.astype(np.float32)

    y_tr, y_v = targets(y_train, n_train), targets(y_val, n_val)
    if num_classes is None and y_tr.dtype == np.int32 and y_tr.ndim == 1:
        num_classes = int(max(y_tr.max(), y_v.max())) + 1
    log.debug("%s from %s: %d training, %d validation examples", name, source, n_train, n_val)
    return Dataset(inputs(x_train, n_train), y_tr, inputs(x_val, n_val), y_v, num_classes, source, name)


def load_arrays(
    path: str,
    *,
    validation_split: float | None = None,
    normalize: bool = False,
    train_size: int | None = None,
    val_size: int | None = None,
) -> Dataset:
    """NumPy arrays from an ``.npz`` file: ``x_train``, ``y_train`` and ``x_val``, ``y_val`` (or ``x_test``,
    ``y_test``, as ``keras.datasets`` caches such as ``mnist.npz`` hold them), or a ``validation_split``.
    """
    file = Path(path).expanduser()
    if not file.is_file():
        raise DatasetNotFoundError(f"`data.path` must be an .npz file. Received: data.path={path!r} (no such file)")
    try:
        with np.load(file, allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in archive.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:  # truncated, or not an .npz at all
        raise ConfigError("path", path, f"a whole NumPy .npz file ({type(error).__name__}: {error})") from None
    names = sorted(arrays)
    if "x_train" not in arrays or "y_train" not in arrays:
        raise ConfigError("path", path, f"an .npz with arrays x_train and y_train (it has {names})")
    pair = next(((f"x_{s}", f"y_{s}") for s in ("val", "test") if f"x_{s}" in arrays and f"y_{s}" in arrays), None)
    x, y = arrays["x_train"], arrays["y_train"]
    for x_key, y_key in (("x_train", "y_train"), pair or ("x_train", "y_train")):
        if len(arrays[x_key]) != len(arrays[y_key]):
            lengths = f"{x_key} of {len(arrays[x_key])}, {y_key} of {len(arrays[y_key])}"
            raise ConfigError("path", path, f"an .npz whose inputs and targets have equal lengths ({lengths})")
    if validation_split is not None:
        if pair is not None:
            raise ConfigError("validation_split", validation_split, f"null: {path} has {pair[0]}, {pair[1]}")
        parts = split_validation(x, y, validation_split, "validation_split")
    elif pair is None:
        raise ConfigError("validation_split", None, f"a share in (0, 1): {path} has no x_val/y_val or x_test/y_test")
    else:
        parts = (x, y, arrays[pair[0]], arrays[pair[1]])
    return finish(
        parts,
        name=file.stem,
        source=str(file.resolve()),
        normalize=normalize,
        train_size=train_size,
        val_size=val_size,
    )


def load_keras_dataset(
    name: str,
    *,
    normalize: bool = True,
    train_size: int | None = None,
    val_size: int | None = None,
) -> Dataset:
    """An image classification set of ``keras.datasets`` (its test split as validation data), with a channel
    axis; downloaded into ``~/.keras/datasets`` where the network allows."""
    if name not in KERAS_DATASETS:
        raise ConfigError("name", name, f"one of {list(KERAS_DATASETS)}")
    keras = load_keras()

    module = getattr(keras.datasets, name)
    cache = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "datasets"
    try:
        (x_train, y_train), (x_val, y_val) = module.load_data()
    except Exception as error:  # no network, a proxy, a partial file
        raise DatasetNotFoundError(
            f"keras.datasets.{name} is not in {cache} and downloading it failed ({type(error).__name__}); "
            f"put Keras' {name} files in {cache}, or use data=arrays with an .npz of it"
        ) from None
    if x_train.ndim == 3:  # grey images: add the channel axis Conv2D expects
        x_train, x_val = x_train[..., None], x_val[..., None]
    return finish(
        (x_train, y_train, x_val, y_val),
        name=name,
        source=f"keras.datasets.{name}",
        normalize=normalize,
        train_size=train_size,
        val_size=val_size,
        num_classes=KERAS_DATASETS[name],
    )


def load_image_folder(
    path: str,
    *,
    image_size: Sequence[int] = (64, 64),
    color_mode: str = "rgb",
    validation_split: float = 0.2,
    seed: int = 0,
    normalize: bool = True,
    train_size: int | None = None,
    val_size: int | None = None,
) -> Dataset:
    """Images in class sub-folders (``path/<class>/<image>``) through ``keras.utils.image_dataset_from_directory``,
    resized to ``image_size``, split by ``validation_split`` with ``seed``; held in memory as arrays."""
    folder = Path(path).expanduser()
    if not folder.is_dir():
        raise DatasetNotFoundError(f"`data.path` must be a folder of class sub-folders. Received: data.path={path!r}")
    classes = sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    if len(classes) < 2:
        raise ConfigError(
            "path", path, f"a folder with one sub-folder of images per class (it has {len(classes)} sub-folders)"
        )
    modes = ("rgb", "grayscale", "rgba")
    if color_mode not in modes:
        raise ConfigError("color_mode", color_mode, f"one of {list(modes)}")
    if len(image_size) != 2 or any(int(side) < 1 for side in image_size):
        raise ConfigError("image_size", list(image_size), "[height, width] in pixels")
    split_validation(np.zeros(10), np.zeros(10), validation_split, "validation_split")  # the share's check
    suffixes = (".bmp", ".gif", ".jpeg", ".jpg", ".png")  # what image_dataset_from_directory reads
    images = sum(1 for name in classes for f in (folder / name).rglob("*") if f.suffix.lower() in suffixes)
    if not images:
        allowed = f"a folder whose class sub-folders hold images ({', '.join(suffixes)}); {classes} hold none"
        raise ConfigError("path", path, allowed)
    keras = load_keras()

    train, val = keras.utils.image_dataset_from_directory(
        str(folder),
        labels="inferred",
        label_mode="int",
        class_names=classes,
        color_mode=color_mode,
        image_size=tuple(int(side) for side in image_size),
        validation_split=validation_split,
        subset="both",
        seed=seed,
        batch_size=None,
        shuffle=True,
        verbose=False,
    )
    arrays: list[Any] = []
    for split in (train, val):
        pairs = [(np.asarray(x), int(y)) for x, y in split]
        if not pairs:
            allowed = f"a share leaving images in both splits of {path}"
            raise ConfigError("validation_split", validation_split, allowed)
        arrays += [np.stack([x for x, _ in pairs]), np.asarray([y for _, y in pairs], dtype=np.int32)]
    return finish(
        arrays,
        name=folder.name,
        source=str(folder.resolve()),
        normalize=normalize,
        train_size=train_size,
        val_size=val_size,
        num_classes=len(classes),
    )
