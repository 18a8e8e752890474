"""The argument checks of lrsweep's own schedules, without Keras: each class of
:mod:`lrsweep.schedules._keras_classes` calls its check in ``__init__``, and its family validates a config with
the same check before Keras is imported (so a sweep's checks start no backend)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from lrsweep._errors import ConfigError
from lrsweep.schedules import _checks

__all__ = ["CHECKS", "DECAY_SHAPES"]

ANNEAL = ("cos", "linear")
CYCLICAL_MODES = ("triangular", "triangular2", "exp_range")
DECAY_SHAPES = ("linear", "cosine", "sqrt")


def check_one_cycle(
    *,
    max_learning_rate: float,
    total_steps: int,
    pct_start: float,
    div_factor: float,
    final_div_factor: float,
    anneal: str,
    **_: Any,
) -> None:
    _checks.positive("max_learning_rate", max_learning_rate)
    _checks.positive("total_steps", total_steps)
    _checks.between("pct_start", pct_start, 0.0, 1.0, open_low=True, open_high=True)
    _checks.at_least("div_factor", div_factor, 1.0)
    _checks.at_least("final_div_factor", final_div_factor, 1.0)
    _checks.one_of("anneal", anneal, ANNEAL)


def check_cyclical(
    *, initial_learning_rate: float, maximal_learning_rate: float, step_size: int, mode: str, gamma: float, **_: Any
) -> None:
    _checks.positive("initial_learning_rate", initial_learning_rate)
    if not maximal_learning_rate > initial_learning_rate:
        raise ConfigError(
            "maximal_learning_rate", maximal_learning_rate, f"> initial_learning_rate ({initial_learning_rate})"
        )
    _checks.positive("step_size", step_size)
    _checks.one_of("mode", mode, CYCLICAL_MODES)
    _checks.between("gamma", gamma, 0.0, 1.0, open_low=True)


def check_rex(*, peak_learning_rate: float, total_steps: int, **_: Any) -> None:
    _checks.positive("peak_learning_rate", peak_learning_rate)
    _checks.at_least("total_steps", total_steps, 1)


def check_warmup_stable_decay(
    *,
    peak_learning_rate: float,
    total_steps: int,
    warmup_fraction: float,
    decay_fraction: float,
    decay_shape: str,
    min_ratio: float,
    **_: Any,
) -> None:
    _checks.positive("peak_learning_rate", peak_learning_rate)
    _checks.at_least("total_steps", total_steps, 1)
    _checks.between("warmup_fraction", warmup_fraction, 0.0, 1.0)
    _checks.between("decay_fraction", decay_fraction, 0.0, 1.0)
    if warmup_fraction + decay_fraction > 1.0:
        allowed = f"<= 1 - warmup_fraction ({1.0 - warmup_fraction:g}): the decay starts after the warm-up"
        raise ConfigError("decay_fraction", decay_fraction, allowed)
    _checks.one_of("decay_shape", decay_shape, DECAY_SHAPES)
    _checks.between("min_ratio", min_ratio, 0.0, 1.0)


def check_inverse_square_root(*, peak_learning_rate: float, warmup_steps: int, timescale: int | None, **_: Any) -> None:
    _checks.positive("peak_learning_rate", peak_learning_rate)
    _checks.non_negative("warmup_steps", warmup_steps)
    if timescale is not None:
        _checks.at_least("timescale", timescale, 1)


CHECKS: Mapping[str, Callable[..., None]] = {
    "OneCycle": check_one_cycle,
    "Cyclical": check_cyclical,
    "Rex": check_rex,
    "WarmupStableDecay": check_warmup_stable_decay,
    "InverseSquareRoot": check_inverse_square_root,
}
"""Each class's check, by the class's name (its family's ``schedule_name``)."""
