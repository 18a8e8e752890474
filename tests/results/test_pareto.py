"""A multi-objective study's results: the trials table marks its Pareto front, the report lists and draws it, and
export picks from it by the stated rule. The studies are real Optuna studies in a SQLite file."""

from __future__ import annotations

import optuna
import pandas as pd
import pytest
from optuna.trial import TrialState, create_trial

from lrsweep.results import trials_frame, write_report
from lrsweep.results._export import pick

# (val_accuracy, fit_seconds): #1, #2 and #4 trade accuracy against time; #0 and #3 are dominated by #1.
VALUES = [(0.80, 30.0), (0.85, 20.0), (0.90, 45.0), (0.84, 25.0), (0.70, 5.0)]


@pytest.fixture
def storage(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'studies.db'}"
    study = optuna.create_study(study_name="mo", storage=url, directions=["maximize", "minimize"])
    with pytest.warns(optuna.exceptions.ExperimentalWarning):
        study.set_metric_names(["val_accuracy", "fit_seconds"])
    for number, values in enumerate(VALUES):
        family = "cosine_decay" if number % 2 else "constant"
        study.add_trial(create_trial(values=list(values), user_attrs={"family": family}))
    study.add_trial(create_trial(state=TrialState.FAIL, user_attrs={"family": "constant"}))
    return url


def test_the_trials_table_has_each_objective_and_the_front(storage):
    frame = trials_frame(["mo"], storage).set_index("number")
    assert list(frame.columns[-3:]) == ["val_accuracy", "fit_seconds", "pareto"]  # after the trial columns
    assert list(frame.fit_seconds[:5]) == [v[1] for v in VALUES]
    assert list(frame.objective[:5]) == [v[0] for v in VALUES]  # the first objective
    assert set(frame.index[frame.pareto == True]) == {1, 2, 4}  # noqa: E712
    assert pd.isna(frame.loc[5, "val_accuracy"]) and not frame.loc[5, "pareto"]


def test_the_report_lists_and_draws_the_front(storage, tmp_path):
    report = write_report(["mo"], storage, tmp_path / "report")
    front = pd.read_csv(tmp_path / "report" / "pareto_front.csv")
    assert list(front.number) == [2, 1, 4]  # best val_accuracy first
    assert list(front.columns) == ["number", "family", "val_accuracy", "fit_seconds"]
    assert (tmp_path / "report" / "pareto_front.png").stat().st_size > 10_000
    text = report.text()
    assert "Pareto front of 'mo': val_accuracy (maximize), fit_seconds (minimize)" in text
    assert "objective_curves.png" not in text  # its epochs were not reported: no curves to draw


def test_export_picks_the_fronts_best_first_objective_and_says_so(storage):
    study = optuna.load_study(study_name="mo", storage=storage)
    trial, rule = pick(study)
    assert trial.number == 2
    assert rule == (
        "from the Pareto front (3 trials): the best val_accuracy, ties broken by fit_seconds; --trial N exports another"
    )


def test_a_tie_on_the_first_objective_goes_to_the_next(tmp_path):
    study = optuna.create_study(storage=f"sqlite:///{tmp_path / 't.db'}", directions=["maximize", "minimize"])
    for values in [(0.9, 40.0), (0.9, 10.0), (0.5, 1.0)]:
        study.add_trial(create_trial(values=list(values)))
    assert pick(study)[0].number == 1


def test_a_single_objective_study_exports_its_best_trial_without_a_rule(tmp_path):
    study = optuna.create_study(storage=f"sqlite:///{tmp_path / 's.db'}", direction="minimize")
    for value in (3.0, 1.0, 2.0):
        study.add_trial(create_trial(value=value))
    assert pick(study) == (study.best_trial, None)
