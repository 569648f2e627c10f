"""A document as an editable Word file (python-docx): 宋体 body, 黑体 headings, A4."""
from __future__ import annotations

import io

from docx import Document as WordDocument
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.text.run import Run

from knowledge.documents.content import Closing, Document, Fields, Heading, Note, Numbered, Para, Table

BODY_FONT, HEADING_FONT = "宋体", "黑体"


def _font(run: Run, name: str, size: float, bold: bool = False) -> None:
    run.font.name = name
    run.font.size = Pt(size)
    run.font.bold = bold
    # Word takes Chinese text's font from the eastAsia attribute, not from the font name.
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), name)


def to_docx(doc: Document) -> bytes:
    """The document as .docx bytes."""
    word = WordDocument()
    section = word.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    section.top_margin = section.bottom_margin = Cm(2.5)
    section.left_margin = section.right_margin = Cm(2.6)
    title = word.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(title.add_run(doc.title), HEADING_FONT, 18, bold=True)
    for block in doc.blocks:
        if isinstance(block, Heading):
            p = word.add_paragraph()
            p.paragraph_format.space_before = Pt(8)
            _font(p.add_run(block.text), HEADING_FONT, 13, bold=True)
        elif isinstance(block, Para):
            p = word.add_paragraph()
            if block.indent:
                p.paragraph_format.first_line_indent = Pt(24)
            _font(p.add_run(block.text), BODY_FONT, 12)
        elif isinstance(block, Note):
            p = word.add_paragraph()
            run = p.add_run(block.text)
            _font(run, BODY_FONT, 9)
            run.font.color.rgb = RGBColor(0x55, 0x5B, 0x66)
        elif isinstance(block, Numbered):
            for i, item in enumerate(block.items, 1):
                p = word.add_paragraph()
                p.paragraph_format.first_line_indent = Pt(24)
                _font(p.add_run(f"{i}. {item}"), BODY_FONT, 12)
        elif isinstance(block, Fields):
            table = word.add_table(rows=0, cols=2)
            table.style = "Table Grid"
            for label, value in block.rows:
                cells = table.add_row().cells
                _font(cells[0].paragraphs[0].add_run(label), BODY_FONT, 11)
                _font(cells[1].paragraphs[0].add_run(value), BODY_FONT, 11)
            for row in table.rows:
                row.cells[0].width, row.cells[1].width = Cm(4.5), Cm(11.3)
        elif isinstance(block, Table):
            table = word.add_table(rows=1, cols=len(block.header))
            table.style = "Table Grid"
            table.alignment = WD_TABLE_ALIGNMENT.CENTER
            for cell, text in zip(table.rows[0].cells, block.header):
                _font(cell.paragraphs[0].add_run(text), BODY_FONT, 10.5, bold=True)
            for row in block.rows:
                cells = table.add_row().cells
                for cell, text in zip(cells, row):
                    _font(cell.paragraphs[0].add_run(text), BODY_FONT, 10.5)
        elif isinstance(block, Closing):
            for line in [x for x in block.to.split("\n") if x]:
                p = word.add_paragraph()
                _font(p.add_run(line), BODY_FONT, 12)
            for line in (block.signer, block.date_text):
                p = word.add_paragraph()
                p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
                _font(p.add_run(line), BODY_FONT, 12)
    out = io.BytesIO()
    word.core_properties.title = doc.title
    word.save(out)
    return out.getvalue()
