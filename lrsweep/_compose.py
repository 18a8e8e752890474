"""``lrsweep.compose``: the config the ``lrsweep`` command would run, for notebooks and scripts."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from omegaconf import DictConfig

from lrsweep._errors import ConfigError

__all__ = ["compose"]


def compose(overrides: Sequence[str] = (), *, config_dir: str | Path | None = None) -> DictConfig:
    """Compose ``conf/config.yaml`` with command-line overrides, as ``lrsweep`` does: the same defaults, typed
    schemas and checks, and the same one-line errors (a :class:`ConfigError`) before any data is loaded.

    Example:
        >>> import lrsweep
        >>> config = lrsweep.compose(["schedule=cosine_decay", "trainer.epochs=2"])
        >>> config.schedule.family, config.trainer.epochs
        ('cosine_decay', 2)

    Args:
        overrides: ``key=value`` and ``group=option`` strings, as typed after ``lrsweep``.
        config_dir: another primary config tree (``lrsweep --config-dir``'s own tree is searched as well).
    """
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir
    from hydra.errors import HydraException

    from lrsweep._paths import config_dir as lrsweep_config_dir
    from lrsweep._preflight import check_group_choices
    from lrsweep.config import register_configs
    from lrsweep.training import validate

    register_configs()
    primary = str(Path(config_dir).resolve()) if config_dir is not None else str(lrsweep_config_dir())
    overrides = list(overrides)
    check_group_choices(overrides, primary)
    extra = [f"hydra.searchpath=[file://{lrsweep_config_dir()}]"] if config_dir is not None else []
    try:
        with initialize_config_dir(primary, version_base="1.3"):
            config = hydra_compose("config", overrides=[*extra, *overrides])
    except HydraException as error:
        said = " ".join(line.strip() for line in str(error).strip().splitlines()[:2])
        raise ConfigError("overrides", overrides, f"overrides Hydra can apply ({said})") from None
    validate(config)
    return config
