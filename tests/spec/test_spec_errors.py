"""Bad specs: every mistake gets a located error with a stable code and a hint, a non-zero exit, no
traceback, and nothing written. One row per mistake."""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from vaultgen.cli import main
from vaultgen.errors import SpecError
from vaultgen.spec.loader import load_spec

MINI = Path(__file__).resolve().parents[1] / "fixtures" / "mini_spec"


@dataclass(frozen=True)
class Case:
    id: str
    file: str
    old: str
    new: str
    code: str
    at: str | None  # text on the line the error must point at (None: the file only)
    message: str = ""
    hint: str = ""
    more: tuple[tuple[str, str, str], ...] = ()  # further (file, old, new) edits the mistake needs


RTS_LINE = "  - {kind: record_tracking_satellite, name: order_status, parent: order, source: orders}\n"
EFFECTIVITY = "  - {{kind: effectivity_satellite, name: order_customer_eff, parent: {parent}, source: orders, driving_keys: [{keys}]}}\n"
PIT = "  - {{kind: pit, name: customer_by_batch, hub: customer, satellites: [{satellites}], calendar: {calendar}}}\n"
BATCH_PIT = PIT.format(satellites="customer_details", calendar="{load_timestamps: true}")
BRIDGE = "  - {{kind: bridge, name: customer_orders, path: [{steps}]}}\n"
STEP = "{link: order_customer, from: customer, to: order}"
LINK_SATELLITE = "  - {kind: satellite, name: order_amount, parent: order_customer, source: orders, attributes: [amount]}\n"
FACT = "  - {{kind: fact, name: orders, bridge: customer_orders, satellite: order_amount, measures: [amount]{more}}}\n"
AGGREGATE = "  - {{kind: aggregate, name: order_totals, fact: orders, group_by: [{{column: customer_hk}}], measures: [{measure}]}}\n"
MARTS = RTS_LINE + BRIDGE.format(steps=STEP) + LINK_SATELLITE

