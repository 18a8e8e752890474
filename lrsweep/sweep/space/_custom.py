"""``hydra.sweeper.custom_search_space``: the user's ``fn(cfg, trial)``, hydra-optuna-sweeper's hook for
parameters that depend on others.

It runs after the declared ``params`` are sampled (``trial.params`` holds them) and suggests more through the
trial; each parameter it suggests becomes a job override under the name it was suggested with (``z``, or
``+w`` for a key the config does not have), recorded with the trial's other overrides.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from lrsweep._errors import ConfigError, LRSweepError

if TYPE_CHECKING:
    from omegaconf import DictConfig
    from optuna.trial import Trial

__all__ = ["Extend", "custom_space"]

Extend = Callable[["Trial"], dict[str, Any]]
"""Suggest the custom parameters of a trial; returns them (name → value)."""

_FIELD = "hydra.sweeper.custom_search_space"


def custom_space(path: str | None, config: DictConfig) -> Extend | None:
    """The hook at ``path`` bound to the sweep's ``config``; a :class:`ConfigError` now (before the study is
    opened) if ``path`` names no function."""
    if path is None:
        return None
    from lrsweep._backend import native_output_to_log
    from lrsweep._internals import locate

    allowed = "the dotted path of a function fn(cfg, trial)"
    try:
        with native_output_to_log():  # the user's module may import TensorFlow
            function = locate(path)
    except Exception as error:
        reason = [line for line in str(error).splitlines() if line.strip()][-1]  # Hydra's says what to check
        raise ConfigError(_FIELD, path, f"{allowed} ({reason})") from None
    if not callable(function):
        raise ConfigError(_FIELD, path, allowed)

    def extend(trial: Trial) -> dict[str, Any]:
        known = set(trial.params)
        try:
            function(config, trial)
        except Exception as error:
            raise LRSweepError(f"{_FIELD} ({path}) raised {type(error).__name__}: {error}") from error
        return {name: value for name, value in trial.params.items() if name not in known}

    return extend
