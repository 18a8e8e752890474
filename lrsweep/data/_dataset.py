"""What a trial trains on: the data contract every ``data`` option (and a user's ``data._target_``) fulfils.

A ``data`` factory may return any of these; :func:`as_dataset` turns it into a :class:`TrialData`:

- a :class:`Dataset` (NumPy arrays, as lrsweep's own loaders return);
- ``((x_train, y_train), (x_val, y_val))``, the shape of ``keras.datasets.<name>.load_data()``;
- a mapping with ``x_train``, ``y_train``, ``x_val``, ``y_val`` (e.g. an ``np.load``-ed ``.npz``);
- ``(train, val)``: two ``tf.data.Dataset`` or two ``keras.utils.PyDataset`` yielding ``(x, y)`` batches
  (a :class:`StreamDataset`; the batch size is theirs).

Example:
    >>> import numpy as np
    >>> data = as_dataset(((np.zeros((10, 4)), np.arange(10) % 3), (np.zeros((5, 4)), np.arange(5) % 3)))
    >>> data.input_shape, data.num_classes, data.steps_per_epoch(4)
    ((4,), 3, 3)
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import math
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np

from lrsweep._errors import ConfigError, DataError

__all__ = ["Dataset", "StreamDataset", "TrialData", "as_dataset", "check_numeric"]

_ARRAY_KEYS = ("x_train", "y_train", "x_val", "y_val")
CONTRACT = (
    "a lrsweep.data.Dataset, ((x_train, y_train), (x_val, y_val)) arrays, a mapping with x_train, y_train, "
    "x_val, y_val, or a (train, val) pair of tf.data.Dataset or keras.utils.PyDataset"
)


@runtime_checkable
class TrialData(Protocol):
    """What :func:`lrsweep.training.run_trial` needs of its data."""

    @property
    def name(self) -> str: ...

    @property
    def source(self) -> str: ...

    @property
    def input_shape(self) -> tuple[int, ...]: ...

    @property
    def num_classes(self) -> int | None: ...

    def steps_per_epoch(self, batch_size: int) -> int: ...

    def fit_arguments(self, batch_size: int) -> dict[str, Any]:
        """``model.fit`` keyword arguments: the training data, its batching and the validation data."""
        ...

    def first_batch(self, batch_size: int) -> tuple[Any, Any]: ...

    def validation_batch(self, batch_size: int) -> tuple[Any, Any]:
        """The first validation batch, as arrays (the checks before training read it)."""
        ...

    def describe(self) -> dict[str, Any]:
        """Name, source, digest and shapes, for the run's records (``mlflow.log_input``)."""
        ...