CASES = [
    Case("malformed-yaml", "vault.yml", "attributes: [name, city]", "attributes: [name, city", "VG001", "attributes: [name, city\n", "malformed YAML"),  # where the list opens
    Case("duplicate-yaml-key", "source.yml", "name: customers\n", "name: customers\n        name: clients\n", "VG003", "name: clients", "duplicate key"),
    Case("wrong-type", "source.yml", "{name: name, type: varchar(40)}", "{name: name, type: varchar(40), nullable: maybe}", "VG012", "nullable: maybe", "'nullable'"),
    Case("unknown-key", "vault.yml", "business_keys: [order_id]", "busines_keys: [order_id]", "VG010", "busines_keys", "unknown key 'busines_keys'", "did you mean 'business_keys'?"),
    Case("missing-key", "vault.yml", "    business_keys: [order_id]\n", "", "VG011", "kind: hub\n    name: order", "missing required key 'business_keys'"),
    Case("unknown-kind", "vault.yml", "kind: link", "kind: lnk", "VG014", "kind: lnk", "unknown entity kind"),
    Case("unknown-type", "source.yml", "type: varchar(15)", "type: varchr(15)", "VG013", "varchr", "unknown source type"),
    Case("dangling-parent", "vault.yml", "parent: customer\n", "parent: custmer\n", "VG026", "parent: custmer", "not a hub or link", "did you mean 'customer'?"),
    Case("dangling-link-hub", "vault.yml", "- {hub: customer}", "- {hub: client}", "VG026", "hub: client", "unknown hub 'client'"),
    Case("unknown-table", "vault.yml", "{table: customers, columns: [customer_id]}", "{table: customer, columns: [customer_id]}", "VG022", "table: customer,", "unknown source table", "did you mean 'customers'?"),
    Case("missing-column", "vault.yml", "attributes: [name, city]", "attributes: [name, cty]", "VG023", "attributes: [name, cty]", "column 'cty' does not exist", "did you mean 'city'?"),
    Case("missing-pk-column", "source.yml", "primary_key: [order_id]", "primary_key: [order_no]", "VG023", "primary_key: [order_no]", "'order_no'"),
    Case("duplicate-entity", "vault.yml", "name: order_details", "name: customer_details", "VG020", "name: customer_details\n    parent: order", "duplicate entity 'customer_details'"),
    Case("duplicate-column", "source.yml", "{name: city, type: varchar(15)}", "{name: name, type: varchar(15)}", "VG020", "{name: name, type: varchar(15)}", "duplicate column 'name'"),
    Case("link-of-one-hub", "vault.yml", "      - {hub: order}\n      - {hub: customer}\n", "      - {hub: order}\n", "VG025", "references:", "joins 1 hub reference"),
    Case("key-count-mismatch", "vault.yml", "{table: orders, columns: [order_id]}", "{table: orders, columns: [order_id, amount]}", "VG024", "table: orders, columns: [order_id, amount]", "1 business key"),
    Case("link-role-unmapped", "vault.yml", "columns: {order: [order_id], customer: [customer_id]}", "columns: {order: [order_id]}", "VG028", "columns: {order: [order_id]}", "no columns for role 'customer'"),
    Case("satellite-source-not-fed", "vault.yml", "parent: order\n    source: orders", "parent: order\n    source: customers", "VG029", "source: customers\n    attributes: [amount]", "not loaded from table 'customers'"),
    Case("batch-column-clash", "source.yml", "{name: city, type: varchar(15)}", "{name: load_ts, type: varchar(15)}", "VG031", "name: load_ts", "clashes with a batch column"),
    Case("sql-in-table-name", "source.yml", "- name: orders", '- name: "orders; drop table customers"', "VG013", "drop table", "not a valid name"),
    Case("sql-in-column-name", "vault.yml", "attributes: [amount]", 'attributes: ["amount\\" from x; --"]', "VG013", "from x", "not a valid name"),
    Case("sql-in-record-source", "source.yml", "  - name: shop\n", "  - name: shop\n    record_source: \"shop'; drop table x; --\"\n", "VG013", "record_source", "'record_source'"),
    Case("sql-in-delimiter", "project.yml", "algorithm: md5", "algorithm: md5\n    delimiter: \"'||'\"", "VG013", "delimiter", "quotes"),
    Case("unknown-algorithm", "project.yml", "algorithm: md5", "algorithm: md4", "VG015", "algorithm: md4", "'algorithm'"),
    Case("effectivity-unknown-driving-key", "vault.yml", RTS_LINE, RTS_LINE + EFFECTIVITY.format(parent="order_customer", keys="ordr"),
         "VG028", "driving_keys: [ordr]", "'ordr' is not a role of link 'order_customer'", "did you mean 'order'?"),
    Case("effectivity-every-key-drives", "vault.yml", RTS_LINE, RTS_LINE + EFFECTIVITY.format(parent="order_customer", keys="order, customer"),
         "VG033", "driving_keys: [order, customer]", "no relationship can ever end"),
    Case("effectivity-on-a-hub", "vault.yml", RTS_LINE, RTS_LINE + EFFECTIVITY.format(parent="order", keys="order"),
         "VG026", "kind: effectivity_satellite", "is not a link", "belongs to a link: order_customer"),
    Case("nonhistorized-link-unknown-payload", "vault.yml", RTS_LINE,
         RTS_LINE + "  - kind: nonhistorized_link\n    name: order_event\n    references: [{hub: order}, {hub: customer}]\n"
         "    sources: [{table: orders, columns: {order: [order_id], customer: [customer_id]}}]\n    payload: [amount, amont]\n",
         "VG023", "payload: [amount, amont]", "payload column 'amont' does not exist", "did you mean 'amount'?"),
    Case("multi-active-key-not-an-attribute", "vault.yml", RTS_LINE,
         RTS_LINE + "  - {kind: multi_active_satellite, name: order_amounts, parent: order, source: orders, multi_active_key: [customer_id], attributes: [amount]}\n",
         "VG034", "multi_active_key: [customer_id]", "'customer_id' is not one of the attributes", "add 'customer_id' to attributes"),
    Case("reference-table-unknown-code", "vault.yml", RTS_LINE,
         RTS_LINE + "  - {kind: reference_table, name: city, source: customers, code: [cty], attributes: [name]}\n",
         "VG023", "code: [cty]", "column 'cty' does not exist in table 'customers'", "did you mean 'city'?"),
    Case("cdc-without-settings", "source.yml", "primary_key: [order_id]\n", "primary_key: [order_id]\n        load: cdc\n",
         "VG035", "load: cdc", "loaded as cdc but has no `cdc:` settings", "operation_column"),
    Case("cdc-unknown-operation-column", "source.yml", "primary_key: [order_id]\n",
         "primary_key: [order_id]\n        load: cdc\n        cdc: {operation_column: opp}\n", "VG023", "cdc: {operation_column: opp}", "'opp' does not exist"),
    Case("incremental-without-watermark", "source.yml", "primary_key: [customer_id]\n", "primary_key: [customer_id]\n        load: incremental\n",
         "VG045", "load: incremental", "loaded as incremental but has no watermark_column", "watermark_column: updated_at"),
    Case("watermark-on-full-snapshot", "source.yml", "primary_key: [customer_id]\n", "primary_key: [customer_id]\n        watermark_column: name\n",
         "VG045", "watermark_column: name", "loaded as full_snapshot but has a watermark_column"),
    Case("watermark-column-unknown", "source.yml", "primary_key: [customer_id]\n",
         "primary_key: [customer_id]\n        load: incremental\n        watermark_column: updated\n", "VG023", "watermark_column: updated",
         "watermark column 'updated' does not exist", "declare it under the columns of 'customers' (customer_id, name, city)"),
    Case("watermark-column-unordered", "source.yml", "primary_key: [customer_id]\n",
         "primary_key: [customer_id]\n        load: incremental\n        watermark_column: city\n", "VG046", "watermark_column: city",
         "is varchar(15), which cannot order changes", "timestamp, date, integer or numeric"),
    Case("watermark-column-nullable", "source.yml", "primary_key: [order_id]\n",
         "primary_key: [order_id]\n        load: incremental\n        watermark_column: amount\n", "VG046", "watermark_column: amount",
         "may be NULL", "nullable: false"),
    Case("options-for-unrendered-target", "vault.yml", "    name: order_details\n", "    name: order_details\n    targets: {spark: {enabled: false}}\n", "VG041", "targets: {spark", "which the project does not render", "add 'spark' to project.targets"),
    Case("partition-column-not-in-model", "vault.yml", "    name: order_details\n", "    name: order_details\n    targets: {duckdb: {partition_by: [{column: amout}]}}\n", "VG040", "targets: {duckdb", "'amout' is not a column of the model", "did you mean 'amount'?"),
    Case("parent-excluded-child-kept", "vault.yml", "    name: order\n    business_keys", "    name: order\n    targets: {duckdb: {enabled: false}}\n    business_keys", "VG042", None, "its parent 'order' is excluded"),
    Case("binary-hash-on-duckdb", "project.yml", "  name: mini_vault\n", "  name: mini_vault\n  target_settings:\n    duckdb: {hash_type: binary}\n", "VG044", "duckdb: {hash_type", "no binary hash type", "available on snowflake"),
    Case("unknown-top-level-key", "project.yml", "project:", "projekt:", "VG010", "projekt:", "unknown key 'projekt'", "did you mean 'project'?"),
    Case("pit-without-ghost-records", "vault.yml", RTS_LINE, RTS_LINE + BATCH_PIT, "VG037", "kind: pit", "needs ghost records", "ghost_records: true"),
    Case("pit-satellite-of-another-hub", "vault.yml", RTS_LINE, RTS_LINE + PIT.format(satellites="order_details", calendar="{load_timestamps: true}"),
         "VG036", "satellites: [order_details]", "belongs to 'order', not to the PIT's hub 'customer'"),
    Case("pit-two-calendars", "vault.yml", RTS_LINE,
         RTS_LINE + PIT.format(satellites="customer_details", calendar="{load_timestamps: true, daily: {start: 2024-01-01, end: 2024-01-31}}"),
         "VG038", "calendar: {load_timestamps: true, daily", "exactly one of load_timestamps or daily", "calendar: {load_timestamps: true}"),
    Case("bridge-steps-do-not-chain", "vault.yml", RTS_LINE, RTS_LINE + BRIDGE.format(steps=STEP + ", " + STEP),
         "VG036", "kind: bridge", "step 2 starts at hub 'customer' but the previous step ends at hub 'order'", "start at the hub the previous step leads to"),
    Case("bridge-unknown-role", "vault.yml", RTS_LINE, RTS_LINE + BRIDGE.format(steps=STEP.replace("from: customer", "from: custmer")),
         "VG028", "kind: bridge", "'custmer' is not a role of link 'order_customer'", "did you mean 'customer'?"),
    Case("dimension-column-not-covered-by-hashdiff", "vault.yml", RTS_LINE,
         RTS_LINE + BATCH_PIT + "  - {kind: dimension, name: customers, pit: customer_by_batch, attributes: [{satellite: customer_details, columns: [name, cty]}]}\n",
         "VG039", "kind: dimension", "'cty' is not an attribute of satellite 'customer_details', so its hashdiff does not cover it", "did you mean 'city'?"),
    Case("fact-measure-not-covered-by-hashdiff", "vault.yml", RTS_LINE, MARTS + FACT.format(more="").replace("[amount]", "[amount, customer_id]"),
         "VG039", "kind: fact", "'customer_id' is not an attribute of satellite 'order_amount'", "add 'customer_id' to the attributes"),
    Case("fact-derived-unknown-measure", "vault.yml", RTS_LINE, MARTS + FACT.format(more=", derived: [{name: double, product: [amount, amont]}]"),
         "VG023", "kind: fact", "derived measure 'double' uses 'amont'", "did you mean 'amount'?"),
    Case("aggregate-unknown-column", "vault.yml", RTS_LINE,
         MARTS + FACT.format(more="") + AGGREGATE.format(measure="{name: total, function: sum, column: amont}"),
         "VG023", "kind: aggregate", "'amont' is not a column of fact 'orders'", "did you mean 'amount'?"),
]


