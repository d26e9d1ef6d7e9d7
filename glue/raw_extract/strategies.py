"""Load strategies: how a table's batch is read from the source and written to its raw table.

A strategy is chosen by the spec's `Table.load`. Today the spec knows one mode, `full_snapshot`; a second mode
(`incremental` with a watermark column) is a second class with the same two methods, registered in STRATEGIES,
once the spec model grows the field. See glue/README.md.
"""

from __future__ import annotations

from typing import Protocol

from raw_extract.source import JdbcSource
from raw_extract.target import IcebergTarget


class LoadStrategy(Protocol):
    mode: str

    def read(self, source: JdbcSource, table: str, columns: list[str]):
        """The batch's rows of the spec's columns, as a DataFrame (lazy)."""

    def write(self, target: IcebergTarget, table: str, frame, batch_id: str) -> None:
        """Store the batch's rows; a rerun of the same batch must not duplicate them."""


class FullSnapshot:
    """Every row of the table, every batch: the batch's rows replace that batch's earlier rows (if any), and the
    snapshot's absence of a key is what record tracking satellites read as a deletion."""

    mode = "full_snapshot"

    def read(self, source: JdbcSource, table: str, columns: list[str]):
        return source.select(table, columns)

    def write(self, target: IcebergTarget, table: str, frame, batch_id: str) -> None:
        target.replace_batch(table, frame, batch_id)


# Sketch of the second strategy, not registered (the spec has no watermark column yet):
#   class Incremental:
#       mode = "incremental"
#       read: source.select(table, columns, where=<watermark> > max(<watermark>) of the raw table's earlier
#             batches), built with sqlglot, the bound read from Iceberg first;
#       write: target.replace_batch(...) as above, so a rerun stays idempotent.
#   Record tracking satellites cannot infer deletions from an incremental batch: the vault's checks must reject
#   a record tracking satellite on an incremental source.

STRATEGIES: dict[str, LoadStrategy] = {strategy.mode: strategy for strategy in (FullSnapshot(),)}
