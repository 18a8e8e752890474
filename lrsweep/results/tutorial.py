"""The tutorial's seven settings and the validation accuracies it published (5 epochs, full Fashion-MNIST)."""

from __future__ import annotations

import functools

__all__ = ["TUTORIAL_BEST", "TUTORIAL_VAL_ACCURACY", "tutorial_family"]

TUTORIAL_VAL_ACCURACY: dict[str, float] = {
    "constant": 0.8709,
    "sgd_decay": 0.8704,
    "exponential": 0.8584,
    "piecewise": 0.8720,
    "polynomial": 0.8626,
    "inverse_time": 0.8583,
    "custom": 0.8396,
}
"""By the label of ``conf/tutorial/<label>.yaml``."""

TUTORIAL_BEST = max(TUTORIAL_VAL_ACCURACY.items(), key=lambda item: item[1])


@functools.cache
def tutorial_family(label: str) -> str:
    """The schedule family a tutorial setting uses, read from its ``conf/tutorial/<label>.yaml``."""
    import yaml

    from lrsweep._paths import config_dir

    preset = yaml.safe_load((config_dir() / "tutorial" / f"{label}.yaml").read_text())
    for entry in preset["defaults"]:
        if isinstance(entry, dict) and "override /schedule" in entry:
            return str(entry["override /schedule"])
    raise ValueError(f"conf/tutorial/{label}.yaml names no schedule family")