def _mutated_spec(tmp_path: Path, case: Case) -> Path:
    spec_dir = tmp_path / "spec"
    shutil.copytree(MINI, spec_dir)
    for file, old, new in ((case.file, case.old, case.new), *case.more):
        target = spec_dir / file
        text = target.read_text()
        assert old in text, f"fixture no longer contains {old!r}"
        target.write_text(text.replace(old, new, 1))
    return spec_dir


def _expected_line(spec_dir: Path, case: Case) -> int | None:
    if case.at is None:
        return None
    text = (spec_dir / case.file).read_text()
    index = text.index(case.at)
    return text[:index].count("\n") + 1


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_spec_is_reported_with_location_and_nothing_is_written(case: Case, tmp_path: Path, capsys, monkeypatch):
    spec_dir = _mutated_spec(tmp_path, case)
    out_dir = tmp_path / "generated"
    monkeypatch.chdir(tmp_path)
    exit_code = main(["render", "--spec", str(spec_dir), "--out", str(out_dir)])
    captured = capsys.readouterr()
    assert exit_code == 3
    assert not out_dir.exists()
    assert "Traceback" not in captured.err + captured.out
    line = _expected_line(spec_dir, case)
    problems = [p for p in _problems(spec_dir) if p.code == case.code]
    assert problems, f"expected {case.code}, got:\n{captured.err}"
    problem = next((p for p in problems if line is None or p.location.line == line), problems[0])
    assert problem.location.file.endswith(f"spec/{case.file}")
    if line is not None:
        assert problem.location.line == line, captured.err
    assert case.message in problem.message
    assert case.hint in problem.hint
    assert f"{problem.location}: {case.code}" in captured.err


