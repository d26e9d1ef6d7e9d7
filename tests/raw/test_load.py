"""`vaultgen load` and `load_batch` against a real DuckDB file: what is loaded, and every refusal with its location
and an unchanged raw layer."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from tests.raw.conftest import SPEC_DIR, raw_state, write_csv, write_parquet
from vaultgen.cli import main
from vaultgen.errors import LoadError
from vaultgen.raw.duckdb_raw import Batch, create_raw_tables, load_batch

T1 = "2024-03-01 06:00:00"
T2 = "2024-03-02 06:00:00"
CUSTOMERS = ["customer_id", "name", "city", "vip", "born", "seen_at", "photo"]
LINES = ["order_id", "line", "amount", "ratio", "placed"]
CUSTOMER_ROWS = [
    ["ALFKI", "Ann", "Berlin", "true", "1980-02-29", "2024-02-01 10:00:00+02:00", "\\x01\\xFF"],
    ["BONAP", "Bob, Jr.", "", "false", None, None, None],  # an empty city is '', not NULL
]
LINE_ROWS = [[1, 1, "10.50", "0.25", "2024-02-01 08:30:00"], [1, 2, "3", None, None]]


def load(database: Path, folder: Path, batch_id: str, *extra: str) -> int:
    return main(["load", "--spec", str(SPEC_DIR), "--from", str(folder), "--batch-id", batch_id, "--database", str(database), *extra])


def good_batch(folder: Path) -> Path:
    write_csv(folder, "customers", CUSTOMERS, CUSTOMER_ROWS)
    write_csv(folder, "order_lines", LINES, LINE_ROWS)
    return folder


@pytest.fixture
def loaded(tmp_path: Path, spec) -> Path:
    """A raw layer holding batch b1 (customers, order_lines) at T1 and b2 (customers only) at T2."""
    database = tmp_path / "vault.duckdb"
    assert load(database, good_batch(tmp_path / "b1"), "b1", "--load-ts", T1) == 0
    write_csv(tmp_path / "b2", "customers", CUSTOMERS, CUSTOMER_ROWS[:1])
    assert load(database, tmp_path / "b2", "b2", "--load-ts", T2) == 0
    return database


def test_a_batch_is_loaded_with_its_types_and_load_log(loaded: Path, capsys):
    with duckdb.connect(str(loaded), read_only=True) as connection:
        customers = connection.execute("select * from raw.customers where batch_id = 'b1' order by customer_id").fetchall()
        lines = connection.execute("select * from raw.order_lines order by all").fetchall()
        log = connection.execute("select * from raw.load_log order by all").fetchall()
    t1, t2 = datetime(2024, 3, 1, 6), datetime(2024, 3, 2, 6)
    assert customers == [
        ("ALFKI", "Ann", "Berlin", True, date(1980, 2, 29), datetime(2024, 2, 1, 8, tzinfo=timezone.utc), b"\x01\xff", t1, "b1"),
        ("BONAP", "Bob, Jr.", "", False, None, None, None, t1, "b1"),
    ]
    assert lines == [(1, 1, Decimal("10.50"), 0.25, datetime(2024, 2, 1, 8, 30), t1, "b1"), (1, 2, Decimal("3.00"), None, None, t1, "b1")]
    # b2 did not bring order_lines: not part of that batch, so no log row and no deletion inferred
    assert log == [("customers", "b1", t1, 2), ("customers", "b2", t2, 1), ("order_lines", "b1", t1, 2)]


def test_the_cli_prints_what_it_loaded(tmp_path: Path, capsys):
    database = tmp_path / "vault.duckdb"
    assert load(database, good_batch(tmp_path / "b1"), "b1", "--load-ts", "2024-03-01T08:00:00+02:00") == 0
    out = capsys.readouterr().out
    assert out.splitlines() == [f"loaded batch b1 at {T1} UTC into {database}:", "  customers: 2 rows", "  order_lines: 2 rows"]
    assert load(database, tmp_path / "b1", "b1") == 0  # the same batch again: corrected, keeps its load timestamp
    assert capsys.readouterr().out.splitlines()[0] == f"loaded corrected batch b1 at {T1} UTC into {database}:"


def test_load_ts_defaults_to_now_in_utc(tmp_path: Path):
    database = tmp_path / "vault.duckdb"
    before = datetime.now(timezone.utc).replace(tzinfo=None)
    assert load(database, good_batch(tmp_path / "b1"), "b1") == 0
    after = datetime.now(timezone.utc).replace(tzinfo=None)
    with duckdb.connect(str(database), read_only=True) as connection:
        [(stamp,)] = connection.execute("select distinct load_ts from raw.load_log").fetchall()
    assert before <= stamp <= after


def test_csv_and_parquet_and_python_rows_load_the_same(tmp_path: Path, spec):
    from_csv = tmp_path / "csv.duckdb"
    assert load(from_csv, good_batch(tmp_path / "csv"), "b1", "--load-ts", T1) == 0
    write_parquet(tmp_path / "pq", "customers", {
        "customer_id": ["ALFKI", "BONAP"], "name": ["Ann", "Bob, Jr."], "city": ["Berlin", ""], "vip": [True, False],
        "born": pa.array([date(1980, 2, 29), None]), "seen_at": pa.array([datetime(2024, 2, 1, 8, tzinfo=timezone.utc), None]),
        "photo": pa.array([b"\x01\xff", None]),
    })
    write_parquet(tmp_path / "pq", "order_lines", {  # other physical types than the spec's: cast by the loader
        "placed": pa.array([datetime(2024, 2, 1, 8, 30), None]), "order_id": pa.array([1, 1], pa.int64()), "line": [1, 2],
        "amount": pa.array([Decimal("10.5"), Decimal("3")], pa.decimal128(12, 3)), "ratio": [0.25, None],
    })
    from_parquet = tmp_path / "pq.duckdb"
    assert load(from_parquet, tmp_path / "pq", "b1", "--load-ts", T1) == 0
    from_rows = tmp_path / "rows.duckdb"
    with duckdb.connect(str(from_rows)) as connection:
        create_raw_tables(connection, spec)
        load_batch(connection, spec, Batch("b1", datetime(2024, 3, 1, 7, tzinfo=timezone(__import__("datetime").timedelta(hours=1))), {
            "customers": [("ALFKI", "Ann", "Berlin", True, date(1980, 2, 29), datetime(2024, 2, 1, 8, tzinfo=timezone.utc), b"\x01\xff"),
                          ("BONAP", "Bob, Jr.", "", False, None, None, None)],
            "order_lines": [(1, 1, 10.5, 0.25, datetime(2024, 2, 1, 8, 30)), (1, 2, Decimal("3"), None, None)],
        }))
    assert raw_state(from_csv, spec) == raw_state(from_parquet, spec) == raw_state(from_rows, spec)
    assert len(raw_state(from_csv, spec)["customers"]) == 2


def test_a_corrected_batch_replaces_its_rows_and_keeps_its_load_ts(loaded: Path, tmp_path: Path, spec):
    before = raw_state(loaded, spec)
    write_csv(tmp_path / "fix", "customers", CUSTOMERS, [["ALFKI", "Ann", "Bonn", None, None, None, None], ["CACTU", "Cy", None, None, None, None, None]])
    assert load(loaded, tmp_path / "fix", "b1") == 0
    after = raw_state(loaded, spec)
    t1 = datetime(2024, 3, 1, 6)
    assert [row for row in after["customers"] if row[-1] == "b1"] == [
        ("ALFKI", "Ann", "Bonn", None, None, None, None, t1, "b1"), ("CACTU", "Cy", None, None, None, None, None, t1, "b1")]
    assert [row for row in after["customers"] if row[-1] == "b2"] == [row for row in before["customers"] if row[-1] == "b2"]
    assert after["order_lines"] == before["order_lines"]  # not in the corrected files: untouched
    assert ("customers", "b1", t1, 2) in after["load_log"] and len(after["load_log"]) == len(before["load_log"])


def test_the_newest_batch_may_take_a_table_it_lacked(loaded: Path, tmp_path: Path, spec):
    write_csv(tmp_path / "more", "order_lines", LINES, LINE_ROWS[:1])
    assert load(loaded, tmp_path / "more", "b2") == 0
    assert ("order_lines", "b2", datetime(2024, 3, 2, 6), 1) in raw_state(loaded, spec)["load_log"]


def test_a_cdc_batch_may_hold_a_key_several_times(loaded: Path, tmp_path: Path, spec):
    write_csv(tmp_path / "cdc", "payments", ["payment_id", "op", "seq", "amount"], [[7, "I", 1, "1.00"], [7, "U", 2, "2.00"]])
    assert load(loaded, tmp_path / "cdc", "b3", "--load-ts", "2024-03-03") == 0
    assert len(raw_state(loaded, spec)["payments"]) == 2


def _parquet_lines(folder: Path, **overrides) -> None:
    columns = {"order_id": pa.array([1, 2], pa.int32()), "line": pa.array([1, 1], pa.int16()), "amount": [Decimal("1.00"), Decimal("2.00")],
               "ratio": [0.5, 0.5], "placed": [None, None]}
    columns.update(overrides)
    write_parquet(folder, "order_lines", columns)


# (id, how to write the batch folder, extra CLI arguments, code, where the message points, words it must hold)
REFUSALS = [
    ("missing column", lambda f: write_csv(f, "customers", CUSTOMERS[:-1], [r[:-1] for r in CUSTOMER_ROWS]), [],
     "VG101", "customers.csv:1", "lacks column(s) photo"),
    ("extra column", lambda f: write_csv(f, "customers", CUSTOMERS + ["age"], [r + [3] for r in CUSTOMER_ROWS]), [],
     "VG102", "customers.csv:1", "not in the spec's table customers: age"),
    ("case-sensitive names", lambda f: write_csv(f, "customers", ["Customer_id"] + CUSTOMERS[1:], CUSTOMER_ROWS), [],
     "VG101", "customers.csv:1", "lacks column(s) customer_id"),
    ("csv value does not cast", lambda f: write_csv(f, "order_lines", LINES, [LINE_ROWS[0], [2, 1, "ten", None, None]]), [],
     "VG104", "order_lines.csv:3:3", "amount (expected DECIMAL(10,2))"),
    ("csv bad timestamp", lambda f: write_csv(f, "order_lines", LINES, [[2, 1, "1", None, "2024-13-01"]]), [],
     "VG104", "order_lines.csv:2:5", "placed (expected TIMESTAMP)"),
    ("csv line too long", lambda f: (write_csv(f, "order_lines", LINES, LINE_ROWS), (f / "order_lines.csv").open("a").write("3,1,1,1,2024-01-01,9\n")), [],
     "VG104", "order_lines.csv:4", "line 4: too many columns"),
    ("parquet value does not cast", lambda f: _parquet_lines(f, amount=["1.00", "lots"]), [],
     "VG105", "order_lines.parquet:2:3", "'lots' is not a DECIMAL(10,2)"),
    ("parquet value out of range", lambda f: _parquet_lines(f, line=pa.array([1, 70000], pa.int32())), [],
     "VG105", "order_lines.parquet:2:2", "70000 is not a SMALLINT"),
    ("NULL in a NOT NULL column", lambda f: write_csv(f, "customers", CUSTOMERS, [CUSTOMER_ROWS[0], ["BONAP", None, None, None, None, None, None]]), [],
     "VG108", "customers.csv:3:2", "NULL in a NOT NULL column"),
    ("NULL in a primary key column", lambda f: _parquet_lines(f, order_id=pa.array([1, None], pa.int32())), [],
     "VG108", "order_lines.parquet:2:1", "NULL in a primary key column"),
    ("duplicate key in a full snapshot", lambda f: write_csv(f, "customers", CUSTOMERS, CUSTOMER_ROWS + [["ALFKI", "Al", None, None, None, None, None]]), [],
     "VG109", "customers.csv:4", "(customer_id='ALFKI') of full snapshot customers is in records 1 and 3"),
    ("duplicate composite key", lambda f: _parquet_lines(f, order_id=pa.array([2, 2], pa.int32())), [],
     "VG109", "order_lines.parquet:2", "(order_id=2, line=1) of full snapshot order_lines is in rows 1 and 2"),
    ("late new batch", good_batch, ["--load-ts", "2024-03-01 12:00"],
     "VG112", "batch b9", "not later than the newest batch already loaded (2024-03-02 06:00:00)"),
    ("new batch at the newest timestamp", good_batch, ["--load-ts", T2], "VG112", "batch b9", "must increase"),
    ("unknown table file", lambda f: (good_batch(f), (f / "cutsomers.csv").write_text("a\n1\n")), [],
     "VG100", "cutsomers.csv", "names no source table"),
    ("two files for a table", lambda f: (good_batch(f), _parquet_lines(f)), [], "VG100", "order_lines.parquet", "has two files"),
    ("not a parquet file", lambda f: (f.mkdir(parents=True), (f / "customers.parquet").write_text("nope")), [],
     "VG106", "customers.parquet", "cannot read as parquet"),
    ("empty csv file", lambda f: (f.mkdir(parents=True), (f / "customers.csv").write_text("")), [], "VG103", "customers.csv", "no header line"),
    ("malformed --load-ts", good_batch, ["--load-ts", "2024-02-30"], "VG110", "--load-ts", "not an ISO 8601 timestamp"),
]
CORRECTIONS = [  # the same batch id again, refused
    ("corrected batch at another load_ts", "b1", good_batch, ["--load-ts", "2024-03-05"], "VG114", "batch b1", "keeps its load timestamp"),
    ("an old batch takes a table it lacked", "b1", lambda f: write_csv(f, "payments", ["payment_id", "op", "seq", "amount"], [[1, "I", 1, None]]), [],
     "VG115", "batch b1", "had no payments"),
]


@pytest.mark.parametrize(("batch_id", "write", "extra", "code", "where", "words"),
                         [pytest.param("b9", *case[1:], id=case[0]) for case in REFUSALS] + [pytest.param(*case[1:], id=case[0]) for case in CORRECTIONS])
def test_refused_batches_are_located_and_change_nothing(loaded: Path, tmp_path: Path, spec, capsys, batch_id, write, extra, code, where, words):
    folder = tmp_path / "bad"
    write(folder)
    before = raw_state(loaded, spec)
    capsys.readouterr()
    assert load(loaded, folder, batch_id, *extra) == 3
    captured = capsys.readouterr()
    assert captured.out == ""
    assert code in captured.err and words in captured.err, captured.err
    assert any(line.startswith(where) or f"{where}:" in line or f"/{where}" in line for line in captured.err.splitlines()), captured.err
    assert "hint:" in captured.err and "Traceback" not in captured.err
    assert raw_state(loaded, spec) == before


def test_a_refused_first_batch_leaves_no_database(tmp_path: Path):
    write_csv(tmp_path / "bad", "customers", CUSTOMERS, CUSTOMER_ROWS + CUSTOMER_ROWS)
    database = tmp_path / "new" / "work" / "vault.duckdb"
    assert load(database, tmp_path / "bad", "b1") == 3
    assert not (tmp_path / "new").exists()


ROW_REFUSALS = [
    ("duplicate key", {"customers": [("A", "a", None, None, None, None, None), ("A", "b", None, None, None, None, None)]}, "VG109", "customers (batch b9):2"),
    ("NULL key", {"order_lines": [(None, 1, 1.0, None, None)]}, "VG108", "order_lines (batch b9):1:1"),
    ("value of another type", {"order_lines": [(1, 1, 1.0, None, None), (2, "one", 1.0, None, None)]}, "VG105", "order_lines (batch b9):2:2"),
    ("value out of range", {"order_lines": [(1, 1, 10 ** 9, None, None)]}, "VG105", "order_lines (batch b9):1:3"),
    ("row of the wrong width", {"order_lines": [(1, 1)]}, "VG107", "order_lines (batch b9):1"),
    ("unknown table", {"orders": []}, "VG100", "batch b9"),
]


@pytest.mark.parametrize(("rows", "code", "where"), [pytest.param(*case[1:], id=case[0]) for case in ROW_REFUSALS])
def test_load_batch_refuses_bad_rows_and_changes_nothing(loaded: Path, spec, rows, code, where):
    before = raw_state(loaded, spec)
    with duckdb.connect(str(loaded)) as connection:
        with pytest.raises(LoadError) as refused:
            load_batch(connection, spec, Batch("b9", datetime(2024, 3, 9), rows))
        assert connection.execute("select count(*) from duckdb_tables() where temporary").fetchone() == (0,)
    assert refused.value.problems[0].code == code
    assert str(refused.value.problems[0]).startswith(where), str(refused.value)
    assert raw_state(loaded, spec) == before


def test_load_batch_keeps_the_lifecycle_rules(loaded: Path, spec):
    with duckdb.connect(str(loaded)) as connection:
        with pytest.raises(LoadError, match="VG112"):
            load_batch(connection, spec, Batch("b0", datetime(2024, 2, 1), {"customers": []}))
        assert load_batch(connection, spec, Batch("b2", None, {"customers": []})) == {"customers": 0}  # corrected: now empty
        assert connection.execute("select count(*) from raw.customers where batch_id = 'b2'").fetchone() == (0,)
        assert connection.execute("select row_count, load_ts from raw.load_log where batch_id = 'b2'").fetchall() == [(0, datetime(2024, 3, 2, 6))]
