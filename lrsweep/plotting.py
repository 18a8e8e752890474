"""Figures: the learning rate along a run."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["plot_lr"]


def plot_lr(values: Sequence[float] | np.ndarray, *, steps_per_epoch: int | None = None, title: str = "") -> Any:
    """A matplotlib figure of LR against optimizer step, with epoch boundaries as faint lines."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    values = np.asarray(values, dtype=np.float64)
    figure = Figure(figsize=(7, 3.6), dpi=110, layout="constrained")
    axes = figure.add_subplot()
    axes.plot(np.arange(len(values)), values, color="tab:blue", linewidth=1.6, drawstyle="steps-post")
    if steps_per_epoch and len(values) > steps_per_epoch:
        for boundary in range(steps_per_epoch, len(values), steps_per_epoch):
            axes.axvline(boundary, color="0.85", linewidth=0.8, zorder=0)
    axes.set_xlabel("optimizer step" + (f"  (epochs of {steps_per_epoch} steps)" if steps_per_epoch else ""))
    axes.set_ylabel("learning rate")
    axes.set_title(title or "Learning rate applied at each optimizer step")
    axes.ticklabel_format(axis="y", style="sci", scilimits=(-3, 3))
    axes.grid(alpha=0.3)
    return figure
