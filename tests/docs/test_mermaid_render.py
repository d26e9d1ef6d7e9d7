"""The diagrams render with the real mermaid CLI (npm @mermaid-js/mermaid-cli on Debian's Chromium), so a diagram
that does not parse fails here; a model added to the spec is in the rendered SVG. scripts/test.sh installs both
tools; they are never skipped in CI."""

from __future__ import annotations

import os

import pytest

from tests.docs.test_docs import add_satellite
from vaultgen.docs.command import docs_files
from vaultgen.docs.svg import DiagramError, chromium, mmdc_command, render_svgs
from vaultgen.spec.loader import load_spec

pytestmark = pytest.mark.infra  # the tier with node and the browser tools (scripts/test.sh installs them)


@pytest.fixture(scope="module")
def tools():
    try:
        mmdc_command(), chromium()
    except DiagramError as error:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must have the mermaid CLI and Chromium (scripts/test.sh installs them): {error}")
        pytest.skip(str(error))


def test_the_erd_and_the_lineage_render_to_svg_with_an_added_model(tools, tmp_path):
    files = docs_files(load_spec(add_satellite(tmp_path)))
    svgs = render_svgs({name: text for name, text in files.items() if name.endswith(".mmd")})
    assert set(svgs) == {"erd.svg", "lineage.svg"}
    for name, svg in svgs.items():
        assert svg.lstrip().startswith("<svg") and "Syntax error" not in svg, name
    assert "sat_customer_contact" in svgs["erd.svg"] and "hub_customer" in svgs["erd.svg"] and "fct_sales_lines" in svgs["erd.svg"]
    assert "sat_customer_contact" in svgs["lineage.svg"] and "stg_northwind__customers" in svgs["lineage.svg"]


def test_a_diagram_that_does_not_parse_fails_with_a_located_error(tools):
    with pytest.raises(DiagramError) as caught:
        render_svgs({"broken.mmd": "erDiagram\n    hub_a ||--o{ : \"no entity\"\n"})
    problem = caught.value.problems[0]
    assert problem.code == "VG192" and problem.location.file == "broken.mmd"
