"""Argument checks shared by the schedule families; each raises :class:`ConfigError`."""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import pairwise
from typing import Any

from lrsweep._errors import ConfigError


def finite(name: str, value: Any) -> None:
    """A number (or each number of a list) is finite: no inf or nan learning rate, factor or step."""
    numbers = value if isinstance(value, list | tuple) else [value]
    for number in numbers:
        if isinstance(number, float) and not math.isfinite(number):
            allowed = "a list of finite numbers" if numbers is value else "a finite number"
            raise ConfigError(name, list(value) if numbers is value else value, allowed)


def positive(name: str, value: float) -> None:
    if not value > 0:
        raise ConfigError(name, value, "> 0")


def non_negative(name: str, value: float) -> None:
    if not value >= 0:
        raise ConfigError(name, value, ">= 0")


def at_least(name: str, value: float, low: float) -> None:
    if not value >= low:
        raise ConfigError(name, value, f">= {low}")


def between(
    name: str, value: float, low: float, high: float, *, open_low: bool = False, open_high: bool = False
) -> None:
    ok_low = value > low if open_low else value >= low
    ok_high = value < high if open_high else value <= high
    if not (ok_low and ok_high):
        left, right = "(" if open_low else "[", ")" if open_high else "]"
        raise ConfigError(name, value, f"in {left}{low}, {high}{right}")


def one_of(name: str, value: Any, options: Sequence[Any]) -> None:
    if value not in options:
        raise ConfigError(name, value, f"one of {list(options)}")


def strictly_increasing(name: str, values: Sequence[float]) -> None:
    if any(b <= a for a, b in pairwise(values)):
        raise ConfigError(name, list(values), "strictly increasing")


def each_non_negative(name: str, values: Sequence[float]) -> None:
    if any(not v >= 0 for v in values):
        raise ConfigError(name, list(values), "a list of values >= 0")
