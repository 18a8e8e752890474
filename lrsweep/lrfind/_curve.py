"""The LR range test's curve and what it suggests: pure functions of the learning rates and per-batch losses.

The losses are smoothed with a bias-corrected exponential moving average (as fastai's and Lightning's finders do);
the suggestions are read off the smoothed curve, on a log-LR axis:

- ``steepest``: where the loss falls fastest (the most negative d loss / d log lr before the minimum);
- ``minimum``: the LR of the lowest smoothed loss, and ``minimum / 10``, the classic safe choice;
- ``valley``: fastai's: midway into the longest stretch over which the loss keeps falling (its own formula).

The usable range is ``[lower, upper]``: ``upper`` the minimum (past it the loss rises, then diverges), ``lower``
where the loss has made a tenth of its fall from the start to the minimum (below it, training barely moves),
and at most ``upper / 10``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TypeAlias

import numpy as np

from lrsweep._errors import LRSweepError

Values: TypeAlias = Sequence[float] | np.ndarray

__all__ = ["CurveError", "Suggestions", "exponential_lrs", "smooth", "suggest", "valley_index"]

_STARTED = 0.1  # share of the fall from the start to the minimum after which the loss "has started to fall"


class CurveError(LRSweepError):
    """The range test's curve gives no usable range (the loss never fell)."""


@dataclass(frozen=True)
class Suggestions:
    """What the curve suggests; every value is a learning rate."""

    steepest: float
    minimum: float
    minimum_tenth: float
    valley: float
    lower: float
    upper: float
    diverged: bool  # the test stopped at divergence (else it ran to max_lr)

    def as_dict(self) -> dict[str, float | bool]:
        return asdict(self)


def exponential_lrs(min_lr: float, max_lr: float, num_steps: int) -> np.ndarray:
    """``num_steps`` learning rates from ``min_lr`` to ``max_lr``, each a constant factor above the last."""
    return np.geomspace(min_lr, max_lr, num_steps)


def smooth(losses: Values, beta: float = 0.98) -> np.ndarray:
    """Bias-corrected exponential moving average: ``avg_k / (1 - beta^(k+1))``."""
    average, out = 0.0, np.empty(len(losses))
    for k, loss in enumerate(losses):
        average = beta * average + (1.0 - beta) * float(loss)
        out[k] = average / (1.0 - beta ** (k + 1))
    return out


def valley_index(losses: Values) -> int:
    """fastai's valley: the longest decreasing run (not necessarily contiguous), then start + ⅓ + ⅙ of its length."""
    values = np.asarray(losses, dtype=float)
    n = len(values)
    longest = np.ones(n, dtype=int)
    start, end = 0, 0
    for i in range(1, n):
        earlier = np.nonzero(values[:i] > values[i])[0]
        if earlier.size:
            longest[i] = longest[earlier].max() + 1
        if longest[i] > longest[end]:
            end, start = i, i - longest[i]
    section = (end - start) / 3
    return int(min(n - 1, max(0, start + int(section) + int(section / 2))))


def suggest(lrs: Values, losses: Values, *, beta: float = 0.98, diverged: bool = False) -> Suggestions:
    """The suggestions and the usable range from a range test's LRs and per-batch losses (finite ones).

    Raises:
        CurveError: fewer than 5 points, or the smoothed loss never fell below its start.
    """
    rates = np.asarray(lrs, dtype=float)
    if len(rates) < 5:
        raise CurveError(f"the range test gave {len(rates)} finite losses; it needs at least 5 (lower min_lr)")
    smoothed = smooth(losses, beta)
    low = int(np.argmin(smoothed))
    fall = smoothed[0] - smoothed[low]
    if low == 0 or not fall > 0:
        raise CurveError(
            f"the loss did not fall between {rates[0]:.2g} and {rates[-1]:.2g} (it was lowest at the first step): "
            "lower min_lr, or check that the model can learn this data"
        )
    slopes = np.diff(smoothed[: low + 1]) / np.diff(np.log(rates[: low + 1]))
    steepest = float(rates[int(np.argmin(slopes))])
    started = int(np.argmax(smoothed <= smoothed[0] - _STARTED * fall))
    upper = float(rates[low])
    lower = min(float(rates[started]), upper / 10)
    return Suggestions(
        steepest=steepest,
        minimum=upper,
        minimum_tenth=upper / 10,
        valley=float(rates[valley_index(smoothed[: low + 1])]),
        lower=max(lower, float(rates[0])),
        upper=upper,
        diverged=diverged,
    )
