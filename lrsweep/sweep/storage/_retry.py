"""Ride out a study storage that stops answering for a while (a database restart, a network blip).

Every storage call a sweep or a trial makes in the middle of its work goes through :func:`retry_storage`:
on a connection error it waits 0.5 s, 1 s, 2 s, … (at most 30 s, with jitter) and tries again, for up to
``patience`` seconds; then it gives up with one :class:`StorageUnavailableError` naming the storage.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import Protocol, TypeVar

from lrsweep._errors import StorageError
from lrsweep._secrets import mask

__all__ = ["Retry", "StorageUnavailableError", "is_transient", "retry_storage", "retrying"]

log = logging.getLogger("lrsweep.sweep")
T = TypeVar("T")
_FIRST_WAIT_S, _LONGEST_WAIT_S = 0.5, 30.0


class Retry(Protocol):
    """``retry(call, what)``: ``call()``, retried while the storage is unreachable; ``what`` names it in messages."""

    def __call__(self, call: Callable[[], T], what: str) -> T: ...


class StorageUnavailableError(StorageError):
    """The study storage did not answer for longer than the sweep is configured to wait."""


def is_transient(error: BaseException) -> bool:
    """A lost or refused database connection (directly or as the cause of Optuna's StorageInternalError)."""
    import sqlalchemy.exc

    while error is not None:
        if isinstance(error, sqlalchemy.exc.OperationalError | sqlalchemy.exc.InterfaceError):
            return True
        if isinstance(error, sqlalchemy.exc.DBAPIError) and error.connection_invalidated:
            return True
        error = error.__cause__ or error.__context__  # type: ignore[assignment]
    return False


def _reason(error: BaseException) -> str:
    orig = getattr(error.__cause__ or error, "orig", None) or error.__cause__ or error
    lines = str(orig).strip().splitlines()
    return mask(lines[0] if lines else type(orig).__name__)


def retry_storage(call: Callable[[], T], *, what: str, url: str, patience: float) -> T:
    """``call()``, retried with back-off while the storage at ``url`` is unreachable, for ``patience`` seconds."""
    deadline = time.monotonic() + patience
    wait = _FIRST_WAIT_S
    warned = False
    while True:
        try:
            result = call()
        except Exception as error:
            if not is_transient(error):
                raise
            if time.monotonic() + wait > deadline:
                raise StorageUnavailableError(
                    f"the study storage {mask(url)} did not answer for {patience:.0f} s ({what}): {_reason(error)}"
                ) from None
            if not warned:
                log.warning(
                    "study storage %s unavailable (%s): retrying for up to %.0f s", mask(url), _reason(error), patience
                )
                warned = True
            time.sleep(wait * random.uniform(0.8, 1.2))
            wait = min(wait * 2, _LONGEST_WAIT_S)
        else:
            if warned:
                log.warning("study storage %s is back (%s)", mask(url), what)
            return result


def retrying(url: str, patience: float) -> Retry:
    """``retrying(url, patience)(call, what)``: :func:`retry_storage` with the storage and patience bound."""

    def _call(call: Callable[[], T], what: str) -> T:
        return retry_storage(call, what=what, url=url, patience=patience)

    return _call  # type: ignore[return-value]  # a generic function is a Retry
