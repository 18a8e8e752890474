"""Exceptions that lrsweep raises on purpose, each with a message a user can act on."""

from __future__ import annotations

from typing import Any

__all__ = [
    "USAGE_ERRORS",
    "ConfigError",
    "DataError",
    "DataFileError",
    "DatasetNotFoundError",
    "InvalidArgumentError",
    "LRSweepError",
    "StorageError",
    "TraceUnavailableError",
    "TrackingError",
    "TrialFailedError",
    "TrialPrunedError",
    "first_line",
    "report",
]


class LRSweepError(Exception):
    """Base class of lrsweep's own errors.

    Each pickles whole, built again from the arguments it was raised with: a Hydra launcher that runs trials in
    other processes (submitit, joblib) sends a trial's error back to the sweep as a pickle, and Python's default
    (the class called with the message alone) fails on an error that takes more than a message.
    """

    _raised_with: tuple[tuple[Any, ...], dict[str, Any]]

    def __new__(cls, *args: Any, **kwargs: Any) -> LRSweepError:
        self = super().__new__(cls, *args, **kwargs)
        self._raised_with = (args, kwargs)
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        args, kwargs = self._raised_with
        return _rebuild, (type(self), args, kwargs), self.__dict__


def _rebuild(cls: type[LRSweepError], args: tuple[Any, ...], kwargs: dict[str, Any]) -> LRSweepError:
    return cls(*args, **kwargs)


class ConfigError(LRSweepError, ValueError):
    """A configuration value is not allowed.

    The message names the field, the value received and what is allowed, in the Keras style:
    "`decay_steps` must be > 0. Received: decay_steps=0". ``under("schedule")`` gives the same
    error with the field's full config path (``schedule.decay_steps``).
    """

    def __init__(self, field: str, value: Any, allowed: str) -> None:
        self.field = field
        self.value = value
        self.allowed = allowed
        super().__init__(f"`{field}` must be {allowed}. Received: {field}={value!r}")

    def under(self, prefix: str) -> ConfigError:
        """The same error, with ``prefix.`` in front of the field name."""
        return ConfigError(f"{prefix}.{self.field}", self.value, self.allowed)


class DataError(LRSweepError, ValueError):
    """The data a ``data`` factory returned breaks the data contract (:mod:`lrsweep.data`); named like a
    :class:`ConfigError`, with the field given in full (``data._target_``, ``data``)."""

    def __init__(self, field: str, value: Any, allowed: str) -> None:
        self.field, self.value, self.allowed = field, value, allowed
        super().__init__(f"`{field}` must be {allowed}. Received: {value}")


class InvalidArgumentError(LRSweepError, ValueError):
    """A library lrsweep builds from the config (Keras, MLflow) rejected an argument; its own message is kept."""


class TraceUnavailableError(LRSweepError):
    """The learning rate of this family is not known before training (it depends on metrics)."""


class DatasetNotFoundError(LRSweepError, FileNotFoundError):
    """The dataset files were not found in any of the places lrsweep looks."""


class TrialFailedError(LRSweepError):
    """Training stopped because the trial cannot produce a meaningful result (e.g. a NaN loss)."""

    def __init__(self, reason: str, epochs_completed: int = 0) -> None:
        self.reason = reason
        self.epochs_completed = epochs_completed
        super().__init__(reason)


class TrialPrunedError(LRSweepError):
    """The pruner stopped the trial after an epoch; it is a normal outcome of a sweep, not a failure."""

    def __init__(self, epoch: int, value: float) -> None:
        self.epoch = epoch
        self.value = value
        self.epochs_completed = epoch + 1
        super().__init__(f"pruned after epoch {epoch + 1} (objective {value:.4f})")  # counted from 1


class StorageError(LRSweepError):
    """The study storage cannot be used: a malformed URL, a server that does not answer, a missing driver.

    The message shows the URL with its password masked.
    """


class DataFileError(LRSweepError):
    """A dataset file is truncated, corrupted or not in the expected format (the message names the file)."""


class TrackingError(LRSweepError):
    """The tracking backend cannot be used (an unsupported or unreachable tracking URI)."""


# The errors that mean "fix the input": the command exits with 2 (1 for a trial that failed while training).
USAGE_ERRORS = (
    ConfigError,
    DataError,
    InvalidArgumentError,
    DatasetNotFoundError,
    DataFileError,
    StorageError,
    TrackingError,
)


def first_line(error: BaseException | str) -> str:
    """The first non-empty line of an error's message (a library's own error, quoted in one of lrsweep's)."""
    lines = [line.strip() for line in str(error).strip().splitlines() if line.strip()]
    return lines[0] if lines else type(error).__name__


def report(error: LRSweepError) -> int:
    """Print ``lrsweep: error: …`` on stderr, on one line; return the exit code: 2 for the user's input, 1
    otherwise."""
    import sys

    message = " ".join(line.strip() for line in str(error).splitlines() if line.strip())
    print(f"lrsweep: error: {message}", file=sys.stderr)
    return 2 if isinstance(error, USAGE_ERRORS) else 1
