"""Tables and figures that compare trials, families and studies."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from lrsweep.results.tutorial import TUTORIAL_BEST, TUTORIAL_VAL_ACCURACY, tutorial_family

__all__ = [
    "beside_tutorial",
    "best_by_family_figure",
    "family_summary",
    "goals",
    "lr_traces_figure",
    "top_trials",
    "unfinished_families",
    "val_curves_figure",
    "verified_figure",
    "with_tutorial",
]

_DONE = ("COMPLETE", "PRUNED")


def goals(trials: pd.DataFrame) -> list[tuple[str, str]]:
    """The objectives of the trials' studies, ``(metric, direction)``, in the order the studies came: trials of
    one goal are ranked together, and each goal is a panel of its own in the figures."""
    frame = _with_goal(trials)
    return list(dict.fromkeys(zip(frame.metric, frame.direction, strict=True)))


def _with_goal(trials: pd.DataFrame) -> pd.DataFrame:
    """The trials with ``metric`` and ``direction`` (a frame built by hand may lack them: maximized objective)."""
    if "metric" in trials and "direction" in trials:
        return trials
    return trials.assign(metric=trials.get("metric", "objective"), direction=trials.get("direction", "maximize"))


def _ranked(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """Rows ranked goal by goal (in :func:`goals` order), best first by each row's own direction, missing last."""
    order = {goal: index for index, goal in enumerate(goals(frame))}
    values = frame[column].astype(float)
    key = values.where(frame.direction == "minimize", -values)
    ranked = frame.assign(_goal=[order[g] for g in zip(frame.metric, frame.direction, strict=True)], _key=key)
    return ranked.sort_values(["_goal", "_key"], na_position="last", kind="stable").drop(columns=["_goal", "_key"])


def family_summary(trials: pd.DataFrame) -> pd.DataFrame:
    """Per study and family: its objective (``metric``, ``direction``), trials, completed, the best (by the study's
    own direction) and median objective, share pruned; ranked within each goal, best first."""
    rows = []
    for (study, family), group in _with_goal(trials).groupby(["study", "family"], dropna=False, sort=False):
        direction = group.direction.iloc[0]
        complete = group[group.state == "COMPLETE"].objective.astype(float)
        rows.append(
            {
                "study": study,
                "family": family,
                "metric": group.metric.iloc[0],
                "direction": direction,
                "trials": len(group),
                "complete": len(complete),
                "best": (complete.max() if direction == "maximize" else complete.min()) if len(complete) else np.nan,
                "median": complete.median() if len(complete) else np.nan,
                "pruned_share": float((group.state == "PRUNED").mean()),
            }
        )
    columns = ["study", "family", "metric", "direction", "trials", "complete", "best", "median", "pruned_share"]
    return _ranked(pd.DataFrame(rows, columns=columns), "best").reset_index(drop=True)


def unfinished_families(summary: pd.DataFrame) -> list[str]:
    """A line for each family without a completed trial: all pruned, or failed, so it has no best."""
    lines = []
    for row in summary[summary.complete == 0].itertuples():
        states = "all pruned" if row.pruned_share == 1 else "none completed"
        lines.append(f"{row.study} · {row.family}: {states} ({row.trials} trial(s)), so no best {row.metric}")
    return lines


def top_trials(trials: pd.DataFrame, k: int) -> pd.DataFrame:
    """The ``k`` best completed trials of each goal, by its own direction."""
    complete = _with_goal(trials[trials.state == "COMPLETE"])
    return _ranked(complete, "objective").groupby(["metric", "direction"], sort=False).head(k)


def with_tutorial(trials: pd.DataFrame) -> pd.DataFrame:
    """Add the tutorial's published val_accuracy beside trials labelled with one of its settings."""
    frame = trials.copy()
    frame.insert(frame.columns.get_loc("objective") + 1, "tutorial", frame.label.map(TUTORIAL_VAL_ACCURACY))
    return frame


