"""`vaultgen docs` and the dbt docs overview: the ERD has every entity with its keys, the lineage every model and
read, the overview block holds both; a model added to the spec shows up. Pure text here (the Mermaid CLI renders
them in tests/docs/test_mermaid_render.py)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from vaultgen.cli import main
from vaultgen.dialects import get_dialect
from vaultgen.docs.command import docs_files
from vaultgen.emit.plan import plan_models
from vaultgen.naming import Naming
from vaultgen.pipeline import render_files
from vaultgen.spec.loader import load_spec

REPO = Path(__file__).resolve().parents[2]
NEW_SATELLITE = """
  - kind: satellite
    name: customer_contact
    parent: customer
    source: customers
    attributes: [phone, fax]
"""


def add_satellite(tmp_path: Path) -> Path:
    spec_dir = tmp_path / "spec"
    shutil.copytree(REPO / "vault_spec", spec_dir)
    with (spec_dir / "vault" / "customer.yml").open("a", encoding="utf-8") as handle:
        handle.write(NEW_SATELLITE)
    return spec_dir


def erd_entities(erd: str) -> dict[str, list[str]]:
    return {name: [line.split()[1] for line in body.strip().splitlines()]
            for name, body in re.findall(r"^    (\w+) \{\n(.*?)^    \}", erd, re.MULTILINE | re.DOTALL)}


def test_the_erd_holds_every_entity_with_its_keys_and_the_lineage_every_read():
    spec = load_spec(REPO / "vault_spec")
    files = docs_files(spec)
    entities = erd_entities(files["erd.mmd"])
    naming = Naming(spec)
    assert set(entities) == {naming.model_name(e) for e in spec.entities}  # hubs, links, satellites, PITs, bridges, marts
    assert entities["hub_customer"] == ["customer_hk", "customer_id"]
    assert "hub_customer ||--o{ sat_customer_details" in files["erd.mmd"]
    assert re.search(r"^        hash customer_hk PK, FK$", files["erd.mmd"], re.MULTILINE)
    assert {"dim_customers", "fct_sales_lines", "agg_sales_by_region", "pit_customer_by_batch"} <= set(entities)
    assert any(name.startswith("bridge_") for name in entities) and any(name.startswith("rts_") for name in entities)
    models = plan_models(spec, get_dialect("duckdb"))
    lineage = files["lineage.mmd"]
    for model in models:
        for ref in model.refs:
            assert f"    {ref} --> {model.name}\n" in lineage
        for table in model.sources:
            assert f"    raw__{table} --> {model.name}\n" in lineage
    assert files["erd.md"].count("```mermaid") == 1 and files["erd.mmd"] in files["erd.md"]


def test_the_dbt_overview_page_holds_the_waves_and_both_diagrams():
    spec = load_spec(REPO / "vault_spec")
    files, docs = render_files(spec), docs_files(spec)
    for target in spec.project.targets:
        overview = files[f"{target}/models/overview.md"]
        assert overview.startswith("{% docs __overview__ %}") and overview.rstrip().endswith("{% enddocs %}")
        assert "`dbt build --selector load_staging`" in overview
        raw = overview.split("{% raw %}")[1].split("{% endraw %}")[0]
        assert docs["lineage.mmd"] in raw and ("erDiagram" in raw)


def test_a_model_added_to_the_spec_appears_in_both_diagrams(tmp_path):
    spec_dir = add_satellite(tmp_path)
    out = tmp_path / "docs"
    assert main(["docs", "--spec", str(spec_dir), "--out", str(out)]) == 0
    erd, lineage = (out / "erd.mmd").read_text(), (out / "lineage.mmd").read_text()
    assert erd_entities(erd)["sat_customer_contact"] == ["customer_hk", "load_ts", "hashdiff", "phone", "fax"]
    assert "hub_customer ||--o{ sat_customer_contact" in erd
    assert "    stg_northwind__customers --> sat_customer_contact\n" in lineage
    assert "sat_customer_contact" not in (REPO / "docs" / "vault" / "erd.mmd").read_text()


def test_docs_of_a_broken_spec_is_a_located_error_and_writes_nothing(tmp_path, capsys):
    spec_dir = add_satellite(tmp_path)
    path = spec_dir / "vault" / "customer.yml"
    path.write_text(path.read_text().replace("parent: customer\n    source: customers\n    attributes: [phone, fax]", "parent: customer\n    source: customers\n    attributes: [no_such_column]"))
    out = tmp_path / "docs"
    assert main(["docs", "--spec", str(spec_dir), "--out", str(out)]) == 3  # a spec error
    error = capsys.readouterr().err
    assert "customer.yml:" in error and "VG0" in error and "Traceback" not in error
    assert not out.exists()
