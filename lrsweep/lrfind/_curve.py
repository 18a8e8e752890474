"""The LR range test's curve and what it suggests: pure functions of the learning rates and per-batch losses.

A range test's losses are one batch each, so they are noisy: one lucky or unlucky batch must not set the answer.
The suggestions are therefore read off a *robust* curve, not off single points:

- the curve: a running median of the losses over a quarter-decade of LR each side (batch spikes drop out), then a
  running mean over the same window; it is centred, so it does not lag behind the LR as a moving average does;
- the start: the median loss of the flat start, the steps before the curve's trend has made a tenth of its fall
  (at least the first half-decade, 8 steps), and the noise: the scatter of those losses about the curve,
  ``1.4826 · median |loss - curve|`` (a robust standard deviation);
- ``minimum``: the LR of the curve's lowest point; ``upper`` is it (past it the loss rises, then diverges);
- the fall: from the start to the minimum. It must stand out of the noise (3 standard errors of the start's
  median and the minimum's window, and 2 % of the start), else the curve is too flat or too noisy to trust and
  there is no range (:class:`CurveError`);
- ``lower``: where the *sustained* fall has made a tenth of its way: the first LR at which the curve's
  non-increasing trend (a least-squares fit, so a noisy excursion is pooled, not counted as a new start) is a tenth
  of the fall below the start; at most ``upper / 10`` and at least ``upper / 1000`` (one to three decades);
- ``steepest``: the most negative slope of the curve (d loss / d log lr, across its half-decade window) between
  ``lower`` and the minimum; ``minimum / 10``, the classic safe choice; ``valley``: fastai's, midway into the
  longest stretch over which the curve keeps falling (its own formula).

The smoothed curve a person sees (:func:`smooth`, the CSV and the figure) is the bias-corrected moving average
fastai's and Lightning's finders draw; the stop at divergence (:class:`DivergenceWatch`) reads it too, against the
robust start and noise.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import TypeAlias

import numpy as np

from lrsweep._errors import LRSweepError

Values: TypeAlias = Sequence[float] | np.ndarray

__all__ = [
    "CurveError",
    "DivergenceWatch",
    "Suggestions",
    "exponential_lrs",
    "robust_curve",
    "smooth",
    "suggest",
    "valley_index",
]

_STARTED = 0.1  # share of the fall from the start to the minimum after which the loss "has started to fall"
_HALF_WINDOW = 0.25  # decades of LR each side of a point that the robust curve summarises
_START = 0.5  # decades of LR at the start whose median loss is the start level
_MIN_FALL = 3.0  # noise levels (of the curve) the fall must exceed to be trusted
_MAX_DECADES = 3.0  # the widest range the test gives


class CurveError(LRSweepError):
    """The range test's curve gives no usable range (the loss never fell, or not out of its noise)."""


@dataclass(frozen=True)
class Suggestions:
    """What the curve suggests; every value but ``diverged``, ``noise`` and ``fall`` is a learning rate."""

    steepest: float
    minimum: float
    minimum_tenth: float
    valley: float
    lower: float
    upper: float
    diverged: bool  # the test stopped at divergence (else it ran to max_lr)
    noise: float = math.nan  # the batch-to-batch scatter of the losses (a robust standard deviation)
    fall: float = math.nan  # from the start level to the curve's minimum, in loss

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


def noise_level(losses: Values) -> float:
    """The batch-to-batch scatter of the losses: a robust standard deviation from their successive differences
    (slow trends cancel in a difference; a spike moves the median little)."""
    values = np.asarray(losses, dtype=float)
    if len(values) < 3:
        return 0.0
    return float(1.4826 * np.median(np.abs(np.diff(values))) / math.sqrt(2.0))


def _scatter(residuals: np.ndarray) -> float:
    """A robust standard deviation of residuals about the curve (1.4826 times their median absolute value)."""
    return float(1.4826 * np.median(np.abs(residuals))) if len(residuals) else 0.0


def _points_per_decade(rates: np.ndarray) -> float:
    span = math.log10(rates[-1] / rates[0]) if rates[-1] > rates[0] else 0.0
    return (len(rates) - 1) / span if span > 0 else float(len(rates))


def _running(values: np.ndarray, half: int, reduce: str) -> np.ndarray:
    """A centred running median or mean over ``2 * half + 1`` points (fewer at the ends)."""
    out = np.empty_like(values)
    for i in range(len(values)):
        window = values[max(0, i - half) : i + half + 1]
        out[i] = np.median(window) if reduce == "median" else window.mean()
    return out


def robust_curve(lrs: Values, losses: Values) -> tuple[np.ndarray, int]:
    """The curve the suggestions are read from: a centred running median, then mean, over a quarter-decade each
    side; and that half-window in points."""
    rates, values = np.asarray(lrs, dtype=float), np.asarray(losses, dtype=float)
    half = max(1, round(_HALF_WINDOW * _points_per_decade(rates)))
    return _running(_running(values, half, "median"), half, "mean"), half


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


def _start_count(rates: np.ndarray) -> int:
    """How many steps make the start level: the first half-decade, at least 8."""
    return min(len(rates), max(8, round(_START * _points_per_decade(rates))))


