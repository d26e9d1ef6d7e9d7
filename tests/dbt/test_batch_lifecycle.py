"""The six cases of issue 10, one row each: batches that arrive late, are corrected, lack their load-log rows or
hold a duplicate key; ghost rows for the empty sentinel key; a command to load one's own batch. Each builds with
real dbt on DuckDB, from one rendered project and one built first batch shared by every case."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable

import duckdb
import pytest

from tests.support.raw_layer import differences_from_fresh_build, write_raw
from tests.support.vault import LocalVault
from vaultgen.cli import main
from vaultgen.dbt_runner import run_dbt
from vaultgen.sql.hashing import hash_key_py

pytestmark = pytest.mark.dbt

SPEC = Path(__file__).resolve().parents[1] / "fixtures" / "history_spec"
T1, T2, T3 = (datetime(2024, 5, day, 6, 0) for day in (1, 2, 3))
FIRST = {"customers": [("ALFKI", "Ann", "Berlin"), ("BONAP", "Bob", "Paris")], "orders": [(1, "ALFKI", 10.0)]}
EMPTY_KEY = "f" * 32


@dataclass
class Case:
    vault: LocalVault
    work: Path

    def dbt(self, *args: str, after: datetime | None = None, until: datetime | None = None):
        variables = {name: value.isoformat(sep=" ") for name, value in (("vaultgen_load_after", after), ("vaultgen_load_until", until)) if value}
        return run_dbt(list(args), self.vault.project, self.work / "dbt", self.vault.database, variables=variables, check=False)

    def write(self, table: str, batch_id: str, load_ts: datetime, rows, log: bool = True) -> None:
        write_raw(self.vault.database, self.vault.spec, table, batch_id, load_ts, rows, log)

    def run(self, capsys) -> tuple[int, str]:
        code = main(["run", "--spec", str(SPEC), "--out", str(self.vault.out_dir), "--database", str(self.vault.database), "--work-dir", str(self.work / "run")])
        captured = capsys.readouterr()
        return code, captured.out + captured.err

    def assert_equals_fresh_build(self) -> None:
        assert differences_from_fresh_build(self.vault.database, self.vault.spec, self.vault.project, self.work / "fresh") == {}


@pytest.fixture(scope="module")
def built_first_batch(tmp_path_factory) -> LocalVault:
    vault = LocalVault(SPEC, tmp_path_factory.mktemp("lifecycle"))
    vault.load("b1", T1, FIRST)
    assert vault.build(until=T1).ok
    return vault


@pytest.fixture
def case(built_first_batch: LocalVault, tmp_path: Path) -> Case:
    """A copy of the vault with b1 built (same rendered project, own database and dbt work dir)."""
    vault = LocalVault.__new__(LocalVault)
    vault.__dict__.update(built_first_batch.__dict__)
    vault.work_dir = tmp_path
    vault.database = tmp_path / "vault.duckdb"
    shutil.copy(built_first_batch.database, vault.database)
    return Case(vault, tmp_path)


def late_batch(case: Case, capsys) -> None:
    """A batch older than one already built is refused by the dbt project and repaired by `vaultgen run`."""
    case.write("customers", "b3", T3, [("ALFKI", "Ann", "Rome"), ("BONAP", "Bob", "Paris")])
    assert case.dbt("build", after=T1, until=T3).ok
    case.write("customers", "b2", T2, [("ALFKI", "Ann", "Bonn"), ("BONAP", "Bob", "Paris"), ("CACTU", "Cid", "Lima")])
    refused = case.dbt("build", after=T1, until=T3)
    assert not refused.ok and "batch b2" in refused.output and "older than batches the vault already holds" in refused.output
    assert "vaultgen run" in refused.output
    code, output = case.run(capsys)
    assert code == 0, output
    assert "late batch" in output and "repair" in output
    assert ("Ann", "Bonn", T2) in [(r[4], r[5], r[2]) for r in case.vault.table("sat_customer_details")]
    case.assert_equals_fresh_build()


def corrected_batch(case: Case, capsys) -> None:
    """A built batch whose rows changed is refused when rerun by hand and rebuilt by `vaultgen run`."""
    case.write("customers", "b1", T1, [("ALFKI", "Ann", "Hamburg"), ("BONAP", "Bob", "Paris")])
    refused = case.dbt("build", until=T1)
    assert not refused.ok and "batch b1" in refused.output and "changed since it was built" in refused.output
    staging_alone = case.dbt("run", "--select", "path:models/staging", until=T1)  # the models reading raw: guarded
    assert not staging_alone.ok and "changed since it was built" in staging_alone.output
    vault_alone = case.dbt("run", "--select", "hub_customer", until=T1)  # reads the staging table, no raw row: nothing to guard
    assert vault_alone.ok and "changed since it was built" not in vault_alone.output, vault_alone.output[-2000:]
    code, output = case.run(capsys)
    assert code == 0, output
    assert [r[5] for r in case.vault.table("sat_customer_details") if r[4] == "Ann"] == ["Hamburg"]
    case.assert_equals_fresh_build()


def raw_rows_without_load_log(case: Case, capsys) -> None:
    """Raw rows with no load-log row fail the generated raw-layer test, and `vaultgen run` refuses them."""
    case.write("customers", "b2", T2, [("ALFKI", "Ann", "Bonn")], log=False)
    result = case.dbt("build", after=T1, until=T2)
    assert any(r["unique_id"].startswith("test.history_vault.source_vaultgen_batch_logged_raw_customers") and r["status"] == "fail" for r in result.results)
    code, output = case.run(capsys)
    assert code == 4 and "raw rows without a load-log row" in output and "table customers, batch b2" in output


def duplicate_key_in_snapshot(case: Case, capsys) -> None:
    """Two rows of one primary key in one full snapshot fail the generated raw-layer test."""
    case.write("customers", "b2", T2, [("ALFKI", "Ann", "Bonn"), ("ALFKI", "Ann", "Köln")])
    result = case.dbt("build", after=T1, until=T2)
    failed = [r["unique_id"] for r in result.results if r["status"] == "fail"]
    assert any("source_vaultgen_unique_combination_raw_customers_customer_id__batch_id" in name for name in failed), failed


def ghost_rows_for_the_empty_key(case: Case, capsys) -> None:
    """An order with an empty customer key links to the empty sentinel, which has its hub and satellite ghost rows;
    the relationship test catches a link key without a hub row."""
    case.write("orders", "b2", T2, [(1, "ALFKI", 10.0), (2, "", 3.0)])
    case.write("customers", "b2", T2, FIRST["customers"])
    assert case.dbt("build", after=T1, until=T2).ok
    assert case.vault.query("select customer_hk from raw_vault.link_order_customer where order_hk = ?", [hash_key_py(["2"], *_hashing())]) == [(EMPTY_KEY,)]
    assert case.vault.query("select count(*) from raw_vault.hub_customer where customer_hk = ?", [EMPTY_KEY]) == [(1,)]
    assert case.vault.query("select count(*) from raw_vault.sat_customer_details where customer_hk = ?", [EMPTY_KEY]) == [(1,)]
    with duckdb.connect(str(case.vault.database)) as connection:
        connection.execute("delete from raw_vault.hub_customer where customer_hk = ?", [EMPTY_KEY])
    tested = case.dbt("test", "--select", "link_order_customer")
    assert any("relationships_link_order_customer_customer_hk" in r["unique_id"] and r["status"] == "fail" for r in tested.results)


def load_command(case: Case, capsys) -> None:
    """`vaultgen load` brings one's own batch from a folder of CSV files, `vaultgen run` builds it, and a late batch
    is refused by the loader with the raw layer unchanged."""
    folder = case.work / "b2"
    folder.mkdir()
    (folder / "customers.csv").write_text("customer_id,name,city\nALFKI,Ann,Bonn\nBONAP,Bob,Paris\nCACTU,Cid,Lima\n", encoding="utf-8")
    base = ["--spec", str(SPEC), "--database", str(case.vault.database)]
    assert main(["load", *base, "--from", str(folder), "--batch-id", "b2", "--load-ts", T2.isoformat()]) == 0
    code, output = case.run(capsys)
    assert code == 0, output
    assert sorted(case.vault.query("select city from raw_vault.sat_customer_details where customer_hk = ? order by load_ts", [hash_key_py(["ALFKI"], *_hashing())])) == [("Berlin",), ("Bonn",)]
    case.assert_equals_fresh_build()
    before = case.vault.query("select * from raw.customers order by all")
    late = datetime(2024, 5, 1, 18, 0)  # between b1 and b2: older than the newest batch
    assert main(["load", *base, "--from", str(folder), "--batch-id", "b_late", "--load-ts", late.isoformat()]) == 3
    assert "VG112" in capsys.readouterr().err
    assert case.vault.query("select * from raw.customers order by all") == before


def _hashing():
    from vaultgen.spec.model import Hashing, SentinelKeys

    return Hashing(), SentinelKeys()


CASES: dict[str, Callable[[Case, object], None]] = {
    "1-late-batch": late_batch,
    "2-corrected-batch": corrected_batch,
    "3-raw-rows-without-load-log": raw_rows_without_load_log,
    "4-duplicate-key-in-snapshot": duplicate_key_in_snapshot,
    "5-ghost-rows-for-empty-key": ghost_rows_for_the_empty_key,
    "6-load-command": load_command,
}


@pytest.mark.parametrize("name", list(CASES))
def test_batch_lifecycle(name: str, case: Case, capsys):
    CASES[name](case, capsys)
