"""The range test's curve: smoothing, the suggestions on a curve whose answer is known, and a curve with none."""

from __future__ import annotations

import numpy as np
import pytest

from lrsweep.lrfind import CurveError, exponential_lrs, smooth, suggest, valley_index

LRS = exponential_lrs(1e-6, 10.0, 141)  # 20 points per decade
LOG = np.log10(LRS)
# Flat at 2.3 until ~1e-4, falls fastest at 1e-3 (a logistic in log lr) to 0.5, rises from 1e-1 on (divergence).
KNOWN = 2.3 - 1.8 / (1 + np.exp(-3 * (LOG + 3))) + np.where(LOG > -1, 10 * (LOG + 1) ** 2, 0.0)


def test_lrs_grow_by_a_constant_factor():
    ratios = LRS[1:] / LRS[:-1]
    assert LRS[0] == pytest.approx(1e-6) and LRS[-1] == pytest.approx(10.0)
    np.testing.assert_allclose(ratios, ratios[0])


def test_smoothing_is_the_bias_corrected_moving_average():
    losses = [4.0, 2.0, 3.0]
    beta = 0.9
    expected, average = [], 0.0
    for k, loss in enumerate(losses):
        average = beta * average + (1 - beta) * loss
        expected.append(average / (1 - beta ** (k + 1)))
    np.testing.assert_allclose(smooth(losses, beta), expected)
    assert smooth(losses, beta)[0] == 4.0  # no pull towards zero at the start


def test_suggestions_on_a_curve_with_a_known_answer():
    s = suggest(LRS, KNOWN, beta=0.0)  # no smoothing: the curve itself
    step = 10 ** (1 / 20)  # one point of the grid
    assert 1e-3 / step <= s.steepest <= 1e-3 * step  # the logistic's centre
    assert 1e-1 / step**3 <= s.minimum <= 1e-1 * step  # where the rise begins
    assert s.minimum_tenth == pytest.approx(s.minimum / 10)
    assert s.upper == s.minimum
    # The loss has made a tenth of its fall (2.3 -> 0.5) where the logistic is at 0.1: log lr = -3 - ln 9 / 3.
    started = 10 ** (-3 - np.log(9) / 3)
    assert started / step <= s.lower <= started * step and s.lower <= s.upper / 10
    assert s.lower < s.steepest < s.upper


def test_the_valley_is_fastais_longest_descent():
    losses = [5, 4, 6, 3, 2.5, 2, 1, 7, 8]  # longest decreasing run: 5, 4, 3, 2.5, 2, 1 (indices 0 .. 6)
    assert valley_index(losses) == 0 + 2 + 1  # start + ⅓ + ⅙ of its length, as fastai's formula


def test_a_curve_that_never_falls_has_no_range():
    with pytest.raises(CurveError, match="the loss did not fall"):
        suggest(LRS, np.linspace(2.3, 9.0, len(LRS)), beta=0.0)


def test_too_few_points_have_no_range():
    with pytest.raises(CurveError, match="at least 5"):
        suggest(LRS[:3], [2.0, 1.0, 0.5])
