"""The SQL builders assemble trees without copying: no node may then sit in two places of a tree (its parent
would be only one of them, and a rewrite of the tree in place would change both)."""

from __future__ import annotations

import pytest

from tests.conftest import REPO
from vaultgen.dialects import target_dialect
from vaultgen.emit.plan import plan_models
from vaultgen.spec.loader import load_spec
from vaultgen.sql.common import sentinel_keys


@pytest.mark.parametrize("spec_dir", ["vault_spec", "tests/fixtures/dv_spec", "tests/fixtures/history_spec"])
def test_no_node_is_shared_within_a_built_query(spec_dir: str):
    spec = load_spec(REPO / spec_dir)
    checked = 0
    for target in sorted(spec.project.targets):
        for model in plan_models(spec, target_dialect(target, "hex", sentinel_keys(spec))):
            for tree in (model.full, model.incremental):
                if tree is None:
                    continue
                seen: set[int] = set()
                for node in tree.walk():
                    assert id(node) not in seen, (target, model.name, node.sql())
                    seen.add(id(node))
                    for child in node.iter_expressions():
                        assert child.parent is node, (target, model.name, child.sql())
                checked += 1
    assert checked > 10