@dataclass(frozen=True)
class Dataset:
    """In-memory NumPy arrays: inputs ``x_*`` of any shape ``(N, ...)``, targets ``y_*`` of length ``N``.

    ``num_classes``: for integer class labels, how many classes the model's output has (``None`` for
    regression targets).
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    num_classes: int | None
    source: str
    name: str = "dataset"

    def __post_init__(self) -> None:
        for key in _ARRAY_KEYS:
            check_numeric(key, getattr(self, key))
        for split in ("train", "val"):
            x, y = getattr(self, f"x_{split}"), getattr(self, f"y_{split}")
            if len(x) != len(y):
                raise DataError("data", f"x_{split} of {len(x)}, y_{split} of {len(y)}", "arrays of equal length")
            if not len(x):
                raise DataError("data", f"x_{split} of 0 examples", "at least one example in each split")
        for kind in ("x", "y"):
            train, val = getattr(self, f"{kind}_train"), getattr(self, f"{kind}_val")
            if train.shape[1:] != val.shape[1:]:
                shapes = f"{kind}_train of shape {train.shape}, {kind}_val of shape {val.shape}"
                what = "inputs" if kind == "x" else "targets"
                raise DataError("data", shapes, f"{what} of one shape per example in both splits")
        if _integral(self.y_train) != _integral(self.y_val):
            dtypes = f"y_train of dtype {self.y_train.dtype}, y_val of dtype {self.y_val.dtype}"
            raise DataError("data", dtypes, "targets of one kind in both splits: integer class labels or float values")
        if self.num_classes is not None:
            for split in ("train", "val"):
                y = getattr(self, f"y_{split}")
                low, high = int(np.min(y)), int(np.max(y))
                if low < 0 or high >= self.num_classes:
                    raise DataError(
                        "data",
                        f"y_{split} labels from {low} to {high}",
                        f"class labels in [0, {self.num_classes - 1}] for num_classes={self.num_classes}",
                    )

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(self.x_train.shape[1:])

    def steps_per_epoch(self, batch_size: int) -> int:
        return -(-len(self.x_train) // batch_size)

    def fit_arguments(self, batch_size: int) -> dict[str, Any]:
        return {
            "x": self.x_train,
            "y": self.y_train,
            "batch_size": batch_size,
            "validation_data": (self.x_val, self.y_val),
        }

    def first_batch(self, batch_size: int) -> tuple[Any, Any]:
        return self.x_train[:batch_size], self.y_train[:batch_size]

    def validation_batch(self, batch_size: int) -> tuple[Any, Any]:
        return self.x_val[:batch_size], self.y_val[:batch_size]

    @functools.cached_property
    def _digest(self) -> str:
        digest = hashlib.sha256()
        for key in _ARRAY_KEYS:
            array = getattr(self, key)
            digest.update(f"{key}{array.shape}{array.dtype}".encode())
            head = np.ascontiguousarray(array[: max(1, (1 << 24) // max(1, array[:1].nbytes))])
            digest.update(head.tobytes())  # the first 16 MiB of each: a digest, not a checksum
        return digest.hexdigest()[:16]

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "source": self.source,
            "digest": self._digest,
            "train": [len(self.x_train), *self.input_shape],
            "val": [len(self.x_val), *self.input_shape],
            "targets": "class labels" if self.num_classes is not None else "values",
        }


@dataclass(frozen=True)
class StreamDataset:
    """Batched training and validation data that Keras iterates: ``tf.data.Dataset`` or ``PyDataset``.

    ``steps`` is the training batches per epoch: ``len(train)`` or ``train.cardinality()``, or the
    ``data.steps_per_epoch`` given when the data cannot say.
    """

    train: Any
    val: Any
    steps: int
    input_shape: tuple[int, ...]
    num_classes: int | None
    source: str
    name: str = "dataset"
    explicit_steps: bool = field(default=False)

    def steps_per_epoch(self, batch_size: int) -> int:
        return self.steps

    def fit_arguments(self, batch_size: int) -> dict[str, Any]:
        arguments: dict[str, Any] = {"x": self.train, "validation_data": self.val}
        if self.explicit_steps:
            arguments["steps_per_epoch"] = self.steps
        return arguments

    def first_batch(self, batch_size: int) -> tuple[Any, Any]:
        return _first(self.train)

    def validation_batch(self, batch_size: int) -> tuple[Any, Any]:
        """The validation stream's first batch, as arrays."""
        return _first(self.val)

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "source": self.source,
            "digest": hashlib.sha256(f"{self.source}{self.steps}{self.input_shape}".encode()).hexdigest()[:16],
            "train": f"{self.steps} batches of {list(self.input_shape)}",
            "val": type(self.val).__name__,
            "targets": "class labels" if self.num_classes is not None else "values",
        }


def _first(batches: Any) -> tuple[Any, Any]:
    if hasattr(batches, "__getitem__") and hasattr(batches, "__len__") and not hasattr(batches, "element_spec"):
        batch = batches[0]  # a PyDataset
    else:
        batch = next(iter(batches))
    x, y = batch[0], batch[1]
    return np.asarray(x), np.asarray(y)


def _is_stream(value: Any) -> bool:
    if hasattr(value, "element_spec"):  # tf.data.Dataset
        return True
    keras = sys.modules.get("keras")  # a PyDataset means Keras is imported: do not import it for arrays
    return keras is not None and isinstance(value, keras.utils.PyDataset)


def _stream_steps(train: Any, steps_per_epoch: int | None, field_name: str) -> tuple[int, bool]:
    if steps_per_epoch is not None:
        return int(steps_per_epoch), True
    if hasattr(train, "element_spec"):
        count = int(train.cardinality())
        if count > 0:
            return count, False
    elif hasattr(train, "__len__"):
        return len(train), False
    raise DataError("data.steps_per_epoch", None, f"set: the training batches of {field_name} do not say their number")


def _integral(array: np.ndarray) -> bool:
    return bool(np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.bool_))


