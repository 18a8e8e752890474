"""``lrsweep report``: the trials table, the per-family summary, CSV/Parquet files and PNG figures."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from lrsweep import _keys as keys
from lrsweep._errors import TraceUnavailableError
from lrsweep.results._pareto import front_table, plot_pareto_front
from lrsweep.results._report import (
    beside_tutorial,
    best_by_family_figure,
    family_summary,
    lr_traces_figure,
    top_trials,
    tutorial_margin,
    unfinished_families,
    val_curves_figure,
    verified_figure,
    with_tutorial,
)
from lrsweep.results._trials import load_study, objectives_of, trials_frame
from lrsweep.results.tutorial import TUTORIAL_VAL_ACCURACY
from lrsweep.schedules import lr_trace
from lrsweep.sweep._fingerprint import describe
from lrsweep.sweep._verify import TIE_LEVEL, controls_of, verdict_lines, verdicts
from lrsweep.tracking import study_record

__all__ = ["Report", "write_report"]


@dataclass
class Report:
    trials: pd.DataFrame
    families: pd.DataFrame
    files: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    mlflow: list[str] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)  # matplotlib figures by name (a notebook shows them)
    verified: pd.DataFrame | None = None  # the verified configurations, best mean first per study

    def save(self, name: str, figure: Any, out: Path) -> None:
        """Write ``figure`` as ``out/<name>.png`` and keep it under ``name``."""
        figure.savefig(out / f"{name}.png")
        self.figures[name] = figure
        self.files.append(out / f"{name}.png")

    def text(self) -> str:
        """The tables as a person reads them in a terminal."""
        shown = [c for c in self.trials.columns if not c.startswith("schedule.")]
        with pd.option_context("display.width", 200, "display.max_columns", 30, "display.max_rows", 500):
            parts = [
                "Trials",
                self.trials[shown].to_string(index=False, float_format=lambda v: f"{v:.4f}", na_rep="-"),
                "",
                "Families",
                self.families.to_string(index=False, float_format=lambda v: f"{v:.4f}", na_rep="-"),
            ]
        runs = ["", "In the MLflow UI:", *(f"  {line}" for line in self.mlflow)] if self.mlflow else []
        return "\n".join([*parts, *self.notes, "", "Files:", *(f"  {p}" for p in self.files), *runs])


def _traces(studies: dict[str, Any], top: pd.DataFrame) -> dict[str, Any]:
    traces = {}
    for row in top.itertuples():
        trial = studies[row.study].trials[row.number]
        attrs = trial.user_attrs
        fit = attrs.get(keys.TRIAL_FIT) or attrs  # studies of before lrsweep.fit kept its keys at the top
        if not attrs.get(keys.TRIAL_SCHEDULE) or not fit.get(keys.FIT_STEPS_PER_EPOCH):
            continue
        try:
            traces[f"{row.study} #{row.number} {row.family}"] = lr_trace(
                attrs[keys.TRIAL_SCHEDULE], int(fit[keys.FIT_STEPS_PER_EPOCH]), int(fit[keys.FIT_EPOCHS])
            )
        except TraceUnavailableError:
            continue
    return traces


def write_report(study_names: Sequence[str], storage: str | None, out: str | Path, top_k: int = 5) -> Report:
    """Build the report of one or more studies and write its files under ``out``."""
    studies = {name: load_study(name, storage) for name in study_names}
    trials = trials_frame(study_names, storage)
    if trials.label.isin(TUTORIAL_VAL_ACCURACY).any():
        trials = with_tutorial(trials)
    search = trials[~trials.label.str.startswith(("verification", "control: "))]  # not search results: the verdict's
    families = family_summary(search)  # each study ranked by its own direction
    report = Report(trials, families)
    tutorial = None
    if any(s.user_attrs.get(keys.STUDY_COMPARE_WITH_TUTORIAL) for s in studies.values()):
        report.notes.append(tutorial_margin(search))
        tutorial = beside_tutorial(search)
    unfinished = unfinished_families(families)
    report.notes += ["", "Families without a best:", *(f"  {line}" for line in unfinished)] if unfinished else []
    for name, study in studies.items():
        record = study_record(study)
        if record is not None:
            lines = record.ui_lines(f"the runs of '{name}'")
            report.mlflow += [line for line in lines if line not in report.mlflow]  # one `mlflow ui` per store

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    trials.to_csv(out / "trials.csv", index=False)
    trials.astype({c: str for c in trials.columns if trials[c].dtype == object}).to_parquet(
        out / "trials.parquet", index=False
    )
    families.to_csv(out / "families.csv", index=False)
    report.files += [out / "trials.csv", out / "trials.parquet", out / "families.csv"]

    _verified(report, studies, out)
    top = top_trials(search, top_k)  # the best of each goal, by its own direction
    traces = _traces(studies, top)
    if traces:
        report.save("lr_top_trials", lr_traces_figure(traces), out)
    panels: dict[str, dict[str, Any]] = {}  # none in a multi-objective study: its epochs are not reported
    for row in top.itertuples():
        if curve := studies[row.study].trials[row.number].intermediate_values:
            panels.setdefault(str(row.metric), {})[f"{row.study} #{row.number} {row.family}"] = curve
    if panels:
        report.save("objective_curves", val_curves_figure(panels), out)
    if len(families):
        report.save("best_by_family", best_by_family_figure(families, tutorial), out)
    measured = {name: describe(study.user_attrs.get(keys.STUDY_FINGERPRINT)) for name, study in studies.items()}
    report.notes += ["", *(f"Study '{name}' of: {line}" for name, line in measured.items())]
    several = [name for name, study in studies.items() if len(study.directions) > 1]
    for name in several:
        stem = "pareto_front" if len(several) == 1 else f"pareto_front_{name}"
        _pareto(report, trials, name, studies[name], out / stem)
    return report


def _pareto(report: Report, trials: pd.DataFrame, name: str, study: Any, stem: Path) -> None:
    """A multi-objective study's front: listed in the text, written as CSV, drawn against its first two objectives."""
    objectives = objectives_of(study)
    directions = [d.name.lower() for d in study.directions]
    table = front_table(trials, name, objectives, directions[0] == "maximize")
    goals = ", ".join(f"{o} ({d})" for o, d in zip(objectives, directions, strict=True))
    with pd.option_context("display.width", 200):
        shown = table.to_string(index=False, float_format=lambda v: f"{v:.4f}") if len(table) else "(no trial yet)"
    report.notes += ["", f"Pareto front of '{name}': {goals}", shown]
    table.to_csv(stem.with_suffix(".csv"), index=False)
    report.files.append(stem.with_suffix(".csv"))
    if len(table):
        report.files.append(plot_pareto_front(trials, name, objectives, directions, stem.with_suffix(".png")))