def beside_tutorial(trials: pd.DataFrame) -> pd.DataFrame:
    """Our best objective beside the tutorial's published value, one row per setting (``setting``, ``ours``,
    ``tutorial``).

    A setting is a tutorial label where trials carry one (``tutorial_table``); otherwise a family, beside the best
    value the tutorial published for that family (``beat_tutorial``; NaN where the tutorial did not use it).
    """
    complete = trials[trials.state == "COMPLETE"]
    labelled = complete[complete.label.isin(TUTORIAL_VAL_ACCURACY)]
    if len(labelled):
        ours = labelled.groupby("label").objective.max()
        published = {label: TUTORIAL_VAL_ACCURACY[label] for label in ours.index}
    else:
        ours = complete.groupby("family").objective.max()
        published = {}
        for label, value in TUTORIAL_VAL_ACCURACY.items():
            family = tutorial_family(label)
            published[family] = max(value, published.get(family, value))
    frame = pd.DataFrame({"setting": ours.index, "ours": ours.to_numpy()})
    frame["tutorial"] = frame.setting.map(published)
    return frame.sort_values("ours", ascending=False).reset_index(drop=True)


def tutorial_margin(trials: pd.DataFrame) -> str:
    best = trials[trials.state == "COMPLETE"].objective.max()
    label, value = TUTORIAL_BEST
    return f"best {best:.4f} vs the tutorial's best ({label}, {value:.4f}): {best - value:+.4f}"


def _figure(width: float = 8, height: float = 4.2) -> Any:
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=110, layout="constrained")


def lr_traces_figure(traces: dict[str, np.ndarray]) -> Any:
    """The LR against optimizer step of several trials, overlaid."""
    figure = _figure()
    axes = figure.add_subplot()
    for label, trace in traces.items():
        axes.plot(np.arange(len(trace)), trace, label=label, linewidth=1.4, drawstyle="steps-post")
    axes.set_xlabel("optimizer step")
    axes.set_ylabel("learning rate")
    axes.set_yscale("log")
    axes.set_title("Learning rate of the top trials")
    axes.grid(alpha=0.3)
    axes.legend(fontsize=7)
    return figure


def val_curves_figure(panels: dict[str, dict[str, dict[int, float]]]) -> Any:
    """Each trial's objective after each epoch (Optuna's intermediate values, drawn from epoch 1), one panel per
    metric: ``panels`` maps a metric to its trials' curves."""
    from matplotlib.ticker import MaxNLocator

    figure = _figure(8, 3.6 * len(panels) + 0.6)
    for axes, (metric, curves) in zip(
        figure.subplots(len(panels), 1, squeeze=False)[:, 0], panels.items(), strict=True
    ):
        for label, curve in curves.items():
            epochs = sorted(curve)
            axes.plot([e + 1 for e in epochs], [curve[e] for e in epochs], marker="o", label=label)
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))  # whole epochs
        axes.set_xlabel("epoch")
        axes.set_ylabel(metric)
        axes.set_title(f"{metric} of the top trials after each epoch")
        axes.grid(alpha=0.3)
        axes.legend(fontsize=7)
    return figure


def _span(values: np.ndarray) -> tuple[float, float]:
    """Axis limits around the values, so that a difference of a point is visible (not a 0-1 axis)."""
    finite = values[np.isfinite(values)]
    if not finite.size:
        return 0.0, 1.0
    low, high = float(finite.min()), float(finite.max())
    pad = max((high - low) * 0.15, abs(high) * 0.005, 1e-6)
    return low - pad, high + pad * 1.8


def best_by_family_figure(summary: pd.DataFrame, tutorial: pd.DataFrame | None = None) -> Any:
    """Each study and family's best objective (from :func:`family_summary`) as a dot on an axis spanning the
    values, one panel per goal, the axis named after its metric; with ``tutorial`` (from :func:`beside_tutorial`),
    each setting's best beside the value the tutorial published."""
    summary = _with_goal(summary)
    panels: list[tuple[list[str], dict[str, np.ndarray], str, str]] = []
    if tutorial is not None and tutorial.tutorial.notna().any():
        metric = str(summary.metric.iloc[0]) if len(summary) else "val_accuracy"
        rows = {"ours (best trial)": tutorial.ours.to_numpy(), "tutorial (published)": tutorial.tutorial.to_numpy()}
        title = f"Best {metric} of each setting beside the tutorial's published value"
        panels.append((list(tutorial.setting), rows, title, f"best {metric}"))
    else:
        for (metric, direction), group in summary.groupby(["metric", "direction"], sort=False):
            better = "higher" if direction == "maximize" else "lower"
            labels = [f"{row.study} · {row.family}" for row in group.itertuples()]
            rows = {"best trial": group.best.to_numpy(dtype=float)}
            panels.append((labels, rows, f"Best {metric} of each family ({better} is better)", f"best {metric}"))
    sizes = [max(len(labels), 1) for labels, *_ in panels]
    figure = _figure(8, sum(0.38 * size + 1.3 for size in sizes) + 0.5)
    grid = figure.subplots(len(panels), 1, squeeze=False, height_ratios=[size + 3 for size in sizes])
    for axes, panel in zip(grid[:, 0], panels, strict=True):
        _dots(axes, *panel)
    return figure


