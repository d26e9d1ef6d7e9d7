"""What a spec holds, counted per entity kind (for `vaultgen validate`). Pure."""

from __future__ import annotations

from collections import Counter

from vaultgen.spec.model import Spec

# every entity kind of spec/model.py, in the order of the layers, with its plural for people
KIND_LABELS = {
    "hub": "hubs",
    "link": "links",
    "nonhistorized_link": "non-historized links",
    "satellite": "satellites",
    "multi_active_satellite": "multi-active satellites",
    "effectivity_satellite": "effectivity satellites",
    "record_tracking_satellite": "record tracking satellites",
    "reference_table": "reference tables",
    "pit": "PIT tables",
    "bridge": "bridges",
    "dimension": "dimensions",
    "fact": "facts",
    "aggregate": "aggregates",
}
SATELLITE_KINDS = ("satellite", "multi_active_satellite", "effectivity_satellite", "record_tracking_satellite")


def entity_counts(spec: Spec) -> list[tuple[str, int]]:
    """(label, count) for every entity kind, zeros included, then every satellite kind added up."""
    counts = Counter(entity.kind for entity in spec.entities)
    unknown = set(counts) - set(KIND_LABELS)
    if unknown:  # a kind added to the model must get a label here
        raise AssertionError(f"entity kinds without a label: {sorted(unknown)}")
    rows = [(label, counts[kind]) for kind, label in KIND_LABELS.items()]
    rows.append(("satellites of every kind", sum(counts[kind] for kind in SATELLITE_KINDS)))
    return rows