def _problems(spec_dir: Path):
    with pytest.raises(SpecError) as raised:
        load_spec(spec_dir)
    return raised.value.problems


def test_all_problems_are_reported_at_once(tmp_path: Path):
    spec_dir = tmp_path / "spec"
    shutil.copytree(MINI, spec_dir)
    vault = spec_dir / "vault.yml"
    vault.write_text(vault.read_text().replace("attributes: [name, city]", "attributes: [name, cty]").replace("parent: order\n", "parent: ordr\n"))
    codes = sorted(p.code for p in _problems(spec_dir))
    assert codes == ["VG023", "VG026"]


def test_cli_process_prints_no_traceback_and_exits_nonzero(tmp_path: Path):
    spec_dir = _mutated_spec(tmp_path, CASES[0])
    completed = subprocess.run([sys.executable, "-m", "vaultgen", "validate", "--spec", str(spec_dir)], capture_output=True, text=True)
    assert completed.returncode == 3
    assert "VG001" in completed.stderr and "Traceback" not in completed.stderr


def test_debug_flag_shows_the_traceback(tmp_path: Path):
    spec_dir = _mutated_spec(tmp_path, CASES[0])
    completed = subprocess.run([sys.executable, "-m", "vaultgen", "--debug", "validate", "--spec", str(spec_dir)], capture_output=True, text=True)
    assert completed.returncode != 0 and "Traceback" in completed.stderr


