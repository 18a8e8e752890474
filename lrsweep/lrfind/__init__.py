"""The LR range test (Smith, 2017; fastai's ``lr_find``, Lightning's ``Tuner.lr_find``), without their pitfalls:
each step's true loss (not Keras' running average), a smoothed curve, a stop at divergence, NaN-safe suggestions,
and one seed for the weights and the batches, so the same config gives the same curve.

Example:
    >>> import lrsweep
    >>> from lrsweep.lrfind import range_test
    >>> test = range_test(lrsweep.compose(["data.train_size=2000", "lr_find.num_steps=60"]))  # doctest: +SKIP
    >>> test.suggestions.lower, test.suggestions.upper  # doctest: +SKIP
"""

from __future__ import annotations

from lrsweep.lrfind._curve import (
    CurveError,
    DivergenceWatch,
    Suggestions,
    exponential_lrs,
    smooth,
    suggest,
    valley_index,
)
from lrsweep.lrfind._report import log_range_test, plot_range_test, write_range_test
from lrsweep.lrfind._run import RangeTest, check_settings, range_test, steps_for

__all__ = [
    "CurveError",
    "DivergenceWatch",
    "RangeTest",
    "Suggestions",
    "check_settings",
    "exponential_lrs",
    "log_range_test",
    "plot_range_test",
    "range_test",
    "smooth",
    "steps_for",
    "suggest",
    "valley_index",
    "write_range_test",
]
