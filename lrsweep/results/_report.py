"""Tables and figures that compare trials, families and studies."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lrsweep.results.tutorial import TUTORIAL_BEST, TUTORIAL_VAL_ACCURACY, tutorial_family

__all__ = [
    "beside_tutorial",
    "best_by_family_figure",
    "family_summary",
    "plot_best_by_family",
    "plot_lr_traces",
    "plot_val_curves",
    "top_trials",
    "with_tutorial",
]

_DONE = ("COMPLETE", "PRUNED")


def family_summary(trials: pd.DataFrame, maximize: bool = True) -> pd.DataFrame:
    """Per study and family: trials, completed, best and median objective, share pruned."""
    grouped = trials.groupby(["study", "family"], dropna=False)
    complete = trials[trials.state == "COMPLETE"].groupby(["study", "family"], dropna=False).objective
    summary = pd.DataFrame(
        {
            "trials": grouped.size(),
            "complete": complete.size(),
            "best": complete.max() if maximize else complete.min(),
            "median": complete.median(),
            "pruned_share": grouped.state.apply(lambda s: float((s == "PRUNED").mean())),
        }
    ).fillna({"complete": 0})
    summary["complete"] = summary["complete"].astype(int)
    return summary.sort_values("best", ascending=not maximize).reset_index()


def top_trials(trials: pd.DataFrame, k: int, maximize: bool = True) -> pd.DataFrame:
    complete = trials[trials.state == "COMPLETE"]
    return complete.sort_values("objective", ascending=not maximize).head(k)


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


def plot_lr_traces(traces: dict[str, np.ndarray], path: Path) -> Path:
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
    figure.savefig(path)
    return path


def plot_val_curves(curves: dict[str, dict[int, float]], objective: str, path: Path) -> Path:
    """The objective after each epoch, per trial (Optuna's intermediate values)."""
    figure = _figure()
    axes = figure.add_subplot()
    for label, curve in curves.items():
        epochs = sorted(curve)
        axes.plot([e + 1 for e in epochs], [curve[e] for e in epochs], marker="o", label=label)
    axes.set_xlabel("epoch")
    axes.set_ylabel(objective)
    axes.set_title(f"{objective} of the top trials")
    axes.grid(alpha=0.3)
    axes.legend(fontsize=7)
    figure.savefig(path)
    return path


def _span(values: np.ndarray) -> tuple[float, float]:
    """Axis limits around the values, so that a difference of a point is visible (not a 0-1 axis)."""
    finite = values[np.isfinite(values)]
    if not finite.size:
        return 0.0, 1.0
    low, high = float(finite.min()), float(finite.max())
    pad = max((high - low) * 0.15, abs(high) * 0.005, 1e-6)
    return low - pad, high + pad * 1.8


def plot_best_by_family(
    summary: pd.DataFrame, objective: str, path: Path, tutorial: pd.DataFrame | None = None
) -> Path:
    """Save :func:`best_by_family_figure` as ``path``."""
    best_by_family_figure(summary, objective, tutorial).savefig(path)
    return path


def best_by_family_figure(summary: pd.DataFrame, objective: str, tutorial: pd.DataFrame | None = None) -> Any:
    """Each study and family's best objective as a dot on an axis spanning the values; with ``tutorial`` (from
    :func:`beside_tutorial`), each setting's best beside the value the tutorial published."""
    if tutorial is not None and tutorial.tutorial.notna().any():
        labels = list(tutorial.setting)
        rows = {"ours (best trial)": tutorial.ours.to_numpy(), "tutorial (published)": tutorial.tutorial.to_numpy()}
        title = f"Best {objective} of each setting beside the tutorial's published value"
    else:
        labels = [f"{row.study} · {row.family}" for row in summary.itertuples()]
        rows = {"best trial": summary.best.to_numpy(dtype=float)}
        title = "Best trial of each family"
    figure = _figure(8, 0.38 * len(labels) + 1.8)
    axes = figure.add_subplot()
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
    axes.set_xlabel(f"best {objective}")
    axes.set_title(title)
    axes.grid(axis="x", alpha=0.3)
    if len(rows) == 2:
        axes.legend(fontsize=8, loc="lower right")
    return figure
