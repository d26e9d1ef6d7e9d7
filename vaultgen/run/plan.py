"""What `vaultgen run` must do, decided from the raw layer's batches and the build log. Pure: no I/O.

- A batch whose content (fingerprint) or load timestamp changed since it was built (corrected), a built batch
  gone from the raw layer, or an unbuilt batch no newer than the newest built one (late: only another loader
  than `vaultgen load` can write one) makes its table stale: the models downstream of its staging model are
  rebuilt from the raw layer (`dbt build --full-refresh --select @stg_<table>`: its descendants and what they read) up to the newest built batch.
- Then every newer batch is built in one dbt window (after the newest built batch, up to the newest loaded one):
  the models take any number of batches per window in load-timestamp order (a fresh build is one window over
  every batch), so several changes of one key between two runs are all recorded, in order, by one build.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from vaultgen.run.batches import BatchKey, BatchState


@dataclass(frozen=True)
class Stale:
    key: BatchKey
    load_ts: datetime
    reason: str


@dataclass(frozen=True)
class Window:
    after: datetime | None
    until: datetime
    batches: tuple[BatchKey, ...]


@dataclass(frozen=True)
class RunPlan:
    stale: tuple[Stale, ...] = ()
    repair_until: datetime | None = None  # the repair rebuilds from every raw batch up to here
    windows: tuple[Window, ...] = field(default_factory=tuple)

    @property
    def repair_tables(self) -> list[str]:
        return sorted({s.key.table for s in self.stale})

    @property
    def empty(self) -> bool:
        return not self.stale and not self.windows


def plan_run(current: dict[BatchKey, BatchState], built: dict[BatchKey, BatchState]) -> RunPlan:
    newest_built = max((state.load_ts for state in built.values()), default=None)
    stale: list[Stale] = []
    for key, state in sorted(built.items()):
        now = current.get(key)
        if now is None:
            stale.append(Stale(key, state.load_ts, "built, then removed from the raw layer"))
        elif now != state:
            stale.append(Stale(key, now.load_ts, "changed since it was built (a corrected batch)"))
    unbuilt = {key: state for key, state in current.items() if key not in built}
    for key, state in sorted(unbuilt.items()):
        if newest_built is not None and state.load_ts <= newest_built:
            stale.append(Stale(key, state.load_ts, "older than batches the vault already holds (a late batch)"))
    pending = {key: state.load_ts for key, state in unbuilt.items() if newest_built is None or state.load_ts > newest_built}
    windows = (Window(newest_built, max(pending.values()), tuple(sorted(pending))),) if pending else ()
    stale.sort(key=lambda s: (s.load_ts, s.key))
    return RunPlan(tuple(stale), newest_built if stale else None, windows)
