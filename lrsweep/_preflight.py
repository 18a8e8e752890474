"""A first look at the command line, before Hydra composes it: malformed overrides and unknown group options.

Hydra reports ``schedule=nope`` with the option list and its config search path (a dozen lines); lrsweep says it
in one: "`schedule` must be one of [...]. Received: schedule='nope'". A malformed value (``interval(1)``,
``choice()``) is named with its key the same way. What only composing can tell, a value of the wrong type
(``trainer.epochs=many``) or a key the config does not have (``trainer.epoch=2``), Hydra finds; while it composes,
its composition errors are held (:func:`hold_composition_errors`) and said in one line (:func:`composition_error`).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from typing import Any

from lrsweep._errors import ConfigError
from lrsweep._internals import args_parser, config_repository
from lrsweep.sweep._settings import PRESETS

__all__ = [
    "check_group_choices",
    "composition_error",
    "hold_composition_errors",
    "quote_sweeper_params",
    "release_composition_errors",
]

_FULL_ERROR = "HYDRA_FULL_ERROR"  # Hydra's switch: an error while it composes is raised, not printed and exit 1
_held: list[str | None] = []  # while held: the switch's value before (None: unset)
_NAMING = ("Error merging override ", "Could not override ")  # Hydra's messages that name the key
_CONVERTED = re.compile(r"could not be converted to (\w+)")
_TYPES = {"Integer": "an int", "Float": "a float", "Boolean": "a bool (true or false)", "String": "a string"}


def hold_composition_errors() -> bool:
    """Have Hydra raise (not print) an error while it composes the command line, so that :func:`main` says it in
    one line; False where the user set ``HYDRA_FULL_ERROR`` (Hydra's traceback, as they asked)."""
    import os

    if os.environ.get(_FULL_ERROR) == "1" or _held:
        return False
    _held.append(os.environ.get(_FULL_ERROR))
    os.environ[_FULL_ERROR] = "1"
    return True


def release_composition_errors() -> None:
    """Composition is over (the job or the sweeper starts): Hydra reports what follows as it always does, and
    processes started from here do not inherit the switch."""
    import os

    if _held:
        before = _held.pop()
        if before is None:
            os.environ.pop(_FULL_ERROR, None)
        else:
            os.environ[_FULL_ERROR] = before


def composition_error(error: Exception, argv: Sequence[str] = ()) -> ConfigError | None:
    """Hydra's ``ConfigCompositionException`` (its message and its OmegaConf cause) as one line: the key, the
    value given on the command line ``argv`` and what the key allows; ``None`` for one that names no key (say
    Hydra's own words)."""
    from omegaconf.errors import OmegaConfBaseException

    cause = error.__cause__
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    if not lines or not isinstance(cause, OmegaConfBaseException) or not lines[0].startswith(_NAMING):
        return None
    text = lines[0].removeprefix("Error merging override ").removeprefix("Could not override ")
    key = str(getattr(cause, "full_key", "") or text.partition("=")[0].strip(" '.") or "override")
    given: list[str | None] = [v for k, _, v in (a.partition("=") for a in argv) if k.lstrip("+~") == key]
    given = given or ([text.partition("=")[2]] if "=" in text else [None])
    message = str(getattr(cause, "msg", "") or cause or "").splitlines()
    found = _CONVERTED.search(message[0]) if message else None
    if found is not None:
        return ConfigError(key, given[-1], _TYPES.get(found.group(1), f"of type {found.group(1)}"))
    if message and "is not a valid bool" in message[0]:
        return ConfigError(key, given[-1], _TYPES["Boolean"])
    if type(cause).__name__ in ("ConfigAttributeError", "ConfigKeyError"):
        parent = getattr(cause, "parent_node", None)
        fields = sorted(str(k) for k in parent) if parent is not None and hasattr(parent, "keys") else None
        allowed = f"a key of `{key.rpartition('.')[0]}`: one of {fields}" if fields else "a key the config has"
        return ConfigError(key, given[-1], f"{allowed} (+{key}=... adds a new one)")
    reason = "; ".join([*lines[1:], *(m.strip() for m in message[:1])]) or type(error).__name__
    return ConfigError(key, given[-1], f"a value Hydra can compose ({reason})")


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
