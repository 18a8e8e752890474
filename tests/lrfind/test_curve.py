"""The range test's curve: smoothing, the suggestions on a curve whose answer is known, and a curve with none."""

from __future__ import annotations

import numpy as np
import pytest

from lrsweep.lrfind import CurveError, DivergenceWatch, exponential_lrs, smooth, suggest, valley_index

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
    s = suggest(LRS, KNOWN)
    step = 10 ** (1 / 20)  # one point of the grid
    window = 10**0.25  # the robust curve's half-window
    hair = 1 + 1e-9  # a grid point may lie on a bound (10**-1.25 is both): the last bit of rounding is not a miss
    assert 1e-3 / step**2 / hair <= s.steepest <= 1e-3 * step**2 * hair  # the logistic's centre
    assert 1e-1 / window / hair <= s.minimum <= 1e-1 * step * hair  # where the rise begins
    assert s.minimum_tenth == pytest.approx(s.minimum / 10)
    assert s.upper == s.minimum
    # The loss has made a tenth of its fall (2.3 -> 0.5) where the logistic is at 0.1: log lr = -3 - ln 9 / 3.
    started = 10 ** (-3 - np.log(9) / 3)
    assert started / window <= s.lower <= started * window and s.lower <= s.upper / 10
    assert s.lower < s.steepest < s.upper
    assert s.noise < 0.01 and s.fall == pytest.approx(1.8, abs=0.05)


def noisy_curve(seed: int, lrs: np.ndarray, *, fall_at: float, noise: float, spikes: float = 0.03) -> np.ndarray:
    """A real range test's shape: flat at 2.3, a logistic fall (centred ``fall_at``, a decade and a half wide) to
    0.4, a rise past ``100 * fall_at``; each batch's loss scattered (multiplicative, as cross-entropy's is),
    and a few batches far off."""
    rng = np.random.default_rng(seed)
    log = np.log10(lrs)
    centre = np.log10(fall_at)
    clean = 2.3 - 1.9 / (1 + np.exp(-3 * (log - centre))) + np.where(log > centre + 2, 8 * (log - centre - 2) ** 2, 0)
    scattered = clean * (1 + noise * rng.standard_normal(len(lrs)))
    outliers = rng.random(len(lrs)) < spikes
    return np.where(outliers, scattered * rng.uniform(1.5, 3.0, len(lrs)), scattered)


def fall_begins(fall_at: float) -> float:
    """Where the logistic of :func:`noisy_curve` has made 5 % of its fall: the sustained fall's start."""
    return 10 ** (np.log10(fall_at) - np.log(19) / 3)


@pytest.mark.parametrize("noise", [0.05, 0.15, 0.3])
@pytest.mark.parametrize("fall_at", [3e-4, 1e-2])
def test_noisy_curves_give_a_range_from_the_sustained_fall_to_the_minimum(noise, fall_at):
    """Over 40 seeds of batch noise and spikes (100 steps over 8 decades, as a default range test runs), no single
    batch sets the range: it starts within a decade of where the fall begins, ends at or before the minimum and
    spans one to three decades."""
    lrs = exponential_lrs(1e-7, 10.0, 121)
    minimum = fall_at * 100  # where :func:`noisy_curve` turns up
    noises, steepest = [], []
    for seed in range(40):
        losses = noisy_curve(seed, lrs, fall_at=fall_at, noise=noise)
        s = suggest(lrs, losses)
        noises.append(s.noise)
        begins = fall_begins(fall_at)
        assert begins / 10 <= s.lower <= begins * 10, (seed, s)
        assert s.upper <= minimum * 10**0.1, (seed, s)  # at or before the minimum (a grid point's slack)
        assert 1 <= np.log10(s.upper / s.lower) <= 3 + 1e-9, (seed, s)
        assert s.lower <= s.steepest <= s.upper, (seed, s)
        steepest.append(fall_at / 10 <= s.steepest <= fall_at * 10)
    assert np.median(noises) == pytest.approx(noise * 2.3, rel=0.3)  # the scatter of the flat start
    assert sum(steepest) >= 38  # the fastest fall: within a decade of the logistic's centre, but on a rare draw


def test_a_fall_inside_the_noise_is_not_trusted():
    lrs = exponential_lrs(1e-7, 10.0, 121)
    rng = np.random.default_rng(0)
    flat = 2.3 * (1 + 0.2 * rng.standard_normal(len(lrs))) - 0.01 * (np.log10(lrs) > -2)
    with pytest.raises(CurveError, match="too flat or too noisy to trust"):
        suggest(lrs, flat)


def test_the_watch_does_not_call_batch_noise_divergence():
    """A noisy MSE range test (scatter of half the loss, as a small batch of regression targets gives) runs on
    to where the loss really blows up; one bad early batch does not stop it."""
    lrs = exponential_lrs(1e-7, 10.0, 121)
    rng = np.random.default_rng(4)
    log = np.log10(lrs)
    clean = 1.0 - 0.8 / (1 + np.exp(-3 * (log + 3))) + np.where(log > -1, 30 * (log + 1) ** 2, 0)
    losses = clean * np.exp(0.5 * rng.standard_normal(len(lrs)))
    losses[3] = 0.05  # one lucky early batch: far below the start
    for seed in range(20):
        watch = DivergenceWatch(warmup=8)
        noisy = clean * np.exp(0.5 * np.random.default_rng(seed).standard_normal(len(lrs)))
        noisy[3] = 0.05
        stopped = next((i for i, loss in enumerate(noisy) if watch.add(float(loss))), None)
        assert stopped is not None and lrs[stopped] > 1e-1, (seed, stopped and lrs[stopped])
    watch = DivergenceWatch(warmup=8)
    assert [watch.add(v) for v in (1.0, 0.9, float("nan"))] == [False, False, True]  # not finite: at once
    assert len(losses) == len(lrs)


def test_the_valley_is_fastais_longest_descent():
    losses = [5, 4, 6, 3, 2.5, 2, 1, 7, 8]  # longest decreasing run: 5, 4, 3, 2.5, 2, 1 (indices 0 .. 6)
    assert valley_index(losses) == 0 + 2 + 1  # start + ⅓ + ⅙ of its length, as fastai's formula


def test_a_curve_that_never_falls_has_no_range():
    with pytest.raises(CurveError, match="the loss did not fall"):
        suggest(LRS, np.linspace(2.3, 9.0, len(LRS)), beta=0.0)


def test_too_few_points_have_no_range():
    with pytest.raises(CurveError, match="at least 5"):
        suggest(LRS[:3], [2.0, 1.0, 0.5])
