"""inverse_square_root against Hugging Face's get_inverse_sqrt_schedule, written out in plain Python."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lrsweep import ConfigError
from lrsweep.schedules import from_config, lr_trace


def hugging_face_inverse_sqrt(step, *, peak, warmup, timescale=None):
    """transformers.optimization._get_inverse_sqrt_schedule_lr_lambda, times the peak LR."""
    timescale = timescale or (warmup or 10_000)
    if step < warmup:
        return peak * step / max(1, warmup)
    return peak / math.sqrt((step + timescale - warmup) / timescale)


@pytest.mark.parametrize(("warmup", "timescale"), [(100, None), (0, None), (50, 400)])
def test_trace_is_hugging_faces_inverse_sqrt(warmup, timescale):
    config = {"family": "inverse_square_root", "peak_learning_rate": 0.05, "warmup_steps": warmup}
    if timescale is not None:
        config["timescale"] = timescale
    trace = lr_trace(config, steps_per_epoch=250, epochs=4)
    expected = [hugging_face_inverse_sqrt(s, peak=0.05, warmup=warmup, timescale=timescale) for s in range(1000)]
    np.testing.assert_allclose(trace, expected, rtol=2e-5, atol=1e-9)


def test_the_keras_class_peaks_at_the_end_of_the_warm_up():
    from lrsweep.schedules import InverseSquareRoot

    schedule = InverseSquareRoot(peak_learning_rate=0.1, warmup_steps=100)
    assert [round(float(schedule(s)), 6) for s in (0, 50, 100, 400)] == [0.0, 0.05, 0.1, 0.05]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"peak_learning_rate": -1.0}, "`peak_learning_rate` must be > 0"),
        ({"warmup_steps": -5}, "`warmup_steps` must be >= 0"),
        ({"timescale": 0}, "`timescale` must be >= 1"),
    ],
)
def test_bad_arguments_name_the_field(changes, message):
    with pytest.raises(ConfigError) as caught:
        from_config({"family": "inverse_square_root", **changes})
    assert message in str(caught.value)
