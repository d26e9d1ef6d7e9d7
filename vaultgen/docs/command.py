"""`vaultgen docs [--spec DIR] [--out DIR] [--svg]`: the ERD and the lineage as Markdown and Mermaid files, offline."""

from __future__ import annotations

import argparse
from pathlib import Path


def docs_files(spec) -> dict[str, str]:
    """{file name: text}: erd.md and lineage.md (Mermaid in Markdown) and the bare diagrams erd.mmd and lineage.mmd."""
    from vaultgen.dialects import target_dialect
    from vaultgen.docs.mermaid import erd, lineage
    from vaultgen.docs.overview import erd_markdown, lineage_markdown
    from vaultgen.emit.plan import plan_models
    from vaultgen.sql.common import sentinel_keys

    models = plan_models(spec, target_dialect("duckdb", "hex", sentinel_keys(spec)))  # the embedded target's project: every entity
    return {"erd.md": erd_markdown(spec, models), "erd.mmd": erd(spec, models),
            "lineage.md": lineage_markdown(spec, models), "lineage.mmd": lineage(spec, models)}


def _cmd_docs(args: argparse.Namespace) -> int:
    from vaultgen import writer
    from vaultgen.docs.svg import render_svgs
    from vaultgen.spec.loader import load_spec

    spec = load_spec(args.spec)
    files = docs_files(spec)
    if args.svg:
        files.update(render_svgs({name: text for name, text in files.items() if name.endswith(".mmd")}))
    report = writer.write(args.out, files)
    print(f"wrote {args.out}: {', '.join(sorted(files))} ({len(report.written)} changed)")
    return 0


def add_command(commands) -> None:
    docs = commands.add_parser("docs", help="write the Mermaid ERD and source-to-mart lineage of the vault (Markdown, Mermaid, optional SVG)")
    docs.add_argument("--spec", type=Path, default=Path("vault_spec"), help="spec folder (default: vault_spec)")
    docs.add_argument("--out", type=Path, default=Path("docs/vault"), help="folder to write (default: docs/vault)")
    docs.add_argument("--svg", action="store_true", help="also render each diagram to SVG with the mermaid CLI (mmdc; see README)")
    docs.set_defaults(handler=_cmd_docs)
