"""YAML as vaultgen writes it: block style, keys in the order given, no anchors or aliases (`&id001`, `*id001`):
a part shared by several entries is written out in full each time, as by hand."""

from __future__ import annotations

import yaml
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

_BASE = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml's emitter when PyYAML has it: same text, faster


class _Dumper(_BASE):  # type: ignore[misc, valid-type]
    def ignore_aliases(self, data: object) -> bool:
        return True

    def represent_data(self, data: object):
        """The node PyYAML's safe representer makes, without its per-node lookups for the three types that make up
        nearly every node (with no aliases and block style, a str, dict or list has one node each); others as PyYAML."""
        kind = type(data)
        if kind is str:
            return ScalarNode("tag:yaml.org,2002:str", data)
        if kind is dict:
            return MappingNode("tag:yaml.org,2002:map", [(self.represent_data(key), self.represent_data(value)) for key, value in data.items()],
                               flow_style=False)
        if kind is list:
            return SequenceNode("tag:yaml.org,2002:seq", [self.represent_data(item) for item in data], flow_style=False)
        return super().represent_data(data)


def dump_yaml(data: object) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=120, default_flow_style=False)
