"""The reports' equations as MathML: readable without a network."""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat

from dfutils.run.mathml import markdown_to_mathml
from dfutils.run.runner import export_html

ROOT = Path(__file__).resolve().parents[2]


def test_inline_and_display_equations_become_mathml_and_code_and_amounts_stay():
    text = ("Mean: $\\bar p = \\frac{1}{T}\\sum_t p_t$, wrapped $d(a, p) <\nd(a, n)$.\n\n"
            "$$L = \\max(d_{ap} - d_{an} + \\alpha, 0)$$\n\n"
            "Shell: `echo $HOME $PATH`, costs $5 and $6, an escaped \\$x$, broken $\\frac{1}{$.")
    out = markdown_to_mathml(text)
    assert out.count('display="inline"') == 2 and out.count('display="block"') == 1
    assert "<mfrac>" in out and "<msub>" in out
    assert "`echo $HOME $PATH`" in out and "costs $5 and $6" in out and "\\$x$" in out
    assert "$\\frac{1}{$" in out  # what latex2mathml cannot convert keeps its TeX


def test_every_equation_of_the_notebooks_converts():
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        for cell in json.loads(path.read_text())["cells"]:
            if cell["cell_type"] == "markdown":
                outside_code = re.sub(r"`[^`]*`", "", markdown_to_mathml("".join(cell["source"])))
                assert not re.findall(r"\$[^$\s][^$]*\$", outside_code), path.name


def test_a_report_page_fetches_nothing_from_a_network(tmp_path):
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("$p = \\sigma(z)$"),
                                               nbformat.v4.new_code_cell("1 + 1")])
    nbformat.write(notebook, tmp_path / "n.ipynb")
    export_html(tmp_path / "n.ipynb", tmp_path / "n.html")
    page = (tmp_path / "n.html").read_text()
    assert "<math" in page and "<mi>σ</mi>" in page.replace("&#x003C3;", "σ")
    assert not re.findall(r"""(?:src=|href=|import\s[^;]*)["']https?://""", page)
    assert "mathjax" not in page.lower()
