"""A document as a printable PDF (fpdf2), set in Noto Serif CJK SC from Debian's fonts-noto-cjk.

The font is looked up in the usual places (``GONGYOU_CJK_FONT`` names another .ttc/.otf/.ttf);
without one, :func:`to_pdf` raises :class:`FontMissing` and callers offer the Word file alone.
"""
from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Optional, Tuple

from knowledge.documents.content import Closing, Document, Fields, Heading, Note, Numbered, Para, Table

FONT_PLACES = (
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-{}.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-{}.ttc",
    "/usr/share/fonts/truetype/noto/NotoSerifCJK-{}.ttc",
)


class FontMissing(RuntimeError):
    """No Chinese font on this machine (install Debian's fonts-noto-cjk)."""


@lru_cache(maxsize=4)
def _collection_index(path: str) -> int:
    """Which font of a .ttc is the Simplified Chinese one (0 for a single font)."""
    if not path.endswith(".ttc"):
        return 0
    from fontTools.ttLib import TTCollection

    names = [font["name"].getDebugName(1) or "" for font in TTCollection(path, lazy=True).fonts]
    return next((i for i, name in enumerate(names) if name.endswith(" SC")), 0)


def cjk_font(weight: str = "Regular") -> Optional[Tuple[str, int]]:
    """(path, index in the collection) of a Simplified Chinese font, or None."""
    chosen = os.environ.get("GONGYOU_CJK_FONT")
    candidates = [chosen] if chosen and weight == "Regular" else []
    candidates += [place.format(weight) for place in FONT_PLACES]
    for path in candidates:
        if path and Path(path).is_file():
            return path, _collection_index(path)
    return None


def to_pdf(doc: Document) -> bytes:
    """The document as PDF bytes (A4, fonts embedded as subsets)."""
    from fpdf import FPDF
    from fpdf.enums import XPos, YPos
    from fpdf.fonts import FontFace

    regular, bold = cjk_font("Regular"), cjk_font("Bold")
    if regular is None:
        raise FontMissing("no Chinese font found: install Debian's fonts-noto-cjk or set GONGYOU_CJK_FONT")
    pdf = FPDF(format="A4")
    pdf.set_margins(26, 25, 26)
    pdf.set_auto_page_break(True, margin=22)
    pdf.add_font("cjk", fname=regular[0], collection_font_number=regular[1])
    pdf.add_font("cjk", style="B", fname=(bold or regular)[0], collection_font_number=(bold or regular)[1])
    pdf.set_title(doc.title)
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin

    def line(text: str, size: float = 12, style: str = "", align: str = "L", indent: bool = False,
             gap: float = 1.5) -> None:
        pdf.set_font("cjk", style, size)
        pdf.set_x(pdf.l_margin)
        pdf.multi_cell(width, size * 0.55, ("\u3000\u3000" if indent else "") + text, align=align,
                       new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(gap)

    line(doc.title, 18, "B", align="C", gap=5)
    for block in doc.blocks:
        if isinstance(block, Heading):
            pdf.ln(2)
            line(block.text, 13, "B")
        elif isinstance(block, Para):
            line(block.text, indent=block.indent)
        elif isinstance(block, Note):
            pdf.set_text_color(85, 91, 102)
            line(block.text, 9)
            pdf.set_text_color(0, 0, 0)
        elif isinstance(block, Numbered):
            for i, item in enumerate(block.items, 1):
                line(f"{i}. {item}", indent=True, gap=0.5)
            pdf.ln(1)
        elif isinstance(block, (Fields, Table)):
            pdf.set_font("cjk", "", 10.5)
            if isinstance(block, Fields):
                rows = [list(r) for r in block.rows]
                widths: Tuple[int, ...] = (30, 70)
                header = False
            else:
                rows = [block.header] + block.rows
                widths = tuple([8] + [30] * (len(block.header) - 2) + [10]) if len(block.header) > 2 else (50, 50)
                header = True
            with pdf.table(col_widths=widths, first_row_as_headings=header, line_height=6,
                           headings_style=FontFace(emphasis="B")) as table:
                for row in rows:
                    cells = table.row()
                    for text in row:
                        cells.cell(text)
            pdf.ln(3)
        elif isinstance(block, Closing):
            for text in [x for x in block.to.split("\n") if x]:
                line(text, gap=0.5)
            pdf.ln(6)
            line(block.signer, align="R", gap=2)
            line(block.date_text, align="R")
    return bytes(pdf.output())
