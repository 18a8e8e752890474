"""Tables and figures that compare trials, families and studies."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lrsweep.results.tutorial import TUTORIAL_BEST, TUTORIAL_VAL_ACCURACY

__all__ = ["family_summary", "plot_best_by_family", "plot_lr_traces", "plot_val_curves", "top_trials", "with_tutorial"]

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


def plot_best_by_family(summary: pd.DataFrame, objective: str, path: Path) -> Path:
    """One bar per study and family: its best objective."""
    figure = _figure(8, 0.35 * len(summary) + 1.5)
    axes = figure.add_subplot()
    labels = [f"{row.study} · {row.family}" for row in summary.itertuples()]
    axes.barh(labels, summary.best.fillna(0), color="tab:blue")
    for y, value in enumerate(summary.best):
        if pd.notna(value):
            axes.text(value, y, f" {value:.4f}", va="center", fontsize=8)
    axes.invert_yaxis()
    axes.set_xlabel(f"best {objective}")
    axes.set_title("Best trial of each family")
    figure.savefig(path)
    return path
