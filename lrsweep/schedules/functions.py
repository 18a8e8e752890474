"""Named epoch-wise schedule functions, ``(epoch, lr) -> lr``, for ``keras.callbacks.LearningRateScheduler``.

The epoch-wise families bind their parameters with :func:`functools.partial`; the ``custom`` family takes
any importable function of this shape by dotted path, e.g. ``lrsweep.schedules.functions.divide_by_three``.
``epoch`` is 0-based and ``lr`` is the optimizer's learning rate before the epoch starts.
"""

from __future__ import annotations

__all__ = ["constant", "divide_by_three", "exponential_epoch", "step_decay", "time_based"]


def constant(epoch: int, lr: float, *, initial_learning_rate: float) -> float:
    """``lr0`` at every epoch."""
    return initial_learning_rate


def step_decay(epoch: int, lr: float, *, initial_learning_rate: float, factor: float, drop_every: int) -> float:
    """``lr0 * factor ** floor(epoch / drop_every)``."""
    return initial_learning_rate * factor ** (epoch // drop_every)


def exponential_epoch(epoch: int, lr: float, *, initial_learning_rate: float, rate: float) -> float:
    """``lr0 * rate ** epoch``."""
    return initial_learning_rate * rate**epoch


def time_based(epoch: int, lr: float, *, initial_learning_rate: float, decay: float) -> float:
    """``lr0 / (1 + decay * epoch)``."""
    return initial_learning_rate / (1.0 + decay * epoch)


def divide_by_three(epoch: int, lr: float) -> float:
    """The tutorial's custom scheduler: the current learning rate divided by 3 at every epoch."""
    return lr / 3