def test_failed_render_leaves_existing_output_untouched(tmp_path: Path):
    out_dir = tmp_path / "generated"
    assert main(["render", "--spec", str(MINI), "--out", str(out_dir)]) == 0
    before = {p: p.read_bytes() for p in out_dir.rglob("*") if p.is_file()}
    spec_dir = _mutated_spec(tmp_path, CASES[3])
    assert main(["render", "--spec", str(spec_dir), "--out", str(out_dir)]) == 3
    assert {p: p.read_bytes() for p in out_dir.rglob("*") if p.is_file()} == before


def test_the_northwind_spec_is_valid(repo: Path):
    spec = load_spec(repo / "vault_spec")
    assert len(spec.tables()) == 14
    assert {h.name for h in spec.hubs} >= {"customer", "product", "order", "employee", "supplier", "category", "shipper", "region", "territory", "us_state", "customer_type"}
    manager = spec.entity("employee_manager")
    assert [r.hub for r in manager.references] == ["employee", "employee"]


def test_json_schema_is_written(tmp_path: Path):
    out = tmp_path / "schema.json"
    assert main(["schema", "--output", str(out)]) == 0
    import json

    schema = json.loads(out.read_text())
    assert "Hub" in schema["$defs"] and schema["$defs"]["Hub"]["additionalProperties"] is False


def test_record_tracking_on_an_incremental_table_is_refused_where_the_satellite_is_declared(tmp_path: Path):
    spec_dir = tmp_path / "spec"
    shutil.copytree(MINI, spec_dir)
    source = spec_dir / "source.yml"
    source.write_text(source.read_text().replace("primary_key: [order_id]\n", "primary_key: [order_id]\n        load: incremental\n        watermark_column: order_id\n", 1))
    problems = [p for p in _problems(spec_dir) if p.code == "VG047"]
    vault_lines = (spec_dir / "vault.yml").read_text().splitlines()
    flagged = sorted(vault_lines[p.location.line - 1].strip() for p in problems)
    assert flagged == [
        "- {kind: record_tracking_satellite, name: order_customer_status, parent: order_customer, source: orders}",
        "- {kind: record_tracking_satellite, name: order_status, parent: order, source: orders}",
    ]
    assert all(p.location.file.endswith("spec/vault.yml") and "sees deletions only in full snapshots" in p.message for p in problems)
    assert all("load 'orders' as full_snapshot" in p.hint for p in problems)
