"""mkdocs hooks: the Results page is assembled from benchmarks/results/ at build time, so the site
always shows the latest committed benchmark output (figures and sample files included)."""

from __future__ import annotations

import re
from pathlib import Path

from mkdocs.structure.files import File

RESULTS = Path(__file__).resolve().parents[1] / "benchmarks" / "results"
LINK = re.compile(r"\]\(([^)\s/]+\.(?:png|svg|md|html))\)")


def on_files(files, config):
    """Publish the result figures and linked files under ``results/``."""
    for path in sorted(RESULTS.glob("*")):
        if path.suffix in (".png", ".svg", ".md", ".html"):
            files.append(File.generated(config, f"results/{path.name}", abs_src_path=str(path)))
    return files


def on_page_markdown(markdown: str, page, config, files) -> str:
    if page.file.src_uri != "results.md":
        return markdown
    sections = []
    for path in sorted(RESULTS.glob("*.md")):
        body = path.read_text()
        # Demote the result files' own headings below the page's sections; point their
        # relative links at the published copies.
        body = "\n".join(
            ("##" + line) if line.startswith("#") else line for line in body.splitlines()
        )
        body = LINK.sub(lambda m: f"](results/{m.group(1)})", body)
        sections.append(f"## `{path.name}`\n\n{body}\n")
    return markdown + "\n" + ("\n".join(sections) if sections else "_No results committed yet._\n")
