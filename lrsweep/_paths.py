"""Where lrsweep's config tree is: ``conf/`` beside the package in a checkout, ``lrsweep/_conf`` in a wheel."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def config_dir() -> Path:
    """The absolute path of the primary Hydra config directory."""
    for candidate in (_PACKAGE.parent / "conf", _PACKAGE / "_conf"):
        if (candidate / "config.yaml").is_file():
            return candidate
    raise FileNotFoundError(f"lrsweep's config tree is missing: looked for conf/config.yaml near {_PACKAGE}")
