"""Specs that used to validate and then render broken output: two models or two columns of one name, names that
clash with generated ones or with each other, reserved words where vaultgen generates a name, names longer than a
target allows. Each row must be refused with a located error and a hint, and nothing written (the shared
assertions of test_spec_errors). What is rendered correctly instead (reserved words in the source, Jinja in
descriptions) is proven by dbt in tests/dbt/test_reserved_words_and_jinja.py."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.spec import test_spec_errors as errors
from tests.spec.test_spec_errors import Case

SHOP = "  - name: shop\n    tables:\n"
TABLE = "      - {{name: {name}, primary_key: [k], columns: [{{name: k, type: integer}}]}}\n"
PROJECT = "  name: mini_vault\n"
END_DATING = ("project.yml", PROJECT, PROJECT + "  virtual_end_dating: true\n")
ATTRIBUTES = "attributes: [name, city]"
CITY = "{name: city, type: varchar(15)}"
LAST = "  - {kind: record_tracking_satellite, name: order_customer_status, parent: order_customer, source: orders}\n"


def source_column(name: str) -> tuple[str, str, str]:
    return ("source.yml", CITY, f"{CITY}\n          - {{name: {name}, type: varchar(15)}}")


CASES = [
    # two staging models of one name: system shop__x + table y, system shop + table x__y
    Case("staging-model-twice", "source.yml", SHOP, "  - name: shop__x\n    tables:\n" + TABLE.format(name="y") + SHOP + TABLE.format(name="x__y"),
         "VG030", "name: x__y", "generated model name 'stg_shop__x__y' is produced twice on duckdb: by the staging model of table 'y' (",
         "rename one of them"),
    Case("hub-named-like-a-staging-model", "vault.yml", LAST,
         LAST + "  - {kind: hub, name: shop__orders, business_keys: [order_id], sources: [{table: orders, columns: [order_id]}]}\n",
         "VG030", "name: shop__orders", "'stg_shop__orders' is produced twice on duckdb: by the staging model of table 'orders'", "rename one of them",
         more=(("project.yml", PROJECT, PROJECT + "  naming: {hub_prefix: stg}\n"),)),
    Case("satellite-named-like-a-history-view", "vault.yml", LAST,
         LAST + "  - {kind: satellite, name: customer_details_history, parent: customer, source: customers, attributes: [name]}\n",
         "VG030", "name: customer_details_history", "'sat_customer_details_history' is produced twice on duckdb: by a view of satellite 'customer_details'",
         more=(END_DATING,)),
    Case("attribute-named-hashdiff", "vault.yml", ATTRIBUTES, "attributes: [name, city, hashdiff]", "VG031", ATTRIBUTES[:-1],
         "model 'sat_customer_details' would have 2 columns named 'hashdiff'", "rename the source column", more=(source_column("hashdiff"),)),
    Case("attribute-named-valid-from", "vault.yml", ATTRIBUTES, "attributes: [name, city, valid_from]", "VG031", ATTRIBUTES[:-1],
         "model 'sat_customer_details_history' would have 2 columns named 'valid_from'", "rename the source column",
         more=(source_column("valid_from"), END_DATING)),
    Case("attribute-named-is-current", "vault.yml", ATTRIBUTES, "attributes: [name, city, is_current]", "VG031", ATTRIBUTES[:-1],
         "columns named 'is_current'", "rename the source column", more=(source_column("is_current"), END_DATING)),
    Case("attribute-named-like-an-internal-column", "vault.yml", ATTRIBUTES, "attributes: [name, city, previous_hashdiff]", "VG031",
         ATTRIBUTES[:-1], "model 'sat_customer_details' would have 2 columns named 'previous_hashdiff': source column 'previous_hashdiff'",
         "rename the source column", more=(source_column("previous_hashdiff"),)),
    Case("attribute-named-like-the-parent-key", "vault.yml", ATTRIBUTES, "attributes: [name, city, customer_hk]", "VG031", ATTRIBUTES[:-1],
         "model 'sat_customer_details' would have 2 columns named 'customer_hk': hash key of customer and source column 'customer_hk'",
         more=(source_column("customer_hk"),)),
    Case("business-key-named-like-the-hash-key", "vault.yml", "business_keys: [customer_id]", "business_keys: [customer_hk]", "VG031",
         "business_keys: [customer_hk]", "model 'hub_customer' would have 2 columns named 'customer_hk'", "rename the source column"),
    Case("source-column-named-like-the-load-timestamp", *source_column("loaded_at"), "VG031", "name: loaded_at",
         "model 'stg_shop__customers' would have 2 columns named 'loaded_at'", "rename the source column",
         more=(("project.yml", PROJECT, PROJECT + "  naming: {load_timestamp_column: loaded_at}\n"),)),
    Case("hashdiff-named-like-the-load-timestamp", "project.yml", PROJECT, PROJECT + "  naming: {hashdiff_column: load_ts}\n", "VG031",
         "hashdiff_column: load_ts", "naming.hashdiff_column and naming.load_timestamp_column are both 'load_ts'", "give naming.hashdiff_column"),
    Case("history-flag-named-like-the-hashdiff", "project.yml", PROJECT, PROJECT + "  virtual_end_dating: true\n  naming: {hashdiff_column: is_current}\n",
         "VG031", "hashdiff_column: is_current", "naming.hashdiff_column and virtual end-dating's is_current are both 'is_current'",
         "give naming.hashdiff_column a name of its own"),
    Case("status-named-like-the-record-source", "project.yml", PROJECT, PROJECT + "  naming: {status_column: record_source}\n",
         "VG031", "status_column: record_source", "naming.status_column and naming.record_source_column are both 'record_source'",
         "give naming.status_column a name of its own"),
    Case("batch-columns-of-one-name", "project.yml", PROJECT, PROJECT + "  raw: {batch_id_column: load_ts}\n", "VG031",
         "batch_id_column: load_ts", "raw.load_timestamp_column and raw.batch_id_column are both 'load_ts'", "give raw.batch_id_column"),
    Case("record-source-named-like-a-hash-key", "vault.yml", "", "", "VG031", "name: customer\n    business_keys",
         "model 'hub_customer' would have 2 columns named 'customer_hk'", "change the prefix / suffix in project.naming",
         more=(("project.yml", PROJECT, PROJECT + "  naming: {record_source_column: customer_hk}\n"),)),
    Case("generated-column-is-a-reserved-word", "project.yml", PROJECT, PROJECT + "  naming: {hashdiff_column: order}\n", "VG031",
         "hashdiff_column: order", "naming.hashdiff_column 'order' is a reserved SQL word", "another name"),
    Case("raw-schema-is-a-reserved-word", "project.yml", PROJECT, PROJECT + "  raw: {schema: select}\n", "VG031", "schema: select",
         "raw.schema 'select' is a reserved SQL word"),
    Case("hash-key-is-a-reserved-word", "vault.yml", LAST,
         LAST + "  - {kind: hub, name: current, business_keys: [order_id], sources: [{table: orders, columns: [order_id]}]}\n",
         "VG031", "name: current", "generated column 'current_date' (hash key of hub current) is a reserved SQL word",
         more=(("project.yml", PROJECT, PROJECT + "  naming: {hash_key_suffix: date}\n"),)),
    Case("table-named-like-the-load-log", "source.yml", "- name: orders", "- name: load_log", "VG030", "name: load_log",
         "table 'load_log' has the name of the raw layer's load log table", "project.raw.load_log_table"),
    Case("model-name-is-a-reserved-word", "vault.yml", LAST,
         LAST + "  - {kind: hub, name: date, business_keys: [order_id], sources: [{table: orders, columns: [order_id]}]}\n",
         "VG030", "name: date", "generated model name 'current_date' is a reserved SQL word", "another name or prefix",
         more=(("project.yml", PROJECT, PROJECT + "  naming: {hub_prefix: current}\n"),)),
    Case("duplicate-target", "project.yml", PROJECT, PROJECT + "  targets: [duckdb, spark, duckdb]\n", "VG020", "targets:", "duplicate target 'duckdb'"),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_clashing_or_unsafe_name_is_refused(case: Case, tmp_path, capsys, monkeypatch):
    errors.test_bad_spec_is_reported_with_location_and_nothing_is_written(case, tmp_path, capsys, monkeypatch)


def test_names_are_checked_against_each_targets_own_identifier_limit(tmp_path, monkeypatch):
    """The limit is the dialect's: a target allowing 28 characters refuses the 20-character 'sat_customer_details'
    (dbt's `__dbt_tmp` relation of it has 29) and reports every name that does not fit, on that target only."""
    from vaultgen import dialects

    monkeypatch.setitem(dialects.DIALECTS, "spark", replace(dialects.DIALECTS["spark"], max_identifier_length=28))
    spec_dir = errors._mutated_spec(tmp_path, Case("", "project.yml", PROJECT, PROJECT + "  targets: [duckdb, spark]\n", "", None))
    too_long = sorted(p.message.split("'")[1] for p in errors._problems(spec_dir) if "identifier limit" in p.message)
    assert too_long == ["rts_order_customer_status", "sat_customer_details"]
    problem = next(p for p in errors._problems(spec_dir) if "'sat_customer_details'" in p.message)
    assert problem.code == "VG030" and "identifier limit of spark (28)" in problem.message and "duckdb" not in problem.message
    assert problem.location.file.endswith("spec/vault.yml") and problem.location.line == 21


def test_columns_are_checked_against_each_targets_own_identifier_limit(tmp_path, monkeypatch):
    from vaultgen import dialects

    monkeypatch.setitem(dialects.DIALECTS, "duckdb", replace(dialects.DIALECTS["duckdb"], max_identifier_length=16))
    spec_dir = errors._mutated_spec(tmp_path, Case("", "project.yml", PROJECT, PROJECT, "", None))
    columns = {p.message.split("'")[1]: p for p in errors._problems(spec_dir) if p.message.startswith("column '")}
    assert set(columns) == {"order_customer_hk", "hashdiff_customer_details", "hashdiff_order_details", "previous_hashdiff", "previous_is_present"}
    assert "identifier limit of duckdb (16)" in columns["order_customer_hk"].message and columns["order_customer_hk"].code == "VG031"
