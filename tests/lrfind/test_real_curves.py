"""The range test on real, noisy curves of users' models (not the seed CNN): BatchNorm and Dropout, Adam and SGD,
small batches, a noisy regression. Each curve's answer is known from the same test averaged over more seeds: the
range starts within a decade of where that curve's sustained fall begins, ends at or before its minimum, and
spans at most three decades; batch noise never stops the test early."""

from __future__ import annotations

import numpy as np
import pytest

from lrsweep.lrfind import range_test

SEEDS = (1, 2, 3)  # the reference curve: the mean of these seeds' curves (same LRs), far less noisy than one

CASES = {
    "bn-dropout-cnn-adam": (
        "model._target_=tests.lrfind.models.bn_dropout_cnn",
        "optimizer=adam",
        "trainer.batch_size=32",
        "lr_find.max_lr=10",
    ),
    "dropout-regressor-adam-mse": (
        "data=factory",
        "data._target_=tests.lrfind.models.noisy_regression",
        "model._target_=tests.lrfind.models.dropout_regressor",
        "optimizer=adam",
        "trainer.loss=mse",
        "trainer.metrics=[mae]",
        "trainer.objective=val_mae",
        "trainer.batch_size=32",
    ),
    "bn-mlp-sgd": (
        "data=factory",
        "data._target_=tests.lrfind.models.blobs",
        "model._target_=tests.lrfind.models.bn_mlp",
        "optimizer=sgd",
        "trainer.batch_size=16",
    ),
}


def _reference(lrs: np.ndarray, curves: list[np.ndarray]) -> tuple[float, float]:
    """Where the mean curve's sustained fall begins (a tenth of its fall, on a one-decade running median) and
    where its minimum is."""
    length = min(len(c) for c in curves)
    mean = np.mean([c[:length] for c in curves], axis=0)
    per_decade = (len(lrs) - 1) / np.log10(lrs[-1] / lrs[0])
    half = max(1, round(0.5 * per_decade))
    curve = np.array([np.median(mean[max(0, i - half) : i + half + 1]) for i in range(length)])
    low = int(np.argmin(curve))
    start = float(np.median(mean[: max(8, half)]))
    below = curve[: low + 1] <= start - 0.1 * (start - curve[low])
    begins = next(i for i in range(low + 1) if below[i:].all())
    return float(lrs[begins]), float(lrs[low])


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_range_of_a_real_noisy_curve(compose_config, data_dir, case):
    overrides = ["tracking=none", "lr_find.num_steps=120", *CASES[case]]
    if "data=factory" not in overrides:  # the synthetic Fashion-MNIST
        overrides.append(f"data.data_dir={data_dir}")
    tests = [range_test(compose_config(*overrides, f"trainer.seed={seed}")) for seed in SEEDS]
    test = tests[0]
    s = test.suggestions
    begins, minimum = _reference(test.lrs, [t.losses for t in tests])
    assert len(test.losses) > 0.6 * 120 and test.lrs[-1] > 10 * minimum, (case, test.summary())  # not stopped early
    assert begins / 10 <= s.lower <= begins * 10, (case, begins, test.summary())
    assert s.upper <= minimum * 10**0.5, (case, minimum, test.summary())  # at or before the minimum
    assert np.log10(s.upper / s.lower) <= 3 + 1e-9, (case, test.summary())
