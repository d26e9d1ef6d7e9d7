"""YAML as vaultgen writes it: block style, keys in the order given, no anchors or aliases (`&id001`, `*id001`):
a part shared by several entries is written out in full each time, as by hand."""

from __future__ import annotations

import yaml

_BASE = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml's emitter when PyYAML has it: same text, faster


class _Dumper(_BASE):  # type: ignore[misc, valid-type]
    def ignore_aliases(self, data: object) -> bool:
        return True


def dump_yaml(data: object) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=120, default_flow_style=False)
