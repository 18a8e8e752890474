"""The Pareto front of a multi-objective study: its trials as a table, and a figure of the trade-off."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lrsweep.results._report import _figure

__all__ = ["front_table", "plot_pareto_front"]


def front_table(trials: pd.DataFrame, study: str, objectives: Sequence[str], maximize_first: bool) -> pd.DataFrame:
    """The study's trials on its Pareto front: number, family and each objective, best first objective first."""
    rows = trials[(trials.study == study) & (trials.pareto == True)]  # noqa: E712  (an object column)
    table = rows[["number", "family", *objectives]].sort_values(list(objectives), ascending=not maximize_first)
    return table.reset_index(drop=True)


def plot_pareto_front(
    trials: pd.DataFrame, study: str, objectives: Sequence[str], directions: Sequence[str], path: Path
) -> Path:
    """The first objective against the second, one dot per COMPLETE trial coloured by family; the front's trials
    ringed, labelled with their numbers and joined in order (the trade-off a user picks from)."""
    done = trials[(trials.study == study) & (trials.state == "COMPLETE")]
    y_name, x_name = objectives[0], objectives[1]
    figure = _figure(8, 5)
    axes = figure.add_subplot()
    families = done.groupby("family", dropna=False)
    import matplotlib

    palette = matplotlib.colormaps["tab20" if len(families) > 10 else "tab10"]
    for index, (family, group) in enumerate(families):
        color = palette(index % palette.N)
        axes.scatter(group[x_name], group[y_name], s=30, alpha=0.8, color=color, label=str(family), zorder=2)
    on_front = done[done.pareto == True].sort_values(x_name)  # noqa: E712
    axes.plot(on_front[x_name], on_front[y_name], color="0.3", linewidth=1, drawstyle="steps-post", zorder=1)
    axes.scatter(
        on_front[x_name], on_front[y_name], s=110, facecolors="none", edgecolors="black", label="Pareto front", zorder=3
    )
    for row in on_front.itertuples():
        axes.annotate(
            f"#{row.number}",
            (getattr(row, x_name), getattr(row, y_name)),
            xytext=(5, 5),
            textcoords="offset points",
            fontsize=7,
        )
    axes.set_xlabel(f"{x_name} ({_better(directions[1])})")
    axes.set_ylabel(f"{y_name} ({_better(directions[0])})")
    axes.set_title(f"'{study}': {y_name} against {x_name}, {len(on_front)} trial(s) on the Pareto front")
    axes.grid(alpha=0.3)
    axes.legend(fontsize=7, ncols=2 if done.family.nunique() > 6 else 1)
    if _spread(done[x_name]) > 30:
        axes.set_xscale("log")
    figure.savefig(path)
    return path


def _better(direction: str) -> str:
    return "higher is better" if direction == "maximize" else "lower is better"


def _spread(values: Any) -> float:
    """Largest over smallest positive value (a log axis when the trials span orders of magnitude)."""
    positive = np.asarray(values, dtype=float)
    positive = positive[np.isfinite(positive) & (positive > 0)]
    return float(positive.max() / positive.min()) if positive.size else 1.0
