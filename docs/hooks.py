"""mkdocs hook: the Results page is assembled from benchmarks/results/*.md at build time, so the
site always shows the latest committed benchmark output."""

from __future__ import annotations

from pathlib import Path

RESULTS = Path(__file__).resolve().parents[1] / "benchmarks" / "results"


def on_page_markdown(markdown: str, page, config, files) -> str:
    if page.file.src_uri != "results.md":
        return markdown
    sections = []
    for path in sorted(RESULTS.glob("*.md")):
        body = path.read_text()
        # Demote the result files' own headings below the page's sections.
        body = "\n".join(
            ("##" + line) if line.startswith("#") else line for line in body.splitlines()
        )
        sections.append(f"## `{path.name}`\n\n{body}\n")
    return markdown + "\n" + ("\n".join(sections) if sections else "_No results committed yet._\n")
