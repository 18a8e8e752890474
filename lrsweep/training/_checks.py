"""What a trial checks before anything is written: the names it compiles with, its optimizer, the data against the
loss and the model, and one step on the first batches.

Each failure is one line naming the field, the value and what is allowed (a :class:`ConfigError` or
:class:`DataError`): a trial raises it before its MLflow run is opened, and a sweep's dry run
(:func:`lrsweep.training.dry_run`) before its study exists.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from lrsweep._backend import load_keras
from lrsweep._errors import ConfigError, DataError, LRSweepError
from lrsweep._plain import plain
from lrsweep.training._compile import LOSS, METRICS, compile_arguments, snake_case

__all__ = ["check_batches", "check_model", "check_targets", "make_optimizer", "resolve_compile"]

Instantiate = Callable[..., Any]

# Metric strings Keras' compile resolves itself, from the loss (keras/src/trainers/compile_utils.py).
_COMPILE_METRICS = ("accuracy", "acc", "crossentropy", "ce")
_SPARSE = ("sparse_categorical_crossentropy", "sparse_categorical_focal_crossentropy")
_ONE_HOT = ("categorical_crossentropy", "categorical_focal_crossentropy", "categorical_hinge", "kl_divergence")
_LOSS_EXAMPLES = "sparse_categorical_crossentropy, categorical_crossentropy, binary_crossentropy, mse, mae, huber"


def loss_name(loss: Any) -> str:
    """A compiled loss's name in Keras' snake case (``"mse"``, ``SparseCategoricalCrossentropy()`` →
    ``sparse_categorical_crossentropy``)."""
    if isinstance(loss, str):
        return snake_case(loss) if loss[:1].isupper() else loss
    return snake_case(type(loss).__name__) if not hasattr(loss, "__name__") else str(loss.__name__)


def resolve_compile(trainer: Any, instantiate: Instantiate) -> dict[str, Any]:
    """``model.compile``'s ``loss`` and ``metrics``, every Keras name resolved now, as ``compile`` would resolve it
    at the first step: an unknown name is a :class:`ConfigError` naming ``trainer.loss`` or ``trainer.metrics``."""
    keras = load_keras()
    arguments = compile_arguments(trainer, instantiate)
    loss = arguments["loss"]
    if isinstance(loss, str):
        try:
            keras.losses.get(loss)
        except (ValueError, TypeError):
            allowed = f"a Keras loss name ({_LOSS_EXAMPLES}) or a node with _target_"
            raise ConfigError("trainer.loss", loss, allowed) from None
    elif not callable(loss):
        shown = plain(trainer.get("loss", LOSS))
        raise ConfigError("trainer.loss", shown, "a keras.losses.Loss or a function loss(y_true, y_pred)")
    for metric, given in zip(arguments["metrics"], plain(trainer.get("metrics", list(METRICS))), strict=True):
        if isinstance(metric, str):
            if metric in _COMPILE_METRICS:
                continue
            try:
                keras.metrics.get(metric)
            except (ValueError, TypeError):
                allowed = "Keras metric names (accuracy, mae, mse, auc, precision, …) or nodes with _target_"
                raise ConfigError("trainer.metrics", metric, allowed) from None
        elif not (callable(metric) or isinstance(metric, keras.metrics.Metric)):
            raise ConfigError("trainer.metrics", given, "a keras.metrics.Metric or a function metric(y_true, y_pred)")
    return arguments


def make_optimizer(config: Any, learning_rate: Any, instantiate: Instantiate) -> Any:
    """``config.optimizer`` with this learning rate (a float or a schedule), checked to be a Keras optimizer."""
    keras = load_keras()
    optimizer = instantiate(config.optimizer, "optimizer", learning_rate=learning_rate)
    if not isinstance(optimizer, keras.optimizers.Optimizer):
        target = config.optimizer.get("_target_")
        allowed = "a Keras optimizer class, a subclass of keras.optimizers.Optimizer (e.g. keras.optimizers.Adam)"
        raise ConfigError("optimizer._target_", target, allowed)
    return optimizer


def _float_values(y: np.ndarray) -> bool:
    """Targets that are values, not class labels: floats with a fractional part."""
    return bool(np.issubdtype(y.dtype, np.floating) and y.size and np.any(y != np.round(y)))


def check_targets(dataset: Any, loss: Any) -> None:
    """The targets against the loss: class labels (at least two classes) for a sparse categorical loss, one-hot
    rows for a categorical one. Streams are left to the first step (their targets are not all seen)."""
    if not hasattr(dataset, "y_train"):
        return
    name, y = loss_name(loss), dataset.y_train
    labels = y.ndim == 1 or (y.ndim == 2 and y.shape[1] == 1)
    if name in _SPARSE:
        if _float_values(y) or not labels:
            received = "float values" if _float_values(y) else f"targets of shape {tuple(y.shape[1:])} per example"
            raise ConfigError(
                "trainer.loss", name, f"a loss for these targets ({received}, not class labels): a regression loss "
                "such as mse or mae for values, categorical_crossentropy for one-hot rows",
            )  # fmt: skip
        classes = np.unique(np.concatenate([np.ravel(y), np.ravel(dataset.y_val)]))
        if len(classes) < 2:
            raise DataError("data", f"class labels all {classes[0]!r}", f"at least two classes for trainer.loss={name}")
    elif name in _ONE_HOT and labels and not _float_values(y):
        raise ConfigError(
            "trainer.loss", name, "sparse_categorical_crossentropy for integer class labels "
            f"({name} takes one-hot rows, one column per class)",
        )  # fmt: skip


def check_model(model: Any, dataset: Any, loss: Any) -> None:
    """The model against the data: it takes the data's inputs, and its outputs can score the class labels."""
    _check_inputs(model, dataset)
    classes = getattr(dataset, "num_classes", None)
    shape = getattr(model, "output_shape", None)
    if classes is None or not isinstance(shape, tuple) or not shape or not isinstance(shape[-1], int):
        return
    outputs = shape[-1]
    if 1 < outputs < classes:
        raise DataError("data", f"class labels 0 to {classes - 1}", f"labels the model's {outputs} outputs can score")
    if outputs == 1 and classes > 2 and loss_name(loss) in _SPARSE:
        raise DataError(
            "model", "a model with 1 output", f"a model with {classes} outputs, one per class, for "
            f"trainer.loss={loss_name(loss)} (the model factory gets num_classes={classes})",
        )  # fmt: skip