def _verified(report: Report, studies: dict[str, Any], out: Path) -> None:
    """Each study's verdict (:mod:`lrsweep.sweep._verify`): its lines, ``verified.csv`` and ``verified.png``."""
    rows = []
    for name, study in studies.items():
        found = verdicts(study) if len(study.directions) == 1 else []
        metric = objectives_of(study)[0]
        controls = controls_of(study, found[0]) if found else []
        lines = verdict_lines(found, metric, controls, study.directions[0].name == "MAXIMIZE")
        report.notes += ["", f"Study '{name}' {lines[0]}", *lines[1:]] if lines else []
        rows += [
            {
                "study": name,
                "number": v.number,
                "family": v.family,
                "metric": metric,
                "search_value": v.search_value,
                "mean": v.mean,
                "std": v.std,
                "seeds": len(v.values),
                "p_value": v.p_value,
                "tied": v.tied,
            }
            for v in found
        ]
        rows += [
            {"study": name, "number": None, "family": f"control: {c.name}", "metric": metric, "mean": c.mean,
             "std": c.std, "seeds": len(c.values), "p_value": c.p_value, "tied": c.p_value >= TIE_LEVEL}
            for c in controls
        ]  # fmt: skip
    if not rows:
        return
    report.verified = pd.DataFrame(rows)
    report.verified.to_csv(out / "verified.csv", index=False)
    report.files.append(out / "verified.csv")
    report.save("verified", verified_figure(report.verified), out)