def _decreasing(values: np.ndarray) -> np.ndarray:
    """The closest non-increasing sequence in least squares (pool-adjacent-violators): a curve's sustained trend,
    in which a noisy excursion is pooled with its neighbours instead of crossing a threshold again."""
    blocks: list[list[float]] = []  # [sum, count]
    for value in values:
        blocks.append([float(value), 1.0])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] < blocks[-1][0] / blocks[-1][1]:
            total, count = blocks.pop()
            blocks[-1][0] += total
            blocks[-1][1] += count
    return np.concatenate([np.full(int(count), total / count) for total, count in blocks])


def suggest(lrs: Values, losses: Values, *, beta: float = 0.98, diverged: bool = False) -> Suggestions:
    """The suggestions and the usable range from a range test's LRs and per-batch losses (finite ones), by the rule
    of this module's docstring. ``beta`` is the drawn curve's (:func:`smooth`); the suggestions do not use it.

    Raises:
        CurveError: fewer than 5 points, or the loss did not fall out of its noise.
    """
    del beta  # the suggestions read the robust curve, whatever the drawn one's smoothing
    rates, values = np.asarray(lrs, dtype=float), np.asarray(losses, dtype=float)
    if len(rates) < 5:
        raise CurveError(f"the range test gave {len(rates)} finite losses; it needs at least 5 (lower min_lr)")
    curve, half = robust_curve(rates, values)
    low = int(np.argmin(curve))
    trend = _decreasing(curve[: low + 1])
    flat = _start_count(rates)
    for _ in range(4):  # the flat start: the steps before the trend has made a tenth of the fall from it
        start = float(np.median(values[:flat]))
        fall = start - float(curve[low])
        if low == 0 or not fall > 0:
            raise CurveError(
                f"the loss did not fall between {rates[0]:.2g} and {rates[-1]:.2g} (it was lowest at the first "
                "step): lower min_lr, or check that the model can learn this data"
            )
        started = int(np.argmax(trend <= start - _STARTED * fall))
        if started <= flat:
            break
        flat = started
    noise = _scatter(values[:flat] - curve[:flat])
    near = slice(max(0, low - half), low + half + 1)
    # The standard errors of the start's median and of the curve at its minimum (a median's: 1.25 sd / sqrt(n)).
    spread = _scatter(values[near] - curve[near])
    error = 1.25 * math.hypot(noise / math.sqrt(flat), spread / math.sqrt(2 * half + 1))
    if fall < max(_MIN_FALL * error, 0.02 * abs(start)):
        raise CurveError(
            f"the loss fell by {fall:.3g} between {rates[0]:.2g} and {rates[low]:.2g}, within its batch noise "
            f"({noise:.3g} a batch): the curve is too flat or too noisy to trust (more lr_find.num_steps, a larger "
            "batch)"
        )
    upper = float(rates[low])
    lower = min(float(rates[started]), upper / 10)
    lower = max(lower, upper / 10**_MAX_DECADES, float(rates[0]))
    log = np.log10(rates)
    ahead, behind = (
        np.minimum(np.arange(len(curve)) + half, len(curve) - 1),
        np.maximum(np.arange(len(curve)) - half, 0),
    )
    slopes = (curve[ahead] - curve[behind]) / (log[ahead] - log[behind])  # across the window: half a decade
    first = min(int(np.searchsorted(rates, lower)), low)
    steepest = float(rates[first + int(np.argmin(slopes[first : low + 1]))])
    return Suggestions(
        steepest=steepest,
        minimum=upper,
        minimum_tenth=upper / 10,
        valley=float(rates[valley_index(curve[: low + 1])]),
        lower=lower,
        upper=upper,
        diverged=diverged,
        noise=noise,
        fall=fall,
    )


@dataclass
class DivergenceWatch:
    """The range test's stop, step by step: the loss has diverged when it is not finite, or when its smoothed value
    stays (``patience`` steps running) above ``factor`` times its best, or — once it has fallen out of its noise —
    back near the start level. Nothing is judged during the first ``warmup`` steps, which set the start level (a
    median) and the noise, so one noisy early batch cannot end the test."""

    factor: float = 4.0
    beta: float = 0.98
    warmup: int = 10
    patience: int = 3
    losses: list[float] = field(default_factory=list)
    _average: float = 0.0
    _best: float = math.inf
    _start: float = math.nan
    _over: int = 0

    def add(self, loss: float) -> bool:
        """Record one step's loss; whether the test should stop here."""
        if not math.isfinite(loss):
            return True
        self.losses.append(loss)
        step = len(self.losses)
        self._average = self.beta * self._average + (1.0 - self.beta) * loss
        smoothed = self._average / (1.0 - self.beta**step)
        if step < self.warmup:  # an average of a few batches: neither a best nor a divergence yet
            return False
        self._best = min(self._best, smoothed)
        if math.isnan(self._start):
            self._start = float(np.median(self.losses))
        noise = noise_level(self.losses)
        fell = self._start - self._best > max(0.05 * abs(self._start), 3 * noise / math.sqrt(self.warmup))
        over = smoothed > self.factor * self._best or (
            fell and smoothed > self._best + 0.9 * (self._start - self._best)
        )
        self._over = self._over + 1 if over else 0
        return self._over >= self.patience
