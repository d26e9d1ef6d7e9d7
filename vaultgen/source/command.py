"""The `--against URL` part of `vaultgen validate`: findings print like spec errors and exit 1."""

from __future__ import annotations

import argparse

from vaultgen.spec.model import Spec


def validate_against(spec: Spec, args: argparse.Namespace) -> int:
    from vaultgen.source import parse_url
    from vaultgen.source.checks import SourceFindings, check_against
    from vaultgen.spec.loader import spec_locator

    url = parse_url(args.against, "--against")
    problems = check_against(spec, spec_locator(args.spec), url, schema=args.schema)
    if problems:
        print(SourceFindings(problems).render())
        return 1
    tables = len(spec.tables())
    print(f"{url.shown}: ok ({tables} tables: every column present with a compatible type, primary keys unique, no NULL business keys)")
    return 0
