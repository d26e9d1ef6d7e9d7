"""The JSON Schema of one spec file, for YAML editors (yaml-language-server, VS Code)."""

from __future__ import annotations

from typing import Any

from vaultgen.spec.model import Spec


def spec_json_schema() -> dict[str, Any]:
    schema = Spec.model_json_schema(by_alias=True)
    # a single file may hold any of the top-level blocks; the merged spec needs all of them
    schema["required"] = []
    schema["title"] = "vaultgen spec file"
    return schema
