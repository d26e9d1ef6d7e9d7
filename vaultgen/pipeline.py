"""spec -> checked model -> files per target -> written. The one place the stages are chained.

A render is incremental: every file is keyed by a fingerprint of what it is made from (vaultgen.emit.fingerprint)
and the writer's manifest keeps them; a file whose fingerprint is unchanged, and whose content on disk is still
the recorded one, is taken from disk instead of being built. The result is byte for byte a cold render's.
Targets render in worker processes when enough has to be built to pay for them; the output is the same.
"""

from __future__ import annotations

import gc
import os
from contextlib import contextmanager
from pathlib import Path

from vaultgen.spec.model import Spec
from vaultgen import writer

# at least this many models to build (over all targets) before the targets go to worker processes
PARALLEL_MODELS = 400


@contextmanager
def _fewer_collections():
    """Rarer cyclic garbage collection while building: a render makes millions of short-lived sqlglot nodes (whose
    parent links are cycles, so the collector must still run) on top of a spec that lives throughout. The spec is
    frozen out of the collector's sight and the youngest generation collected every 50,000 allocations instead of
    700: a third less CPU for a cold render (synthetic N=100: 16.4 -> 11.6 CPU-s) for some 40 % more peak memory;
    turning the collector off entirely saves little more and lets memory grow with the render."""
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def _dialect(spec: Spec, target: str):
    from vaultgen.dialects import target_dialect
    from vaultgen.sql.common import sentinel_keys

    settings = spec.project.target_settings.get(target)
    return target_dialect(target, settings.hash_type if settings else "hex", sentinel_keys(spec))


def _render_target(spec: Spec, target: str, previous: writer.Previous | None, fingerprints) -> tuple[dict[str, str], dict[str, writer.Entry]]:
    from vaultgen.emit.dbt_project import render_target

    scoped = previous.under(target) if previous is not None else None
    files, entries = render_target(spec, _dialect(spec, target), scoped, fingerprints)
    if previous is not None and scoped is not None:  # what was read from disk needs no second reading
        previous.verified.update((f"{target}/{name}", text) for name, text in scoped.verified.items())
    return {f"{target}/{name}": text for name, text in files.items()}, {f"{target}/{name}": entry for name, entry in entries.items()}


def _render_glue(spec: Spec, previous: writer.Previous | None, fingerprints) -> tuple[dict[str, str], dict[str, writer.Entry]]:
    unit = fingerprints.whole("glue") if fingerprints is not None else ""
    files = previous.unit(unit) if previous is not None and unit else None
    if files is None:
        from vaultgen.catalog.extract_plan import render_extract_plan
        from vaultgen.catalog.glue import render_glue_files
        from vaultgen.catalog.glue_vault import render_vault_glue_files

        files = {**render_glue_files(spec),  # the raw layer's Glue Data Catalog definitions: glue/<database>/<table>.json
                 **render_vault_glue_files(spec),  # the vault tables Athena reads: glue/raw_vault/..., glue/business_vault/...
                 **render_extract_plan(spec)}  # what the Glue job reads instead of the spec: glue/extract_plan.json
    return files, {name: writer.Entry(fingerprint=unit) for name in files}


def _to_build(spec: Spec, previous: writer.Previous | None, fingerprints) -> int:
    """About how many models a render must build: all of them, less those the last render recorded."""
    models = len(spec.entities) + len(spec.tables())
    if previous is None or not previous.entries:
        return models * len(spec.project.targets)
    recorded = {entry.fingerprint for entry in previous.entries.values()}
    return sum(1 for target in spec.project.targets if fingerprints.whole(f"dbt:{target}") not in recorded) * models


def render_outputs(spec: Spec, previous: writer.Previous | None = None) -> tuple[dict[str, str], dict[str, writer.Entry]]:
    """Every generated file, keyed by its path under generated/, and its manifest entry (fingerprint, notes). A
    file taken from `previous` whose stat its cache vouches for is a writer.OnDisk (read by the writer on demand)."""
    from vaultgen.emit.fingerprint import Fingerprints

    fingerprints = Fingerprints(spec)
    targets = sorted(spec.project.targets)
    # nothing changed: the units that read the whole spec have the fingerprints the last render recorded, so
    # every file has (the whole spec covers what each file reads); no plan is needed, only the files' hashes
    unchanged = previous.everything({fingerprints.whole(unit) for unit in [*(f"dbt:{t}" for t in targets), "glue"]}) if previous else None
    if unchanged is not None:
        return unchanged, dict(previous.entries)  # type: ignore[union-attr]
    with _fewer_collections():
        return _build_outputs(spec, previous, fingerprints, targets)


def _build_outputs(spec: Spec, previous: writer.Previous | None, fingerprints, targets: list[str]) -> tuple[dict[str, str], dict[str, writer.Entry]]:
    files: dict[str, str] = {}
    entries: dict[str, writer.Entry] = {}
    workers = min(len(targets), os.cpu_count() or 1)
    if workers > 1 and _to_build(spec, previous, fingerprints) >= PARALLEL_MODELS:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        # fork: the workers inherit the spec instead of unpickling it; results come back in target order
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
            results = list(pool.map(_render_target, [spec] * len(targets), targets, [previous] * len(targets), [fingerprints] * len(targets)))
    else:
        results = [_render_target(spec, target, previous, fingerprints) for target in targets]
    for target_files, target_entries in [*results, _render_glue(spec, previous, fingerprints)]:
        files.update(target_files)
        entries.update(target_entries)
    return files, entries


def render_files(spec: Spec) -> dict[str, str]:
    """Every generated file, keyed by its path under generated/ (a cold render)."""
    return render_outputs(spec)[0]


def render(spec_dir: Path, out_dir: Path, check: bool = False, unified: bool = False) -> writer.WriteReport:
    """Write generated/ from the spec; with `check`, only compare (and, with `unified`, put a unified diff in the report)."""
    from vaultgen.spec.loader import load_spec

    from vaultgen.emit.fingerprint import stamp

    spec = load_spec(spec_dir)
    folder = out_dir.resolve() if out_dir.is_symlink() else out_dir
    # the stat cache beside the output spares reading and hashing the files that did not change (writer.StatCache)
    previous = writer.Previous(folder, stamp(), cache=writer.StatCache.load(folder))
    files, entries = render_outputs(spec, previous)
    report = writer.diff(out_dir, files, unified, entries, previous) if check else writer.write(out_dir, files, entries, previous)
    previous.save_cache()
    return report
