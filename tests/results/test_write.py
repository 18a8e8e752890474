"""``write_report`` over several real Optuna studies: each study keeps its own objective, direction, best and
ranking, whichever order they are given in, and the figures draw one panel per metric, named after it."""

from __future__ import annotations

import numpy as np
import optuna
import pandas as pd
import pytest

from lrsweep.results import write_report
from lrsweep.results._report import best_by_family_figure, family_summary

# A regression study (val_loss, lower is better) and a classification study (val_AUC, higher is better); the
# per-epoch curves a pruner would have seen; one family of the classification whose every trial was pruned.
REGRESSION = [  # family, state, value, curve
    ("cosine_decay", "COMPLETE", 1.0600, [1.40, 1.12, 1.0600]),
    ("cosine_decay", "COMPLETE", 1.0371, [1.35, 1.10, 1.0371]),
    ("exponential_decay", "COMPLETE", 1.2100, [1.50, 1.30, 1.2100]),
    ("exponential_decay", "PRUNED", None, [1.90]),
]
CLASSIFICATION = [
    ("cosine_decay", "COMPLETE", 0.9818, [0.95, 0.97, 0.9818]),
    ("cosine_decay", "COMPLETE", 0.9847, [0.96, 0.9847, 0.9801]),
    ("one_cycle", "PRUNED", None, [0.61]),
    ("one_cycle", "PRUNED", None, [0.55, 0.60]),
]


def _study(storage: str, name: str, metric: str, direction: str, rows: list) -> None:
    study = optuna.create_study(study_name=name, storage=storage, direction=direction)
    study.set_metric_names([metric])
    distribution = optuna.distributions.FloatDistribution(1e-4, 1.0, log=True)
    for index, (family, state, value, curve) in enumerate(rows):
        study.add_trial(
            optuna.trial.create_trial(
                state=getattr(optuna.trial.TrialState, state),
                value=value,
                params={"schedule.initial_learning_rate": 10.0 ** -(index + 1)},
                distributions={"schedule.initial_learning_rate": distribution},
                user_attrs={"family": family, "schedule": {"family": family}},
                intermediate_values=dict(enumerate(curve)),
            )
        )


@pytest.fixture(scope="module")
def storage(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('studies') / 'lrsweep.db'}"
    _study(url, "diab", "val_loss", "minimize", REGRESSION)
    _study(url, "cancer", "val_AUC", "maximize", CLASSIFICATION)
    return url


@pytest.mark.parametrize("order", [["diab", "cancer"], ["cancer", "diab"]])
def test_each_study_keeps_its_own_direction_best_and_ranking(storage, order, tmp_path):
    report = write_report(order, storage, tmp_path)
    families = report.families.set_index(["study", "family"])
    assert families.loc[("diab", "cosine_decay"), "best"] == pytest.approx(1.0371)  # the lowest loss
    assert families.loc[("cancer", "cosine_decay"), "best"] == pytest.approx(0.9847)  # the highest AUC
    assert families.loc[("diab", "cosine_decay"), ["metric", "direction"]].tolist() == ["val_loss", "minimize"]
    assert families.loc[("cancer", "cosine_decay"), ["metric", "direction"]].tolist() == ["val_AUC", "maximize"]
    # Ranked goal by goal, in the order the studies were given, best first by each one's own direction.
    expected = {
        "diab": [("diab", "cosine_decay"), ("diab", "exponential_decay")],
        "cancer": [("cancer", "cosine_decay"), ("cancer", "one_cycle")],
    }
    assert list(report.families.set_index(["study", "family"]).index) == expected[order[0]] + expected[order[1]]

    trials = pd.read_csv(tmp_path / "trials.csv")
    diab = trials[trials.study == "diab"].set_index("number")
    assert diab.best_epoch.tolist()[:3] == [3, 3, 3]  # the lowest loss, in epochs counted from 1
    cancer = trials[trials.study == "cancer"].set_index("number")
    assert cancer.loc[1, "best_epoch"] == 2  # its AUC peaked in the second of three epochs
    assert set(trials.label) == {"sampled"}

    assert "cancer · one_cycle: all pruned (2 trial(s)), so no best val_AUC" in report.text()
    assert "diab" not in "".join(line for line in report.notes if "no best" in line)


def test_each_metric_has_its_own_panel_named_after_it(storage, tmp_path):
    report = write_report(["cancer", "diab"], storage, tmp_path)
    figure = report.figures["best_by_family"]
    assert [axes.get_xlabel() for axes in figure.axes] == ["best val_AUC", "best val_loss"]
    assert [axes.get_title() for axes in figure.axes] == [
        "Best val_AUC of each family (higher is better)",
        "Best val_loss of each family (lower is better)",
    ]
    loss = figure.axes[1]
    assert [t.get_text() for t in loss.get_yticklabels()] == ["diab · cosine_decay", "diab · exponential_decay"]
    assert {"objective_curves.png", "best_by_family.png", "trials.csv"} <= {p.name for p in report.files}


def test_the_curves_are_drawn_in_whole_epochs_one_panel_per_metric(storage, tmp_path):
    curves = write_report(["diab", "cancer"], storage, tmp_path, top_k=2).figures["objective_curves"]
    assert [axes.get_ylabel() for axes in curves.axes] == ["val_loss", "val_AUC"]
    for axes in curves.axes:
        ticks = [t for t in axes.get_xticks() if axes.get_xlim()[0] <= t <= axes.get_xlim()[1]]
        assert ticks and all(float(t).is_integer() for t in ticks)
        assert min(min(line.get_xdata()) for line in axes.get_lines()) == 1  # epochs from 1, as in best_epoch
    regression = curves.axes[0]
    assert [line.get_label() for line in regression.get_lines()] == ["diab #1 cosine_decay", "diab #0 cosine_decay"]


def test_a_summary_built_by_hand_is_one_maximized_panel():
    frame = pd.DataFrame({"study": "s", "family": ["a", "b"], "state": "COMPLETE", "objective": [0.2, 0.7]})
    summary = family_summary(frame)
    assert summary.family.tolist() == ["b", "a"] and np.isclose(summary.best, [0.7, 0.2]).all()
    assert [axes.get_xlabel() for axes in best_by_family_figure(summary).axes] == ["best objective"]


def test_a_family_without_a_completed_trial_says_so_in_the_figure(storage, tmp_path):
    figure = write_report(["cancer"], storage, tmp_path).figures["best_by_family"]
    (axes,) = figure.axes
    assert [t.get_text().strip() for t in axes.texts] == ["0.9847", "no completed trial"]
    assert axes.texts[1].get_position()[1] == 1  # one_cycle's row, below cosine_decay's best
