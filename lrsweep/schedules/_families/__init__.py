"""Every schedule family: one module per family or kind; the registry is whatever these modules define.

Adding a family is adding a module here (a :class:`~lrsweep.schedules.ScheduleParams` subclass whose ``family``
field names it; :class:`~lrsweep.schedules.OwnSchedule` for a Keras schedule of lrsweep's own, whose class is written in
:mod:`lrsweep.schedules._keras_classes`), its sweep file
``sweeps/<family>.yaml`` and its test: the registry, the ``schedule`` config group (a preset is derived from the
schema when no ``conf/schedule/<family>.yaml`` states values), the lazy class names of :mod:`lrsweep.schedules`,
the ``all_families`` study, the families table (``docs/families.md``) and the contract tests all read it from here.
"""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil

from lrsweep.schedules._base import ScheduleParams

__all__ = ["ALL"]


def _is_family(value: object, module: str) -> bool:
    return (
        isinstance(value, type)
        and issubclass(value, ScheduleParams)
        and value.__module__ == module
        and value.__dataclass_fields__["family"].default is not dataclasses.MISSING
    )


def _discover() -> tuple[type[ScheduleParams], ...]:
    found: dict[str, type[ScheduleParams]] = {}
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        for value in vars(module).values():
            if _is_family(value, module.__name__):
                found[value.family_name()] = value
    return tuple(found[name] for name in sorted(found))


ALL: tuple[type[ScheduleParams], ...] = _discover()
"""Every family's parameter class, sorted by family name."""
