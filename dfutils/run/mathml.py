"""Equations in the HTML reports without a network: the TeX of markdown cells (``$...$``, ``$$...$$``)
converted to MathML when a report is written, which browsers render themselves (nbconvert's page would
fetch MathJax from a CDN, so an offline reader saw raw ``$...$``). Code spans and fenced code are left
alone; an equation latex2mathml cannot convert keeps its TeX, so nothing is lost.
"""

from __future__ import annotations

import re

_CODE = re.compile(r"(```.*?```|`[^`\n]*`)", re.DOTALL)
_DISPLAY = re.compile(r"\$\$(.+?)\$\$", re.DOTALL)
# within a paragraph (a line break allowed, as markdown wraps lines), no space just inside the dollars, not an
# escaped \$ or an amount such as $5 and $6
_INLINE = re.compile(r"(?<![\\$])\$(?![\s$])((?:[^$\n]|\n(?!\s*\n))+?)(?<![\s\\])\$(?![\d$])")


def _converted(match: re.Match, display: str) -> str:
    from latex2mathml.converter import convert

    try:
        return convert(match.group(1).strip(), display=display)
    except Exception:  # latex2mathml raises its own and plain Python errors on TeX it does not know
        return match.group(0)


def markdown_to_mathml(text: str) -> str:
    """A markdown cell's source with its equations as MathML elements."""
    parts = _CODE.split(text)
    for i in range(0, len(parts), 2):  # the even parts are outside code
        parts[i] = _DISPLAY.sub(lambda m: _converted(m, "block"), parts[i])
        parts[i] = _INLINE.sub(lambda m: _converted(m, "inline"), parts[i])
    return "".join(parts)


def notebook_to_mathml(notebook) -> int:
    """Every markdown cell of a notebook (an ``nbformat`` node) in place; the number of cells changed."""
    changed = 0
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            converted = markdown_to_mathml(cell.source)
            changed += converted != cell.source
            cell.source = converted
    return changed
