"""The Python snippets of the README and the documentation run, page by page, so they cannot rot."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = [ROOT / "README.md", *sorted(p for p in DOCS.rglob("*.md") if "api" not in p.parts)]
FENCE = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def test_pages_have_snippets():
    assert sum(len(FENCE.findall(p.read_text())) for p in PAGES) >= 10


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_snippets_run(page, data_root, tmp_path, monkeypatch):
    snippets = FENCE.findall(page.read_text())
    if not snippets:
        pytest.skip("no Python snippet on this page")
    monkeypatch.setenv("GRAPHSEQ_DATA", str(data_root))
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": f"docs_{page.stem}"}
    for number, code in enumerate(snippets, 1):
        try:
            exec(compile(code, f"{page.name}[snippet {number}]", "exec"), namespace)
        except Exception as error:  # name the page and snippet, then fail with the cause
            raise AssertionError(
                f"{page.relative_to(ROOT)}, snippet {number} failed: {error!r}"
            ) from error
    import matplotlib.pyplot as plt

    plt.close("all")
