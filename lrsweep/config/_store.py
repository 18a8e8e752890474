"""Register every schema in Hydra's ConfigStore, under ``schema/<group>/<name>``.

A preset YAML file extends its schema with ``defaults: [/schema/<group>/<name>@_here_, _self_]`` (Hydra's
"Structured Configs as schema" pattern); keeping schemas in their own group keeps them out of the lists
of options that ``--help`` and error messages show for ``schedule``, ``optimizer``, ... A schedule family whose
schema gives every value and that has no ``conf/schedule/<family>.yaml`` gets its schema as its preset.
"""

from __future__ import annotations

from hydra.core.config_store import ConfigStore

from lrsweep._paths import config_dir
from lrsweep.config._schema import (
    AdamConfig,
    ArraysConfig,
    FashionMNISTConfig,
    ImageFolderConfig,
    KerasDatasetConfig,
    LRSweepConfig,
    MLflowTrackingConfig,
    NoTrackingConfig,
    ScheduleFreeAdamWConfig,
    SGDConfig,
    TrainerConfig,
)
from lrsweep.schedules import FAMILIES

_GROUPS: dict[str, dict[str, type]] = {
    "optimizer": {"sgd": SGDConfig, "adam": AdamConfig, "schedule_free_adamw": ScheduleFreeAdamWConfig},
    "data": {
        "fashion_mnist": FashionMNISTConfig,
        "arrays": ArraysConfig,
        "image_folder": ImageFolderConfig,
        "keras_dataset": KerasDatasetConfig,
    },
    "trainer": {"default": TrainerConfig},
    "tracking": {"mlflow": MLflowTrackingConfig, "none": NoTrackingConfig},
}


def register_configs() -> None:
    """Store the root schema and every group's schemas (idempotent)."""
    store = ConfigStore.instance()
    store.store(group="schema", name="config", node=LRSweepConfig)
    presets = config_dir() / "schedule"
    for family, params in FAMILIES.items():
        store.store(group="schema/schedule", name=family, node=params)
        if not (presets / f"{family}.yaml").exists():  # nothing to state beyond the schema: it is the preset
            store.store(group="schedule", name=family, node=params)
    for group, schemas in _GROUPS.items():
        for name, schema in schemas.items():
            store.store(group=f"schema/{group}", name=name, node=schema)
