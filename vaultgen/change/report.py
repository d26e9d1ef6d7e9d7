"""The plan as text (a terminal), Markdown (a pull-request comment) or JSON (machines). Pure: returns strings."""

from __future__ import annotations

import json

from vaultgen.change.compare import IMPACTS, Change

MIGRATION_KINDS = {  # kind -> how a reader should treat it, in the order to apply them
    "ddl": "DDL, run before the next build",
    "rehash": "rewrite stored hashes in place (instead of new versions for a re-version)",
    "dbt": "dbt",
    "glue": "Glue catalog",
    "cleanup": "clean-up once nothing reads it",
    "hint": "to do instead",
}


def summary(changes: list[Change]) -> dict[str, int]:
    return {impact: sum(1 for c in changes if c.impact == impact) for impact in IMPACTS}


def _where(change: Change) -> str:
    return f"{change.entity or '(project)'}" + (f" on {change.target}" if change.target else "")


def _count(change: Change) -> str:
    if change.impact != "re-version" or not change.count_note:
        return ""
    return f" [{change.affected_keys} keys re-versioned]" if change.affected_keys is not None else f" [{change.count_note}]"


def as_text(changes: list[Change], blocking: list[Change]) -> str:
    if not changes:
        return "no changes that affect the warehouse\n"
    lines = []
    for change in changes:
        lines.append(f"{change.impact:<10} {_where(change)}: {change.change}{_count(change)}")
        lines.append(f"           {change.detail}")
        for target, artefacts in sorted(change.migration.items()):
            for kind in MIGRATION_KINDS:
                for item in artefacts.get(kind, []):
                    lines.append(f"           {target} {kind}: {item}")
    counts = summary(changes)
    lines.append("")
    lines.append("plan: " + ", ".join(f"{counts[i]} {i}" for i in IMPACTS)
                 + (f"; {len(blocking)} need review (accept with --allow)" if blocking else "; nothing needs review"))
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def as_markdown(changes: list[Change], blocking: list[Change]) -> str:
    counts = summary(changes)
    icon = {"safe": "✅", "re-version": "🔁", "rehash": "#️⃣", "breaking": "⛔"}
    lines = ["## vaultgen plan", ""]
    if not changes:
        return "\n".join(lines + ["No changes that affect the warehouse.", ""])
    lines.append(" · ".join(f"{icon[i]} {counts[i]} {i}" for i in IMPACTS)
                 + ("" if not blocking else f" — **{len(blocking)} need review**"))
    lines += ["", "| impact | entity | target | change | what it does |", "| --- | --- | --- | --- | --- |"]
    for change in changes:
        lines.append(f"| {icon[change.impact]} {change.impact} | {_cell(change.entity or '(project)')} | {change.target or 'all'} | "
                     f"`{change.change}` | {_cell(change.detail + _count(change))} |")
    migrations = [c for c in changes if c.migration]
    if migrations:
        lines += ["", "### Migration", ""]
        for change in migrations:
            lines.append(f"<details><summary>{_where(change)}: {change.change}</summary>")
            lines.append("")
            for target, artefacts in sorted(change.migration.items()):
                for kind, label in MIGRATION_KINDS.items():
                    if artefacts.get(kind):
                        lines += [f"**{target}**, {label}:", "", "```" + ("sql" if kind in ("ddl", "rehash", "cleanup") else ""),
                                  *artefacts[kind], "```", ""]
            lines += ["</details>", ""]
    return "\n".join(lines) + "\n"


def as_json(changes: list[Change], blocking: list[Change]) -> str:
    document = {"changes": [c.as_json() for c in changes], "summary": summary(changes), "needs_review": len(blocking)}
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


FORMATS = {"text": as_text, "markdown": as_markdown, "json": as_json}
