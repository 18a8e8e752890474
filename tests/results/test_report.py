"""The report's comparison with the tutorial: our best beside the published value, on an axis that shows a point."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lrsweep.results._report import beside_tutorial, best_by_family_figure, family_summary
from lrsweep.results.tutorial import TUTORIAL_VAL_ACCURACY, tutorial_family


def trials(rows: list[tuple[str, str | None, float | None, str]]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"study": "s", "number": i, "state": state, "family": family, "label": label, "objective": value}
            for i, (family, label, value, state) in enumerate(rows)
        ]
    )


def test_tutorial_settings_are_read_from_their_presets():
    assert tutorial_family("sgd_decay") == tutorial_family("inverse_time") == "inverse_time_decay"
    assert tutorial_family("piecewise") == "piecewise_constant"
    assert {tutorial_family(label) for label in TUTORIAL_VAL_ACCURACY} == {
        "constant",
        "inverse_time_decay",
        "exponential_decay",
        "piecewise_constant",
        "polynomial_decay",
        "custom",
    }


def test_labelled_trials_are_compared_setting_by_setting():
    frame = trials(
        [
            ("constant", "constant", 0.8650, "COMPLETE"),
            ("piecewise_constant", "piecewise", 0.8731, "COMPLETE"),
            ("inverse_time_decay", "sgd_decay", 0.8700, "COMPLETE"),
            ("inverse_time_decay", "inverse_time", None, "FAIL"),
        ]
    )
    table = beside_tutorial(frame)
    assert list(table.setting) == ["piecewise", "sgd_decay", "constant"]
    assert list(table.tutorial) == [0.8720, 0.8704, 0.8709]
    assert list(table.ours) == [0.8731, 0.8700, 0.8650]


def test_unlabelled_trials_are_compared_family_by_family_with_the_tutorials_best_for_it():
    frame = trials(
        [
            ("inverse_time_decay", None, 0.8690, "COMPLETE"),
            ("inverse_time_decay", None, 0.8712, "COMPLETE"),
            ("one_cycle", None, 0.8801, "COMPLETE"),
            ("one_cycle", None, 0.3, "PRUNED"),
        ]
    )
    table = beside_tutorial(frame).set_index("setting")
    assert table.loc["inverse_time_decay"].tolist() == [0.8712, 0.8704]  # sgd_decay's 0.8704 beats inverse_time's
    assert table.loc["one_cycle", "ours"] == 0.8801 and np.isnan(table.loc["one_cycle", "tutorial"])


def test_the_figure_draws_both_values_on_an_axis_spanning_them():
    frame = trials(
        [
            ("constant", "constant", 0.8650, "COMPLETE"),
            ("piecewise_constant", "piecewise", 0.8731, "COMPLETE"),
            ("custom", "custom", 0.8412, "COMPLETE"),
        ]
    )
    figure = best_by_family_figure(family_summary(frame), beside_tutorial(frame))
    (axes,) = figure.axes
    low, high = axes.get_xlim()
    assert 0.8 < low < 0.8396 and 0.8731 < high < 0.9  # a point of accuracy is visible, not a 0-1 axis
    drawn = [sorted(np.round(c.get_offsets()[:, 0], 4)) for c in axes.collections if len(c.get_offsets())]
    assert [0.8412, 0.865, 0.8731] in drawn and [0.8396, 0.8709, 0.872] in drawn
    assert [t.get_text() for t in axes.get_legend().get_texts()] == ["ours (best trial)", "tutorial (published)"]
    assert [t.get_text() for t in axes.get_yticklabels()] == ["piecewise", "constant", "custom"]


def test_without_the_tutorial_each_family_is_one_dot():
    frame = trials([("constant", None, 0.61, "COMPLETE"), ("cyclical", None, 0.64, "COMPLETE")])
    figure = best_by_family_figure(family_summary(frame))
    (axes,) = figure.axes
    assert axes.get_legend() is None
    assert axes.get_xlim()[0] == pytest.approx(0.61 - 0.03 * 0.15, abs=0.01)
