"""Per-target model options: the entity's own options over the project's defaults for its kind."""

from __future__ import annotations

from dataclasses import dataclass

from vaultgen.spec.model import PartitionField, Spec, TargetOptions


@dataclass(frozen=True)
class ModelOptions:
    enabled: bool = True
    partition_by: tuple[PartitionField, ...] = ()
    cluster_by: tuple[str, ...] = ()


_UNSET = TargetOptions()


def model_options(spec: Spec, entity, target: str) -> ModelOptions:
    settings = spec.project.target_settings.get(target)
    default = settings.defaults.get(entity.kind, _UNSET) if settings else _UNSET
    own = entity.targets.get(target, _UNSET)

    def pick(field: str):
        value = getattr(own, field)
        return value if value is not None else getattr(default, field)

    enabled = pick("enabled")
    return ModelOptions(
        enabled=True if enabled is None else enabled,
        partition_by=tuple(pick("partition_by") or ()),
        cluster_by=tuple(pick("cluster_by") or ()),
    )


def enabled_entities(spec: Spec, target: str) -> list:
    return [entity for entity in spec.entities if model_options(spec, entity, target).enabled]