def check_numeric(name: str, array: np.ndarray) -> None:
    """A :class:`DataError` naming ``name`` (``x_train``, ``y_val``, …) unless it holds numbers a model can take."""
    if np.issubdtype(array.dtype, np.number) or np.issubdtype(array.dtype, np.bool_):
        return
    sample = array.flat[0] if array.size else None
    shown = f"{name} of dtype {array.dtype}" + (f" (e.g. {sample!r})" if sample is not None else "")
    if name.startswith("y"):
        allowed = (
            "numeric targets: class labels as integers 0..K-1 (np.unique(y, return_inverse=True) encodes names) "
            "or float values"
        )
    else:
        allowed = "numeric inputs (int, float or bool arrays): encode text or categories as numbers first"
    raise DataError("data", shown, allowed)


def _labels(y: np.ndarray) -> bool:
    return y.ndim == 1 and (np.issubdtype(y.dtype, np.integer) or np.issubdtype(y.dtype, np.bool_))


def _infer_classes(y_train: np.ndarray, y_val: np.ndarray) -> int | None:
    if _labels(y_train) and _labels(y_val) and len(y_train) and len(y_val):
        return int(max(np.max(y_train), np.max(y_val))) + 1
    return None


def as_dataset(
    value: Any,
    *,
    field_name: str = "data._target_",
    name: str = "dataset",
    source: str | None = None,
    num_classes: int | None = None,
    steps_per_epoch: int | None = None,
) -> TrialData:
    """The :class:`TrialData` for what a data factory returned (see the module's list), or a
    :class:`ConfigError` naming ``field_name`` and what is allowed.

    Args:
        num_classes: the classes of integer labels (inferred from the labels when ``None``).
        steps_per_epoch: training batches per epoch of a stream that cannot say.
    """
    if isinstance(value, Dataset):
        return value if num_classes is None else dataclasses.replace(value, num_classes=num_classes)
    if isinstance(value, StreamDataset):
        return value
    source = source or name
    if isinstance(value, Mapping) and all(key in value for key in _ARRAY_KEYS):
        arrays = [np.asarray(value[key]) for key in _ARRAY_KEYS]
    elif isinstance(value, tuple | list) and len(value) == 2:
        train, val = value
        if _is_stream(train) and _is_stream(val):
            steps, explicit = _stream_steps(train, steps_per_epoch, field_name)
            x, _ = _first(train)  # a stream's labels are not all seen: its classes come from data.num_classes
            return StreamDataset(
                train, val, steps, tuple(x.shape[1:]), num_classes, source, name, explicit_steps=explicit
            )
        if not all(isinstance(pair, tuple | list) and len(pair) == 2 for pair in (train, val)):
            raise DataError(field_name, _kind(value), CONTRACT)
        arrays = [np.asarray(part) for pair in (train, val) for part in pair]
    else:
        raise DataError(field_name, _kind(value), CONTRACT)
    x_train, y_train, x_val, y_val = arrays
    for key, array in zip(_ARRAY_KEYS, arrays, strict=True):
        if array.dtype == object and array.ndim == 0:
            raise DataError(field_name, _kind(value), f"{CONTRACT} (numeric arrays)")
        check_numeric(key, array)
    if num_classes is None:
        num_classes = _infer_classes(y_train, y_val)
    return Dataset(x_train, y_train, x_val, y_val, num_classes, source, name)


def _kind(value: Any) -> str:
    """A short description of a value for an error message (never the data itself)."""
    if isinstance(value, tuple | list):
        return f"a {type(value).__name__} of {len(value)}: ({', '.join(type(v).__name__ for v in value)})"
    if isinstance(value, Mapping):
        return f"a mapping with keys {sorted(map(str, value))[:8]}"
    return f"a {type(value).__module__}.{type(value).__qualname__}"


def split_validation(x: np.ndarray, y: np.ndarray, share: float, field_name: str) -> tuple[np.ndarray, ...]:
    """The last ``share`` of ``(x, y)`` as validation data, as Keras' ``validation_split`` takes it."""
    if not 0 < share < 1 or not math.isfinite(share):
        raise ConfigError(field_name, share, "a share in (0, 1)")
    n_val = max(1, round(len(x) * share))
    if n_val >= len(x):
        raise ConfigError(field_name, share, f"a share leaving training examples (of {len(x)})")
    return x[:-n_val], y[:-n_val], x[-n_val:], y[-n_val:]
