"""Mermaid to SVG through the mermaid CLI (mmdc, npm @mermaid-js/mermaid-cli) on a Chromium from the system: a
diagram that does not parse fails here with its error. I/O at the edge: a subprocess per diagram."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from vaultgen.errors import Location, Problem, ProblemsError

REPO = Path(__file__).resolve().parents[2]
# scripts/test.sh installs the CLI here: PUPPETEER_SKIP_DOWNLOAD=1 npm i --prefix .mermaid @mermaid-js/mermaid-cli@12.2.0
LOCAL_MMDC = REPO / ".mermaid" / "node_modules" / ".bin" / "mmdc"
CHROMIUM = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
MAX_TEXT = 1_000_000  # Mermaid refuses diagrams above 50,000 characters by default; the Northwind ERD is larger


class DiagramError(ProblemsError):
    """A diagram could not be rendered: the mermaid CLI is missing or refused it."""

    subject = "the diagrams"


def mmdc_command() -> list[str]:
    found = os.environ.get("VAULTGEN_MMDC") or (str(LOCAL_MMDC) if LOCAL_MMDC.exists() else shutil.which("mmdc"))
    if not found:
        raise DiagramError([Problem("VG190", "the mermaid CLI (mmdc) was not found", Location(str(LOCAL_MMDC)),
                                    "PUPPETEER_SKIP_DOWNLOAD=1 npm i --prefix .mermaid @mermaid-js/mermaid-cli@12.2.0, or set VAULTGEN_MMDC")])
    return [found]


def chromium() -> str:
    found = os.environ.get("PUPPETEER_EXECUTABLE_PATH") or next((path for path in CHROMIUM if Path(path).exists()), None)
    if not found:
        raise DiagramError([Problem("VG191", "no Chromium for the mermaid CLI", Location(CHROMIUM[0]),
                                    "apt-get install chromium, or set PUPPETEER_EXECUTABLE_PATH")])
    return found


def render_svgs(diagrams: dict[str, str], timeout: float = 180) -> dict[str, str]:
    """{name.mmd: Mermaid text} -> {name.svg: SVG text}."""
    command = mmdc_command()
    result: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="vaultgen-mmdc-") as folder:
        work = Path(folder)
        (work / "puppeteer.json").write_text(json.dumps({"executablePath": chromium(), "args": ["--no-sandbox", "--headless", "--disable-gpu"]}))
        (work / "mermaid.json").write_text(json.dumps({"maxTextSize": MAX_TEXT, "maxEdges": 5000, "theme": "default"}))
        for name, text in sorted(diagrams.items()):
            source, target = work / name, work / (Path(name).stem + ".svg")
            source.write_text(text, encoding="utf-8")
            try:
                done = subprocess.run([*command, "-q", "-i", str(source), "-o", str(target), "-p", str(work / "puppeteer.json"),
                                       "-c", str(work / "mermaid.json"), "-b", "white"], capture_output=True, text=True, timeout=timeout)
            except subprocess.TimeoutExpired:
                raise DiagramError([Problem("VG192", f"the mermaid CLI did not finish within {timeout:.0f} s", Location(name))]) from None
            if done.returncode != 0 or not target.exists():
                detail = (done.stderr or done.stdout).strip().splitlines()
                message = next((line for line in detail if "Error" in line), detail[-1] if detail else "no output")
                raise DiagramError([Problem("VG192", f"the mermaid CLI refused the diagram: {message}", Location(name),
                                            "the diagram text is in the .mmd file beside it")])
            result[target.name] = target.read_text(encoding="utf-8")
    return result
