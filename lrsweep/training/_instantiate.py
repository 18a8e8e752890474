"""Building the user's parts from their config nodes (``_target_``): model, data, optimizer, loss and metrics.

:func:`instantiate` is ``hydra.utils.instantiate`` with the errors that are the user's turned into one line naming
the node: a path that does not import, arguments the target refuses, or any exception the user's own factory
raised (its type and message).
"""

from __future__ import annotations

from typing import Any

from lrsweep._errors import ConfigError, InvalidArgumentError, LRSweepError, first_line

__all__ = ["instantiate"]

_NO_KERAS = ("tracking",)  # nodes that never need Keras: the tracker is built before anything trains


def instantiate(node: Any, group: str, **kwargs: Any) -> Any:
    """``hydra.utils.instantiate(node, **kwargs)``; ``group`` names the node in errors (``model``, ``data``, …).

    Keras is imported first (quietly, see :func:`lrsweep._backend.load_keras`), so a factory that imports it
    does not print the backend's start-up lines; lrsweep's own data loaders read their files without it (a bad
    file is named in a second, not after the backend's import) and load it the same way where they need it.

    Raises:
        ConfigError: ``_target_`` is not an importable callable.
        InvalidArgumentError: the target refused its arguments, or raised (the message names its type).
    """
    from hydra.errors import InstantiationException
    from hydra.utils import instantiate as hydra_instantiate

    target = node.get("_target_") if hasattr(node, "get") else None
    if group.partition(".")[0] not in _NO_KERAS and not (group == "data" and str(target).startswith("lrsweep.")):
        from lrsweep._backend import load_keras

        load_keras()
    try:
        return hydra_instantiate(node, **kwargs)
    except InstantiationException as error:
        cause = error.__cause__
        if isinstance(cause, ConfigError):
            raise cause.under(group) from None
        if isinstance(cause, LRSweepError):
            raise cause from None
        if cause is None or isinstance(cause, ImportError):
            raise ConfigError(f"{group}._target_", target, "the dotted path of an importable callable") from None
        if isinstance(cause, ValueError | TypeError):  # e.g. Keras: "`momentum` must be a float between [0, 1]."
            raise InvalidArgumentError(f"{group} ({target}): {first_line(cause)}") from None
        # The user's own factory failed: say which, and what it raised, in one line.
        raise InvalidArgumentError(
            f"`{group}._target_` ({target}) raised {type(cause).__name__}: {first_line(cause)}"
        ) from None
