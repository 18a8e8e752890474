"""The documentation's generated tables (``python -m lrsweep._docs``): the schedule families, from the registry,
on ``docs/families.md``, and the sweeper's settings, from :class:`lrsweep.sweep._settings.SweepSettings`, on
``docs/configuration.md``. ``tests/test_docs.py`` checks that each page holds its table as generated."""

from __future__ import annotations

import dataclasses

from lrsweep.schedules import FAMILIES
from lrsweep.sweep._settings import SweepSettings

__all__ = ["families_table", "settings_table"]

_KIND = {"step": "per step", "epoch": "per epoch", "metric": "on plateau"}


def _keys(cls: type) -> str:
    names = [f.name for f in dataclasses.fields(cls) if f.name != "family"]
    return ", ".join(f"`{name}`" for name in names)


def families_table() -> str:
    """A Markdown table: family, when the LR changes, the Keras object built, the formula, the config keys."""
    rows = ["| `schedule=` | changes | builds | learning rate | keys (`schedule.<key>=`) |", "|---|---|---|---|---|"]
    for name, cls in FAMILIES.items():
        rows.append(f"| `{name}` | {_KIND[cls.kind]} | `{cls.keras_object}` | {cls.formula} | {_keys(cls)} |")
    return "\n".join(rows) + "\n"


def settings_table() -> str:
    """The Markdown table (``docs/configuration.md``) of ``hydra.sweeper.`` settings: name, default, meaning."""
    rows = ["| `hydra.sweeper.` | default | meaning |", "|---|---|---|"]
    for spec in dataclasses.fields(SweepSettings):
        rows.append(f"| `{spec.name}` | {spec.metadata['shown']} | {spec.metadata['meaning']} |")
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    print("Schedule families (docs/families.md, under 'The families'):\n")
    print(families_table())
    print("Sweeper settings (docs/configuration.md, under 'Sweeper settings'):\n")
    print(settings_table(), end="")
