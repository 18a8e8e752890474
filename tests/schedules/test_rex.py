"""rex against its closed form, peak · (1 − t/T) / (½ + ½(1 − t/T))."""

from __future__ import annotations

import numpy as np
import pytest

from lrsweep import ConfigError
from lrsweep.schedules import from_config, lr_trace


def test_trace_is_the_closed_form_over_the_run():
    trace = lr_trace({"family": "rex", "peak_learning_rate": 0.2}, steps_per_epoch=50, epochs=4)  # T = 200
    t = np.arange(200) / 200
    np.testing.assert_allclose(trace, 0.2 * (1 - t) / (0.5 + 0.5 * (1 - t)), rtol=2e-6)
    assert trace[0] == pytest.approx(0.2) and np.all(np.diff(trace) < 0)


def test_an_explicit_length_holds_zero_after_it():
    from lrsweep.schedules import Rex

    schedule = Rex(peak_learning_rate=0.1, total_steps=100)
    assert [round(float(schedule(s)), 6) for s in (0, 50, 100, 150)] == [0.1, 0.066667, 0.0, 0.0]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"peak_learning_rate": 0.0}, "`peak_learning_rate` must be > 0"),
        ({"total_steps": 0}, "`total_steps` must be >= 1"),
    ],
)
def test_bad_arguments_name_the_field(changes, message):
    with pytest.raises(ConfigError) as caught:
        from_config({"family": "rex", **changes})
    assert message in str(caught.value)
