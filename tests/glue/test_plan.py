"""The extract plan: the spec as the Glue job reads it, and a job that needs nothing but PySpark and the standard
library (no vaultgen, pydantic, YAML or sqlglot on the Glue workers)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import REPO
from tests.glue.conftest import GLUE_DIR, plan_of

from raw_extract.plan import PlanError, parse_plan  # noqa: E402  (glue/ is on sys.path via tests.glue.conftest)
from raw_extract.sql import pg_identifier, pg_string, spark_identifier, spark_string  # noqa: E402
from vaultgen.catalog.extract_plan import PLAN_PATH, extract_plan

COMMITTED_PLAN = REPO / "generated" / PLAN_PATH


def test_plan_carries_every_source_table_with_its_columns_types_and_load_mode(spec):
    plan = plan_of(spec)
    assert plan.raw.database == spec.project.raw.schema_name and plan.raw.load_log_table == spec.project.raw.load_log_table
    assert [t.name for t in plan.tables] == [t.name for _, t in spec.tables()]
    for (_, table), planned in zip(spec.tables(), plan.tables):
        assert [(c.name, c.source_type) for c in planned.columns] == [(c.name, c.type) for c in table.columns]
        assert (planned.load, planned.watermark_column) == (table.load, table.watermark_column)
    order_details = plan.table("order_details")
    assert {c.name: c.spark_type for c in order_details.columns}["unit_price"] == "float"  # real
    categories = plan.table("categories")
    assert {c.name: c.spark_type for c in categories.columns}["picture"] == "binary"


def test_the_committed_plan_is_the_one_the_job_reads(spec):
    assert parse_plan(COMMITTED_PLAN.read_text(), str(COMMITTED_PLAN)) == plan_of(spec)


@pytest.mark.parametrize("change, message", [
    (lambda p: p.update(version=2), "expected an extract plan of version 1"),
    (lambda p: p["tables"][0].update(name='x"; DROP TABLE y; --'), "is not an identifier"),
    (lambda p: p["tables"][0]["columns"][0].update(source_type="int); DROP TABLE y; --"), "unexpected value"),
    (lambda p: p["tables"][0].update(load="incremental"), "names its watermark_column"),
    (lambda p: p["tables"][0].update(load="incremental", watermark_column="nope"), "watermark column 'nope' is not a column"),
    (lambda p: p["raw"].update(database="raw layer"), "raw.database"),
])
def test_a_damaged_plan_is_refused_with_its_location(spec, change, message):
    data = extract_plan(spec)
    change(data)
    with pytest.raises(PlanError, match=message):
        parse_plan(json.dumps(data), "extract_plan.json")
    with pytest.raises(PlanError, match="not JSON"):
        parse_plan("{", "extract_plan.json")


def test_quoting_escapes_what_would_end_a_name_or_a_string():
    assert pg_identifier("public", 'we"ird') == '"public"."we""ird"'
    assert pg_string("O'Brien") == "'O''Brien'"
    assert spark_identifier("lake", "we`ird") == "`lake`.`we``ird`"
    assert spark_string("it's a \\ batch") == "'it\\'s a \\\\ batch'"


def test_the_job_imports_with_the_standard_library_alone():
    """As on a Glue worker without vaultgen: site-packages off (-S), only glue/ on the path."""
    code = (
        "import importlib.util, sys\n"
        "import raw_extract, raw_extract.extract, raw_extract.strategies, raw_extract.target, raw_extract.source\n"
        "spec = importlib.util.spec_from_file_location('job', sys.argv[1]); job = importlib.util.module_from_spec(spec)\n"
        "spec.loader.exec_module(job)\n"
        "plan = raw_extract.parse_plan(open(sys.argv[2], encoding='utf-8').read())\n"
        "foreign = sorted({m.split('.')[0] for m in sys.modules} & {'vaultgen', 'sqlglot', 'pydantic', 'yaml', 'jinja2', 'pyspark'})\n"
        "print(len(plan.tables), foreign)\n"
    )
    result = subprocess.run([sys.executable, "-S", "-c", code, str(GLUE_DIR / "job.py"), str(COMMITTED_PLAN)],
                            env={"PYTHONPATH": str(GLUE_DIR), "PATH": "/usr/bin:/bin"}, capture_output=True, text=True, cwd="/")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["14", "[]"]
