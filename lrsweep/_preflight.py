"""A first look at the command line, before Hydra composes it: malformed overrides and unknown group options.

Hydra reports ``schedule=nope`` with the option list and its config search path (a dozen lines); lrsweep says it
in one: "`schedule` must be one of [...]. Received: schedule='nope'". A malformed value (``interval(1)``,
``choice()``) is named with its key the same way. Everything else is left to Hydra.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from typing import Any

from lrsweep._errors import ConfigError
from lrsweep._internals import args_parser, config_repository
from lrsweep.sweep._settings import PRESETS

__all__ = ["check_group_choices", "quote_sweeper_params"]

_PRESET_FIELD = re.compile(r"hydra\.sweeper\.(sampler|pruner)\.([^.]+)")
_SWEEPER_PARAM = re.compile(r"(\+{0,2}hydra\.sweeper\.params\.[^=]+)=(.*)", re.DOTALL)


def quote_sweeper_params(argv: Sequence[str]) -> list[str]:
    """``hydra.sweeper.params.KEY=choice(a,b)`` with the expression quoted, so Hydra keeps it as the sweeper's
    text (it refuses to sweep its own config: "Sweeping over Hydra's configuration is not supported") and the
    sweeper parses it as it parses a sweep file's ``params``; ``++``, so it sets the key or adds it."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parser, quoted = OverridesParser.create(), []
    for text in argv:
        found = _SWEEPER_PARAM.fullmatch(text)
        if found is not None:
            try:
                (override,) = parser.parse_overrides([text])
                sweep = override.is_sweep_override()
            except Exception:  # check_group_choices has said what is malformed
                sweep = False
            key, expression = found.groups()
            key = key if key.startswith("+") else f"++{key}"  # set or add: a sweep file may not name the key
            if sweep and "'" not in expression:
                text = f"{key}='{expression}'"
            elif sweep and '"' not in expression:
                text = f'{key}="{expression}"'
        quoted.append(text)
    return quoted


def _overrides(argv: Sequence[str]) -> list[Any] | None:
    """The parsed overrides, or None when Hydra should judge the command line itself."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    try:
        arguments, unknown = args_parser().parse_known_args(list(argv))
    except SystemExit:
        return None
    if unknown:
        return None
    parser, overrides = OverridesParser.create(), []
    for text in arguments.overrides:
        try:
            overrides += parser.parse_overrides([text])
        except Exception as error:  # Hydra's OverrideParseException: say which key, in one line
            key, _, value = text.partition("=")
            lines = [line for line in str(error).strip().splitlines() if not line.startswith(("Error parsing", "See "))]
            reason = lines[0] if lines else type(error).__name__
            raise ConfigError(key.lstrip("+~"), value, f"a valid override value ({reason})") from None
    if arguments.config_dir or arguments.config_path or arguments.config_name:
        return None  # another config tree: Hydra knows its groups
    if any(o.key_or_group.startswith("hydra.searchpath") for o in overrides):
        return None
    return overrides


def check_group_choices(argv: Sequence[str], config_dir: str) -> None:
    """Raise :class:`ConfigError` for the first ``group=option`` whose option the group does not have."""
    overrides = _overrides(argv)
    if not overrides:
        return
    from hydra.core.object_type import ObjectType

    repository = config_repository(config_dir)
    _check_preset_fields(overrides, repository)
    for override in overrides:
        group = override.key_or_group
        if override.is_delete() or override.package or not repository.group_exists(group):
            continue
        options = repository.get_group_options(group, ObjectType.CONFIG)
        values = list(override.sweep_string_iterator()) if override.is_sweep_override() else [override.value()]
        for value in values:
            if isinstance(value, str) and value not in options:
                raise ConfigError(group, value, f"one of {options}")


def _check_preset_fields(overrides: list[Any], repository: Any) -> None:
    """``hydra.sweeper.sampler.<field>=`` (or ``pruner``) with a field the chosen preset does not have: one line
    naming its fields, instead of Hydra's struct error (whose advice, ``+`` the key, Optuna then refuses)."""
    from hydra_plugins.lrsweep_sweeper.config import PRUNERS, SAMPLERS

    for override in overrides:
        found = _PRESET_FIELD.fullmatch(override.key_or_group)
        if found is None or override.is_delete():
            continue
        role, name = found.groups()
        presets = SAMPLERS if role == "sampler" else PRUNERS
        preset = _chosen(role, overrides, repository)
        if preset not in presets:
            continue  # the user's own preset: Hydra knows its fields
        fields = [f.name for f in dataclasses.fields(presets[preset]) if not f.name.startswith("_")]
        if name not in fields:
            raise ConfigError(
                override.key_or_group, override.value(), f"a field of the {preset} {role}: one of {fields}"
            )


def _chosen(role: str, overrides: list[Any], repository: Any) -> str:
    """The ``hydra/sweeper/<role>`` preset: the command line's, else the sweep file's, else the default."""
    for override in overrides:
        if override.key_or_group == f"hydra/sweeper/{role}":
            return str(override.value())
    for override in overrides:
        if override.key_or_group == "sweep" and isinstance(override.value(), str):
            found = repository.load_config(f"sweep/{override.value()}")
            for entry in getattr(found, "defaults_list", None) or []:
                if str(getattr(entry, "group", "")).lstrip("/") == f"hydra/sweeper/{role}":
                    return str(entry.value)
    return PRESETS[role]