def _check_inputs(model: Any, dataset: Any) -> None:
    try:
        expected = model.input_shape
    except (AttributeError, ValueError):  # a subclassed model not built yet: the first step will tell
        return
    if not isinstance(expected, tuple) or not all(isinstance(d, int | None) for d in expected):
        return  # several inputs: the first step will tell
    given = tuple(dataset.input_shape)
    wanted = tuple(expected[1:])
    if len(wanted) != len(given) or any(w is not None and w != g for w, g in zip(wanted, given, strict=False)):
        shown = tuple("None" if d is None else d for d in wanted)
        raise DataError(
            "model", f"a model whose input is {shown} per example",
            f"a model for the data's inputs of shape {given} (the model factory gets input_shape={list(given)})",
        )  # fmt: skip


# Lines of a Keras/TensorFlow/JAX error that say where, not what.
_WHERE = ("Graph execution error", "Detected at node", "File ", "Exception encountered when calling", "Arguments",
          "[[", "•", "Traceback", "in user code", "Call arguments received", "Stack trace")  # fmt: skip


def _what(error: BaseException) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    useful = [line for line in lines if not line.startswith(_WHERE)]
    text = (useful or lines or [""])[0]
    return f"{type(error).__name__}: {text[:300]}"


def check_batches(model: Any, dataset: Any, batch_size: int, *, train: bool) -> None:
    """One step on the first training batch (a training step with ``train``, else an evaluation) and one
    evaluation on the first validation batch; a failure is one line naming the split and the backend's reason.

    The batches are the size fit uses, so the evaluation compiles what validation would compile anyway.
    """
    batches = (("x_train", dataset.first_batch(batch_size)), ("x_val", dataset.validation_batch(batch_size)))
    for split, (x, y) in batches:
        try:
            if train and split == "x_train":
                model.train_on_batch(x, y)
            else:
                model.test_on_batch(x, y)
        except LRSweepError:
            raise
        except Exception as error:
            step = "a training step" if train and split == "x_train" else "an evaluation"
            raise DataError(
                "model", _what(error), f"a model that trains on the data with trainer.loss and trainer.metrics "
                f"({step} on the first batch of {split} failed)",
            ) from None  # fmt: skip