def _dots(axes: Any, labels: list[str], rows: dict[str, np.ndarray], title: str, xlabel: str) -> None:
    """One panel of :func:`best_by_family_figure`: a dot per label and row (two rows joined by a line)."""
    y = np.arange(len(labels))
    values = np.vstack(list(rows.values())).astype(float)
    if len(rows) == 2:
        axes.hlines(y, np.nanmin(values, axis=0), np.nanmax(values, axis=0), color="0.75", linewidth=2, zorder=1)
    for (name, row), marker, color in zip(rows.items(), ("o", "D"), ("tab:blue", "tab:orange"), strict=False):
        axes.scatter(row, y, marker=marker, color=color, label=name, zorder=2, s=36)
        for position, value in zip(y, row, strict=True):
            if np.isfinite(value):
                axes.annotate(
                    f"{value:.4f}",
                    (value, position),
                    xytext=(6, 4 if marker == "o" else -10),
                    textcoords="offset points",
                    fontsize=7,
                    color=color,
                )
    axes.set_yticks(y, labels)
    axes.set_ylim(len(labels) - 0.5, -0.5)
    axes.set_xlim(*_span(values))
    for position in y[~np.isfinite(values).any(axis=0)]:  # e.g. a family whose every trial was pruned
        axes.text(axes.get_xlim()[0], position, "  no completed trial", va="center", fontsize=7, color="0.45")
    axes.set_xlabel(xlabel)
    axes.set_title(title)
    axes.grid(axis="x", alpha=0.3)
    if len(rows) == 2:
        axes.legend(fontsize=8, loc="lower right")


def verified_figure(verified: pd.DataFrame) -> Any:
    """Each verified configuration's mean over its fresh seeds with ± one standard deviation, beside the value the
    search drew for it, then the controls over the same seeds; one panel per study and metric, best first."""
    groups = list(verified.groupby(["study", "metric"], sort=False))
    figure = _figure(8, sum(0.45 * len(g) + 1.4 for _, g in groups) + 0.4)
    grid = figure.subplots(len(groups), 1, squeeze=False, height_ratios=[len(g) + 3 for _, g in groups])
    for axes, ((study, metric), group) in zip(grid[:, 0], groups, strict=True):
        y = np.arange(len(group))
        axes.errorbar(group["mean"], y, xerr=group["std"], fmt="o", color="tab:blue", capsize=3,
                      label="mean ± std over fresh seeds")  # fmt: skip
        axes.scatter(group["search_value"], y, marker="x", color="tab:orange", label="the search's draw", zorder=3)
        labels = [_verified_label(row) for row in group.itertuples()]
        axes.set_yticks(y, labels)
        axes.set_ylim(len(group) - 0.5, -0.5)
        axes.set_xlabel(metric)
        axes.set_title(f"'{study}': the top configurations over fresh seeds")
        axes.grid(axis="x", alpha=0.3)
        axes.legend(fontsize=7, loc="best")
    return figure


def _verified_label(row: Any) -> str:
    """``#7 one_cycle``, or a control's name; marked where the test separates it from the best (a verified
    configuration below it is worse; a control may be better)."""
    if pd.isna(row.number):
        return row.family + ("" if row.tied else " (differs from the best)")
    return f"#{int(row.number)} {row.family}" + ("" if row.tied else " (worse)")
